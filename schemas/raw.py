"""Pandera (polars) contracts of raw.l2_snapshots, raw.trades and raw.quarantine.

Names and dtypes come from ``schemas.columns``; this module adds the invariants. Row order
is not a table property, so ordering is enforced on ingest (``validation``), while the
contracts check uniqueness of the grain instead.
"""

from __future__ import annotations


import pandera.polars as pa
import polars as pl

from execution_assets.market.reference import by_instrument
from schemas.columns import KEY_COLUMNS, N_LEVELS, QUARANTINE_COLUMNS, TRADE_COLUMNS

# raw.quarantine as stored: the columns module's quarantine columns plus the table each
# rejected row was meant for (sql/ddl/raw_quarantine.sql, docs/decisions.md).
TARGET_TABLES = ("raw.l2_snapshots", "raw.trades")


def frame_check(expr: pl.Expr, name: str) -> pa.Check:
    """A row-wise check from a boolean expression over the frame (null counts as passed)."""
    return pa.Check(lambda data: data.lazyframe.select(expr.fill_null(True)), name=name, error=name)


def in_session_check() -> pa.Check:
    """ts within the instrument's sessions (reference data), on the row's trading date."""
    name = "ts on the row's trading date, within the instrument's sessions"

    def check(data) -> pl.LazyFrame:
        names = data.lazyframe.select(pl.col("instrument").drop_nulls().unique()).collect().to_series()
        trading_date = by_instrument(names, lambda spec: spec.trading_date_expr(pl.col("ts")))
        return data.lazyframe.select((trading_date == pl.col("date")).fill_null(False))

    return pa.Check(check, name=name, error=name)


def key_columns() -> dict[str, pa.Column]:
    return {name: pa.Column(dtype, nullable=False) for name, dtype in KEY_COLUMNS.items()}


def _not_nan(name: str) -> pa.Check:
    return frame_check(pl.col(name).is_not_nan(), f"{name} not NaN")


def l2_snapshots_schema(n_levels: int = N_LEVELS) -> pa.DataFrameSchema:
    """raw.l2_snapshots with ``n_levels`` levels a side; levels past the source's depth are null."""
    columns = key_columns()
    checks = [in_session_check(), frame_check(pl.col("ts").dt.truncate("1s") == pl.col("ts"), "ts on a whole second")]
    for side in ("bid", "ask"):
        for k in range(1, n_levels + 1):
            touch = k == 1
            px, sz = f"{side}_px_{k}", f"{side}_sz_{k}"
            columns[px] = pa.Column(pl.Float64, pa.Check.gt(0), nullable=not touch)
            columns[sz] = pa.Column(pl.Int64, pa.Check.gt(0), nullable=not touch)
            checks += [_not_nan(px), frame_check(pl.col(px).is_null() == pl.col(sz).is_null(), f"{px} and {sz} both set or both null")]
            if not touch:
                inner = pl.col(f"{side}_px_{k - 1}")
                beyond = pl.col(px) < inner if side == "bid" else pl.col(px) > inner
                checks.append(frame_check(pl.col(px).is_null() | (inner.is_not_null() & beyond), f"{px} set only beyond {side}_px_{k - 1}"))
    checks.append(frame_check(pl.col("bid_px_1") < pl.col("ask_px_1"), "bid_px_1 < ask_px_1 (not crossed or locked)"))
    return pa.DataFrameSchema(
        columns, checks=checks, unique=list(KEY_COLUMNS), strict=True, name="raw.l2_snapshots"
    )


L2SnapshotsModel = l2_snapshots_schema()

TradesModel = pa.DataFrameSchema(
    {
        **key_columns(),
        "price": pa.Column(TRADE_COLUMNS["price"], pa.Check.gt(0), nullable=False),
        "size": pa.Column(TRADE_COLUMNS["size"], pa.Check.gt(0), nullable=False),
        "side": pa.Column(TRADE_COLUMNS["side"], pa.Check.isin([1, -1, 0]), nullable=False),
    },
    checks=[in_session_check()],
    strict=True,
    name="raw.trades",
)

QuarantineModel = pa.DataFrameSchema(
    {
        "target_table": pa.Column(pl.String, pa.Check.isin(TARGET_TABLES), nullable=False),
        "source": pa.Column(QUARANTINE_COLUMNS["source"], nullable=False),
        "instrument": pa.Column(QUARANTINE_COLUMNS["instrument"], nullable=True),
        "date": pa.Column(QUARANTINE_COLUMNS["date"], nullable=True),
        "row_number": pa.Column(QUARANTINE_COLUMNS["row_number"], pa.Check.ge(1), nullable=True),
        "reason": pa.Column(QUARANTINE_COLUMNS["reason"], pa.Check.str_length(min_value=1), nullable=False),
        "payload": pa.Column(QUARANTINE_COLUMNS["payload"], nullable=False),
    },
    strict=True,
    name="raw.quarantine",
)
