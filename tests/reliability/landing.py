"""Landing files for the reliability tests: generic instrument-days and a short LOBSTER day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from execution_assets.market import simulate_market_day
from tests.conftest import LOBSTER_DIR

LOBSTER_NAME = "GOOG_2012-06-21_34200000_57600000_{kind}_1.csv"
LOBSTER_DAY = ("GOOG", dt.date(2012, 6, 21))


def write_generic_day(
    raw: Path, instrument: str, date: dt.date, seed: int, *, seconds: int | None = None, trades_every: int = 1
) -> tuple[Path, Path]:
    """A simulated day as ``INSTRUMENT_DATE_l2.parquet`` and ``INSTRUMENT_DATE_trades.csv``.

    ``seconds`` keeps only the first seconds of the session (small, fast files); ``trades_every``
    keeps every n-th print, so two versions of a day differ in their row counts.
    """
    raw.mkdir(parents=True, exist_ok=True)
    day = simulate_market_day("SYNTH_ILQ", date, seed=seed)
    snapshots, trades = day.snapshots, day.trades.gather_every(trades_every)
    if seconds is not None:
        end = snapshots["ts"][seconds - 1]
        snapshots, trades = snapshots.filter(pl.col("ts") <= end), trades.filter(pl.col("ts") <= end)
    l2, prints = raw / f"{instrument}_{date}_l2.parquet", raw / f"{instrument}_{date}_trades.csv"
    snapshots.with_columns(instrument=pl.lit(instrument)).write_parquet(l2)
    trades.with_columns(instrument=pl.lit(instrument)).write_csv(prints)
    return l2, prints


def write_short_lobster_day(raw: Path, lines: int = 3000) -> tuple[Path, Path]:
    """The first ``lines`` messages of the real GOOG day and their order-book rows."""
    raw.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in ("message", "orderbook"):
        name = LOBSTER_NAME.format(kind=kind)
        with open(LOBSTER_DIR / name) as source:
            head = [next(source) for _ in range(lines)]
        (raw / name).write_text("".join(head))
        written.append(raw / name)
    return written[0], written[1]
