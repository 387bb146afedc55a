"""A run SIGKILLed in the middle of writing a partition leaves the previous data and a sound file."""

from __future__ import annotations

import datetime as dt
import signal
import time

import dagster as dg
import pytest

from execution_assets import warehouse
from execution_assets.defs.ops.recovery import dead_run_sweeper, sweep_dead_runs
from tests.reliability.conftest import table_hashes
from tests.reliability.landing import write_generic_day
from tests.reliability.worker import ingest

INSTRUMENT, DATE = "ACME", dt.date(2024, 3, 1)


def _wait_for(path, process, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"worker exited before the write: {process.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"worker never reached the write within {timeout_s:.0f} s")
        time.sleep(0.1)


@pytest.mark.slow  # three ingest runs, one in a separate process: ~40 s
def test_sigkill_mid_write_keeps_the_previous_partition_and_a_sound_file(worker, data_dir):
    raw, database = data_dir / "raw", data_dir / "warehouse.duckdb"
    write_generic_day(raw, INSTRUMENT, DATE, seed=1)
    assert ingest(INSTRUMENT, DATE).success
    before = table_hashes(database)
    assert before["raw.l2_snapshots"][0] == 23_400 and before["features.book_1s"][0] == 23_400

    # a new version of the day: other prices, a third of the prints
    write_generic_day(raw, INSTRUMENT, DATE, seed=2, trades_every=3)
    marker = data_dir / "mid-write"
    # hang after the last insert of the transaction: old rows deleted, every new row written, no COMMIT
    process = worker("ingest-and-hang", INSTRUMENT, str(DATE), "raw.quarantine", str(marker))
    _wait_for(marker, process)
    assert sweep_dead_runs(dg.DagsterInstance.get()) == []  # a live run is left alone
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    assert table_hashes(database) == before  # the file opens and holds exactly the old partition
    with warehouse.connect(database) as con:  # a writer can open it again (WAL replayed, lock freed)
        con.execute("CHECKPOINT")

    # the killed run still holds the "duckdb" pool slot; the sweeper fails it and frees the slot
    instance = dg.DagsterInstance.get()
    killed = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert len(killed) == 1
    pool = instance.event_log_storage.get_concurrency_info("duckdb")
    assert pool.slot_count == 1 and pool.active_run_ids == {killed[0].run_id}
    skip = dead_run_sweeper(dg.build_sensor_context(instance=instance))
    assert killed[0].run_id in skip.skip_message
    assert instance.get_run_by_id(killed[0].run_id).status == dg.DagsterRunStatus.FAILURE
    assert not instance.event_log_storage.get_concurrency_info("duckdb").active_run_ids
    assert ingest(INSTRUMENT, DATE).success  # the next run is not blocked
    after = table_hashes(database)
    assert after["raw.l2_snapshots"][0] == 23_400
    assert after["raw.trades"][0] < before["raw.trades"][0] / 2  # the new version replaced the old one
    assert after["raw.l2_snapshots"][1] != before["raw.l2_snapshots"][1]
