"""The execution scenario grid and its mapping to ``ExecutionProblem``s.

A scenario is one order to work: instrument, side, size (% of ADV), horizon, hidden regime,
urgency and impact model, in one data split. The grid is the product of

    size 1, 5, 10 % ADV  x  horizon 5 min, 30 min, 1 h, 1 day  x  regime normal, volatile,
    trending  x  urgency low, medium, high  x  buy, sell  x  impact model linear,
    square_root, transient  x  split train, validation, test

per instrument (648 scenarios per instrument and split).

Choices (see docs/decisions.md):

- A day is the instrument's trading day (``MarketCalibration.session_seconds``: 23,400 s for US
  equities, 82,800 s on CME Globex), the unit of ADV, sigma_daily and the daily drifts.
- Decisions: 60 per episode (5 s apart over 5 minutes up to 390 s over a US-equity day), or the
  nearest count below 60 (at least 20) that gives a whole number of seconds per step (replay needs it).
  ``scenario_grid(decision_interval_s=5)`` trades the same orders and seeds on a 5-s clock (the
  recorded book's signal decays within seconds: ``agents.linear_tilt``).
- Urgency is Almgren-Chriss's kappa*T (0.5, 2, 5: near-TWAP, moderate, strongly front-loaded).
  It is turned into the risk aversion lambda (1/bps) of the objective E[IS] + lambda Var[IS]
  with the continuous-time relation kappa^2 = lambda sigma^2 / eta on the scenario's
  linearized temporary impact and nominal volatility, so one urgency means the same trade-off
  for every size, horizon and instrument, and the same lambda for all three impact models.
- Impact models are three shapes fitted to the same calibrated market: the calibrated power
  laws are replaced by their line (``linear``), by a square root (``square_root``) through the
  same point at TWAP's trade size, so TWAP pays the same temporary impact under all three; and
  ``transient`` adds the calibrated Obizhaeva-Wang kernel (kappa, rho) to the linear model.
  Permanent impact is linear (delta = 1) through the calibrated law at TWAP's trade size.
- The short-horizon alpha signal comes from calibration.signal_params when the level-1 book
  imbalance significantly predicts returns there (its fitted drift A, bps/s per one standard
  deviation of the imbalance, and mean reversion theta; docs/calibration.md "Signal");
  otherwise, and for an instrument without that calibration, from the built-in synthetic
  market's signal (mean reversion, alpha in units of the 1-second volatility) scaled by the
  instrument's calibrated volatility, with the reason in ``MarketCalibration.notes``.
- The trending regime drifts up by one daily sigma per session: against a buy, with a sell.
- Seeds: each split owns a range of seeds (train [0, 1e6), validation [1e6, 2e6), test
  [2e6, 3e6)); a scenario's seed fixes its price paths for every strategy.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams, participation
from execution_assets.market import reference
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.sim.problem import REGIMES, ExecutionProblem
from execution_assets.warehouse import run_sql_file

SIZES_PCT_ADV = (1.0, 5.0, 10.0)
INTRADAY_HORIZONS_S = (300, 1800, 3600)  # and one trading day (``horizons_for``)
URGENCY_KAPPA_T = {"low": 0.5, "medium": 2.0, "high": 5.0}
SIDES = (1, -1)
IMPACT_MODELS = ("linear", "square_root", "transient")
SPLIT_SEEDS = {"train": (0, 1_000_000), "validation": (1_000_000, 2_000_000), "test": (2_000_000, 3_000_000)}
TARGET_STEPS, MIN_STEPS = 60, 20
DAY_START_S = 1800  # intraday orders start after the opening half hour (10:00 for US equities)
SEEDS_PER_INSTRUMENT = 10_000

# The built-in synthetic market's alpha signal, used for instruments it does not define.
DEFAULT_SIGNAL_REVERSION_PER_S = 0.1
DEFAULT_SIGNAL_ALPHA_SIGMAS = 0.05  # alpha per second per unit signal, in 1-second sigmas
GENERIC_DEFAULTS = dict(sigma_daily=0.02, half_spread_bps=1.0, adv_shares=1_000_000.0, arrival_price=100.0)
DEFAULT_TRANSIENT = dict(kappa=0.3, transient_decay_per_s=0.1)  # when calibration has no kernel
SHORT_NAMES = {"linear": "lin", "square_root": "sqrt", "transient": "trans"}


@dataclass(frozen=True)
class MarketCalibration:
    """What the simulator needs to know about one instrument, and where each value came from."""

    instrument: str
    impact: ImpactParams  # as calibrated (power laws), before the scenario's impact model
    sigma_daily: float
    half_spread_bps: float
    adv_shares: float
    arrival_price: float
    signal_mean_reversion_per_s: float
    signal_alpha_bps_per_s: float
    session_seconds: float  # the trading day ADV and sigma_daily are per (the volume curve covers it)
    volume_curve: np.ndarray | None = field(default=None, compare=False)  # shares per bucket, sum 1
    source: str = "defaults"  # "calibration" | "calibration+defaults" | "defaults"
    as_of: dt.date | None = None
    notes: str = ""  # which values are defaults, and why


def _signal_alpha_bps_per_s(sigma_daily: float, alpha_sigmas: float, session_seconds: float) -> float:
    """alpha in bps per second from alpha in 1-second sigmas (sigma_daily over a day of session_seconds)."""
    return alpha_sigmas * sigma_daily / np.sqrt(session_seconds) * 1e4


def default_calibration(instrument: str) -> MarketCalibration:
    """The built-in synthetic instrument's true parameters, or generic defaults for others, on the
    instrument's reference trading day (the synthetic market's instruments are US equities)."""
    spec = DEFAULT_INSTRUMENTS.get(instrument)
    day = float(reference.session_seconds(instrument))
    if spec is None:
        sigma = GENERIC_DEFAULTS["sigma_daily"]
        return MarketCalibration(
            instrument=instrument,
            impact=ImpactParams(**DEFAULT_TRANSIENT),
            sigma_daily=sigma,
            half_spread_bps=GENERIC_DEFAULTS["half_spread_bps"],
            adv_shares=GENERIC_DEFAULTS["adv_shares"],
            arrival_price=GENERIC_DEFAULTS["arrival_price"],
            signal_mean_reversion_per_s=DEFAULT_SIGNAL_REVERSION_PER_S,
            signal_alpha_bps_per_s=_signal_alpha_bps_per_s(sigma, DEFAULT_SIGNAL_ALPHA_SIGMAS, day),
            session_seconds=day,
            notes="no calibration: generic defaults",
        )
    p = spec.params
    return MarketCalibration(
        instrument=instrument,
        impact=p.impact,
        sigma_daily=p.sigma_daily,
        half_spread_bps=p.expected_half_spread_bps(),
        adv_shares=p.adv_shares,
        arrival_price=p.start_price,
        signal_mean_reversion_per_s=p.signal_reversion_per_s,
        signal_alpha_bps_per_s=_signal_alpha_bps_per_s(p.sigma_daily, p.signal_alpha, day),
        session_seconds=day,
        volume_curve=p.volume_shape.minute_weights(),
        notes="no calibration: the synthetic market's true parameters",
    )


def signal_from_row(signal: Mapping[str, object] | None) -> tuple[float, float] | None:
    """(alpha bps/s, mean reversion /s) of a ``scenarios/latest_signal_params`` row when its fit
    is significant and usable by the simulator, else None."""
    if signal is None or not signal.get("significant"):
        return None
    alpha, theta = signal.get("alpha_bps_per_s"), signal.get("mean_reversion_per_s")
    if alpha is None or theta is None or not (np.isfinite(alpha) and np.isfinite(theta) and theta > 0):
        return None
    return float(alpha), float(theta)


def _signal_note(signal: Mapping[str, object] | None) -> str:
    if signal is None:
        return "signal: defaults (no calibration.signal_params; materialize signal_params)"
    if signal_from_row(signal) is None:
        return f"signal: defaults (calibration.signal_params as of {signal.get('as_of')} not significant: {signal.get('reason')})"
    return f"signal: calibration.signal_params as of {signal.get('as_of')}"


def calibration_from_row(
    row: Mapping[str, object], volume_curve: np.ndarray | None = None, signal: Mapping[str, object] | None = None
) -> MarketCalibration:
    """A ``calibration.latest_impact_params`` row; NULL estimates fall back to the defaults, a
    row without ``session_seconds`` (calibrated before it was stored) to the reference day.

    ``signal`` is the instrument's ``scenarios/latest_signal_params`` row: its fitted alpha and
    mean reversion when significant; otherwise (or None) the default signal scaled by the
    calibrated volatility, the reason in ``notes`` (``source`` describes the impact row only)."""
    instrument = str(row["instrument"])
    fallback = default_calibration(instrument)
    missing: list[str] = []

    def pick(name: str, default: float) -> float:
        value = row.get(name)
        if value is None or not np.isfinite(float(value)):
            missing.append(name)
            return float(default)
        if float(value) < 0:  # noise around zero on thin data: the sign is not identified
            missing.append(f"{name} (estimate {float(value):.3g} < 0)")
            return float(default)
        return float(value)

    impact = {name: pick(name, getattr(fallback.impact, name)) for name in ("eta", "gamma")}
    # a NULL exponent means the calibration kept the linear law (see impact_params_from_row)
    impact |= {name: 1.0 if row.get(name) is None else pick(name, 1.0) for name in ("beta", "delta")}
    kappa = pick("kappa", fallback.impact.kappa or DEFAULT_TRANSIENT["kappa"])
    rho = pick("transient_decay_per_s", fallback.impact.transient_decay_per_s or DEFAULT_TRANSIENT["transient_decay_per_s"])
    if kappa <= 0 or rho <= 0:  # a kernel the data could not resolve
        missing += ["kappa (<= 0)"] if kappa <= 0 else ["transient_decay_per_s (<= 0)"]
        kappa = fallback.impact.kappa or DEFAULT_TRANSIENT["kappa"]
        rho = fallback.impact.transient_decay_per_s or DEFAULT_TRANSIENT["transient_decay_per_s"]
    sigma = pick("sigma_daily", fallback.sigma_daily)
    day = float(row.get("session_seconds") or fallback.session_seconds)
    alpha_sigmas = fallback.signal_alpha_bps_per_s / _signal_alpha_bps_per_s(fallback.sigma_daily, 1.0, fallback.session_seconds)
    notes = f"defaults for {', '.join(missing)}" if missing else ""
    if row.get("null_reason"):
        notes = f"{notes}; calibration: {row['null_reason']}".lstrip("; ")
    notes = f"{notes}; {_signal_note(signal)}".lstrip("; ")
    fitted = signal_from_row(signal)
    if fitted is not None:
        signal_alpha, signal_reversion = fitted
    else:
        signal_alpha = _signal_alpha_bps_per_s(sigma, alpha_sigmas, day)
        signal_reversion = fallback.signal_mean_reversion_per_s
    return MarketCalibration(
        instrument=instrument,
        impact=ImpactParams(**impact, kappa=kappa, transient_decay_per_s=rho),
        sigma_daily=sigma,
        half_spread_bps=pick("half_spread_bps", fallback.half_spread_bps),
        adv_shares=pick("adv_shares", fallback.adv_shares),
        arrival_price=fallback.arrival_price,
        signal_mean_reversion_per_s=signal_reversion,
        signal_alpha_bps_per_s=signal_alpha,
        session_seconds=day,
        volume_curve=volume_curve if volume_curve is not None else fallback.volume_curve,
        source="calibration+defaults" if missing else "calibration",
        as_of=row.get("as_of"),  # type: ignore[arg-type]
        notes=notes,
    )


def load_calibrations(con: duckdb.DuckDBPyConnection) -> list[MarketCalibration]:
    """The latest calibration of every calibrated instrument, or the built-in instruments' defaults."""
    params = run_sql_file(con, "scenarios/latest_impact_params", {})
    curves = run_sql_file(con, "scenarios/latest_volume_curve", {})
    if params.is_empty():
        return [default_calibration(name) for name in sorted(DEFAULT_INSTRUMENTS)]
    signals = {row["instrument"]: row for row in _latest_signals(con).iter_rows(named=True)}
    out = []
    for row in params.iter_rows(named=True):
        curve = curves.filter(pl.col("instrument") == row["instrument"])["volume_share"].to_numpy()
        out.append(calibration_from_row(row, curve if curve.size else None, signals.get(row["instrument"])))
    return out


