"""Six months (126 days) of 1-second, 10-level synthetic snapshots for one instrument:
generation speed, feature speed (features.book_1s incl. the write), peak memory, and the
ratio of feature time to a bare DuckDB scan of the same rows.

Each step is timed by the wall clock and by the process's CPU time (DuckDB's worker threads
included). On a shared machine the wall clock also counts time spent waiting for a core, so
both are reported with the load average.

Run: ``.venv/bin/python -m benchmarks.bench_market_features [--days 126]``
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import polars as pl

from benchmarks.results import write_section
from execution_assets.market.calendar import SYNTHETIC_START, business_days
from execution_assets.features import write_book_features
from execution_assets.market import simulate_market_day
from execution_assets.warehouse import connect, insert_frame


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    """Wall and CPU seconds of a ``with`` block."""

    def __enter__(self) -> "Timer":
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=126)
    parser.add_argument("--instrument", default="SYNTH_LIQ")
    args = parser.parse_args()
    dates = business_days(SYNTHETIC_START, args.days)
    load_start = os.getloadavg()[0]

    with Timer() as generation:
        days = [simulate_market_day(args.instrument, date, seed=i) for i, date in enumerate(dates)]
    snapshots = pl.concat([day.snapshots for day in days])
    trades = pl.concat([day.trades for day in days])
    del days
    rows = snapshots.height

    with tempfile.TemporaryDirectory() as tmp, connect(Path(tmp) / "bench.duckdb") as con:
        with Timer() as load:
            insert_frame(con, "raw.l2_snapshots", snapshots)
            insert_frame(con, "raw.trades", trades)
        del snapshots

        with Timer() as scan:
            con.execute(
                "SELECT count(*), sum(bid_px_1 + ask_px_1), sum(bid_sz_1 + ask_sz_1) FROM raw.l2_snapshots"
            ).fetchall()

        with Timer() as features:
            written = write_book_features(con, args.instrument, dates[0], dates[-1])
    assert written == rows, f"features wrote {written} rows for {rows} snapshots"
    load_end = os.getloadavg()[0]

    def row(step: str, t: Timer, target: str = "", digits: int = 2) -> str:
        return f"| {step} | {t.wall:.{digits}f} | {t.cpu:.{digits}f} | {rows / t.wall:,.0f} | {target} |"

    body = "\n".join(
        [
            f"{args.days} days x 23,400 s = {rows:,} snapshot rows (10 levels) and {trades.height:,} trades, "
            f"one instrument ({args.instrument}). 1-minute load average {load_start:.1f} at the start, "
            f"{load_end:.1f} at the end ({os.cpu_count()} cores): the wall clock counts waiting for a core, "
            "the CPU time (all threads) does not.",
            "",
            "| step | wall s | CPU s | rows/s (wall) | target |",
            "| --- | ---: | ---: | ---: | --- |",
            row(f"generate (simulate_market_day x {args.days})", generation, "< 60 s"),
            row("load raw tables into DuckDB", load),
            row("features.book_1s incl. write", features, "< 8 s"),
            row("bare DuckDB scan of the snapshots", scan, digits=3),
            "",
            f"Feature time / bare scan time (wall): **{features.wall / scan.wall:.1f}x**. "
            f"Peak memory (RSS): {peak_rss_mib():,.0f} MiB.",
        ]
    )
    print(body)
    write_section("market_features", body)


if __name__ == "__main__":
    main()
