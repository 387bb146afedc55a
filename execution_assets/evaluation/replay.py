"""Replay evaluation: every strategy on the same recorded days (``evaluation.replay_results`` and
``evaluation.replay_summary``; DESIGN section 7, "on replayed days").

For each instrument with stored days (``features.book_1s`` beside ``raw.l2_snapshots``):

- **Days by split** (``sim.replay_book.split_days``): the first 60% of a synthetic instrument's
  days train, the next 20% validate, the last 20% test; a real instrument's days (any instrument
  not in ``market.instruments.DEFAULT_INSTRUMENTS``) are test-only. Only the splits in
  ``ReplaySpec.splits`` (default: test) are evaluated.
- **Scenarios**: sizes (default 1% and 5% of ADV) x horizons (30 min and 1 h) x both sides, the
  instrument's latest calibration (``scenarios.load_calibrations``; the built-in defaults where
  none is stored) with the **linear** impact model of the scenario grid (``scenarios.model_impact``:
  the calibrated power laws replaced by their line through TWAP's trade size; ``transient`` adds
  the calibrated Obizhaeva-Wang kernel and is the other choice the hindsight bound supports), medium
  urgency (AC's kappa T = 2), the grid's step count (``scenarios.n_steps_for``: 60 steps) and the
  normal regime (the recorded path is whatever the day did). ``ReplaySpec`` changes any of them.
- **Episodes**: ``ReplaySpec.n_episodes`` (default 200) per scenario and side, starting at
  seconds drawn uniformly over the split's days where the horizon fits (``ReplayMarket``). The
  seed depends on the instrument, split, size and horizon only, so every strategy, and both
  sides, start at the same seconds: a pooled buy + sell mean cancels the days' own direction.
- **Strategies**, each on its own ``ReplayMarket`` reset with the scenario's seed (same starts,
  checked): TWAP, VWAP and POV on the calibrated volume curve read at each episode's start
  (seconds since the day's first stored second, the open for LOBSTER and synthetic days),
  Almgren-Chriss, Obizhaeva-Wang, the trained agents (their observations from the recorded book),
  and the **hindsight** bound.
- **Hindsight**: per episode, the static schedule that minimizes the calibrated model's cost on
  that episode's recorded mids, sum_k q_k (side U_k + half spread + eta~ q_k + own permanent and
  transient impact), subject to sum q = X and q >= 0 (``hindsight_schedules``: accelerated
  projected gradient over all episodes at once, and the best single block trade where the model
  is not convex). It is optimized under the **model's** costs but priced on the **book** like
  every other strategy (depth walk, temporary impact beyond the displayed depth): the book can
  price a schedule differently than the model did, so it is an outer bound up to that model error
  (the ``replay_summary`` check warns where a strategy beats it beyond noise).

The summary pools the two sides of a size x horizon (``sides`` = 'buy+sell', 2 n episodes) and
compares each strategy with TWAP on the same episodes (``evaluation.metrics.paired_improvement``:
paired percentile-bootstrap CIs, t-test Holm-corrected across the rows of a strategy), with the
hindsight bound's own improvement beside it and the share of it a strategy realises.
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from execution_assets.evaluation.agents import one_torch_thread
from execution_assets.evaluation.metrics import (
    CVAR_LEVEL,
    bootstrap_weights,
    cvar,
    holm,
    oracle_efficiency,
    paired_improvement,
    quantile,
)
from execution_assets.evaluation.paired import pov_rate
from execution_assets.evaluation.summary import BOOT_SEED, N_BOOT
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.scenarios import (
    SHORT_NAMES,
    URGENCY_KAPPA_T,
    MarketCalibration,
    calibration_for,
    n_steps_for,
    recorded_day_problem,
    risk_aversion_for,
    scenario_problem,
)
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay import load_replay_book
from execution_assets.sim.replay_book import SPLITS, ReplayBook, split_days
from execution_assets.sim.replay_market import ReplayMarket, draw_starts, replay_step_seconds
from execution_assets.sim.vec_market import BPS, CostConstants, EpisodeSummary
from execution_assets.sql import load_sql
from execution_assets.strategies import POV, TWAP, VWAP, AlmgrenChriss, ObizhaevaWang
from execution_assets.strategies.base import ScheduleStrategy, StatelessPolicy, Strategy
from execution_assets.warehouse import insert_frame, run_sql_file, transaction

REPLAY_SIZES_PCT_ADV = (1.0, 5.0)
REPLAY_HORIZONS_S = (1800.0, 3600.0)
REPLAY_SIDES = (1, -1)
REPLAY_EPISODES = 200  # per scenario (one side); a size x horizon pools both: 400
REPLAY_IMPACT_MODEL = "linear"
REPLAY_URGENCY = "medium"
HINDSIGHT_MODELS = ("linear", "transient")  # impact models whose cost is quadratic in the schedule
HINDSIGHT = "hindsight"
TWAP_NAME = "twap"
STATIC_BASELINES = ("twap", "vwap", "pov", "almgren_chriss", "obizhaeva_wang")
N_LEVEL_COLUMNS = 10  # level_1_shares .. level_10_shares (DESIGN's N = 10), then beyond_depth_shares
LEVEL_COLUMNS = tuple(f"level_{j}_shares" for j in range(1, N_LEVEL_COLUMNS + 1))
HINDSIGHT_Z = 3.0
HINDSIGHT_TOLERANCE_BPS = 0.01


@dataclass(frozen=True)
class ReplaySpec:
    """What a replay evaluation covers (defaults: module docstring)."""

    splits: tuple[str, ...] = ("test",)
    sizes_pct_adv: tuple[float, ...] = REPLAY_SIZES_PCT_ADV
    horizons_s: tuple[float, ...] = REPLAY_HORIZONS_S
    sides: tuple[int, ...] = REPLAY_SIDES
    n_episodes: int = REPLAY_EPISODES
    impact_model: str = REPLAY_IMPACT_MODEL
    urgency: str = REPLAY_URGENCY

    def __post_init__(self) -> None:
        unknown = set(self.splits) - set(SPLITS)
        if unknown or not self.splits:
            raise ValueError(f"replay splits must be among {SPLITS}, got {list(self.splits)}")
        if self.n_episodes < 2:
            raise ValueError(f"replay needs at least 2 episodes per scenario for a standard error, got {self.n_episodes}")
        if self.impact_model not in HINDSIGHT_MODELS:
            raise ValueError(
                f"replay impact_model must be one of {HINDSIGHT_MODELS} (the hindsight bound is a quadratic program), "
                f"got {self.impact_model!r}"
            )
        if self.urgency not in URGENCY_KAPPA_T:
            raise ValueError(f"urgency must be one of {tuple(URGENCY_KAPPA_T)}, got {self.urgency!r}")
        if set(self.sides) - {1, -1} or not self.sides:
            raise ValueError(f"sides must be +1 (buy) and/or -1 (sell), got {list(self.sides)}")
        if not self.sizes_pct_adv or not self.horizons_s or min(self.sizes_pct_adv) <= 0:
            raise ValueError("replay needs at least one size (> 0 % ADV) and one horizon")


@dataclass(frozen=True)
class ReplayScenario:
    scenario_id: str
    group_id: str  # the scenario without its side: both sides share the seed
    instrument: str
    split: str
    size_pct_adv: float
    horizon_s: float
    side: int
    seed: int
    problem: ExecutionProblem


def side_name(side: int) -> str:
    return "buy" if side == 1 else "sell"


def replay_scenarios(instrument: str, split: str, calibration: MarketCalibration, spec: ReplaySpec) -> list[ReplayScenario]:
    """The spec's sizes x horizons x sides on ``calibration`` (module docstring)."""
    out = []
    model = SHORT_NAMES[spec.impact_model]
    for size in spec.sizes_pct_adv:
        for horizon in spec.horizons_s:
            n_steps = n_steps_for(horizon)
            base = f"{instrument}-replay-{model}-{size:g}pct-{int(horizon) // 60}m-{spec.urgency}"
            group = f"{base}-{split}"
            seed = zlib.crc32(group.encode())
            risk_aversion = risk_aversion_for(URGENCY_KAPPA_T[spec.urgency], calibration, size / 100.0, horizon, n_steps)
            for side in spec.sides:
                row = {
                    "scenario_id": group, "instrument": instrument, "size_pct_adv": size, "side": side,
                    "horizon_s": horizon, "n_steps": n_steps, "impact_model": spec.impact_model,
                    "risk_aversion": risk_aversion, "regime": "normal",
                }  # fmt: skip
                problem = recorded_day_problem(scenario_problem(row, calibration))
                scenario_id = f"{base}-{side_name(side)}-{split}"
                out.append(ReplayScenario(scenario_id, group, instrument, split, size, horizon, side, seed, problem))
    return out


