"""Partitioned parquet export of the raw and feature tables, for readers beyond one machine.

Layout (hive-style, what DuckDB, Spark, polars and Arrow read as partitions)::

    <root>/raw/l2_snapshots/instrument=GOOG/date=2012-06-21/data.parquet
    <root>/raw/trades/...
    <root>/features/book_1s/...

Each file holds one instrument-day without its instrument and date columns (they are in the
path). A partition's file is written beside its final name and renamed over it, so a reader
sees the old file or the new one, never half. DuckDB reads it all back with
``read_parquet('<root>/raw/trades/*/*/*.parquet', hive_partitioning = true)``; the same glob on
``s3://bucket/prefix`` works once the tree is synced to object storage (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import duckdb
import polars as pl

from execution_assets.paths import data_dir
from execution_assets.sql import load_sql

EXPORT_TABLES = ("raw.l2_snapshots", "raw.trades", "features.book_1s")
FILE_NAME = "data.parquet"
# A hive path segment must not contain "/", "=" or start with "." (no "..", no hidden files).
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def export_root() -> Path:
    """Default export folder: ``<data dir>/export``."""
    return data_dir() / "export"


def _segment(value: str) -> str:
    if not _SEGMENT.match(value):
        raise ValueError(
            f"instrument {value!r} cannot name a partition folder "
            "(letters, digits, '.', '_' and '-' only, not starting with '.')"
        )
    return value


def _table(table: str) -> str:
    if table not in EXPORT_TABLES:
        raise ValueError(f"not an exported table: {table!r} (exported: {', '.join(EXPORT_TABLES)})")
    return table


def partition_file(root: Path, table: str, instrument: str, date: dt.date) -> Path:
    """The parquet file of one table's instrument-day under ``root``."""
    schema, name = _table(table).split(".")
    return root / schema / name / f"instrument={_segment(instrument)}" / f"date={date.isoformat()}" / FILE_NAME


def table_glob(root: Path, table: str) -> str:
    """The glob that reads every partition of ``table`` (for ``read_parquet``)."""
    schema, name = _table(table).split(".")
    return str(root / schema / name / "*" / "*" / "*.parquet")


def export_partition(
    con: duckdb.DuckDBPyConnection, root: Path, instrument: str, date: dt.date, tables: tuple[str, ...] = EXPORT_TABLES
) -> dict[str, int]:
    """Write one instrument-day of each table; returns the rows written per table."""
    rows = {}
    for table in tables:
        target = partition_file(root, table, instrument, date)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{FILE_NAME}.{os.getpid()}.partial")
        params = {"instrument": instrument, "date": date, "path": str(partial)}
        try:
            rows[table] = con.execute(load_sql(f"export/{table.replace('.', '_')}"), params).fetchall()[0][0]
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return rows


def instrument_days(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dt.date]]:
    """Every instrument-day stored in an exported table."""
    return [(instrument, date) for instrument, date in con.execute(load_sql("export/instrument_days")).fetchall()]


def export_all(con: duckdb.DuckDBPyConnection, root: Path) -> dict[tuple[str, dt.date], dict[str, int]]:
    """Export every stored instrument-day; returns the rows written per day and table."""
    return {day: export_partition(con, root, *day) for day in instrument_days(con)}


def read_export(con: duckdb.DuckDBPyConnection, root: Path, table: str) -> pl.DataFrame:
    """An exported table read back through DuckDB's hive partitioning (instrument, date restored)."""
    return con.sql(load_sql("export/read_table"), params={"glob": table_glob(root, table)}).pl()
