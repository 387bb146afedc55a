"""Two processes writing the same DuckDB file: through Dagster both succeed (one waits for the
"duckdb" pool); without the pool the second writer is refused with a clear error. Never corrupt."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest

from execution_assets import warehouse
from tests.reliability.conftest import table_hashes

DATE = dt.date(2024, 1, 2)
INSTRUMENTS = ("SYNTH_ILQ", "SYNTH_LIQ")
POOL_STEPS = {"raw_market_data", "book_features"}


def _pool_step_intervals(instance: dg.DagsterInstance, run_id: str) -> list[tuple[float, float]]:
    """[start, end] of each step of the run that holds the "duckdb" pool."""
    events = instance.all_logs(
        run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    )
    starts, intervals = {}, []
    for event in events:
        step = event.step_key
        if step in POOL_STEPS and event.dagster_event_type == dg.DagsterEventType.STEP_START:
            starts[step] = event.timestamp
        elif step in POOL_STEPS:
            intervals.append((starts[step], event.timestamp))
    return intervals


@pytest.mark.slow  # two ingest runs in separate processes: ~30 s
def test_two_concurrent_ingest_runs_both_succeed_one_waiting_for_the_pool(worker, data_dir):
    instance = dg.DagsterInstance.get()  # create the instance's storage once, before two processes race to
    processes = [worker("ingest", instrument, str(DATE)) for instrument in INSTRUMENTS]
    results = []
    for process in processes:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, process.log.read_text()[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert all(result["success"] for result in results)

    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as con:
        for instrument in INSTRUMENTS:
            where = {"instrument": instrument, "date": DATE}
            assert warehouse.count_rows(con, "raw.l2_snapshots", where) == 23_400
            assert warehouse.count_rows(con, "features.book_1s", where) == 23_400

    # the pool serialized the DuckDB steps of the two runs: no two of them overlap in time
    intervals = sorted(i for result in results for i in _pool_step_intervals(instance, result["run_id"]))
    assert len(intervals) == 4
    assert all(end <= next_start for (_, end), (next_start, _) in zip(intervals, intervals[1:]))
    logs = "".join(process.log.read_text() for process in processes)
    assert "blocked by limit for pool duckdb" in logs  # one of them did wait


HOLD_WRITER = """
import sys, time
from execution_assets import warehouse
with warehouse.connect(sys.argv[1]) as con:
    con.execute("INSERT INTO raw.trades VALUES ('HELD', DATE '2024-01-02', TIMESTAMP '2024-01-02 09:30:00', 1.0, 1, 1)")
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_writer_without_the_pool_is_refused_clearly_and_nothing_is_corrupted(data_dir):
    database = data_dir / "warehouse.duckdb"
    with warehouse.connect(database) as con:
        con.execute("INSERT INTO raw.trades VALUES ('KEEP', DATE '2024-01-02', TIMESTAMP '2024-01-02 09:31:00', 2.0, 5, -1)")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITER, str(database), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(duckdb.IOException, match="lock"):
            with warehouse.connect(database):
                pass
        assert time.monotonic() - started < 2.5  # refused at once, not after the holder let go
    finally:
        holder.communicate(timeout=60)
    assert holder.returncode == 0
    assert table_hashes(database)["raw.trades"][0] == 2  # both writes are there, the file is sound


def test_a_connection_given_a_lock_wait_opens_once_the_holder_lets_go(data_dir):
    """`make run` opens the warehouse from two processes on purpose, with ``lock_wait_s``."""
    database = data_dir / "warehouse.duckdb"
    with warehouse.connect(database):
        pass
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WRITER, str(database), "1.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with warehouse.connect(database, lock_wait_s=60) as con:
            held = con.execute("SELECT count(*) FROM raw.trades WHERE instrument = 'HELD'").fetchall()[0][0]
        assert time.monotonic() - started > 0.5  # it waited for the holder
        assert held == 1  # and sees what the holder wrote
    finally:
        holder.communicate(timeout=60)
    assert holder.returncode == 0