# ---------------------------------------------------------------------------------- hindsight


def _quadratic_form(problem: ExecutionProblem) -> tuple[np.ndarray, float]:
    """(Q, hs): the model's cost of a static schedule q (shares) on a path is
    q . (side U + hs) + q' Q q, in fractions of the arrival price (Q symmetric, N x N)."""
    imp = problem.impact
    if imp.beta != 1.0 or imp.delta != 1.0:
        raise ValueError(f"the hindsight bound needs linear temporary and permanent impact, got beta={imp.beta}, delta={imp.delta}")
    c = CostConstants.of(problem)
    n = problem.n_steps
    lag = np.arange(n)[:, None] - np.arange(n)[None, :]  # k - j
    lower = np.where(lag > 0, c.perm_coef + c.trans_coef * c.decay ** np.maximum(lag, 0), 0.0)  # trade j before k
    q = c.temp_coef * np.eye(n) + (lower + lower.T) / 2.0
    return q, c.hs


def model_cost_bps(problem: ExecutionProblem, unaffected: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The calibrated model's IS (bps) of static schedules ``shares`` (N, n) on recorded paths
    ``unaffected`` (N, n): U_k = mid(t_k) / mid(t_0) - 1 at the decisions (linear impact)."""
    quad, hs = _quadratic_form(problem)
    shares = np.asarray(shares, dtype=float)
    linear = ((problem.side * unaffected + hs) * shares).sum(axis=0)
    return BPS / problem.total_shares * (linear + np.einsum("kn,kj,jn->n", shares, quad, shares))


def _project_simplex(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row of ``v`` onto {u >= 0, sum u = 1} (sort-based)."""
    n = v.shape[1]
    ordered = -np.sort(-v, axis=1)
    cumulative = np.cumsum(ordered, axis=1) - 1.0
    index = np.arange(1, n + 1)
    positive = ordered - cumulative / index > 0
    rho = n - 1 - np.argmax(positive[:, ::-1], axis=1)  # last index where positive
    theta = cumulative[np.arange(v.shape[0]), rho] / (rho + 1)
    return np.maximum(v - theta[:, None], 0.0)


def hindsight_schedules(
    problem: ExecutionProblem, unaffected: np.ndarray, *, max_iter: int = 3000, tol: float = 1e-10
) -> np.ndarray:
    """(N, n) shares: per episode, the static schedule minimizing the model's cost on its path.

    ``unaffected`` (N, n): the recorded U_k at each decision. Minimizes
    u . side U + X u' Q u over the unit simplex (u = q / X; ``_quadratic_form``) for all episodes
    at once by FISTA with a projection onto the simplex, from TWAP, keeping each episode's best
    iterate; the best single block trade is also tried and the cheaper schedule kept (where
    permanent impact outweighs temporary, eta~ < 0, the cost is concave and a block is optimal).
    """
    quad, _ = _quadratic_form(problem)
    x = problem.total_shares
    h = problem.side * np.asarray(unaffected, dtype=float).T  # (n, N)
    n_ep, n = h.shape
    a = x * quad  # objective per unit of the order: h . u + u' A u
    lipschitz = 2.0 * max(float(np.linalg.eigvalsh(a)[-1]), 1e-300)
    scale = max(float(np.abs(h).max()), float(np.abs(a).max()), 1e-300)  # of the objective, for the tolerance

    def objective(u: np.ndarray) -> np.ndarray:
        return ((h + u @ a) * u).sum(axis=1)

    u = np.full((n_ep, n), 1.0 / n)
    best, best_value = u.copy(), objective(u)
    y, t = u.copy(), 1.0
    for it in range(max_iter):
        gradient = h + 2.0 * y @ a
        nxt = _project_simplex(y - gradient / lipschitz)
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        y = nxt + ((t - 1.0) / t_next) * (nxt - u)
        change = float(np.abs(nxt - u).max())
        u, t = nxt, t_next
        value = objective(u)
        better = value < best_value
        best[better], best_value[better] = u[better], value[better]
        if change < tol and it > 10:
            break
    # not convex (eta~ < 0), the minimum sits at a vertex: the cheapest single block trade
    vertex_value = h + np.diag(a)[None, :]
    k = vertex_value.argmin(axis=1)
    block = vertex_value[np.arange(n_ep), k] < best_value - 1e-15 * scale
    best[block] = 0.0
    best[np.flatnonzero(block), k[block]] = 1.0
    best /= best.sum(axis=1, keepdims=True)
    return (best * x).T


# ---------------------------------------------------------------------------------- running


@dataclass
class ScenarioOutcome:
    """Every strategy of one scenario, on the same episodes."""

    scenario: ReplayScenario
    starts: np.ndarray  # (n,) flat rows of the book where the episodes start
    summaries: dict[str, EpisodeSummary] = field(default_factory=dict)
    level_fills: dict[str, np.ndarray] = field(default_factory=dict)  # (n, L + 1) per strategy
    failures: list[tuple[str, str]] = field(default_factory=list)  # (strategy, error)


def episode_start_seconds(book: ReplayBook, starts: np.ndarray) -> np.ndarray:
    """Seconds since the first stored second of the episode's day."""
    day = np.searchsorted(book.day_start, starts, side="right") - 1
    return starts - book.day_start[day]


def unaffected_at_decisions(book: ReplayBook, problem: ExecutionProblem, starts: np.ndarray) -> np.ndarray:
    """(N + 1, n) U_k = mid(t_k) / mid(t_0) - 1 at the decisions t_k = t_0 + k tau and the end."""
    rows = starts[None, :] + replay_step_seconds(problem) * np.arange(problem.n_steps + 1)[:, None]
    mid = book.mid[rows]
    return mid / mid[0] - 1.0


def curve_schedules(
    problem: ExecutionProblem, volume_curve: np.ndarray | None, start_seconds: np.ndarray
) -> dict[str, np.ndarray]:
    """VWAP's and POV's (N, n) shares, each episode planned from its own start on the curve."""
    x, n_steps, day = problem.total_shares, problem.n_steps, problem.session_seconds
    latest = max(day - problem.horizon_s, 0.0)
    out = {"vwap": np.empty((n_steps, start_seconds.size)), "pov": np.empty((n_steps, start_seconds.size))}
    plans: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    for i, second in enumerate(start_seconds):
        start = float(min(max(second, 0.0), latest))
        if start not in plans:
            vwap = VWAP(volume_curve, start).schedule(problem)
            pov = POV(pov_rate(problem, volume_curve, start), volume_curve, start).schedule(problem)
            plans[start] = (vwap, pov)
        out["vwap"][:, i], out["pov"][:, i] = plans[start]
    return {name: shares * x for name, shares in out.items()}


def _market(problem: ExecutionProblem, book: ReplayBook, n: int, seed: int, starts: np.ndarray) -> ReplayMarket:
    market = ReplayMarket(problem, n, book, track_levels=True)
    market.reset(seed)
    if not np.array_equal(market.starts, starts):  # pairing is the point: never silently lose it
        raise RuntimeError(f"replay market drew other starts for seed {seed}")
    return market


def _run_shares(problem, book, n, seed, starts, shares: np.ndarray) -> ReplayMarket:
    market = _market(problem, book, n, seed, starts)
    while not market.done:
        market.step(shares[market.k])
    return market


def _run_policy(problem, book, n, seed, starts, strategy: Strategy) -> ReplayMarket:
    market = _market(problem, book, n, seed, starts)
    strategy.reset(problem, n)
    while not market.done:
        market.step_fraction(strategy.act(market.observe()))
    return market


def run_scenario(
    scenario: ReplayScenario,
    book: ReplayBook,
    n_episodes: int,
    *,
    volume_curve: np.ndarray | None = None,
    agents: Sequence[Strategy] = (),
) -> ScenarioOutcome:
    """The baselines, ``agents`` and the hindsight bound on ``n_episodes`` episodes of
    ``scenario`` on ``book`` (the split's days), all from the scenario's seed.

    A strategy that cannot plan the problem (an ill-posed closed form) is listed in
    ``failures`` instead of stopping the scenario. A book with no day long enough for the horizon
    raises ``ValueError`` (``draw_starts``' message).
    """
    problem, seed, n = scenario.problem, scenario.seed, n_episodes
    starts = draw_starts(book, problem, n, seed)
    outcome = ScenarioOutcome(scenario, starts)
    curves = curve_schedules(problem, volume_curve, episode_start_seconds(book, starts).astype(float))
    unaffected = unaffected_at_decisions(book, problem, starts)
    runs: list[tuple[str, object]] = [
        ("twap", TWAP()), ("vwap", curves["vwap"]), ("pov", curves["pov"]),
        ("almgren_chriss", AlmgrenChriss()), ("obizhaeva_wang", ObizhaevaWang()),
        *((agent.name, agent) for agent in agents),
    ]  # fmt: skip
    for name, how in runs:
        try:
            if isinstance(how, ScheduleStrategy):
                how.reset(problem, 1)
                how = np.repeat((how.trades * problem.total_shares)[:, None], n, axis=1)
            if isinstance(how, np.ndarray):
                market = _run_shares(problem, book, n, seed, starts, how)
            else:
                market = _run_policy(problem, book, n, seed, starts, how)
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            outcome.failures.append((name, f"{type(exc).__name__}: {exc}"))
            continue
        outcome.summaries[name] = market.summary()
        outcome.level_fills[name] = market.level_fills.copy()
    market = _run_shares(problem, book, n, seed, starts, hindsight_schedules(problem, unaffected[:-1]))
    outcome.summaries[HINDSIGHT] = market.summary()
    outcome.level_fills[HINDSIGHT] = market.level_fills.copy()
    return outcome


def _run_together(agent: StatelessPolicy, outcomes: Sequence[ScenarioOutcome], book: ReplayBook, n: int) -> None:
    """A stateless policy on every outcome's episodes at once: one ``act`` per step for all
    scenarios with the same step count (same results as ``_run_policy`` per scenario, row by row)."""
    for n_steps in sorted({o.scenario.problem.n_steps for o in outcomes}):
        group = [o for o in outcomes if o.scenario.problem.n_steps == n_steps]
        try:
            markets = [_market(o.scenario.problem, book, n, o.scenario.seed, o.starts) for o in group]
            agent.reset(group[0].scenario.problem, n * len(group))
            while not markets[0].done:
                fractions = agent.act(np.concatenate([market.observe() for market in markets]))
                for market, part in zip(markets, np.split(np.asarray(fractions), len(group))):
                    market.step_fraction(part)
        except (ValueError, RuntimeError) as exc:
            for o in group:
                o.failures.append((agent.name, f"{type(exc).__name__}: {exc}"))
            continue
        for market, o in zip(markets, group):
            o.summaries[agent.name] = market.summary()
            o.level_fills[agent.name] = market.level_fills.copy()


def run_scenarios(
    scenarios: Sequence[ReplayScenario],
    book: ReplayBook,
    n_episodes: int,
    *,
    volume_curve: np.ndarray | None = None,
    agents: Sequence[Strategy] = (),
) -> tuple[list[ScenarioOutcome], list[tuple[ReplayScenario, str]]]:
    """``run_scenario`` for each scenario (those no day is long enough for come back with the
    reason), the stateless agents (trained networks) stepping all scenarios at once."""
    together = [a for a in agents if isinstance(a, StatelessPolicy)]
    alone = [a for a in agents if not isinstance(a, StatelessPolicy)]
    outcomes, skipped = [], []
    with one_torch_thread():
        for scenario in scenarios:
            try:
                outcomes.append(run_scenario(scenario, book, n_episodes, volume_curve=volume_curve, agents=alone))
            except ValueError as exc:
                skipped.append((scenario, str(exc)))
        for agent in together:
            _run_together(agent, outcomes, book, n_episodes)
    return outcomes, skipped


# ---------------------------------------------------------------------------------- rows

RESULT_COLUMNS: dict[str, pl.DataType] = {
    "instrument": pl.String(),
    "date": pl.Date(),
    "split": pl.String(),
    "scenario_id": pl.String(),
    "group_id": pl.String(),
    "side": pl.Int8(),
    "size_pct_adv": pl.Float64(),
    "horizon_s": pl.Float64(),
    "strategy": pl.String(),
    "episode": pl.Int32(),
    "start_second": pl.Int32(),
    "order_shares": pl.Float64(),
    "is_bps": pl.Float64(),
    "arrival_slippage_bps": pl.Float64(),
    "vwap_slippage_bps": pl.Float64(),
    "n_child_orders": pl.Int32(),
    **{c: pl.Float64() for c in LEVEL_COLUMNS},
    "beyond_depth_shares": pl.Float64(),
}
SKIP_COLUMNS = {"instrument": pl.String(), "split": pl.String(), "scenario_id": pl.String(), "reason": pl.String()}
FAILURE_COLUMNS = {"scenario_id": pl.String(), "strategy": pl.String(), "error": pl.String()}


def _level_columns(fills: np.ndarray) -> dict[str, np.ndarray]:
    """level_j_shares (NULL past the book's depth) and beyond_depth_shares from (n, L + 1) fills."""
    n, levels = fills.shape[0], fills.shape[1] - 1
    out = {}
    for j, name in enumerate(LEVEL_COLUMNS):
        out[name] = fills[:, j] if j < levels else np.full(n, np.nan)
    out["beyond_depth_shares"] = fills[:, min(levels, N_LEVEL_COLUMNS) :].sum(axis=1)
    return out


def outcome_frame(outcome: ScenarioOutcome, book: ReplayBook) -> pl.DataFrame:
    """``evaluation.replay_results`` rows of one scenario (columns ``RESULT_COLUMNS``)."""
    s = outcome.scenario
    n = outcome.starts.size
    day = np.searchsorted(book.day_start, outcome.starts, side="right") - 1
    dates = [book.dates[d] for d in day]
    seconds = episode_start_seconds(book, outcome.starts).astype(np.int32)
    parts = []
    for name, summary in outcome.summaries.items():
        parts.append(
            pl.DataFrame(
                {
                    "instrument": [s.instrument] * n,
                    "date": dates,
                    "split": [s.split] * n,
                    "scenario_id": [s.scenario_id] * n,
                    "group_id": [s.group_id] * n,
                    "side": np.full(n, s.side, dtype=np.int8),
                    "size_pct_adv": np.full(n, s.size_pct_adv),
                    "horizon_s": np.full(n, s.horizon_s),
                    "strategy": [name] * n,
                    "episode": np.arange(n, dtype=np.int32),
                    "start_second": seconds,
                    "order_shares": np.full(n, s.problem.total_shares),
                    "is_bps": summary.is_bps,
                    "arrival_slippage_bps": summary.arrival_slippage_bps,
                    "vwap_slippage_bps": summary.vwap_slippage_bps,
                    "n_child_orders": summary.n_child_orders.astype(np.int32),
                    **_level_columns(outcome.level_fills[name]),
                },
                schema=RESULT_COLUMNS,
                nan_to_null=True,
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame(schema=RESULT_COLUMNS)


@dataclass(frozen=True)
class ReplayEvaluation:
    results: pl.DataFrame  # evaluation.replay_results rows
    scenarios: pl.DataFrame  # one row per scenario evaluated: its problem's parameters and calibration
    skipped: pl.DataFrame  # instrument, split, scenario_id (NULL: the whole split), reason
    failures: pl.DataFrame  # scenario_id, strategy, error
    covered: list[tuple[str, str]]  # (instrument, split) pairs this run rewrites
    seconds: float


def _scenario_row(s: ReplayScenario, calibration: MarketCalibration, dates: Sequence[dt.date]) -> dict:
    p = s.problem
    return {
        "scenario_id": s.scenario_id, "instrument": s.instrument, "split": s.split, "side": side_name(s.side),
        "size_pct_adv": s.size_pct_adv, "horizon_s": s.horizon_s, "n_steps": p.n_steps, "seed": s.seed,
        "days": ", ".join(d.isoformat() for d in dates), "eta": p.impact.eta, "gamma": p.impact.gamma,
        "kappa": p.impact.kappa, "half_spread_bps": p.half_spread_bps, "adv_shares": p.adv_shares,
        "sigma_daily": p.sigma_daily, "risk_aversion": p.risk_aversion,
        "calibration": f"{calibration.source} {calibration.as_of or ''}".strip(),
    }  # fmt: skip


def evaluate_book(
    book: ReplayBook,
    calibration: MarketCalibration,
    spec: ReplaySpec = ReplaySpec(),
    *,
    days_by_split: Mapping[str, Sequence[dt.date]] | None = None,
    agents: Sequence[Strategy] = (),
) -> ReplayEvaluation:
    """Every scenario of ``spec`` on ``book``'s days of each evaluated split.

    ``days_by_split``: the instrument's days per split (default ``instrument_splits`` of the
    book's own days). A split without days, or a scenario no day is long enough for, is skipped
    with the reason.
    """
    start = time.perf_counter()
    instrument = book.instrument
    by_split = instrument_splits(instrument, book.dates) if days_by_split is None else days_by_split
    frames, scenario_rows, skipped, failures = [], [], [], []
    for split in spec.splits:
        dates = list(by_split.get(split, ()))
        if not dates:
            skipped.append((instrument, split, None, _no_days_reason(instrument, split, sum(len(v) for v in by_split.values()))))
            continue
        days = book.select(dates)
        scenarios = replay_scenarios(instrument, split, calibration, spec)
        outcomes, missed = run_scenarios(scenarios, days, spec.n_episodes, volume_curve=calibration.volume_curve, agents=agents)
        skipped += [(instrument, split, scenario.scenario_id, reason) for scenario, reason in missed]
        for outcome in outcomes:
            frames.append(outcome_frame(outcome, days))
            scenario_rows.append(_scenario_row(outcome.scenario, calibration, dates))
            failures += [(outcome.scenario.scenario_id, name, error) for name, error in outcome.failures]
    return ReplayEvaluation(
        results=pl.concat(frames) if frames else pl.DataFrame(schema=RESULT_COLUMNS),
        scenarios=pl.DataFrame(scenario_rows),
        skipped=pl.DataFrame(skipped, schema=SKIP_COLUMNS, orient="row"),
        failures=pl.DataFrame(failures, schema=FAILURE_COLUMNS, orient="row"),
        covered=[(instrument, split) for split in spec.splits],
        seconds=time.perf_counter() - start,
    )


def is_real(instrument: str) -> bool:
    """A recorded market's instrument (not one of the built-in synthetic ones): its days are test-only."""
    return instrument not in DEFAULT_INSTRUMENTS


def instrument_splits(instrument: str, dates: Sequence[dt.date]) -> dict[str, list[dt.date]]:
    """``split_days`` of the instrument's stored dates (real instruments: all test)."""
    return split_days(dates, real=is_real(instrument))


def _no_days_reason(instrument: str, split: str, n_days: int) -> str:
    if n_days == 0:
        return f"{instrument}: no stored day in features.book_1s (ingest its raw data and build book_features first)"
    if is_real(instrument):
        return f"{instrument}: no {split} day (a real instrument's {n_days} day(s) are test-only)"
    return f"{instrument}: no {split} day ({n_days} stored day(s) split 60/20/20 by date leave none for {split})"


@dataclass(frozen=True)
class StoredBooks:
    """The books a replay evaluation needs, read from the warehouse."""

    books: dict[str, ReplayBook]  # instrument -> its days of the evaluated splits
    days_by_split: dict[str, dict[str, list[dt.date]]]  # instrument -> split -> dates (all splits)
    instruments: list[str]  # every instrument asked for (or found)
    skipped: pl.DataFrame  # instruments or splits without days, with the reason


def load_books(
    con: duckdb.DuckDBPyConnection, spec: ReplaySpec = ReplaySpec(), instruments: Sequence[str] | None = None
) -> StoredBooks:
    """Each instrument's days of the evaluated splits (every instrument with stored days, or
    ``instruments``). An instrument or split without days is listed in ``skipped``, not an error."""
    stored = run_sql_file(con, "evaluation/replay_days", {})
    names = sorted(set(stored["instrument"].to_list())) if instruments is None else sorted(set(instruments))
    books, splits, skipped = {}, {}, []
    if not names:
        reason = "no instrument has stored days in features.book_1s (ingest raw data and build book_features first)"
        skipped += [("(none)", split, None, reason) for split in spec.splits]
    for instrument in names:
        dates = stored.filter(pl.col("instrument") == instrument)["date"].to_list()
        splits[instrument] = by_split = instrument_splits(instrument, dates)
        needed = sorted({d for split in spec.splits for d in by_split[split]})
        skipped += [
            (instrument, split, None, _no_days_reason(instrument, split, len(dates))) for split in spec.splits if not by_split[split]
        ]
        if not needed:
            continue
        try:
            books[instrument] = load_replay_book(con, instrument, needed)
        except ValueError as exc:
            skipped += [(instrument, split, None, str(exc)) for split in spec.splits if by_split[split]]
    return StoredBooks(books, splits, names, pl.DataFrame(skipped, schema=SKIP_COLUMNS, orient="row"))


def evaluate_replay(
    stored: StoredBooks,
    calibrations: Mapping[str, MarketCalibration],
    spec: ReplaySpec = ReplaySpec(),
    *,
    agents: Sequence[Strategy] = (),
) -> ReplayEvaluation:
    """``evaluate_book`` for every instrument of ``stored``, each on its latest calibration
    (``calibrations``; the built-in defaults when absent)."""
    start = time.perf_counter()
    parts = [
        evaluate_book(
            book, calibration_for(calibrations, instrument), spec, days_by_split=stored.days_by_split[instrument], agents=agents
        )
        for instrument, book in sorted(stored.books.items())
    ]
    results = [p.results for p in parts if p.results.height]
    scenarios = [p.scenarios for p in parts if p.scenarios.height]
    return ReplayEvaluation(
        results=pl.concat(results) if results else pl.DataFrame(schema=RESULT_COLUMNS),
        scenarios=pl.concat(scenarios, how="diagonal_relaxed") if scenarios else pl.DataFrame(),
        skipped=pl.concat([stored.skipped, *(p.skipped for p in parts)]),
        failures=pl.concat([pl.DataFrame(schema=FAILURE_COLUMNS), *(p.failures for p in parts)]),
        covered=[(instrument, split) for instrument in stored.instruments for split in spec.splits],
        seconds=time.perf_counter() - start,
    )


def replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, delete_sql: str, covered: Sequence[tuple[str, str]], frame: pl.DataFrame
) -> int:
    """Delete the (instrument, split) pairs ``covered`` and insert ``frame`` by name, in one transaction."""
    keys = [f"{instrument}|{split}" for instrument, split in covered]
    with transaction(con):
        con.execute(load_sql(delete_sql), {"keys": keys}).fetchall()
        if frame.height:
            insert_frame(con, table, frame)
    return frame.height


# ---------------------------------------------------------------------------------- summary

GROUP_KEY = ("instrument", "split", "size_pct_adv", "horizon_s")
SUMMARY_COLUMNS: dict[str, pl.DataType] = {
    "instrument": pl.String(),
    "split": pl.String(),
    "size_pct_adv": pl.Float64(),
    "horizon_s": pl.Float64(),
    "strategy": pl.String(),
    "sides": pl.String(),
    "n_episodes": pl.Int32(),
    "n_days": pl.Int32(),
    "mean_is_bps": pl.Float64(),
    "std_is_bps": pl.Float64(),
    "p95_is_bps": pl.Float64(),
    "cvar95_is_bps": pl.Float64(),
    "mean_arrival_slippage_bps": pl.Float64(),
    "mean_vwap_slippage_bps": pl.Float64(),
    "beyond_depth_frac": pl.Float64(),
    "improvement_vs_twap_bps": pl.Float64(),
    "improvement_se_bps": pl.Float64(),
    "ci95_low_bps": pl.Float64(),
    "ci95_high_bps": pl.Float64(),
    "improvement_vs_twap_pct": pl.Float64(),
    "ci95_low": pl.Float64(),
    "ci95_high": pl.Float64(),
    "p_value_raw": pl.Float64(),
    "p_value": pl.Float64(),
    "hindsight_improvement_bps": pl.Float64(),
    "hindsight_improvement_pct": pl.Float64(),
    "hindsight_efficiency": pl.Float64(),
}


def _group_matrices(group: pl.DataFrame) -> tuple[list[str], dict[str, dict[str, np.ndarray]], int]:
    """Strategies and their per-episode arrays over the group's (scenario, episode) pairs, in one
    order; a strategy missing some pair (it failed somewhere) is left out."""
    group = group.sort("strategy", "scenario_id", "episode")
    keys = group.filter(pl.col("strategy") == TWAP_NAME).select("scenario_id", "episode")
    n = keys.height
    out = {}
    for (strategy,), rows in group.partition_by("strategy", as_dict=True, maintain_order=True).items():
        if rows.height != n or not rows.select("scenario_id", "episode").equals(keys):
            continue
        out[strategy] = {
            "is_bps": rows["is_bps"].to_numpy(),
            "arrival": rows["arrival_slippage_bps"].to_numpy(),
            "vwap": rows["vwap_slippage_bps"].to_numpy(),
            "beyond": rows["beyond_depth_shares"].to_numpy(),
            "order": rows["order_shares"].to_numpy(),
        }
    return list(out), out, n


def summarize_replay(results: pl.DataFrame, n_boot: int = N_BOOT, seed: int = BOOT_SEED) -> pl.DataFrame:
    """``evaluation.replay_summary`` rows: per instrument x split x size x horizon x strategy,
    both sides pooled (module docstring). Groups without TWAP rows are left out."""
    if results.is_empty():
        return pl.DataFrame(schema=SUMMARY_COLUMNS)
    frames = []
    for key, group in results.partition_by(list(GROUP_KEY), as_dict=True, maintain_order=True).items():
        strategies, data, n = _group_matrices(group)
        if TWAP_NAME not in data or n < 2:
            continue
        weights = bootstrap_weights(n, n_boot, seed)
        twap = data[TWAP_NAME]["is_bps"]
        is_bps = np.stack([data[s]["is_bps"] for s in strategies])
        cmp = paired_improvement(np.broadcast_to(twap, is_bps.shape), is_bps, weights)
        hindsight = strategies.index(HINDSIGHT) if HINDSIGHT in data else None
        if hindsight is not None:
            room_se = np.full(len(strategies), cmp.improvement_se_bps[hindsight])
            efficiency = oracle_efficiency(twap.mean(), is_bps.mean(axis=1), np.full(len(strategies), is_bps[hindsight].mean()), room_se)
            h_bps, h_pct = cmp.improvement_bps[hindsight], cmp.improvement_pct[hindsight]
        else:
            efficiency, h_bps, h_pct = np.full(len(strategies), np.nan), np.nan, np.nan
        sides = sorted(set(group["side"].to_list()), reverse=True)
        m = len(strategies)
        frames.append(
            pl.DataFrame(
                {
                    **{c: [v] * m for c, v in zip(GROUP_KEY, key)},
                    "strategy": strategies,
                    "sides": ["+".join(side_name(s) for s in sides)] * m,
                    "n_episodes": np.full(m, n, dtype=np.int32),
                    "n_days": np.full(m, group["date"].n_unique(), dtype=np.int32),
                    "mean_is_bps": is_bps.mean(axis=1),
                    "std_is_bps": is_bps.std(axis=1, ddof=1),
                    "p95_is_bps": quantile(is_bps, CVAR_LEVEL),
                    "cvar95_is_bps": cvar(is_bps),
                    "mean_arrival_slippage_bps": [data[s]["arrival"].mean() for s in strategies],
                    "mean_vwap_slippage_bps": [data[s]["vwap"].mean() for s in strategies],
                    "beyond_depth_frac": [data[s]["beyond"].sum() / data[s]["order"].sum() for s in strategies],
                    "improvement_vs_twap_bps": cmp.improvement_bps,
                    "improvement_se_bps": cmp.improvement_se_bps,
                    "ci95_low_bps": cmp.ci95_low_bps,
                    "ci95_high_bps": cmp.ci95_high_bps,
                    "improvement_vs_twap_pct": cmp.improvement_pct,
                    "ci95_low": cmp.ci95_low_pct,
                    "ci95_high": cmp.ci95_high_pct,
                    "p_value_raw": cmp.p_value,
                    "p_value": cmp.p_value,
                    "hindsight_improvement_bps": np.full(m, h_bps),
                    "hindsight_improvement_pct": np.full(m, h_pct),
                    "hindsight_efficiency": efficiency,
                },
                schema=SUMMARY_COLUMNS,
                nan_to_null=True,
            )
        )
    if not frames:
        return pl.DataFrame(schema=SUMMARY_COLUMNS)
    summary = pl.concat(frames)
    corrected = pl.col("p_value_raw").map_batches(lambda p: pl.Series(holm(p.to_numpy())), return_dtype=pl.Float64)
    return summary.with_columns(p_value=corrected.over("strategy")).sort(*GROUP_KEY, "strategy")


def hindsight_violations(
    results: pl.DataFrame, z: float = HINDSIGHT_Z, tolerance_bps: float = HINDSIGHT_TOLERANCE_BPS
) -> pl.DataFrame:
    """Per group and strategy, how much cheaper than the hindsight bound it is on the same
    episodes (``advantage_bps``) where that exceeds ``z`` paired standard errors and ``tolerance_bps``."""
    schema = {**{c: results.schema[c] for c in GROUP_KEY}, "strategy": pl.String(), "advantage_bps": pl.Float64(), "z": pl.Float64()}
    bound = results.filter(pl.col("strategy") == HINDSIGHT).select("scenario_id", "episode", bound=pl.col("is_bps"))
    if bound.is_empty():
        return pl.DataFrame(schema=schema)
    gap = pl.col("bound") - pl.col("is_bps")
    gaps = (
        results.filter(pl.col("strategy") != HINDSIGHT)
        .join(bound, on=["scenario_id", "episode"])
        .group_by(*GROUP_KEY, "strategy")
        .agg(advantage_bps=gap.mean(), se=gap.std() / pl.len().sqrt())
        .with_columns(z=pl.col("advantage_bps") / pl.col("se"))
    )
    return (
        gaps.filter(pl.col("advantage_bps") > tolerance_bps, pl.col("z") > z)
        .select(list(schema))
        .sort("z", descending=True, nulls_last=True)
    )


# ---------------------------------------------------------------------------------- example


@dataclass(frozen=True)
class ReplayExample:
    """One episode of one scenario: the recorded mids over its horizon and every strategy's trades."""

    scenario_id: str
    date: dt.date
    start_second: int
    step_s: int
    mid: np.ndarray  # (N tau + 1,) recorded mid, one per second from the start
    shares: dict[str, np.ndarray]  # (N,) trades per strategy
    is_bps: dict[str, float]
    order_shares: float


def parse_scenario_id(scenario_id: str) -> dict[str, object]:
    """The parts of a replay scenario id (``replay_scenarios``' naming), to rerun it."""
    instrument, _, rest = scenario_id.rpartition("-replay-")
    parts = rest.split("-")
    if not instrument or len(parts) != 6 or not parts[1].endswith("pct") or not parts[2].endswith("m"):
        raise ValueError(f"not a replay scenario id: {scenario_id!r}")
    model, size, horizon, urgency, side, split = parts
    models = {short: name for name, short in SHORT_NAMES.items()}
    return {
        "instrument": instrument, "impact_model": models[model], "size_pct_adv": float(size[:-3]),
        "horizon_s": 60.0 * float(horizon[:-1]), "urgency": urgency, "side": 1 if side == "buy" else -1, "split": split,
    }  # fmt: skip


def replay_example(
    book: ReplayBook,
    dates: Sequence[dt.date],
    calibration: MarketCalibration,
    spec: ReplaySpec,
    scenario_id: str,
    *,
    episode: int = 0,
    agents: Sequence[Strategy] = (),
) -> ReplayExample:
    """Episode ``episode`` of a stored scenario, rerun exactly as ``evaluate_book`` ran it: every
    scenario of ``spec`` on the split's ``dates`` of ``book`` (the agents step them together),
    same seeds, same starts."""
    parts = parse_scenario_id(scenario_id)
    split = str(parts["split"])
    days = book.select(dates)
    scenarios = replay_scenarios(book.instrument, split, calibration, spec)
    if scenario_id not in {s.scenario_id for s in scenarios}:
        raise ValueError(f"{scenario_id!r} is not a scenario of {spec}")
    outcomes, _ = run_scenarios(scenarios, days, spec.n_episodes, volume_curve=calibration.volume_curve, agents=agents)
    (outcome,) = [o for o in outcomes if o.scenario.scenario_id == scenario_id]
    problem = outcome.scenario.problem
    start = int(outcome.starts[episode])
    step = replay_step_seconds(problem)
    date, second = days.locate(start)
    return ReplayExample(
        scenario_id=scenario_id,
        date=date,
        start_second=second,
        step_s=step,
        mid=days.mid[start : start + problem.n_steps * step + 1].copy(),
        shares={name: s.shares[:, episode].copy() for name, s in outcome.summaries.items()},
        is_bps={name: float(s.is_bps[episode]) for name, s in outcome.summaries.items()},
        order_shares=problem.total_shares,
    )


def spec_of(results: pl.DataFrame, instrument: str, split: str) -> ReplaySpec:
    """The ``ReplaySpec`` an instrument's split was evaluated with, read back from its rows (sizes,
    horizons and sides in the default ascending / buy-first order; episodes per scenario)."""
    rows = results.filter(pl.col("instrument") == instrument, pl.col("split") == split)
    if rows.is_empty():
        raise ValueError(f"no replay results for {instrument} {split}")
    parts = parse_scenario_id(rows["scenario_id"][0])
    return ReplaySpec(
        splits=(split,),
        sizes_pct_adv=tuple(sorted(set(rows["size_pct_adv"].to_list()))),
        horizons_s=tuple(sorted(set(rows["horizon_s"].to_list()))),
        sides=tuple(sorted(set(rows["side"].to_list()), reverse=True)),
        n_episodes=int(rows.group_by("scenario_id").agg(pl.col("episode").n_unique())["episode"].max()),
        impact_model=str(parts["impact_model"]),
        urgency=str(parts["urgency"]),
    )
