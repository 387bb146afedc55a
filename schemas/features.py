"""Pandera (polars) contract of features.book_1s: one row per instrument and book second.

Trailing-window features (ret_1s, realized_vol_300s, momentum_60s) are null until their
window has data at the start of a day; every other feature is always set.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas.columns import KEY_COLUMNS
from schemas.raw import frame_check, in_session_check, key_columns

BOOK_1S_COLUMNS: dict[str, pl.DataType] = {
    **KEY_COLUMNS,
    "mid": pl.Float64(),  # (bid_px_1 + ask_px_1) / 2
    "spread": pl.Float64(),  # ask_px_1 - bid_px_1, dollars
    "spread_bps": pl.Float64(),  # 1e4 * spread / mid
    "microprice": pl.Float64(),  # size-weighted touch price, between bid and ask
    "imbalance_1": pl.Float64(),  # touch size imbalance, in [-1, 1]
    "imbalance_5": pl.Float64(),  # same over levels 1..5
    "depth_bid_5": pl.Float64(),  # shares on levels 1..5
    "depth_ask_5": pl.Float64(),
    "ret_1s": pl.Float64(),  # mid return over the last second
    "realized_vol_300s": pl.Float64(),  # of 1-second returns over the trailing 300 s
    "momentum_60s": pl.Float64(),  # mid return over the trailing 60 s
    "volume_1s": pl.Float64(),  # shares traded in the second
    "signed_volume_1s": pl.Float64(),  # buyer- minus seller-initiated shares
}
WARM_UP_COLUMNS = ("ret_1s", "realized_vol_300s", "momentum_60s")

_TOLERANCE = 1e-9  # relative, for identities between float columns


def _book_1s_schema() -> pa.DataFrameSchema:
    checks = {
        "mid": [pa.Check.gt(0)],
        "spread": [pa.Check.gt(0)],
        "spread_bps": [pa.Check.gt(0)],
        "microprice": [pa.Check.gt(0)],
        "imbalance_1": [pa.Check.in_range(-1, 1)],
        "imbalance_5": [pa.Check.in_range(-1, 1)],
        "depth_bid_5": [pa.Check.ge(0)],
        "depth_ask_5": [pa.Check.ge(0)],
        "realized_vol_300s": [pa.Check.ge(0)],
        "volume_1s": [pa.Check.ge(0)],
    }
    features = {
        name: pa.Column(dtype, checks.get(name, []), nullable=name in WARM_UP_COLUMNS)
        for name, dtype in BOOK_1S_COLUMNS.items()
        if name not in KEY_COLUMNS
    }
    mid, spread = pl.col("mid"), pl.col("spread")
    half = spread / 2 + _TOLERANCE * mid
    frame_checks = [
        in_session_check(),
        frame_check(pl.col("ts").dt.truncate("1s") == pl.col("ts"), "ts on a whole second"),
        frame_check(
            (pl.col("spread_bps") - 1e4 * spread / mid).abs() <= _TOLERANCE * pl.col("spread_bps"),
            "spread_bps = 1e4 * spread / mid",
        ),
        frame_check((pl.col("microprice") - mid).abs() <= half, "microprice between bid and ask"),
        frame_check(pl.col("signed_volume_1s").abs() <= pl.col("volume_1s"), "|signed_volume_1s| <= volume_1s"),
        *(frame_check(pl.col(c).is_not_nan(), f"{c} not NaN") for c in WARM_UP_COLUMNS),
    ]
    return pa.DataFrameSchema(
        {**key_columns(), **features},
        checks=frame_checks,
        unique=list(KEY_COLUMNS),
        strict=True,
        name="features.book_1s",
    )


BookFeaturesModel = _book_1s_schema()
