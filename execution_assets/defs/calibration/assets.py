"""Calibration per instrument: daily volume, ADV, intraday volume curve, impact parameters,
the order book's short-horizon signal.

Each asset reads every ingested session of its instrument (the instrument x date partitions of
raw_trades / book_features map onto the instrument), calls one library function of
``execution_assets.calibration``, and reports checks and diagnostics. Thin data never crash
the run or write a NaN: the parameter is NULL with its reason and the ``estimable`` check warns.
"""

import datetime as dt
import math
import re
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl

from execution_assets.calibration.adv import ADV_WINDOW
from execution_assets.calibration.calibrate import PARAMETERS
from execution_assets.calibration.daily_bars import SPLITS, find_daily_bars, read_daily_bars
from execution_assets.calibration.plots import impact_png, response_decay_png, volume_curve_png
from execution_assets.calibration.report import calibration_report, venue_note
from execution_assets.calibration.signal import (
    BLOCK_SECONDS,
    DECAY_PREDICTOR,
    N_BOOTSTRAP,
    calibrate_signal_params,
    coefficient_table,
)
from execution_assets.calibration.store import (
    calibrate_instrument,
    calibrate_volume_curve,
    write_adv,
    write_daily_volume,
)
from execution_assets.calibration.truth import synthetic_truth, volume_curve_l1
from execution_assets.defs.calibration.automation import DAILY_FRESHNESS
from execution_assets.defs.contracts import check_spec, table_metadata
from execution_assets.defs.partitions import instrument_partitions
from execution_assets.defs.resources import WarehouseResource
from execution_assets.markdown import markdown_table
from execution_assets.market.reference import session_seconds
from execution_assets.paths import SHARED_DATA_DIR, artifacts_dir, raw_dir
from execution_assets.plots import png_markdown
from execution_assets.warehouse import run_sql_file

BY_INSTRUMENT = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="instrument")
RAW_TRADES = dg.AssetDep("raw_trades", partition_mapping=BY_INSTRUMENT)
BOOK_FEATURES = dg.AssetDep("book_features", partition_mapping=BY_INSTRUMENT)
MIN_CURVE_SESSIONS = 5
COMMON = {
    "partitions_def": instrument_partitions,
    "pool": "duckdb",
    "group_name": "calibration",
    "freshness_policy": DAILY_FRESHNESS,  # recalibrated by daily_recalibration, weekdays 17:30 New York
}


def _check(name: str, asset: str, description: str, blocking: bool = False) -> dg.AssetCheckSpec:
    """Checks are partitioned by instrument; blocking ones hold back the rest of the calibration
    in the run and the scenario grid built on it (warnings stay warnings)."""
    return check_spec(name, asset, description, blocking=blocking, partitions_def=instrument_partitions)


class AdvConfig(dg.Config):
    window_days: int = ADV_WINDOW
    daily_bars_dir: str = ""  # default: data/raw/daily, then ../shared/data/daily


class VolumeCurveConfig(dg.Config):
    bucket_minutes: int = 5  # 1 to 30, dividing the minutes of the instrument's sessions
    lookback_days: int = 60


class ImpactConfig(dg.Config):
    lookback_days: int = 60


class SignalConfig(dg.Config):
    lookback_days: int = 60  # the same window as impact_params (ImpactConfig)
    n_bootstrap: int = N_BOOTSTRAP  # block-bootstrap replicates of the decay fit
    block_seconds: int = BLOCK_SECONDS  # bootstrap block: seconds of one day


def _md(frame: pl.DataFrame, max_rows: int = 10) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table(frame, max_rows=max_rows))


@dg.asset(
    deps=[RAW_TRADES],
    kinds={"duckdb", "sql"},
    metadata=table_metadata("calibration.daily_volume"),
    check_specs=[
        _check(
            "complete",
            "daily_volume",
            "one row per session in raw.trades; volume and VWAP > 0; buy + sell <= volume (side 0 is the rest)",
            blocking=True,
        )
    ],
    **COMMON,
)
def daily_volume(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """calibration.daily_volume: shares, notional, trade count, VWAP and aggressor split per
    session, from raw.trades (as complete as the source: a LOBSTER day is Nasdaq-only)."""
    instrument = context.partition_key
    with duckdb.get_connection() as con:
        frame = write_daily_volume(con, instrument)
        check = run_sql_file(con, "calibration/check_daily_volume", {"instrument": instrument}).row(0, named=True)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "sessions": frame.height,
            "mean_volume": float(frame["volume"].mean() or 0.0),
            "preview": _md(frame.drop("instrument").sort("date", descending=True)),
        }
    )
    yield dg.AssetCheckResult(
        check_name="complete",
        passed=check["missing_sessions"] == 0 and check["bad_rows"] == 0 and check["sessions"] > 0,
        metadata={key: int(value) for key, value in check.items()},
    )


