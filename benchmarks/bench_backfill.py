"""Backfill of ingest + features (raw_market_data, book_features) over many instrument-days, three
ways, each on a fresh warehouse and a fresh Dagster home with the project's ``dagster.yaml``:

- ``library``: the same reads, validation, writes and feature SQL called directly, no Dagster
  (the floor: what the runs cost beyond it is Dagster's);
- ``inprocess``: ``execution_assets.cli.ingest_days``, which ``cli run`` and ``make run`` use: one
  in-process run per range of at most MAX_DAYS_PER_RUN days of an instrument;
- ``daemon``: ``dagster dev`` (webserver + daemon, as ``make ui`` starts them) and the backfill
  launched through the webserver's GraphQL API as the UI's asset page "Materialize > partitions >
  Launch backfill" does (``launchPartitionBackfill`` with the three assets and the partition keys);
  timed from the submission until the daemon marks the backfill complete, so the code location's
  first load is left out but the daemon's pick-up, the queue and every run's start-up count.

Run: ``.venv/bin/python -m benchmarks.bench_backfill [--days 126] [--modes library inprocess daemon]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import dagster as dg
from dagster._core.execution.backfill import BulkActionStatus

from benchmarks.bench_parallel_ingest import _free_port, _wait_for_server
from benchmarks.results import Load, write_section
from execution_assets import warehouse
from execution_assets.market.calendar import SYNTHETIC_START, business_days
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.paths import PROJECT_ROOT

ASSETS = ("raw_l2_snapshots", "raw_trades", "book_features")
LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""


def _fresh(root: Path, mode: str) -> tuple[Path, Path]:
    """A Dagster home with the project's dagster.yaml and an empty data dir, set in os.environ."""
    home, data = root / f"home_{mode}", root / f"data_{mode}"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    os.environ.update(DAGSTER_HOME=str(home), EXECUTION_DATA_DIR=str(data))
    return home, data


def _feature_rows(data: Path) -> int:
    with warehouse.connect(data / "warehouse.duckdb", read_only=True) as con:
        return con.execute("SELECT count(*) FROM features.book_1s").fetchall()[0][0]


def run_library(days: list[tuple[str, object]], root: Path) -> dict[str, float]:
    from execution_assets.defs.ingest.assets import CHUNK_DAYS
    from execution_assets.features import write_book_features
    from execution_assets.market.sources import load_raw_day
    from execution_assets.paths import raw_dir

    _, data = _fresh(root, "library")
    load, start, cpu = Load(), time.perf_counter(), time.process_time()
    with warehouse.connect() as con:
        for instrument in DEFAULT_INSTRUMENTS:
            dates = [date for name, date in days if name == instrument]
            for i in range(0, len(dates), CHUNK_DAYS):
                loaded = [load_raw_day(instrument, date, raw_dir()) for date in dates[i : i + CHUNK_DAYS]]
                for table, column in (("raw.l2_snapshots", "snapshots"), ("raw.trades", "trades")):
                    for day in loaded:
                        warehouse.insert_frame(con, table, getattr(day, column))
                load.sample()
            write_book_features(con, instrument, dates[0], dates[-1])
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"wall_s": wall, "cpu_s": cpu, "runs": 0, "load": load.mean, "rows": _feature_rows(data)}


def run_inprocess(days: list[tuple[str, object]], root: Path) -> dict[str, float]:
    from execution_assets.cli import ingest_days

    _, data = _fresh(root, "inprocess")
    instance = dg.DagsterInstance.get()
    load, start, cpu = Load(), time.perf_counter(), time.process_time()
    ingest_days(days, instance)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    load.sample()
    runs = len(instance.get_run_records())
    return {"wall_s": wall, "cpu_s": cpu, "runs": runs, "load": load.mean, "rows": _feature_rows(data)}


def _graphql(url: str, query: str, variables: dict) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def _launch_backfill(url: str, partition_keys: list[str]) -> str:
    params = {"assetSelection": [{"path": [key]} for key in ASSETS], "partitionNames": partition_keys}
    for attempt in range(60):  # the code location may still be loading
        answer = _graphql(url, LAUNCH, {"params": params})
        launched = (answer.get("data") or {}).get("launchPartitionBackfill") or {}
        if launched.get("__typename") == "LaunchBackfillSuccess":
            return launched["backfillId"]
        if attempt == 59:
            raise RuntimeError(f"backfill not launched: {answer}")
        time.sleep(2)
    raise AssertionError("unreachable")


