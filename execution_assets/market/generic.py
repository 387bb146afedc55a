"""Readers for parquet or CSV files that already carry the raw contract's columns.

A file whose columns differ from the contract, or whose values do not parse, raises
``RawDataError`` naming the file, the line and the rule; rows that parse but break a row
rule (crossed book, bad side, ...) are quarantined by ``validation``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

from execution_assets.market.errors import RawDataError
from execution_assets.market.validation import RawDay, empty, snapshot_depth, split_snapshots, split_trades
from schemas.columns import KEY_COLUMNS, N_LEVELS, SNAPSHOT_COLUMNS, TRADE_COLUMNS, level_columns

_LEVEL_COLUMN = re.compile(r"^(?:bid|ask)_(?:px|sz)_(\d+)$")
_TS_FORMAT = "%Y-%m-%d %H:%M:%S%.f"


def read_l2_snapshots(path: str | Path, n_levels: int = N_LEVELS) -> RawDay:
    """Book snapshots with levels 1..depth (depth <= n_levels); deeper levels come back null."""
    path = Path(path)
    frame = _read(path, lambda present: _snapshot_columns(present, n_levels), "raw.l2_snapshots")
    pad = {c: t for c, t in level_columns(n_levels).items() if c not in level_columns(snapshot_depth(frame))}
    frame = frame.with_columns(pl.lit(None, t).alias(c) for c, t in pad.items())
    frame = frame.select([*KEY_COLUMNS, *level_columns(n_levels)])
    valid, quarantine = split_snapshots(frame, str(path))
    return _day(path, frame, snapshots=valid, trades=empty(TRADE_COLUMNS), quarantine=quarantine)


def read_trades(path: str | Path) -> RawDay:
    """Trade prints (instrument, date, ts, price, size, side)."""
    path = Path(path)
    frame = _read(path, lambda present: TRADE_COLUMNS, "raw.trades")
    valid, quarantine = split_trades(frame, str(path))
    return _day(path, frame, snapshots=empty(SNAPSHOT_COLUMNS), trades=valid, quarantine=quarantine)


def cast_columns(
    frame: pl.DataFrame, dtypes: dict[str, pl.DataType], path: Path, first_line: int
) -> pl.DataFrame:
    """Cast to ``dtypes``; the first value that does not convert exactly raises RawDataError.

    ``first_line`` is the file line of the frame's first row (2 under a CSV header).
    Text timestamps are ISO 8601 (``YYYY-MM-DD HH:MM:SS[.ffffff]``, "T" allowed).
    """
    out = {}
    for name, dtype in dtypes.items():
        col = frame[name]
        converted = _convert(col, dtype, path)
        lost = col.is_not_null() & converted.is_null()
        if col.dtype.is_float() and dtype.is_integer():
            lost = lost | (converted.cast(pl.Float64) != col).fill_null(False)
        if lost.any():
            row = int(lost.arg_true()[0])
            raise RawDataError(path, row + first_line, f"column {name!r}: cannot read {col[row]!r} as {dtype}")
        out[name] = converted
    return pl.DataFrame(out)


def scaled_price(ticks: pl.Expr, scale: int) -> pl.Expr:
    """Integer price units (USD x ``scale``) -> USD, correctly rounded (polars divides by a
    literal as a multiplication by its reciprocal, which turns 5796600 / 1e4 into
    579.6600000000001). Nulls stay null."""
    return ticks.map_batches(
        lambda s: pl.Series(s.cast(pl.Float64).to_numpy() / scale).fill_nan(None), return_dtype=pl.Float64
    )


def _convert(col: pl.Series, dtype: pl.DataType, path: Path) -> pl.Series:
    if col.dtype == dtype:
        return col
    if isinstance(col.dtype, pl.Datetime) and col.dtype.time_zone is not None:
        raise RawDataError(path, None, f"column {col.name!r} is timezone-aware ({col.dtype.time_zone}); "
                                       "the contract is naive exchange-local time")
    if col.dtype == pl.String and isinstance(dtype, pl.Datetime):
        text = col.str.replace("T", " ", literal=True)
        return text.str.to_datetime(_TS_FORMAT, time_unit="us", strict=False)
    if col.dtype == pl.String and dtype == pl.Date:
        return col.str.to_date("%Y-%m-%d", strict=False)
    if dtype.is_temporal() and not col.dtype.is_temporal():
        raise RawDataError(path, None, f"column {col.name!r} has type {col.dtype}, expected {dtype} or ISO text")
    return col.cast(dtype, strict=False)


def _read(path: Path, expected_for, table: str) -> pl.DataFrame:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            frame = pl.read_parquet(path)
        except pl.exceptions.PolarsError as exc:
            raise RawDataError(path, None, f"unreadable parquet file: {exc}") from exc
        expected = _check_columns(frame.columns, expected_for(frame.columns), path, None, table)
        return cast_columns(frame, expected, path, first_line=1)
    if suffix == ".csv":
        try:
            header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
        except pl.exceptions.PolarsError as exc:
            raise RawDataError(path, 1, f"unreadable CSV header: {exc}") from exc
        expected = _check_columns(header, expected_for(header), path, 1, table)
        return cast_columns(_read_csv(path, expected), expected, path, first_line=2)
    raise RawDataError(path, None, f"unsupported file type {suffix!r} (expected .parquet or .csv)")


def _read_csv(path: Path, expected: dict[str, pl.DataType]) -> pl.DataFrame:
    """Typed read; if it fails, read text so ``cast_columns`` can name the offending line."""
    typed = {c: pl.String if t.is_temporal() else t for c, t in expected.items()}
    try:
        return pl.read_csv(path, schema_overrides=typed)
    except pl.exceptions.PolarsError:
        pass
    try:
        return pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ragged_line_error(path, len(expected), header=True) or RawDataError(path, None, str(exc)) from exc


def ragged_line_error(path: Path, n_fields: int, *, header: bool) -> RawDataError | None:
    """The first line whose field count is not ``n_fields`` (None if there is none)."""
    with open(path, newline="") as handle:
        for line, fields in enumerate(csv.reader(handle), start=1):
            if (line > 1 or not header) and fields and len(fields) != n_fields:
                return RawDataError(path, line, f"{len(fields)} fields, expected {n_fields}")
    return None


def _check_columns(
    present: list[str], expected: dict[str, pl.DataType], path: Path, line: int | None, table: str
) -> dict[str, pl.DataType]:
    missing = [c for c in expected if c not in present]
    unexpected = [c for c in present if c not in expected]
    if missing or unexpected:
        raise RawDataError(path, line, f"columns do not match the {table} contract: "
                                       f"missing {missing}, unexpected {unexpected}")
    return expected


def _snapshot_columns(present: list[str], n_levels: int) -> dict[str, pl.DataType]:
    """Key columns plus levels 1..depth, depth = the deepest level the file has (<= n_levels)."""
    depth = max((int(m.group(1)) for c in present if (m := _LEVEL_COLUMN.match(c))), default=1)
    return {**KEY_COLUMNS, **level_columns(min(max(depth, 1), n_levels))}


def _day(path: Path, frame: pl.DataFrame, **tables: pl.DataFrame) -> RawDay:
    instruments = frame["instrument"].unique().drop_nulls()
    dates = frame["date"].unique().drop_nulls()
    return RawDay(
        instrument=instruments[0] if len(instruments) == 1 else None,
        date=dates[0] if len(dates) == 1 else None,
        source=str(path),
        **tables,
    )

