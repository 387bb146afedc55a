"""Features: 1-second book features per instrument-day, computed in DuckDB."""

import dagster as dg

from execution_assets.defs.contracts import check_spec, contract_check, table_metadata
from execution_assets.defs.partitions import instrument_and_date, instrument_date_partitions
from execution_assets.defs.resources import WarehouseResource
from execution_assets.features import write_book_features
from execution_assets.markdown import markdown_table
from execution_assets.plots import mid_and_spread_png, png_markdown
from execution_assets.warehouse import run_sql_file
from schemas.features import BookFeaturesModel


@dg.asset(
    key="book_features",
    deps=["raw_l2_snapshots", "raw_trades"],
    partitions_def=instrument_date_partitions,
    pool="duckdb",
    group_name="features",
    kinds={"duckdb", "sql"},
    metadata=table_metadata("features.book_1s"),
    check_specs=[
        check_spec(
            "contract",
            "book_features",
            "rows satisfy the pandera contract: columns, types, rules",
            blocking=True,
            partitions_def=instrument_date_partitions,
        ),
        check_spec(
            "one_row_per_snapshot",
            "book_features",
            "exactly one feature row per stored snapshot second, no duplicate keys",
            blocking=True,
            partitions_def=instrument_date_partitions,
        ),
    ],
)
def book_features(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """features.book_1s: per second, mid, spread (abs and bps), microprice, level-1 and
    5-level imbalance, 5-level depth, 1-second log return, 300-second realized volatility,
    60-second momentum, and the volume and aggressor-signed volume traded in that second.
    Definitions in sql/features/book_1s.sql; windows never cross a day."""
    instrument, date = instrument_and_date(context)
    params = {"instrument": instrument, "date": date}
    with duckdb.get_connection() as con:
        rows = write_book_features(con, instrument, date)
        features = run_sql_file(con, "features/select_book_1s", params)
        coverage = run_sql_file(con, "checks/book_1s_coverage", params)
    covered = coverage.row(0, named=True)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "preview": dg.MetadataValue.md(markdown_table(features.drop("instrument", "date"))),
            "mean_spread_bps": float(features["spread_bps"].mean() or 0.0),
            "volume": float(features["volume_1s"].sum()),
            "mid_and_spread": dg.MetadataValue.md(
                png_markdown(mid_and_spread_png(features, f"{instrument} {date}"), "mid and spread")
            ),
        }
    )
    yield contract_check(dg.AssetKey("book_features"), features, BookFeaturesModel)
    one_each = covered["feature_rows"] == covered["snapshot_rows"] and covered["duplicate_keys"] == 0
    yield dg.AssetCheckResult(
        check_name="one_row_per_snapshot",
        passed=one_each,
        description=None
        if one_each
        else (
            f"{covered['feature_rows']:,} feature rows for {covered['snapshot_rows']:,} snapshots, "
            f"{covered['duplicate_keys']:,} duplicate keys"
        ),
        metadata={key: int(value) for key, value in covered.items()},
    )