def _daily_bars(instrument: str, folder: str) -> tuple[pl.DataFrame | None, Path | None]:
    folders = [Path(folder)] if folder else [raw_dir() / "daily", SHARED_DATA_DIR / "daily"]
    path = find_daily_bars(instrument, folders)
    if path is None:
        return None, None
    return read_daily_bars(path, SPLITS.get(instrument, ())), path


@dg.asset(
    deps=["daily_volume"],
    kinds={"duckdb", "polars"},
    metadata=table_metadata("calibration.adv"),
    check_specs=[
        _check("positive", "adv", "adv_20d finite and > 0 on every session", blocking=True),
        _check("full_window", "adv", "the latest ADV averages a full window (trades or daily bars); warns otherwise"),
    ],
    **COMMON,
)
def adv(context: dg.AssetExecutionContext, config: AdvConfig, duckdb: WarehouseResource):
    """calibration.adv: ADV per session, the mean of the window's sessions (20 by default)
    ending at that date. Shorter traded histories use a daily-bars file
    (``{instrument}_daily*.csv``; split-adjusted volumes converted back to the shares traded
    at the time), else the mean of the sessions there are."""
    instrument = context.partition_key
    bars, bars_path = _daily_bars(instrument, config.daily_bars_dir)
    with duckdb.get_connection() as con:
        frame = write_adv(con, instrument, bars, config.window_days)
    latest = frame.row(frame.height - 1, named=True) if frame.height else None
    note = venue_note(latest) if latest else None
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "latest_adv": float(latest["adv_20d"]) if latest else 0.0,
            "latest_source": latest["source"] if latest else "none",
            "daily_bars": str(bars_path) if bars_path else "none found",
            "venue_note": note or "none",
            "preview": _md(frame.drop("instrument").sort("date", descending=True)),
        }
    )
    values = frame["adv_20d"].to_numpy()
    yield dg.AssetCheckResult(
        check_name="positive",
        passed=frame.height > 0 and bool(np.all(np.isfinite(values) & (values > 0))),
        metadata={"sessions": frame.height},
    )
    yield dg.AssetCheckResult(
        check_name="full_window",
        passed=latest is not None and latest["source"] != "trades_partial",
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "source": latest["source"] if latest else "none",
            "n_days": int(latest["n_days"]) if latest else 0,
            "window_days": config.window_days,
        },
    )


@dg.asset(
    deps=[RAW_TRADES, BOOK_FEATURES],
    kinds={"duckdb", "numpy"},
    metadata=table_metadata("calibration.volume_curve"),
    check_specs=[
        _check(
            "sums_to_one",
            "volume_curve",
            "the stored buckets cover the session once, shares >= 0 summing to 1",
            blocking=True,
        ),
        _check(
            "enough_sessions",
            "volume_curve",
            f"at least {MIN_CURVE_SESSIONS} sessions behind the curve (warns otherwise)",
        ),
    ],
    **COMMON,
)
def volume_curve(context: dg.AssetExecutionContext, config: VolumeCurveConfig, duckdb: WarehouseResource):
    """calibration.volume_curve: share of a session's volume per bucket, averaged over the last
    sessions (each weighing the same), smoothed by a local-linear kernel whose bandwidth is
    chosen by generalized cross-validation. One curve per as_of (the last session used)."""
    instrument = context.partition_key
    with duckdb.get_connection() as con:
        window, curve, frame = calibrate_volume_curve(con, instrument, config.lookback_days, config.bucket_minutes)
        check = run_sql_file(
            con, "calibration/check_volume_curve", {"instrument": instrument, "as_of": window.as_of}
        ).row(0, named=True)
    truth = synthetic_truth(instrument, window.as_of, raw_dir())
    true_curve = np.asarray(truth["volume_curve"]) if truth else None
    metadata = {
        "dagster/row_count": frame.height,
        "as_of": str(window.as_of),
        "sessions": curve.n_days,
        "bandwidth_minutes": curve.bandwidth_min,
        "volume_curve": dg.MetadataValue.md(
            png_markdown(
                volume_curve_png(frame, f"{instrument} volume curve, as of {window.as_of}", true_curve), "volume curve"
            )
        ),
        "buckets": _md(frame.select("bucket_start", "volume_share", "raw_share", "raw_share_se"), max_rows=400),
    }
    if true_curve is not None:
        metadata["l1_error_vs_truth"] = volume_curve_l1(frame["volume_share"].to_numpy(), true_curve)
    yield dg.MaterializeResult(metadata=metadata)
    yield dg.AssetCheckResult(
        check_name="sums_to_one",
        passed=abs(check["share_sum"] - 1.0) < 1e-9
        and check["min_share"] >= 0
        and check["minutes"] * 60 == session_seconds(instrument),
        metadata={key: float(value) for key, value in check.items()},
    )
    yield dg.AssetCheckResult(
        check_name="enough_sessions",
        passed=curve.n_days >= MIN_CURVE_SESSIONS,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"sessions": curve.n_days, "needed": MIN_CURVE_SESSIONS},
    )


