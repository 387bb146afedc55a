"""The parquet export: hive-partitioned files that DuckDB reads back as the warehouse tables."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import polars as pl
from polars.testing import assert_frame_equal

from execution_assets import warehouse
from execution_assets.defs.partitions import instrument_date_key, register_partitions
from execution_assets.export import EXPORT_TABLES, export_root, partition_file, read_export, table_glob

DAYS = [("SYNTH_ILQ", dt.date(2024, 1, 2)), ("SYNTH_LIQ", dt.date(2024, 1, 2)), ("SYNTH_ILQ", dt.date(2024, 1, 3))]


def test_export_job_writes_hive_partitions_that_duckdb_reads_back_as_the_tables(data_dir):
    from execution_assets.definitions import defs

    definitions = defs()
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, DAYS)
    ingest, export = (definitions.resolve_job_def(name) for name in ("ingest_job", "export_job"))
    for day in DAYS:
        assert ingest.execute_in_process(partition_key=instrument_date_key(*day), instance=instance).success
        result = export.execute_in_process(partition_key=instrument_date_key(*day), instance=instance)
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
        assert metadata["rows features.book_1s"].value == 23_400

    root = export_root()
    for table in EXPORT_TABLES:
        for instrument, date in DAYS:
            assert partition_file(root, table, instrument, date).is_file()
    assert not list(root.rglob("*.partial"))

    with warehouse.connect(data_dir / "warehouse.duckdb", read_only=True) as con:
        for table in EXPORT_TABLES:
            stored = con.sql(f"SELECT * FROM {table}").pl()
            exported = read_export(con, root, table)
            key = ["instrument", "date", "ts", *(["price", "size", "side"] if table == "raw.trades" else [])]
            assert_frame_equal(exported.select(stored.columns).sort(key), stored.sort(key), check_row_order=True)

    # a plain DuckDB session, as a cluster reader would use it, with partition pruning on the path
    spreads = duckdb.sql(
        f"SELECT instrument, count(*) AS n, avg(spread_bps) AS spread_bps FROM read_parquet("
        f"'{table_glob(root, 'features.book_1s')}', hive_partitioning = true) "
        "WHERE date = DATE '2024-01-02' GROUP BY instrument ORDER BY instrument"
    ).pl()
    assert spreads["instrument"].to_list() == ["SYNTH_ILQ", "SYNTH_LIQ"]
    assert spreads["n"].to_list() == [23_400, 23_400]
    assert spreads["spread_bps"][0] > spreads["spread_bps"][1] > 0  # the illiquid name is wider


def test_re_exporting_a_partition_replaces_its_file(data_dir):
    from execution_assets.export import export_partition

    day = DAYS[0]
    with warehouse.connect(data_dir / "warehouse.duckdb") as con:
        con.execute("INSERT INTO raw.trades VALUES (?, ?, ?, 10.0, 100, 1)", [*day, dt.datetime(2024, 1, 2, 9, 30)])
        assert export_partition(con, export_root(), *day, tables=("raw.trades",)) == {"raw.trades": 1}
        con.execute("INSERT INTO raw.trades VALUES (?, ?, ?, 10.5, 50, -1)", [*day, dt.datetime(2024, 1, 2, 9, 31)])
        assert export_partition(con, export_root(), *day, tables=("raw.trades",)) == {"raw.trades": 2}
        exported = read_export(con, export_root(), "raw.trades")
    assert exported.height == 2
    assert exported.schema["instrument"] == pl.String and exported.schema["date"] == pl.Date
