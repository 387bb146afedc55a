"""A separate process for the reliability tests: ``python -m tests.reliability.worker CMD ...``.

Runs ``ingest_job`` for one instrument-day on the persistent instance in ``$DAGSTER_HOME``
against the warehouse in ``$EXECUTION_DATA_DIR``, so tests can run two at once or kill one.

- ``ingest INSTRUMENT DATE``: run it and print one JSON line (success, run id).
- ``ingest-and-hang INSTRUMENT DATE TABLE MARKER``: run it, but once the new rows of TABLE are
  inserted (the partition's old rows deleted, the transaction still open) write MARKER and
  sleep, so the test can SIGKILL the process in the middle of the write.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import dagster as dg


def ingest(instrument: str, date: dt.date) -> dg.ExecuteInProcessResult:
    """ingest_job for one instrument-day on the instance of ``$DAGSTER_HOME``."""
    from execution_assets.definitions import defs
    from execution_assets.defs.partitions import instrument_date_key, register_partitions

    instance = dg.DagsterInstance.get()
    register_partitions(instance, [(instrument, date)])
    return defs().resolve_job_def("ingest_job").execute_in_process(
        partition_key=instrument_date_key(instrument, date), instance=instance, raise_on_error=False
    )


def _hang_after_insert(hang_table: str, marker: Path) -> None:
    from execution_assets.defs.ingest import assets

    real_insert = assets.insert_frame

    def insert_then_hang(con, table, frame):
        real_insert(con, table, frame)
        if table == hang_table:
            marker.write_text("mid-write")
            time.sleep(600)

    assets.insert_frame = insert_then_hang


def main(argv: list[str]) -> None:
    command, instrument, date = argv[0], argv[1], dt.date.fromisoformat(argv[2])
    if command == "ingest-and-hang":
        _hang_after_insert(argv[3], Path(argv[4]))
    elif command != "ingest":
        raise SystemExit(f"unknown command {command!r}")
    result = ingest(instrument, date)
    print(json.dumps({"success": result.success, "run_id": result.run_id}))


if __name__ == "__main__":
    main(sys.argv[1:])
