"""Ingest: raw L2 snapshots and trade prints per instrument-day, validated at the boundary."""

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
from execution_assets.markdown import markdown_table
from execution_assets.market.sources import load_raw_day
from execution_assets.market.validation import RawDay
from execution_assets.paths import raw_dir
from execution_assets.plots import mid_and_spread_png, png_markdown
from execution_assets.warehouse import delete_rows, insert_frame, transaction
from schemas.raw import L2SnapshotsModel, TradesModel

SNAPSHOTS = dg.AssetKey("raw_l2_snapshots")
TRADES = dg.AssetKey("raw_trades")
MAX_QUARANTINE_SHARE = 0.05  # more of a day's source rows rejected than this: the source is broken, not noisy
TABLES = {"raw.l2_snapshots": "snapshots", "raw.trades": "trades", "raw.quarantine": "quarantine"}  # RawDay fields
CHUNK_DAYS = 16  # days read, validated and inserted together (about 10 MB of rows a day)


def _quarantine_checks(asset: dg.AssetKey, quarantined: pl.DataFrame, stored: int) -> list[dg.AssetCheckResult]:
    """``quarantine`` warns on any rejected row; ``quarantine_share`` fails (blocking) when more than
    MAX_QUARANTINE_SHARE of the source's rows were rejected, naming the most frequent rule."""
    reasons = quarantined.group_by("reason").len().sort("len", descending=True) if quarantined.height else None
    share = quarantined.height / max(stored + quarantined.height, 1)
    table = dg.MetadataValue.md(markdown_table(reasons) if reasons is not None else "none")
    top = f"{reasons['reason'][0]} ({reasons['len'][0]:,} rows)" if reasons is not None else None
    too_many = share > MAX_QUARANTINE_SHARE
    return [
        dg.AssetCheckResult(
            asset_key=asset,
            check_name="quarantine",
            passed=quarantined.height == 0,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"{quarantined.height:,} row(s) quarantined, most often: {top}" if top else None,
            metadata={"quarantined_rows": quarantined.height, "quarantined_share": share, "reasons": table},
        ),
        dg.AssetCheckResult(
            asset_key=asset,
            check_name="quarantine_share",
            passed=not too_many,
            description=(
                f"{share:.1%} of the source's rows quarantined (limit {MAX_QUARANTINE_SHARE:.0%}), most often: {top}"
                if too_many
                else None
            ),
            metadata={"quarantined_share": share, "limit": MAX_QUARANTINE_SHARE, "reasons": table},
        ),
    ]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SNAPSHOTS,
            description=(
                "raw.l2_snapshots: the order book at the end of each second of the session "
                "(09:30:00-15:59:59), 10 levels a side, nulls past the source's depth. "
                "Rows breaking a rule go to raw.quarantine with the reason."
            ),
            group_name="ingest",
            kinds={"duckdb", "polars"},
            metadata=table_metadata("raw.l2_snapshots"),
        ),
        dg.AssetSpec(
            TRADES,
            description=(
                "raw.trades: one row per trade print; side is the aggressor's "
                "(+1 buyer-initiated, -1 seller-initiated)."
            ),
            group_name="ingest",
            kinds={"duckdb", "polars"},
            metadata=table_metadata("raw.trades"),
        ),
    ],
    check_specs=[
        check_spec(name, asset, description, blocking=blocking, partitions_def=instrument_date_partitions)
        for asset in (SNAPSHOTS, TRADES)
        for name, description, blocking in (
            ("contract", "stored rows satisfy the pandera contract of the table: columns, types, rules", True),
            ("quarantine", "no source row was rejected (warns with the reasons otherwise)", False),
            (
                "quarantine_share",
                f"at most {MAX_QUARANTINE_SHARE:.0%} of the day's source rows were rejected by validation",
                True,
            ),
        )
    ],
    partitions_def=instrument_date_partitions,
    backfill_policy=INGEST_BACKFILL,
    pool="duckdb",
)
def raw_market_data(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Read the run's instrument-days (landing files or built-in synthetic market), validate, store.

    Every day's rows in the two tables and its quarantine rows are replaced in one transaction
    for the whole run, so a failed read or write leaves every stored partition untouched. Days
    are read and inserted CHUNK_DAYS at a time, which bounds memory whatever the run's range.
    """
    days = instrument_dates(context)
    last_day = {instrument: max(d for i, d in days if i == instrument) for instrument, _ in days}
    checks: dict[str, list[dg.AssetCheckResult]] = {}
    with duckdb.get_connection() as con, transaction(con):
        for start in range(0, len(days), CHUNK_DAYS):
            loaded = {
                str(instrument_date_key(instrument, date)): load_raw_day(instrument, date, raw_dir())
                for instrument, date in days[start : start + CHUNK_DAYS]
            }
            for day in loaded.values():
                partition = {"instrument": day.instrument, "date": day.date}
                for table in ("raw.l2_snapshots", "raw.trades"):
                    delete_rows(con, table, partition)
                    delete_rows(con, "raw.quarantine", {**partition, "target_table": table})
            for table, column in TABLES.items():
                frames = [getattr(day, column) for day in loaded.values()]
                insert_frame(con, table, pl.concat(frames, how="vertical_relaxed"))  # sources may differ in types
            for key, day in loaded.items():
                checks[key] = _describe_day(context, key, day, plot=day.date == last_day[day.instrument])
            context.log.info(  # one line per chunk: each log line is an event written to the instance
                "\n".join(
                    f"{day.instrument} {day.date}: {day.snapshots.height:,} snapshots, {day.trades.height:,} trades, "
                    f"{day.quarantine.height:,} quarantined, from {day.source}"
                    for day in loaded.values()
                )
            )
            for asset, column, model in ((SNAPSHOTS, "snapshots", L2SnapshotsModel), (TRADES, "trades", TradesModel)):
                contracts = contract_checks(asset, {key: getattr(day, column) for key, day in loaded.items()}, model)
                for key, result in contracts.items():
                    checks[key].append(result)
    yield dg.MaterializeResult(asset_key=SNAPSHOTS)
    yield dg.MaterializeResult(asset_key=TRADES)
    yield from partition_check_evaluations(context, checks)


def _describe_day(
    context: dg.AssetExecutionContext, key: str, day: RawDay, plot: bool
) -> list[dg.AssetCheckResult]:
    """The day's materialization metadata (added to its partition) and quarantine checks.

    The mid-and-spread plot (0.15 s of matplotlib) is drawn for an instrument's last day of the
    run only: one per run of a backfill, every day's in a run of one day.
    """
    snapshot_quarantine = day.quarantine.filter(pl.col("target_table") == "raw.l2_snapshots")
    trade_quarantine = day.quarantine.filter(pl.col("target_table") == "raw.trades")
    snapshot_metadata = {
        "dagster/row_count": day.snapshots.height,
        "source": day.source,
        "quarantined_rows": snapshot_quarantine.height,
        "preview": dg.MetadataValue.md(markdown_table(day.snapshots.select(day.snapshots.columns[:9]))),
    }
    if plot:
        book = day.snapshots.select(
            "ts",
            mid=(pl.col("bid_px_1") + pl.col("ask_px_1")) / 2,
            spread_bps=(pl.col("ask_px_1") - pl.col("bid_px_1")) / ((pl.col("bid_px_1") + pl.col("ask_px_1")) / 2) * 1e4,
        )
        png = mid_and_spread_png(book, f"{day.instrument} {day.date}")
        snapshot_metadata["mid_and_spread"] = dg.MetadataValue.md(png_markdown(png, "mid and spread"))
    add_partition_metadata(context, SNAPSHOTS, key, snapshot_metadata)
    add_partition_metadata(
        context,
        TRADES,
        key,
        {
            "dagster/row_count": day.trades.height,
            "source": day.source,
            "quarantined_rows": trade_quarantine.height,
            "shares": int(day.trades["size"].sum() or 0),
            "buyer_initiated": int((day.trades["side"] == 1).sum()),
            "seller_initiated": int((day.trades["side"] == -1).sum()),
            "preview": dg.MetadataValue.md(markdown_table(day.trades)),
        },
    )
    return [
        *_quarantine_checks(SNAPSHOTS, snapshot_quarantine, day.snapshots.height),
        *_quarantine_checks(TRADES, trade_quarantine, day.trades.height),
    ]
