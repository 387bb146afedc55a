"""Reference: the instruments' venue, sessions, tick, lot and multiplier, from the file users edit."""

import dagster as dg

from execution_assets.defs.contracts import table_metadata
from execution_assets.defs.resources import WarehouseResource
from execution_assets.markdown import markdown_table
from execution_assets.market.reference import INSTRUMENTS_CSV, write_reference_table


@dg.asset(
    key="instruments",
    pool="duckdb",
    group_name="reference",
    kinds={"duckdb", "csv"},
    metadata=table_metadata("reference.instruments"),
)
def instruments(duckdb: WarehouseResource) -> dg.MaterializeResult:
    """reference.instruments: one row per instrument or futures root (a contract such as ESU4
    takes its root's row; '*' is the row of unlisted instruments), loaded from
    execution_assets/market/instruments.csv. The readers and validation use the file directly,
    so an edit takes effect at the next ingest; this table is the warehouse's copy for queries."""
    with duckdb.get_connection() as con:
        frame = write_reference_table(con)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "source": str(INSTRUMENTS_CSV),
            "preview": dg.MetadataValue.md(markdown_table(frame)),
        }
    )
