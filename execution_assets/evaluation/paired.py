"""Paired evaluation: every strategy of a scenario trades the same simulated price paths.

One path batch is drawn per scenario from its seed (common random numbers). Static schedules
(TWAP, VWAP, POV, AC, OW) are stacked side by side into one ``VecMarket`` over the tiled path,
so one step loop serves them all; feedback strategies (the oracle, RL agents) each step their
own ``VecMarket`` reset on the very same path. A stateless policy (a trained network) can also
work several scenarios at once (``run_stateless_together``): one forward pass per step for all
of them, since on one scenario's small batch the network's per-call cost dominates.

A strategy may plan on a different problem than the market runs (``plan_problem``): that is
how the robustness tests mis-specify volatility or impact. The oracles always plan on the
market's true problem: they are the ceilings (the clairvoyant one also knows the hidden regime and
trend; the observable one only what an agent sees).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from execution_assets.sim.market_path import MarketPath, draw_path
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import EpisodeSummary, VecMarket, simulate
from execution_assets.strategies import POV, TWAP, VWAP, AlmgrenChriss, ObizhaevaWang, Oracle
from execution_assets.strategies.base import ScheduleStrategy, StatelessPolicy, Strategy
from execution_assets.strategies.baselines import volume_fractions
from execution_assets.strategies.observable_oracle import ObservableOracle
from execution_assets.strategies.runner import run_strategy

POV_FINISH_FRACTION = 0.8  # POV's rate is set to finish the order by 80% of the horizon
BASELINES = ("twap", "vwap", "pov", "almgren_chriss", "obizhaeva_wang")
ORACLE = "oracle"
OBSERVABLE_ORACLE = "observable_oracle"
CEILINGS = (OBSERVABLE_ORACLE, ORACLE)  # inner (what an agent can reach) and outer (clairvoyant) bound


def pov_rate(problem: ExecutionProblem, volume_curve: np.ndarray | None, start_s: float) -> float:
    """Participation that completes the order in the first 80% of the horizon on expected volume.

    Capped at 100%: an order larger than the market's volume over the horizon leaves a remainder
    that POV executes at the last step, at its cost.
    """
    expected = volume_fractions(volume_curve, start_s, problem.tau_s, problem.n_steps, problem.session_seconds).sum()
    needed = problem.size_frac_adv / max(expected * POV_FINISH_FRACTION, 1e-12)
    return float(min(1.0, needed))


def baseline_strategies(problem: ExecutionProblem, volume_curve: np.ndarray | None, start_s: float) -> list[Strategy]:
    """TWAP, VWAP and POV on the calibrated volume curve, Almgren-Chriss and Obizhaeva-Wang."""
    return [
        TWAP(),
        VWAP(volume_curve, start_s),
        POV(pov_rate(problem, volume_curve, start_s), volume_curve, start_s),
        AlmgrenChriss(),
        ObizhaevaWang(),
    ]


def _map_episode_arrays(obj, n: int, fn):
    """The dataclass ``obj`` with ``fn`` applied to each array whose last axis is its ``n`` episodes."""
    changes = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[-1] == n:
            changes[f.name] = fn(value)
    return dataclasses.replace(obj, **changes)


def _tile(path: MarketPath, reps: int) -> MarketPath:
    """The path repeated ``reps`` times side by side."""
    return _map_episode_arrays(path, path.n_episodes, lambda v: np.tile(v, (1,) * (v.ndim - 1) + (reps,)))


def _slice(summary: EpisodeSummary, start: int, stop: int, total: int) -> EpisodeSummary:
    return _map_episode_arrays(summary, total, lambda v: v[..., start:stop])


@dataclass(frozen=True)
class StrategyFailure:
    strategy: str
    error: str


def run_stateless_together(
    policy: StatelessPolicy, problems: Sequence[ExecutionProblem], paths: Sequence[MarketPath]
) -> list[EpisodeSummary]:
    """``policy`` on each problem's ``paths`` (same results as one ``run_strategy`` each), with
    one ``act`` call per step for all problems of the same step count."""
    summaries: list[EpisodeSummary | None] = [None] * len(problems)
    for n_steps in sorted({p.n_steps for p in problems}):
        group = [i for i, p in enumerate(problems) if p.n_steps == n_steps]
        markets = [VecMarket(problems[i], paths[i].n_episodes) for i in group]
        for market, i in zip(markets, group):
            market.reset(path=paths[i])
        bounds = np.cumsum([paths[i].n_episodes for i in group])[:-1]
        policy.reset(problems[group[0]], int(sum(paths[i].n_episodes for i in group)))
        while not markets[0].done:
            fractions = policy.act(np.concatenate([market.observe() for market in markets]))
            for market, part in zip(markets, np.split(fractions, bounds)):
                market.step_fraction(part)
        for market, i in zip(markets, group):
            summaries[i] = market.summary()
    return summaries


def evaluate_problem(
    market_problem: ExecutionProblem,
    strategies: Sequence[Strategy],
    n_episodes: int,
    seed: int,
    *,
    plan_problem: ExecutionProblem | None = None,
    replay_mid: np.ndarray | None = None,
    path: MarketPath | None = None,
) -> tuple[dict[str, EpisodeSummary], list[StrategyFailure]]:
    """Run every strategy on the same ``n_episodes`` paths drawn from ``seed`` (or on ``path``,
    already drawn from it).

    Returns the per-strategy summaries and the strategies that could not plan this problem
    (with the error), so one ill-posed closed form does not sink the whole evaluation.
    """
    plan = plan_problem if plan_problem is not None else market_problem
    if path is None:
        path = draw_path(market_problem, n_episodes, seed, replay_mid)
    results: dict[str, EpisodeSummary] = {}
    failures: list[StrategyFailure] = []
    schedules: list[tuple[str, np.ndarray]] = []
    for strategy in strategies:
        if strategy.name in results or any(name == strategy.name for name, _ in schedules):
            raise ValueError(f"two strategies are named {strategy.name!r}")
        try:
            if isinstance(strategy, ScheduleStrategy):
                strategy.reset(plan, 1)
                schedules.append((strategy.name, strategy.trades * market_problem.total_shares))
            else:
                own = market_problem if isinstance(strategy, (Oracle, ObservableOracle)) else plan
                results[strategy.name] = run_strategy(
                    strategy, market_problem, n_episodes, seed, replay_mid=replay_mid, path=path, plan_problem=own
                )
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as exc:
            failures.append(StrategyFailure(strategy.name, f"{type(exc).__name__}: {exc}"))
    if schedules:
        shares = np.repeat(np.stack([s for _, s in schedules], axis=1), n_episodes, axis=1)
        total = shares.shape[1]
        stacked = simulate(market_problem, shares, total, None, replay_mid=replay_mid, path=_tile(path, len(schedules)))
        for i, (name, _) in enumerate(schedules):
            results[name] = _slice(stacked, i * n_episodes, (i + 1) * n_episodes, total)
    order = [s.name for s in strategies if s.name in results]
    return {name: results[name] for name in order}, failures


EPISODE_COLUMNS: dict[str, pl.DataType] = {  # keys categorical: millions of rows, few distinct ids
    "scenario_id": pl.Categorical(),
    "strategy": pl.Categorical(),
    "episode": pl.Int32(),
    "is_bps": pl.Float64(),
    "arrival_slippage_bps": pl.Float64(),
    "vwap_slippage_bps": pl.Float64(),
    "filled_frac": pl.Float64(),
    "n_child_orders": pl.Int32(),
    "risk_penalty_bps": pl.Float64(),
    "invalid_actions": pl.Int32(),
}


def episode_frame(scenario_id: str, results: Mapping[str, EpisodeSummary]) -> pl.DataFrame:
    """Rows of ``evaluation.episode_results`` for one scenario (columns ``EPISODE_COLUMNS``)."""
    parts = []
    for name, s in results.items():
        n = s.is_bps.size
        parts.append(
            pl.DataFrame(
                {
                    "scenario_id": pl.repeat(scenario_id, n, eager=True),
                    "strategy": pl.repeat(name, n, eager=True),
                    "episode": np.arange(n, dtype=np.int32),
                    "is_bps": s.is_bps,
                    "arrival_slippage_bps": s.arrival_slippage_bps,
                    "vwap_slippage_bps": s.vwap_slippage_bps,
                    "filled_frac": s.filled_frac,
                    "n_child_orders": s.n_child_orders.astype(np.int32),
                    "risk_penalty_bps": s.risk_penalty_bps,
                    "invalid_actions": s.invalid_actions.astype(np.int32),
                },
                schema=EPISODE_COLUMNS,
            )
        )
    return pl.concat(parts) if parts else pl.DataFrame(schema=EPISODE_COLUMNS)

