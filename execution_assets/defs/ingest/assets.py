"""Ingest: raw L2 snapshots and trade prints per instrument-day, validated at the boundary."""

import dagster as dg
import polars as pl

from execution_assets.defs.contracts import check_spec, contract_check, table_metadata
from execution_assets.defs.partitions import instrument_and_date, instrument_date_partitions
from execution_assets.defs.resources import WarehouseResource
from execution_assets.markdown import markdown_table
from execution_assets.market.sources import load_raw_day
from execution_assets.paths import raw_dir
from execution_assets.plots import mid_and_spread_png, png_markdown
from execution_assets.warehouse import delete_rows, insert_frame, transaction
from schemas.raw import L2SnapshotsModel, TradesModel

SNAPSHOTS = dg.AssetKey("raw_l2_snapshots")
TRADES = dg.AssetKey("raw_trades")
MAX_QUARANTINE_SHARE = 0.05  # more of a day's source rows rejected than this: the source is broken, not noisy


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
    pool="duckdb",
)
def raw_market_data(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Read the instrument-day (landing file or built-in synthetic market), validate, store.

    The two tables and the day's quarantine rows are replaced in one transaction, so a failed
    read or write leaves the previously stored partition untouched.
    """
    instrument, date = instrument_and_date(context)
    day = load_raw_day(instrument, date, raw_dir())
    partition = {"instrument": instrument, "date": date}
    with duckdb.get_connection() as con:
        with transaction(con):
            for table, frame in (("raw.l2_snapshots", day.snapshots), ("raw.trades", day.trades)):
                delete_rows(con, table, partition)
                insert_frame(con, table, frame)
                delete_rows(con, "raw.quarantine", {**partition, "target_table": table})
            insert_frame(con, "raw.quarantine", day.quarantine)
    context.log.info(
        f"{instrument} {date}: {day.snapshots.height:,} snapshots, {day.trades.height:,} trades, "
        f"{day.quarantine.height:,} quarantined, from {day.source}"
    )
    snapshot_quarantine = day.quarantine.filter(pl.col("target_table") == "raw.l2_snapshots")
    trade_quarantine = day.quarantine.filter(pl.col("target_table") == "raw.trades")
    book = day.snapshots.select(
        "ts",
        mid=(pl.col("bid_px_1") + pl.col("ask_px_1")) / 2,
        spread_bps=(pl.col("ask_px_1") - pl.col("bid_px_1")) / ((pl.col("bid_px_1") + pl.col("ask_px_1")) / 2) * 1e4,
    )
    yield dg.MaterializeResult(
        asset_key=SNAPSHOTS,
        metadata={
            "dagster/row_count": day.snapshots.height,
            "source": day.source,
            "quarantined_rows": snapshot_quarantine.height,
            "preview": dg.MetadataValue.md(markdown_table(day.snapshots.select(day.snapshots.columns[:9]))),
            "mid_and_spread": dg.MetadataValue.md(
                png_markdown(mid_and_spread_png(book, f"{instrument} {date}"), "mid and spread")
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=TRADES,
        metadata={
            "dagster/row_count": day.trades.height,
            "source": day.source,
            "quarantined_rows": trade_quarantine.height,
            "shares": int(day.trades["size"].sum() or 0),
            "buyer_initiated": int((day.trades["side"] == 1).sum()),
            "seller_initiated": int((day.trades["side"] == -1).sum()),
            "preview": dg.MetadataValue.md(markdown_table(day.trades)),
        },
    )
    yield contract_check(SNAPSHOTS, day.snapshots, L2SnapshotsModel)
    yield from _quarantine_checks(SNAPSHOTS, snapshot_quarantine, day.snapshots.height)
    yield contract_check(TRADES, day.trades, TradesModel)
    yield from _quarantine_checks(TRADES, trade_quarantine, day.trades.height)
