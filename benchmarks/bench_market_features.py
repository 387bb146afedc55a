"""Six months (126 days) of 1-second, 10-level synthetic snapshots for one instrument:
generation speed, feature speed (features.book_1s incl. the write), peak memory, and the
ratio of feature time to a bare DuckDB scan of the same rows.

Run: ``.venv/bin/python -m benchmarks.bench_market_features [--days 126]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import polars as pl

from benchmarks.results import write_section
from execution_assets.cli import SYNTHETIC_START, business_days
from execution_assets.features import write_book_features
from execution_assets.market import simulate_market_day
from execution_assets.warehouse import connect, insert_frame


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=126)
    parser.add_argument("--instrument", default="SYNTH_LIQ")
    args = parser.parse_args()
    dates = business_days(SYNTHETIC_START, args.days)

    start = time.perf_counter()
    days = [simulate_market_day(args.instrument, date, seed=i) for i, date in enumerate(dates)]
    generation_s = time.perf_counter() - start
    snapshots = pl.concat([day.snapshots for day in days])
    trades = pl.concat([day.trades for day in days])
    del days
    rows = snapshots.height

    with tempfile.TemporaryDirectory() as tmp, connect(Path(tmp) / "bench.duckdb") as con:
        start = time.perf_counter()
        insert_frame(con, "raw.l2_snapshots", snapshots)
        insert_frame(con, "raw.trades", trades)
        load_s = time.perf_counter() - start
        del snapshots

        start = time.perf_counter()
        con.execute("SELECT count(*), sum(bid_px_1 + ask_px_1), sum(bid_sz_1 + ask_sz_1) FROM raw.l2_snapshots").fetchall()
        scan_s = time.perf_counter() - start

        start = time.perf_counter()
        written = write_book_features(con, args.instrument, dates[0], dates[-1])
        features_s = time.perf_counter() - start
    assert written == rows, f"features wrote {written} rows for {rows} snapshots"

    body = f"""
{args.days} days x 23,400 s = {rows:,} snapshot rows (10 levels) and {trades.height:,} trades, one instrument ({args.instrument}).

| step | seconds | rows/s | target |
| --- | ---: | ---: | --- |
| generate (simulate_market_day x {args.days}) | {generation_s:.2f} | {rows / generation_s:,.0f} | < 60 s |
| load raw tables into DuckDB | {load_s:.2f} | {rows / load_s:,.0f} | |
| features.book_1s incl. write | {features_s:.2f} | {rows / features_s:,.0f} | < 8 s |
| bare DuckDB scan of the snapshots | {scan_s:.3f} | {rows / scan_s:,.0f} | |

Feature time / bare scan time: **{features_s / scan_s:.1f}x**. Peak memory (RSS): {peak_rss_mib():,.0f} MiB.
"""
    print(body)
    write_section("market_features", body)


if __name__ == "__main__":
    main()
