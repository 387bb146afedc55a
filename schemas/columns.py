"""Column names and polars dtypes of the raw tables: the one place they are spelled out."""

from __future__ import annotations

import polars as pl

N_LEVELS = 10  # book depth stored in raw.l2_snapshots; levels past the source's depth are null


def level_columns(n_levels: int = N_LEVELS) -> dict[str, pl.DataType]:
    cols: dict[str, pl.DataType] = {}
    for side in ("bid", "ask"):
        for k in range(1, n_levels + 1):
            cols[f"{side}_px_{k}"] = pl.Float64()
        for k in range(1, n_levels + 1):
            cols[f"{side}_sz_{k}"] = pl.Int64()
    return cols


KEY_COLUMNS: dict[str, pl.DataType] = {
    "instrument": pl.String(),
    "date": pl.Date(),
    "ts": pl.Datetime("us"),  # naive exchange-local time
}

SNAPSHOT_COLUMNS: dict[str, pl.DataType] = {**KEY_COLUMNS, **level_columns()}

TRADE_COLUMNS: dict[str, pl.DataType] = {
    **KEY_COLUMNS,
    "price": pl.Float64(),
    "size": pl.Int64(),
    "side": pl.Int8(),  # +1 buyer-initiated, -1 seller-initiated (the aggressor's side)
}

QUARANTINE_COLUMNS: dict[str, pl.DataType] = {
    "target_table": pl.String(),  # the table the row was meant for: raw.l2_snapshots or raw.trades
    "source": pl.String(),  # file path or generator name
    "instrument": pl.String(),
    "date": pl.Date(),
    "row_number": pl.Int64(),  # 1-based data row in the source (header excluded)
    "reason": pl.String(),  # the rule broken, e.g. "crossed book: bid_px_1 >= ask_px_1"
    "payload": pl.String(),  # the offending row as JSON
}
