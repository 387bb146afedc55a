"""Ingest automation: the ingest + features job and a sensor for new files in data/raw/."""

import json

import dagster as dg

from execution_assets.defs.partitions import (
    MAX_DAYS_PER_RUN,
    date_partitions,
    instrument_date_key,
    instrument_date_partitions,
    instrument_partitions,
)
from execution_assets.market.landing import discover_landing_days
from execution_assets.paths import raw_dir

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets("raw_l2_snapshots", "raw_trades", "book_features"),
    partitions_def=instrument_date_partitions,
    description=(
        "Ingest instrument-days (landing files or synthetic market) and compute their features: one "
        f"partition, or a backfill's range of up to {MAX_DAYS_PER_RUN} days of an instrument per run."
    ),
    # the two steps run one after the other anyway (and take the duckdb pool in turn): in one
    # process a run imports the code location once instead of three times (run + one per step)
    executor_def=dg.in_process_executor,
)


@dg.sensor(job=ingest_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING)
def new_raw_files_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Registers each new or changed instrument-day in data/raw/ and requests its ingest run."""
    seen: dict[str, float] = json.loads(context.cursor) if context.cursor else {}
    changed = []
    for day in discover_landing_days(raw_dir()).values():
        cursor_key = f"{day.instrument}|{day.date.isoformat()}"
        stamp = max(path.stat().st_mtime for path in day.files)
        if seen.get(cursor_key) != stamp:
            seen[cursor_key] = stamp
            changed.append((day, f"{cursor_key}|{stamp}"))
    added_instruments = sorted({day.instrument for day, _ in changed})
    added_dates = sorted({day.date.isoformat() for day, _ in changed})
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=run_key, partition_key=instrument_date_key(day.instrument, day.date))
            for day, run_key in changed
        ],
        dynamic_partitions_requests=[
            instrument_partitions.build_add_request(added_instruments),
            date_partitions.build_add_request(added_dates),
        ],
        cursor=json.dumps(seen),
    )
