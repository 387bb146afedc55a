"""Parquet export of the raw and feature tables per instrument-day (DESIGN section 8)."""

import dagster as dg

from execution_assets.defs.partitions import instrument_and_date, instrument_date_partitions
from execution_assets.defs.resources import WarehouseResource
from execution_assets.export import EXPORT_TABLES, export_partition, export_root, partition_file


@dg.asset(
    key="parquet_export",
    deps=["raw_l2_snapshots", "raw_trades", "book_features"],
    partitions_def=instrument_date_partitions,
    pool="duckdb",
    group_name="ops",
    kinds={"parquet", "duckdb"},
)
def parquet_export(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """raw.l2_snapshots, raw.trades and features.book_1s of the instrument-day as hive-partitioned
    parquet under <data dir>/export/<schema>/<table>/instrument=/date=/data.parquet, for DuckDB
    (read_parquet with hive_partitioning), Spark or a cluster reading from object storage."""
    instrument, date = instrument_and_date(context)
    root = export_root()
    with duckdb.get_connection() as con:
        rows = export_partition(con, root, instrument, date)
    files = {table: partition_file(root, table, instrument, date) for table in EXPORT_TABLES}
    return dg.MaterializeResult(
        metadata={
            "root": dg.MetadataValue.path(str(root)),
            **{f"rows {table}": count for table, count in rows.items()},
            "bytes": sum(path.stat().st_size for path in files.values()),
        }
    )


export_job = dg.define_asset_job(
    "export_job",
    selection=dg.AssetSelection.assets("parquet_export"),
    partitions_def=instrument_date_partitions,
    description="Export one instrument-day of raw and feature tables to partitioned parquet.",
)