def run_daemon(days: list[tuple[str, object]], root: Path) -> dict[str, float]:
    from execution_assets.defs.partitions import instrument_date_key, register_partitions

    _, data = _fresh(root, "daemon")
    instance = dg.DagsterInstance.get()
    register_partitions(instance, days)
    port, log = _free_port(), root / "dagster_dev.log"
    dagster = Path(sys.executable).with_name("dagster")
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=PROJECT_ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for_server(url, server, log)
        load, start = Load(), time.perf_counter()
        backfill_id = _launch_backfill(url, [str(instrument_date_key(*day)) for day in days])
        while (backfill := instance.get_backfill(backfill_id)).status == BulkActionStatus.REQUESTED:
            load.sample()
            time.sleep(1)
        wall = time.perf_counter() - start
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    if backfill.status != BulkActionStatus.COMPLETED_SUCCESS:
        raise RuntimeError(f"backfill {backfill_id} ended {backfill.status}; see {log}")
    runs = instance.get_run_records(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
    return {
        "wall_s": wall,
        "runs": len(runs),
        "run_s": max(r.end_time for r in runs) - min(r.start_time for r in runs),
        "load": load.mean,
        "rows": _feature_rows(data),
    }


MODES = {"library": run_library, "inprocess": run_inprocess, "daemon": run_daemon}
LABELS = {
    "library": "library only (no Dagster): read + validate, insert, features",
    "inprocess": "in-process: `cli.ingest_days` (what `cli run` / `make run` do)",
    "daemon": "daemon: UI backfill from an asset page, through `dagster dev`",
}


def write_results(results: dict[str, dict[str, float]], n_days: int, days_per_instrument: int) -> None:
    from execution_assets.defs.partitions import MAX_DAYS_PER_RUN

    rows = "\n".join(
        f"| {LABELS[mode]} | {r['runs'] or '-'} | {r['wall_s']:.0f} | {r['wall_s'] / n_days:.2f} "
        f"| {format(r['cpu_s'], '.0f') if 'cpu_s' in r else '-'} "
        f"| {format(r['run_s'], '.0f') if 'run_s' in r else '-'} | {r['load']:.1f} |"
        for mode, r in results.items()
    )
    write_section(
        "backfill",
        f"""
Ingest + features of {n_days} synthetic instrument-days ({len(DEFAULT_INSTRUMENTS)} instruments x
{days_per_instrument} days, 23,400 one-second snapshots each), fresh warehouse and Dagster home
(the project's `dagster.yaml`: the event log in one SQLite file through `OneFileEventLogStorage`;
each instrument-day writes 14 events to it). The assets take a range of partitions per run
(`BackfillPolicy.multi_run(max_partitions_per_run={MAX_DAYS_PER_RUN})`), so the backfill is split per
instrument into runs of at most {MAX_DAYS_PER_RUN} days. "wall s" of the daemon counts from the
GraphQL submission to the backfill's completion; "first run start to last run end" leaves out the
daemon's pick-up.

| how | runs | wall s | s per instrument-day | CPU s (this process, DuckDB threads included) | first run start to last run end, s | load avg |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

"load avg" is the mean 1-minute load average while the mode ran, on 2 cores shared with other
jobs: above 2, part of the wall time is waiting for a core. The CPU seconds (not measured for the
daemon's run processes) show what the same work needs with the cores to itself.
""",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=126, help="days per instrument (2 instruments)")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args()
    days = [(name, date) for name in DEFAULT_INSTRUMENTS for date in business_days(SYNTHETIC_START, args.days)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            results[mode] = MODES[mode](days, Path(tmp))
            assert results[mode]["rows"] == 23_400 * len(days), results[mode]
            print(mode, results[mode], flush=True)
    write_results(results, len(days), args.days)


if __name__ == "__main__":
    main()
