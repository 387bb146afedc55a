"""Features: 1-second book features per instrument-day, computed in DuckDB."""

import datetime as dt

import dagster as dg
import polars as pl

from execution_assets.defs.contracts import check_spec, table_metadata
from execution_assets.defs.partitions import (
    INGEST_BACKFILL,
    add_partition_metadata,
    contract_checks,
    instrument_date_key,
    instrument_date_partitions,
    instrument_dates,
    partition_check_evaluations,
)
from execution_assets.defs.resources import WarehouseResource
from execution_assets.features import write_book_features
from execution_assets.markdown import markdown_table
from execution_assets.plots import mid_and_spread_png, png_markdown
from execution_assets.warehouse import run_sql_file
from schemas.features import BookFeaturesModel

FEATURES = dg.AssetKey("book_features")
CHUNK_DAYS = 16  # days of an instrument's features read back (one query) and validated together


@dg.asset(
    key="book_features",
    deps=["raw_l2_snapshots", "raw_trades"],
    partitions_def=instrument_date_partitions,
    backfill_policy=INGEST_BACKFILL,
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
    Definitions in sql/features/book_1s.sql; windows never cross a day. The run's days of an
    instrument are computed in one statement and one transaction."""
    days = instrument_dates(context)
    dates_by_instrument: dict[str, list[dt.date]] = {}
    for instrument, date in days:
        dates_by_instrument.setdefault(instrument, []).append(date)
    checks: dict[str, list[dg.AssetCheckResult]] = {}
    with duckdb.get_connection() as con:
        for instrument, dates in dates_by_instrument.items():
            write_book_features(con, instrument, min(dates), max(dates), dates=dates)
        for instrument, dates in dates_by_instrument.items():
            for start in range(0, len(dates), CHUNK_DAYS):
                chunk = dates[start : start + CHUNK_DAYS]
                params = {"instrument": instrument, "date_from": min(chunk), "date_to": max(chunk), "dates": chunk}
                stored = run_sql_file(con, "features/select_book_1s", params)
                by_date = stored.partition_by("date", as_dict=True, maintain_order=True)
                coverage = run_sql_file(con, "checks/book_1s_coverage", params)
                features = {}
                for covered in coverage.iter_rows(named=True):
                    date = covered.pop("date")
                    key = str(instrument_date_key(instrument, date))
                    features[key] = by_date.get((date,), stored.clear())
                    checks[key] = [_coverage_check(covered)]
                    last = date == max(dates)
                    _describe_day(context, key, features[key], plot_title=f"{instrument} {date}" if last else None)
                for key, result in contract_checks(FEATURES, features, BookFeaturesModel).items():
                    checks[key].append(result)
    yield dg.MaterializeResult()
    yield from partition_check_evaluations(context, checks)


def _describe_day(
    context: dg.AssetExecutionContext, key: str, features: pl.DataFrame, plot_title: str | None
) -> None:
    """The day's materialization metadata; the plot only for an instrument's last day of the run
    (``plot_title`` given), as for the raw snapshots."""
    metadata = {
        "dagster/row_count": features.height,
        "preview": dg.MetadataValue.md(markdown_table(features.drop("instrument", "date"))),
        "mean_spread_bps": float(features["spread_bps"].mean() or 0.0),
        "volume": float(features["volume_1s"].sum()),
    }
    if plot_title:
        png = mid_and_spread_png(features, plot_title)
        metadata["mid_and_spread"] = dg.MetadataValue.md(png_markdown(png, "mid and spread"))
    add_partition_metadata(context, FEATURES, key, metadata)


def _coverage_check(covered: dict[str, int]) -> dg.AssetCheckResult:
    one_each = covered["feature_rows"] == covered["snapshot_rows"] and covered["duplicate_keys"] == 0
    return dg.AssetCheckResult(
        asset_key=FEATURES,
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