def _finite_and_ordered(row: dict) -> list[str]:
    """Rule breaks of a stored params row: non-finite numbers, intervals not containing the value."""
    problems = []
    explained = set(re.findall(r"(?:^|; )([a-z_]+): ", row["null_reason"] or ""))
    for name, value in row.items():
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{name} = {value}")
    for name in PARAMETERS:
        value, low, high = row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"]
        if value is None and (low is not None or high is not None):
            problems.append(f"{name} is NULL but has an interval")
        if value is not None and not (low is not None and high is not None and low <= value <= high):
            problems.append(f"{name} = {value} outside its interval [{low}, {high}]")
        if value is None and name not in explained:
            problems.append(f"{name} is NULL without a reason")
    return problems


@dg.asset(
    deps=["adv", "volume_curve", RAW_TRADES, BOOK_FEATURES],
    kinds={"duckdb", "numpy", "scipy"},
    metadata=table_metadata("calibration.impact_params"),
    check_specs=[
        _check(
            "no_silent_nan",
            "impact_params",
            "every number finite, every estimate inside its 95% interval, every NULL with a reason",
            blocking=True,
        ),
        _check(
            "estimable",
            "impact_params",
            "every parameter estimated (warns with the reasons for those the data cannot identify)",
        ),
    ],
    **COMMON,
)
def impact_params(context: dg.AssetExecutionContext, config: ImpactConfig, duckdb: WarehouseResource):
    """calibration.impact_params: temporary (eta, beta), permanent (gamma, delta) and transient
    (kappa, decay) impact, daily volatility and half-spread, each with a 95% interval, over the
    last sessions; history kept by as_of. The calibration report (estimates, truth for a
    synthetic instrument, diagnostic plots) is attached and written to data/artifacts/calibration/."""
    instrument = context.partition_key
    with duckdb.get_connection() as con:
        calibration, adv_row = calibrate_instrument(con, instrument, config.lookback_days, dt.datetime.now())
        stored = run_sql_file(con, "calibration/select_impact_params", {"instrument": instrument, "as_of": calibration.as_of})
        curve = run_sql_file(con, "calibration/latest_volume_curve", {"instrument": instrument})
    truth = synthetic_truth(instrument, calibration.as_of, raw_dir())
    title = f"{instrument}, {calibration.window_start} to {calibration.as_of}"
    figures = {
        "impact vs participation": impact_png(calibration, title),
        "transient response decay": response_decay_png(calibration, title),
    }
    if curve.height:
        true_curve = np.asarray(truth["volume_curve"]) if truth else None
        curve_title = f"{instrument} volume curve, as of {curve['as_of'][0]}"
        figures["volume curve"] = volume_curve_png(curve, curve_title, true_curve)
    report = calibration_report(calibration, adv_row, curve, figures, truth)
    path = artifacts_dir() / "calibration" / f"{instrument}_{calibration.as_of}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report)

    row = stored.row(0, named=True)
    estimates = calibration.estimates()
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": stored.height,
            "as_of": str(calibration.as_of),
            "sessions": calibration.n_days,
            **{name: e.value for name, e in estimates.items() if e.ok},
            "n_obs": calibration.response.n_obs,
            "r2": calibration.response.r2 if calibration.response.r2 is not None else "not fitted",
            "report_path": dg.MetadataValue.path(str(path)),
            "report": dg.MetadataValue.md(report),
        }
    )
    problems = _finite_and_ordered(row)
    yield dg.AssetCheckResult(
        check_name="no_silent_nan",
        passed=not problems,
        metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")},
    )
    missing = {name: e.reason for name, e in estimates.items() if not e.ok}
    yield dg.AssetCheckResult(
        check_name="estimable",
        passed=not missing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "not_estimated": dg.MetadataValue.md("\n".join(f"- **{n}**: {r}" for n, r in missing.items()) or "none")
        },
    )


