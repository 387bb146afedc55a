"""Partitions: ingest and features by instrument x date, calibration by instrument."""

from __future__ import annotations

import datetime as dt

import dagster as dg

instrument_partitions = dg.DynamicPartitionsDefinition(name="instrument")
date_partitions = dg.DynamicPartitionsDefinition(name="date")
instrument_date_partitions = dg.MultiPartitionsDefinition(
    {"instrument": instrument_partitions, "date": date_partitions}
)


def instrument_date_key(instrument: str, date: dt.date) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"instrument": instrument, "date": date.isoformat()})


def instrument_and_date(context: dg.AssetExecutionContext) -> tuple[str, dt.date]:
    return parse_instrument_date_key(context.partition_key)


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
    instance.add_dynamic_partitions(instrument_partitions.name, sorted({i for i, _ in days}))
    instance.add_dynamic_partitions(date_partitions.name, sorted({d.isoformat() for _, d in days}))
