"""Raw-data readers and row validation: the real LOBSTER day, and ~3M-row frames and files.

Run: ``.venv/bin/python -m benchmarks.bench_market_readers [--rows 3000000]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.results import write_section
from execution_assets.market.generic import read_l2_snapshots, read_trades
from execution_assets.market.lobster import read_lobster
from execution_assets.market.validation import split_snapshots, split_trades, validate_contract
from execution_assets.paths import SHARED_DATA_DIR
from schemas.columns import SNAPSHOT_COLUMNS, TRADE_COLUMNS
from schemas.raw import L2SnapshotsModel

GOOG = SHARED_DATA_DIR / "lobster" / "GOOG_2012-06-21_34200000_57600000"
BAD_EVERY = 10_000  # one crossed book / bad side per this many rows


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def day_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Dates and 1-second timestamps of n rows laid out as consecutive full sessions."""
    day = np.arange(n) // 23_400
    dates = np.datetime64("2024-01-02") + day.astype("timedelta64[D]")
    ts = dates.astype("datetime64[us]") + np.timedelta64(34_200, "s") + (np.arange(n) % 23_400).astype("timedelta64[s]")
    return dates, ts


def snapshot_frame(n: int, rng: np.random.Generator) -> pl.DataFrame:
    dates, ts = day_index(n)
    mid = 100 + np.cumsum(rng.standard_normal(n)) * 0.01
    cols: dict[str, object] = {"instrument": ["SYNTH"] * n, "date": dates, "ts": ts}
    for k in range(1, 11):
        cols[f"bid_px_{k}"] = np.round(mid, 2) - 0.01 * k
        cols[f"ask_px_{k}"] = np.round(mid, 2) + 0.01 * k
        cols[f"bid_sz_{k}"] = rng.integers(1, 500, n)
        cols[f"ask_sz_{k}"] = rng.integers(1, 500, n)
    frame = pl.DataFrame(cols).select(list(SNAPSHOT_COLUMNS)).cast(SNAPSHOT_COLUMNS)
    bad = pl.int_range(pl.len()) % BAD_EVERY == 7
    return frame.with_columns(pl.when(bad).then(pl.col("ask_px_1") + 0.01).otherwise(pl.col("bid_px_1")).alias("bid_px_1"))


def trade_frame(n: int, rng: np.random.Generator) -> pl.DataFrame:
    dates, ts = day_index(n)
    side = rng.choice(np.array([-1, 1], dtype=np.int8), n)
    side[7::BAD_EVERY] = 0
    return pl.DataFrame(
        {"instrument": ["SYNTH"] * n, "date": dates, "ts": ts, "price": 100 + rng.random(n),
         "size": rng.integers(1, 1000, n), "side": side}
    ).cast(TRADE_COLUMNS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=3_000_000)
    args = parser.parse_args()
    n, rng = args.rows, np.random.default_rng(0)
    rows = []

    lobster_s, day = best_of(
        lambda: read_lobster(GOOG.with_name(GOOG.name + "_message_1.csv"), GOOG.with_name(GOOG.name + "_orderbook_1.csv")), 5
    )
    rows.append(("read_lobster, GOOG 2012-06-21 (49,482 messages)", f"{day.snapshots.height:,} snapshots + {day.trades.height:,} trades", lobster_s))

    snaps, trades = snapshot_frame(n, rng), trade_frame(n, rng)
    split_s, (valid, bad) = best_of(lambda: split_snapshots(snaps, "bench"), 3)
    rows.append(("split_snapshots, 10 levels", f"{n:,} rows -> {bad.height:,} quarantined", split_s))
    split_t, (_, bad_t) = best_of(lambda: split_trades(trades, "bench"), 3)
    rows.append(("split_trades (with duplicate check)", f"{n:,} rows -> {bad_t.height:,} quarantined", split_t))
    contract_s, problems = best_of(lambda: validate_contract(valid, L2SnapshotsModel), 1)
    assert problems == [], problems
    rows.append(("validate_contract(raw.l2_snapshots) (pandera)", f"{valid.height:,} rows, 0 failures", contract_s))

    with tempfile.TemporaryDirectory() as tmp:
        parquet, csv = Path(tmp) / "l2.parquet", Path(tmp) / "trades.csv"
        snaps.write_parquet(parquet)
        trades.write_csv(csv)
        parquet_s, _ = best_of(lambda: read_l2_snapshots(parquet), 2)
        rows.append(("read_l2_snapshots, parquet", f"{n:,} rows, {parquet.stat().st_size / 2**20:,.0f} MiB", parquet_s))
        csv_s, _ = best_of(lambda: read_trades(csv), 2)
        rows.append(("read_trades, CSV", f"{n:,} rows, {csv.stat().st_size / 2**20:,.0f} MiB", csv_s))

    table = "\n".join(f"| {what} | {size} | {seconds:.2f} |" for what, size, seconds in rows)
    body = (
        f"Best of several runs, wall clock, {dt.date.today()}. The machine was shared with other "
        "jobs while this ran, so treat the numbers as upper bounds.\n\n"
        "| step | data | seconds |\n| --- | --- | ---: |\n" + table
    )
    print(body)
    write_section("market readers and validation", body)


if __name__ == "__main__":
    main()