def _signal_problems(rows: pl.DataFrame) -> list[str]:
    """Rule breaks of stored signal_params rows: non-finite numbers, estimates outside their
    interval, NULLs without a reason."""
    problems = []
    for row in rows.iter_rows(named=True):
        where = f"{row['predictor']} at {row['horizon_s']} s"
        for name, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                problems.append(f"{where}: {name} = {value}")
        for name, reason in (("coef_bps", "null_reason"), ("alpha_bps_per_s", "reason"), ("mean_reversion_per_s", "reason")):
            value, low, high = row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"]
            if value is None and (low is not None or high is not None):
                problems.append(f"{where}: {name} is NULL but has an interval")
            if value is not None and not (low is not None and high is not None and low <= value <= high):
                problems.append(f"{where}: {name} = {value} outside its interval [{low}, {high}]")
            if value is None and not row[reason]:
                problems.append(f"{where}: {name} is NULL without a reason")
        if not row["significant"] and not row["reason"]:
            problems.append(f"{where}: not significant without a reason")
    return problems


@dg.asset(
    deps=[RAW_TRADES, BOOK_FEATURES],
    kinds={"duckdb", "numpy", "scipy"},
    metadata=table_metadata("calibration.signal_params"),
    check_specs=[
        _check(
            "no_silent_nan",
            "signal_params",
            "every number finite, every coefficient, A and theta inside its 95% interval, every NULL with a reason",
            blocking=True,
        ),
        _check(
            "estimable",
            "signal_params",
            "the level-1 imbalance significantly predicts returns at a decision interval and its decay (A, theta) is "
            "identified (warns with the reason: scenarios then use the default signal)",
        ),
    ],
    **COMMON,
)
def signal_params(context: dg.AssetExecutionContext, config: SignalConfig, duckdb: WarehouseResource):
    """calibration.signal_params: how the order book predicts forward mid returns, over the
    impact calibration's window (the last sessions with trades; as_of the last).

    One row per predictor (level-1 imbalance, level-5 imbalance, signed flow over the previous
    h seconds) and horizon h (1 s and the scenarios' decision intervals, 5/30/60/390 s on a
    US-equity day): the coefficient of the forward log mid return over [t, t + h], within the
    day, on the standardized predictor (bps per one standard deviation), with its 95% Newey-West
    interval on non-overlapping samples, t, Holm-adjusted p, R2, n_obs, and the predictor's mean
    and std over the window. On every row, the decay the simulator uses, E[return over h] =
    A (1 - exp(-theta h)) / theta, fitted to the level-1 coefficients (A bps/s per std,
    theta per second, block-bootstrap intervals), and whether scenarios use it (``significant``,
    else ``reason``). Method: execution_assets/calibration/signal.py, docs/calibration.md."""
    instrument = context.partition_key
    with duckdb.get_connection() as con:
        calibration, _ = calibrate_signal_params(
            con,
            instrument,
            config.lookback_days,
            dt.datetime.now(),
            n_bootstrap=config.n_bootstrap,
            block_seconds=config.block_seconds,
        )
        stored = run_sql_file(con, "calibration/select_signal_params", {"instrument": instrument, "as_of": calibration.as_of})
    decay = calibration.decay
    a, theta = decay.alpha_bps_per_s, decay.mean_reversion_per_s

    def interval(e) -> str:
        return f"{e.value:.4g} [{e.ci_low:.4g}, {e.ci_high:.4g}]" if e.ok else f"NULL: {e.reason}"

    level_1 = [r for r in calibration.regressions if r.predictor == DECAY_PREDICTOR]
    metadata = {
        "dagster/row_count": stored.height,
        "as_of": str(calibration.as_of),
        "sessions": calibration.n_days,
        "significant": calibration.significant,
        "reason": calibration.reason or "none",
        "alpha_bps_per_s": interval(a),
        "mean_reversion_per_s": interval(theta),
        "n_obs": dg.MetadataValue.json({f"{r.horizon_s}s": r.n_obs for r in level_1}),
        "imbalance_scales": dg.MetadataValue.json(calibration.scales),
        "coefficients": _md(coefficient_table(calibration), max_rows=100),
    }
    truth = synthetic_truth(instrument, calibration.as_of, raw_dir())
    if truth:  # the hidden OU signal's parameters; A is attenuated by corr(imbalance_1, signal) < 1
        metadata["true_mean_reversion_per_s"] = float(truth["signal_reversion_per_s"])
        metadata["true_alpha_bps_per_s_of_hidden_signal"] = float(
            truth["signal_alpha"] * truth["sigma_daily"] / math.sqrt(session_seconds(instrument)) * 1e4
        )
    yield dg.MaterializeResult(metadata=metadata)
    problems = _signal_problems(stored)
    yield dg.AssetCheckResult(
        check_name="no_silent_nan",
        passed=stored.height > 0 and not problems,
        metadata={
            "rows": stored.height,
            "problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none"),
        },
    )
    yield dg.AssetCheckResult(
        check_name="estimable",
        passed=calibration.significant,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if calibration.significant else f"not significant: {calibration.reason}"[:1000],
        metadata={"reason": calibration.reason or "none", "alpha_bps_per_s": interval(a), "mean_reversion_per_s": interval(theta)},
    )
