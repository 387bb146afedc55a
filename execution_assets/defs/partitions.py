"""Partitions: ingest and features by instrument x date, calibration by instrument.

Ingest and features take a *range* of instrument-days per run (``INGEST_BACKFILL``): a run's fixed
cost (a process importing the code location, one per step) is paid once for up to
``MAX_DAYS_PER_RUN`` days instead of once a day. The helpers below make that transparent to the
assets: the days a run targets, and its check results filed under their own partition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence

import dagster as dg
import polars as pl
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from sqlalchemy.exc import IntegrityError

from execution_assets.defs.contracts import contract_check

instrument_partitions = dg.DynamicPartitionsDefinition(name="instrument")
date_partitions = dg.DynamicPartitionsDefinition(name="date")
instrument_date_partitions = dg.MultiPartitionsDefinition(
    {"instrument": instrument_partitions, "date": date_partitions}
)

# Days a run ingests and computes features for. A backfill splits per instrument (Dagster groups
# a multi-partition subset by its dimension with fewer keys), then into runs of at most this many
# days: six months (126 trading days) of 2 instruments is 2 runs. A run's start-up (processes
# importing the code location) costs as much as 20-40 days of work; memory does not grow with
# the range (days are read in chunks); a bad file fails every day of its run (one transaction).
MAX_DAYS_PER_RUN = 128
INGEST_BACKFILL = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_DAYS_PER_RUN)


def instrument_date_key(instrument: str, date: dt.date) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"instrument": instrument, "date": date.isoformat()})


def instrument_and_date(context: dg.AssetExecutionContext) -> tuple[str, dt.date]:
    return parse_instrument_date_key(context.partition_key)


def instrument_dates(context: dg.AssetExecutionContext) -> list[tuple[str, dt.date]]:
    """(instrument, date) of every partition the run targets: one, or a backfill's range.

    Dagster 1.13 tags each range run of a backfill launched from a multi-partitioned *job's* page
    with the range and also with its first day's dimension tags, which win: the run would store
    that one day and the backfill would still succeed. Such a run fails here instead.
    """
    tags = context.run.tags
    if ASSET_PARTITION_RANGE_START_TAG in tags and any(tag.startswith("dagster/partition/") for tag in tags):
        raise dg.Failure(
            f"this run is tagged with the range {tags[ASSET_PARTITION_RANGE_START_TAG]} .. "
            f"{tags[ASSET_PARTITION_RANGE_END_TAG]} and with the partition of its first day, so Dagster "
            "would give it that day only (a backfill launched from ingest_job's page). Launch the backfill "
            "from an asset page instead: book_features > Materialize > pick the partitions > Launch backfill."
        )
    return [parse_instrument_date_key(key) for key in context.partition_keys]


def parse_instrument_date_key(key: str) -> tuple[str, dt.date]:
    """(instrument, date) of a partition key, a ``MultiPartitionKey`` or its plain string
    "DATE|INSTRUMENT" (how the CLI, backfills and sensors may hand it over)."""
    text = str(key)
    if text.count("|") != 1:
        raise ValueError(f"partition key {text!r} is not 'YYYY-MM-DD|INSTRUMENT'")
    keys = instrument_date_partitions.get_partition_key_from_str(text).keys_by_dimension
    try:
        return keys["instrument"], dt.date.fromisoformat(keys["date"])
    except ValueError as exc:
        raise ValueError(f"partition key {text!r}: the date is not YYYY-MM-DD ({exc})") from exc


def register_partitions(instance: dg.DagsterInstance, days: list[tuple[str, dt.date]]) -> None:
    """Add the instruments and dates of ``days`` to the dynamic partition sets."""
    for partitions, keys in (
        (instrument_partitions, sorted({i for i, _ in days})),
        (date_partitions, sorted({d.isoformat() for _, d in days})),
    ):
        try:
            instance.add_dynamic_partitions(partitions.name, keys)
        except IntegrityError:  # another process added one of them between Dagster's check and insert
            instance.add_dynamic_partitions(partitions.name, keys)  # it skips those now


def run_ranges(
    instance: dg.DagsterInstance, days: Iterable[tuple[str, dt.date]], max_days: int = MAX_DAYS_PER_RUN
) -> list[dg.PartitionKeyRange]:
    """The runs a backfill of ``days`` (registered) becomes, as the daemon splits it: per
    instrument, dates adjacent in the date partitions' order (the order they were added in, which a
    range follows), at most ``max_days`` a run."""
    order = instance.get_dynamic_partitions(date_partitions.name)
    position = {date: i for i, date in enumerate(order)}
    ranges = []
    for instrument in sorted({instrument for instrument, _ in days}):
        runs: list[list[int]] = []
        for i in sorted({position[d.isoformat()] for name, d in days if name == instrument}):
            if runs and i == runs[-1][-1] + 1 and len(runs[-1]) < max_days:
                runs[-1].append(i)
            else:
                runs.append([i])
        ranges += [
            dg.PartitionKeyRange(f"{order[run[0]]}|{instrument}", f"{order[run[-1]]}|{instrument}") for run in runs
        ]
    return ranges


def range_tags(key_range: dg.PartitionKeyRange) -> dict[str, str]:
    """Run tags that make a run target ``key_range``, as a backfill's runs are tagged."""
    return {ASSET_PARTITION_RANGE_START_TAG: key_range.start, ASSET_PARTITION_RANGE_END_TAG: key_range.end}