def _latest_signals(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per instrument of its latest signal calibration (none in a warehouse opened
    read-only from before the table existed)."""
    try:
        return run_sql_file(con, "scenarios/latest_signal_params", {})
    except duckdb.CatalogException:
        return pl.DataFrame({"instrument": []}, schema={"instrument": pl.String()})


def n_steps_for(horizon_s: float) -> int:
    """60 decisions, or the nearest count below in [20, 60] with a whole-second interval."""
    seconds = int(round(horizon_s))
    if seconds != horizon_s or seconds < MIN_STEPS:
        raise ValueError(f"horizon must be a whole number of seconds >= {MIN_STEPS}, got {horizon_s!r}")
    for n in range(TARGET_STEPS, MIN_STEPS - 1, -1):
        if seconds % n == 0:
            return n
    raise ValueError(f"horizon {seconds} s has no step count in [{MIN_STEPS}, {TARGET_STEPS}] with whole-second steps")


def steps_every(horizon_s: float, interval_s: float) -> int:
    """The step count of one decision every ``interval_s`` seconds over ``horizon_s``."""
    n = horizon_s / interval_s
    if interval_s <= 0 or not float(n).is_integer() or not float(interval_s).is_integer():
        raise ValueError(f"a decision every {interval_s!r} s does not divide a {horizon_s!r} s horizon into whole-second steps")
    return int(n)


def horizons_for(session_seconds: float) -> tuple[float, ...]:
    """The grid's horizons: 5 min, 30 min, 1 h and the instrument's trading day."""
    if not session_seconds > INTRADAY_HORIZONS_S[-1]:
        raise ValueError(f"a trading day of {session_seconds!r} s is not longer than the grid's intraday horizons {INTRADAY_HORIZONS_S}")
    return (*INTRADAY_HORIZONS_S, session_seconds)


def start_s_for(horizon_s: float, session_seconds: float) -> float:
    """Seconds after the open when the order starts (DAY_START_S, or earlier so it ends by the close)."""
    return float(min(DAY_START_S, session_seconds - horizon_s))


def model_impact(calibration: MarketCalibration, impact_model: str, size_frac_adv: float, n_steps: int, tau_s: float) -> ImpactParams:
    """The scenario's impact law: the calibrated one reshaped to ``impact_model`` at TWAP's trade size."""
    if impact_model not in IMPACT_MODELS:
        raise ValueError(f"impact_model must be one of {IMPACT_MODELS}, got {impact_model!r}")
    cal = calibration.impact
    twap_frac_adv = size_frac_adv / n_steps
    p_twap = float(participation(twap_frac_adv * calibration.adv_shares, tau_s, calibration.adv_shares, calibration.session_seconds))
    eta_line = cal.eta * p_twap ** (cal.beta - 1.0)  # eta p = eta_cal p^beta at p_twap
    gamma_line = cal.gamma * twap_frac_adv ** (cal.delta - 1.0)
    if impact_model == "square_root":
        return ImpactParams(eta=eta_line * np.sqrt(p_twap), beta=0.5, gamma=gamma_line, delta=1.0)
    if impact_model == "linear":
        return ImpactParams(eta=eta_line, beta=1.0, gamma=gamma_line, delta=1.0)
    return ImpactParams(
        eta=eta_line, beta=1.0, gamma=gamma_line, delta=1.0,
        kappa=cal.kappa, transient_decay_per_s=cal.transient_decay_per_s,
    )  # fmt: skip


def risk_aversion_for(urgency_kappa_t: float, calibration: MarketCalibration, size_frac_adv: float, horizon_s: float, n_steps: int) -> float:
    """lambda (1/bps) with kappa = urgency / T in kappa^2 = lambda sigma^2 / eta (bps units).

    E[IS_bps] = 1e4 eta a / T per unit trading rate and Var[IS_bps] = 1e8 sigma^2 T (...), so in
    bps the AC relation reads lambda = kappa^2 eta a / (1e4 sigma^2), with a = X / ADV, T in
    trading days, eta the linearized temporary impact and sigma the nominal daily volatility.
    """
    if calibration.sigma_daily <= 0:
        return 0.0
    eta = model_impact(calibration, "linear", size_frac_adv, n_steps, horizon_s / n_steps).eta
    kappa = urgency_kappa_t / (horizon_s / calibration.session_seconds)
    return float(kappa**2 * eta * size_frac_adv / (1e4 * calibration.sigma_daily**2))


def scenario_problem(scenario: Mapping[str, object], calibration: MarketCalibration | None = None) -> ExecutionProblem:
    """The ``ExecutionProblem`` of a scenario row (``calibration`` None: the instrument's defaults)."""
    instrument = str(scenario["instrument"])
    cal = calibration if calibration is not None else default_calibration(instrument)
    if cal.instrument != instrument:
        raise ValueError(f"scenario {scenario.get('scenario_id')!r} is for {instrument}, calibration for {cal.instrument}")
    size = float(scenario["size_pct_adv"]) / 100.0
    horizon, n_steps = float(scenario["horizon_s"]), int(scenario["n_steps"])
    return ExecutionProblem(
        size_frac_adv=size,
        side=int(scenario["side"]),
        horizon_s=horizon,
        n_steps=n_steps,
        impact=model_impact(cal, str(scenario["impact_model"]), size, n_steps, horizon / n_steps),
        sigma_daily=cal.sigma_daily,
        half_spread_bps=cal.half_spread_bps,
        risk_aversion=float(scenario["risk_aversion"]),
        signal_mean_reversion_per_s=cal.signal_mean_reversion_per_s,
        signal_alpha_bps_per_s=cal.signal_alpha_bps_per_s,
        regime=str(scenario["regime"]),
        adv_shares=cal.adv_shares,
        arrival_price=cal.arrival_price,
        trend_per_day=cal.sigma_daily,
        session_seconds=cal.session_seconds,
        regime_hidden=True,
    )


def scenario_id(
    instrument: str, impact_model: str, size_pct: float, horizon_s: float, regime: str, urgency: str, side: int, split: str, session_seconds: float
) -> str:
    """Readable key, e.g. ``SYNTH_LIQ-sqrt-5pct-30m-volatile-high-buy-test`` (``1d``: a trading day)."""
    horizon = f"{int(horizon_s) // 60}m" if horizon_s < session_seconds else "1d"
    side_name = "buy" if side == 1 else "sell"
    return f"{instrument}-{SHORT_NAMES[impact_model]}-{size_pct:g}pct-{horizon}-{regime}-{urgency}-{side_name}-{split}"


def scenario_grid(
    calibrations: Sequence[MarketCalibration], splits: Iterable[str] = tuple(SPLIT_SEEDS), decision_interval_s: float | None = None
) -> pl.DataFrame:
    """Every scenario of every instrument and split, with the parameters it is simulated with:
    ``n_steps_for`` decisions, or one every ``decision_interval_s`` seconds (the same orders and
    seeds traded at a finer clock, for policies that act on the book's short-lived signal)."""
    rows = []
    for split in splits:
        if split not in SPLIT_SEEDS:
            raise ValueError(f"unknown split {split!r}; splits are {tuple(SPLIT_SEEDS)}")
        seed_start = SPLIT_SEEDS[split][0]
        for i, cal in enumerate(sorted(calibrations, key=lambda c: c.instrument)):
            day = cal.session_seconds
            cells = list(itertools.product(IMPACT_MODELS, SIZES_PCT_ADV, horizons_for(day), REGIMES, URGENCY_KAPPA_T, SIDES))
            if len(cells) > SEEDS_PER_INSTRUMENT:
                raise ValueError(f"{len(cells)} scenarios per instrument exceed the {SEEDS_PER_INSTRUMENT} seeds reserved")
            for j, (model, size, horizon, regime, urgency, side) in enumerate(cells):
                n_steps = n_steps_for(horizon) if decision_interval_s is None else steps_every(horizon, decision_interval_s)
                row = {
                    "scenario_id": scenario_id(cal.instrument, model, size, horizon, regime, urgency, side, split, day),
                    "instrument": cal.instrument,
                    "side": side,
                    "size_pct_adv": size,
                    "horizon_s": float(horizon),
                    "n_steps": n_steps,
                    "decision_interval_s": horizon / n_steps,
                    "start_s": start_s_for(horizon, day),
                    "regime": regime,
                    "urgency": urgency,
                    "urgency_kappa_t": URGENCY_KAPPA_T[urgency],
                    "risk_aversion": risk_aversion_for(URGENCY_KAPPA_T[urgency], cal, size / 100, horizon, n_steps),
                    "impact_model": model,
                    "split": split,
                    "seed": seed_start + i * SEEDS_PER_INSTRUMENT + j,
                }
                problem = scenario_problem(row, cal)
                rows.append(
                    row
                    | {
                        "eta": problem.impact.eta,
                        "beta": problem.impact.beta,
                        "gamma": problem.impact.gamma,
                        "kappa": problem.impact.kappa,
                        "transient_decay_per_s": problem.impact.transient_decay_per_s,
                        "sigma_daily": problem.sigma_daily,
                        "half_spread_bps": problem.half_spread_bps,
                        "adv_shares": problem.adv_shares,
                        "signal_mean_reversion_per_s": problem.signal_mean_reversion_per_s,
                        "signal_alpha_bps_per_s": problem.signal_alpha_bps_per_s,
                        "trend_per_day": problem.trend_per_day,
                        "arrival_price": problem.arrival_price,
                        "session_seconds": problem.session_seconds,
                        "params_source": cal.source,
                        "calibration_as_of": cal.as_of,
                    }
                )
    return pl.DataFrame(rows, schema=SCENARIO_COLUMNS)


SCENARIO_COLUMNS: dict[str, pl.DataType] = {
    "scenario_id": pl.String(),
    "instrument": pl.String(),
    "side": pl.Int8(),
    "size_pct_adv": pl.Float64(),
    "horizon_s": pl.Float64(),
    "n_steps": pl.Int32(),
    "decision_interval_s": pl.Float64(),
    "start_s": pl.Float64(),
    "regime": pl.String(),
    "urgency": pl.String(),
    "urgency_kappa_t": pl.Float64(),
    "risk_aversion": pl.Float64(),
    "impact_model": pl.String(),
    "split": pl.String(),
    "seed": pl.Int64(),
    "eta": pl.Float64(),
    "beta": pl.Float64(),
    "gamma": pl.Float64(),
    "kappa": pl.Float64(),
    "transient_decay_per_s": pl.Float64(),
    "sigma_daily": pl.Float64(),
    "half_spread_bps": pl.Float64(),
    "adv_shares": pl.Float64(),
    "signal_mean_reversion_per_s": pl.Float64(),
    "signal_alpha_bps_per_s": pl.Float64(),
    "trend_per_day": pl.Float64(),
    "arrival_price": pl.Float64(),
    "session_seconds": pl.Float64(),
    "params_source": pl.String(),
    "calibration_as_of": pl.Date(),
}


def stored_problem(scenario: Mapping[str, object]) -> ExecutionProblem:
    """The ``ExecutionProblem`` exactly as recorded in a ``scenarios.execution_scenarios`` row.

    Evaluation rebuilds problems from the table, so a later recalibration cannot change what a
    stored scenario means. A row without ``session_seconds`` predates it and was built on the
    US-equity day.
    """
    try:
        return ExecutionProblem(
            size_frac_adv=float(scenario["size_pct_adv"]) / 100.0,
            side=int(scenario["side"]),
            horizon_s=float(scenario["horizon_s"]),
            n_steps=int(scenario["n_steps"]),
            impact=ImpactParams(
                eta=float(scenario["eta"]),
                beta=float(scenario["beta"]),
                gamma=float(scenario["gamma"]),
                delta=1.0,
                kappa=float(scenario["kappa"]),
                transient_decay_per_s=float(scenario["transient_decay_per_s"]),
            ),
            sigma_daily=float(scenario["sigma_daily"]),
            half_spread_bps=float(scenario["half_spread_bps"]),
            risk_aversion=float(scenario["risk_aversion"]),
            signal_mean_reversion_per_s=float(scenario["signal_mean_reversion_per_s"]),
            signal_alpha_bps_per_s=float(scenario["signal_alpha_bps_per_s"]),
            regime=str(scenario["regime"]),
            adv_shares=float(scenario["adv_shares"]),
            arrival_price=float(scenario["arrival_price"]),
            trend_per_day=float(scenario["trend_per_day"]),
            session_seconds=float(scenario.get("session_seconds") or US_EQUITY_SESSION_SECONDS),
            regime_hidden=True,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"scenario {scenario.get('scenario_id')!r}: cannot build its problem: {exc}") from exc


def recorded_day_problem(problem: ExecutionProblem) -> ExecutionProblem:
    """A grid problem as traded on a recorded day (replay): no regime was drawn from the grid's
    prior there, so its plan prices risk at the calibrated volatility (``strategies.reference_plan``)."""
    return problem.with_(regime_hidden=False)


REGIME_GROUP_KEY = ("instrument", "impact_model", "size_pct_adv", "horizon_s", "urgency", "side", "split")


def with_regime_group(scenarios: pl.DataFrame) -> pl.DataFrame:
    """``scenarios`` with ``regime_group``: the scenario's key without its regime (the grid has
    one scenario per regime for each), over which a policy that does not know the regime is
    judged in expectation."""
    return scenarios.with_columns(regime_group=pl.concat_str([pl.col(c).cast(pl.String) for c in REGIME_GROUP_KEY], separator="|"))


def calibration_by_instrument(calibrations: Iterable[MarketCalibration]) -> dict[str, MarketCalibration]:
    return {c.instrument: c for c in calibrations}


def calibration_for(calibrations: Mapping[str, MarketCalibration], instrument: str) -> MarketCalibration:
    """The instrument's stored calibration, or the built-in default when it has none."""
    return calibrations.get(instrument) or default_calibration(instrument)
