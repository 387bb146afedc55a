"""Calibration tables in the DuckDB warehouse: read inputs, replace an instrument's rows atomically."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from execution_assets.calibration.adv import rolling_adv
from execution_assets.calibration.calibrate import ImpactCalibration, calibrate_impact, impact_params_from_row
from execution_assets.calibration.volume_curve import VolumeCurve, check_bucket_minutes, estimate_volume_curve
from execution_assets.impact import ImpactParams
from execution_assets.market import reference
from execution_assets.warehouse import replace_partition, run_sql_file


def write_daily_volume(con: duckdb.DuckDBPyConnection, instrument: str) -> pl.DataFrame:
    """Recompute ``calibration.daily_volume`` of ``instrument`` from raw.trades; returns the rows."""
    params = {"instrument": instrument, "session_seconds": reference.session_seconds(instrument)}
    frame = run_sql_file(con, "calibration/daily_volume", params)
    replace_partition(con, "calibration.daily_volume", frame, {"instrument": instrument})
    return frame


def write_adv(con: duckdb.DuckDBPyConnection, instrument: str, bars: pl.DataFrame | None, window: int) -> pl.DataFrame:
    """Recompute ``calibration.adv`` of ``instrument`` from its daily volume (and daily bars)."""
    daily = run_sql_file(con, "calibration/select_daily_volume", {"instrument": instrument})
    frame = rolling_adv(daily, bars, window).with_columns(instrument=pl.lit(instrument))
    replace_partition(con, "calibration.adv", frame, {"instrument": instrument})
    return frame


@dataclass(frozen=True)
class CalibrationWindow:
    """The sessions one calibration uses: the last ``lookback_days`` with trades."""

    instrument: str
    dates: list[dt.date]

    @property
    def as_of(self) -> dt.date:
        return self.dates[-1]

    @property
    def params(self) -> dict[str, object]:
        return {"instrument": self.instrument, "date_from": self.dates[0], "date_to": self.dates[-1]}

    @property
    def clock_params(self) -> dict[str, object]:
        """``params`` and the instrument's trading clock from its reference row, for the queries
        that index time from the session open (minute_volume, flow_1s)."""
        opens, closes, clocks = zip(*reference.instrument(self.instrument).session_clock())
        return self.params | {"session_open_s": opens, "session_close_s": closes, "session_clock_s": clocks}


def calibration_window(con: duckdb.DuckDBPyConnection, instrument: str, lookback_days: int) -> CalibrationWindow:
    if lookback_days < 1:
        raise ValueError(f"lookback_days must be >= 1, got {lookback_days}")
    dates = run_sql_file(con, "calibration/session_dates", {"instrument": instrument})["date"].to_list()
    if not dates:
        raise ValueError(f"{instrument}: no session with trades; ingest it first")
    return CalibrationWindow(instrument, dates[-lookback_days:])


def write_volume_curve(
    con: duckdb.DuckDBPyConnection, window: CalibrationWindow, buckets: pl.DataFrame, n_days: int
) -> pl.DataFrame:
    frame = buckets.with_columns(
        instrument=pl.lit(window.instrument),
        as_of=pl.lit(window.as_of),
        n_days=pl.lit(n_days, dtype=pl.Int32),
        window_start=pl.lit(window.dates[0]),
    )
    replace_partition(con, "calibration.volume_curve", frame, {"instrument": window.instrument, "as_of": window.as_of})
    return frame


def write_impact_params(con: duckdb.DuckDBPyConnection, row: pl.DataFrame) -> None:
    key = row.select("instrument", "as_of").row(0, named=True)
    replace_partition(con, "calibration.impact_params", row, key)


def latest_impact_params(con: duckdb.DuckDBPyConnection, instrument: str) -> tuple[ImpactParams, dict[str, object]]:
    """The latest calibration of ``instrument`` as ``ImpactParams`` and its full row."""
    rows = run_sql_file(con, "calibration/latest_impact_params", {"instrument": instrument})
    if rows.height == 0:
        raise ValueError(f"{instrument}: no calibration in calibration.impact_params; materialize impact_params")
    row = rows.row(0, named=True)
    return impact_params_from_row(row), row


def calibrate_volume_curve(
    con: duckdb.DuckDBPyConnection, instrument: str, lookback_days: int, bucket_minutes: int
) -> tuple[CalibrationWindow, VolumeCurve, pl.DataFrame]:
    """Estimate the curve over the window's sessions, on the instrument's trading clock, and
    store it under the window's as_of."""
    clock = reference.instrument(instrument)
    check_bucket_minutes(bucket_minutes, clock)
    window = calibration_window(con, instrument, lookback_days)
    curve = estimate_volume_curve(run_sql_file(con, "calibration/minute_volume", window.clock_params), clock)
    frame = write_volume_curve(con, window, curve.buckets(bucket_minutes), curve.n_days)
    return window, curve, frame


def calibrate_instrument(
    con: duckdb.DuckDBPyConnection, instrument: str, lookback_days: int, calibrated_at: dt.datetime
) -> tuple[ImpactCalibration, dict[str, object]]:
    """Calibrate impact, volatility and spread over the window, store the row; returns it and the as_of ADV row."""
    window = calibration_window(con, instrument, lookback_days)
    adv = run_sql_file(con, "calibration/select_adv", {"instrument": instrument})
    on_as_of = adv.filter(pl.col("date") == window.as_of)
    if on_as_of.height == 0:
        raise ValueError(f"{instrument}: no ADV on {window.as_of}; materialize adv first")
    calibration = calibrate_impact(
        instrument,
        window.dates,
        run_sql_file(con, "calibration/flow_1s", window.clock_params),
        run_sql_file(con, "calibration/trade_concessions", window.params),
        adv,
    )
    write_impact_params(con, calibration.row(calibrated_at))
    return calibration, on_as_of.row(0, named=True)