def add_partition_metadata(
    context: dg.AssetExecutionContext, asset_key: dg.AssetKey, partition_key: str, metadata: Mapping[str, object]
) -> None:
    """``context.add_asset_metadata(metadata, asset_key, partition_key)`` without its check that the
    key is in the run's range: that lists the range from storage on every call (about 30 ms, so
    20 s over a 64-day run's 192 calls). Callers pass keys of ``context.partition_keys``."""
    step = context._step_execution_context  # noqa: SLF001 (no public way around the check)
    step._metadata_accumulator = step._metadata_accumulator.with_additional_asset_metadata(  # noqa: SLF001
        asset_key=asset_key, partition_key=partition_key, metadata=metadata
    )


def partition_check_evaluations(
    context: dg.AssetExecutionContext, results: Mapping[str, Sequence[dg.AssetCheckResult]]
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """Each partition's check results, filed under that partition; yield after the MaterializeResults.

    Dagster files an ``AssetCheckResult`` of a range run under no partition at all; the checks
    here are partitioned (each instrument-day keeps its own result), so every result becomes an
    evaluation of its partition, pointing at that partition's new materialization. A failed
    blocking one still fails the step (and skips what depends on it) as a plain result would.
    """
    specs = {spec.key: spec for spec in context.assets_def.check_specs}
    targets = {}
    for asset_key in {result.asset_key for checks in results.values() for result in checks}:
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=list(results)), limit=len(results)
        ).records
        for record in reversed(records):  # newest last, so it wins
            targets[(asset_key, record.partition_key)] = AssetCheckEvaluationTargetMaterializationData(
                run_id=record.run_id, storage_id=record.storage_id, timestamp=record.timestamp
            )
    for partition, checks in results.items():
        for result in checks:
            yield dg.AssetCheckEvaluation(
                asset_key=result.asset_key,
                check_name=result.check_name,
                passed=result.passed,
                metadata=result.metadata,
                target_materialization_data=targets.get((result.asset_key, partition)),
                severity=result.severity,
                description=result.description,
                blocking=specs[dg.AssetCheckKey(result.asset_key, result.check_name)].blocking,
                partition=partition,
            )
    for output_name, spec in context.assets_def.check_specs_by_output_name.items():
        if spec.key in context.selected_asset_check_keys:
            yield dg.Output(None, output_name=output_name)


def contract_checks(
    asset: dg.AssetKey, frames: Mapping[str, pl.DataFrame], model
) -> dict[str, dg.AssetCheckResult]:
    """The ``contract`` check of each partition's frame. All frames are validated at once, and one
    by one only when that fails (or their columns' types differ): pandera's fixed cost per call is
    most of its time on a day."""
    if len({tuple(frame.schema.items()) for frame in frames.values()}) == 1:
        whole = contract_check(asset, pl.concat(list(frames.values())), model)
        if whole.passed:
            return dict.fromkeys(frames, whole)
    return {key: contract_check(asset, frame, model) for key, frame in frames.items()}
