"""Daily bars files (``Date, Open, High, Low, Close, Adj Close, Volume``), e.g. Yahoo exports.

Such files are split-adjusted: before a split of ratio r, volumes are multiplied by r and
prices divided by r. Intraday data (LOBSTER, prints) are in the shares and prices traded at
the time, so ADV for them must undo the adjustment. ``SPLITS`` lists the known splits per
instrument as (first date quoted in post-split units, ratio).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl

from execution_assets.market.reference import DEFAULT_ROW
from execution_assets.market.reference import instrument as reference_instrument

# GOOG: the 2014 2:1 split. The bars file switches to the class C line on 2014-03-27 (first
# "when-issued" session, already in post-split units); every earlier row is adjusted.
SPLITS: dict[str, tuple[tuple[dt.date, float], ...]] = {"GOOG": ((dt.date(2014, 3, 27), 2.0),)}

_COLUMNS = {"Date": "date", "Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}


def find_daily_bars(instrument: str, folders: Iterable[Path]) -> Path | None:
    """The first ``{instrument}_daily*.csv`` in ``folders``, else its futures root's
    (``ES_daily*.csv`` for ESU4, from the reference data); None when there is none."""
    root = reference_instrument(instrument).root
    names = [instrument] + ([root] if root not in (instrument, DEFAULT_ROW) else [])
    for name in names:
        for folder in folders:
            if folder.is_dir():
                found = sorted(folder.glob(f"{name}_daily*.csv"))
                if found:
                    return found[0]
    return None


def read_daily_bars(path: Path, splits: Sequence[tuple[dt.date, float]] = ()) -> pl.DataFrame:
    """Bars in the units traded at the time: ``date, open, high, low, close, volume`` (shares),
    and ``source``, the file's name, so ADV can say where its volume came from.

    Raises ``ValueError`` naming the file and the 1-based data row of the first bad row.
    """
    path = Path(path)
    try:
        raw = pl.read_csv(path, try_parse_dates=False, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"{path}: not a readable CSV ({exc})") from exc
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (daily bars need {', '.join(_COLUMNS)})")
    bars = raw.select(
        pl.col("Date").str.to_date("%Y-%m-%d", strict=False).alias("date"),
        *[pl.col(c).cast(pl.Float64, strict=False).alias(n) for c, n in _COLUMNS.items() if c != "Date"],
    ).with_row_index("row", offset=1)
    rules = [
        (pl.col("date").is_null(), "Date is not YYYY-MM-DD"),
        (
            pl.any_horizontal(pl.col("open", "high", "low", "close", "volume").is_null()),
            "a price or the volume is not a number",
        ),
        (pl.col("volume") < 0, "Volume < 0"),
        (pl.min_horizontal("open", "high", "low", "close") <= 0, "a price <= 0"),
    ]
    for failed, rule in rules:
        bad = bars.filter(failed)
        if bad.height:
            raise ValueError(f"{path}: data row {bad['row'][0]}: {rule} ({raw.row(bad['row'][0] - 1)})")
    dupes = bars.filter(pl.col("date").is_duplicated())
    if dupes.height:
        raise ValueError(f"{path}: data row {dupes['row'][0]}: date {dupes['date'][0]} appears more than once")
    factor = pl.lit(1.0)
    for first_post_split, ratio in splits:
        factor = factor * pl.when(pl.col("date") < first_post_split).then(ratio).otherwise(1.0)
    return (
        bars.with_columns(factor.alias("factor"))
        .select(
            "date",
            *[(pl.col(c) * pl.col("factor")).alias(c) for c in ("open", "high", "low", "close")],
            volume=pl.col("volume") / pl.col("factor"),
            source=pl.lit(path.name),
        )
        .sort("date")
    )
