"""Row rules for raw tables: split a frame into contract-valid rows and quarantined rows.

Nothing is dropped silently: every input row ends up either in the valid frame or, once, in
the quarantine with all the rules it broke joined by "; ". Rules are polars expressions
evaluated over the whole frame; reason strings are only built for the failing rows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaError, SchemaErrors

from execution_assets.market.reference import by_instrument
from schemas.columns import KEY_COLUMNS, QUARANTINE_COLUMNS, TRADE_COLUMNS, level_columns

ROW = "row_number"
GROUP = ["instrument", "date"]
TOUCH = ["bid_px_1", "bid_sz_1", "ask_px_1", "ask_sz_1"]
_LEVEL = re.compile(r"^bid_px_(\d+)$")

TRADE_SIDES = (1, -1, 0)

Rule = tuple[pl.Expr, "str | pl.Expr"]  # (failed: boolean, null counts as passed; reason)


@dataclass(frozen=True)
class RawDay:
    """A reader's result: contract-valid snapshots and trades, and every rejected row.

    ``instrument``/``date`` are None when a generic file spans several of them.
    """

    instrument: str | None
    date: dt.date | None
    source: str
    snapshots: pl.DataFrame
    trades: pl.DataFrame
    quarantine: pl.DataFrame


def empty(columns: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=columns)


def snapshot_depth(frame: pl.DataFrame) -> int:
    """Number of book levels a snapshot frame carries (its highest ``bid_px_k``)."""
    levels = [int(m.group(1)) for c in frame.columns if (m := _LEVEL.match(c))]
    return max(levels, default=0)


def split_snapshots(frame: pl.DataFrame, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid, quarantine) for 1-second book snapshots with contract dtypes.

    ``frame`` may carry ``row_number`` (1-based data row in ``source``; default: position)
    and extra columns, which go into the quarantine payload but not into the valid frame.
    """
    depth = snapshot_depth(frame)
    if depth == 0:
        raise ValueError(f"{source}: snapshot frame has no book levels (no bid_px_1)")
    columns = {**KEY_COLUMNS, **level_columns(depth)}
    return _split(frame, source, "raw.l2_snapshots", columns, _book_rules(depth), strict_order=True, dedupe=True)


def split_trades(
    frame: pl.DataFrame, source: str, *, dedupe: bool = True, sides: tuple[int, ...] = TRADE_SIDES
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(valid, quarantine) for trade prints with contract dtypes.

    ``dedupe=False`` for sources whose rows are sequenced events (LOBSTER messages): there
    one sweep legitimately prints several identical (ts, price, size, side) rows. Side 0 is a
    print without a known aggressor (Databento's side N): real volume, kept; a source whose
    every print has an aggressor (LOBSTER) passes ``sides=(1, -1)``.
    """
    rules: list[Rule] = [(pl.col(c).is_null(), f"null {c}") for c in TRADE_COLUMNS]
    rules += [
        (pl.col("price").is_nan(), "NaN price"),
        (pl.col("price") <= 0, "non-positive price"),
        (pl.col("size") <= 0, "non-positive size"),
        (~pl.col("side").is_in(sides), "side not in {" + ",".join(f"{s:+d}" if s else "0" for s in sides) + "}"),
    ]
    return _split(frame, source, "raw.trades", TRADE_COLUMNS, rules, strict_order=False, dedupe=dedupe)


def validate_contract(frame: pl.DataFrame, schema: pa.DataFrameSchema) -> list[str]:
    """Every way ``frame`` breaks ``schema``, one line per failed check; [] when it passes.

    A wrong column set is reported alone: row checks on missing columns would only add noise.
    """
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases.with_columns(
            structural=pl.col("check").is_in(["column_in_dataframe", "column_in_schema"])
        )
        if cases["structural"].any():
            cases = cases.filter(pl.col("structural") | pl.col("check").str.starts_with("dtype("))
        grouped = cases.group_by(["schema_context", "column", "check"], maintain_order=True).agg(
            n=pl.len(), rows=pl.col("index").drop_nulls().head(5), examples=pl.col("failure_case").head(3)
        )
        return [_describe(r, schema.name) for r in grouped.iter_rows(named=True)]
    except SchemaError as exc:
        return [str(exc)]
    return []


def _describe(failure: dict, table: str | None) -> str:
    where = failure["column"] or table or "frame"
    if failure["check"] == "column_in_dataframe":
        return f"{where}: missing column {failure['examples'][0]}"
    if failure["check"] == "column_in_schema":
        return f"{where}: unexpected column {failure['examples'][0]}"
    if not failure["rows"]:  # a dtype, or a check that could not run
        return f"{where}: {failure['check']} failed (got {failure['examples'][0]})"
    detail = f"{failure['n']} row(s), first at 0-based rows {failure['rows']}"
    if failure["schema_context"] == "Column":
        detail += f", e.g. {failure['examples']}"
    return f"{where}: {failure['check']} failed ({detail})"


def _book_rules(depth: int) -> list[Rule]:
    rules: list[Rule] = [(pl.col(c).is_null(), f"null {c}") for c in [*KEY_COLUMNS, *TOUCH]]
    rules.append((pl.col("ts").dt.truncate("1s") != pl.col("ts"), "ts not on a whole second"))
    for side in ("bid", "ask"):
        for k in range(1, depth + 1):
            px, sz = pl.col(f"{side}_px_{k}"), pl.col(f"{side}_sz_{k}")
            rules += [
                (px.is_nan(), f"NaN {side}_px_{k}"),
                (px <= 0, f"non-positive {side}_px_{k}"),
                (sz <= 0, f"non-positive {side}_sz_{k}"),
            ]
            if k == 1:
                continue  # a missing touch is already "null ..."
            inner = pl.col(f"{side}_px_{k - 1}")
            worse = px >= inner if side == "bid" else px <= inner
            rules += [
                (px.is_not_null() & sz.is_null(), f"{side}_px_{k} without {side}_sz_{k}"),
                (px.is_null() & sz.is_not_null(), f"{side}_sz_{k} without {side}_px_{k}"),
                (worse & px.is_not_nan() & inner.is_not_nan(), f"{side}_px_{k} not beyond {side}_px_{k - 1}"),
            ]
            if k > 2:  # an empty touch below a deeper level is already "null ..._px_1"
                rules.append((inner.is_null() & px.is_not_null(), f"{side} level {k - 1} empty below level {k}"))
    bid, ask = pl.col("bid_px_1"), pl.col("ask_px_1")
    both = bid.is_not_nan() & ask.is_not_nan()
    rules += [
        ((bid > ask) & both, "crossed book: bid_px_1 > ask_px_1"),
        ((bid == ask) & both, "locked book: bid_px_1 == ask_px_1"),
    ]
    return rules


def _split(
    frame: pl.DataFrame,
    source: str,
    target_table: str,
    columns: dict[str, pl.DataType],
    rules: list[Rule],
    *,
    strict_order: bool,
    dedupe: bool,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{source}: frame lacks contract columns {missing}")
    mistyped = {c: str(frame.schema[c]) for c, t in columns.items() if frame.schema[c] != t}
    if mistyped:
        raise ValueError(f"{source}: columns not of the contract dtype: {mistyped}")
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=1)
    frame = frame.with_columns(pl.col(ROW).cast(pl.Int64))
    data = [c for c in frame.columns if c != ROW]

    # Sessions and trading dates are the instrument's (reference data): a Globex second at
    # 18:58 Chicago belongs to the next day's trading date.
    ts, instruments = pl.col("ts"), frame["instrument"].drop_nulls().unique()
    trading_date = by_instrument(instruments, lambda spec: spec.trading_date_expr(ts))
    sessions = by_instrument(instruments, lambda spec: pl.lit(spec.sessions_text))
    outside = pl.col("_trading_date").is_null()
    on_date = pl.col("_trading_date") == pl.col("date")
    # Latest earlier in-session ts of the same instrument/date: rows are checked against it,
    # so the valid rows that remain are ordered however the bad ones were placed.
    prior = pl.when(on_date).then(ts).shift(1).cum_max().forward_fill().over(GROUP)
    late = (ts <= pl.col("_prior") if strict_order else ts < pl.col("_prior")) & on_date
    order_reason = "ts not after an earlier row's ts" if strict_order else "ts before an earlier row's ts"
    rules = [
        *rules,
        (~outside & ~on_date, "ts not on the row's date"),
        (outside & ts.is_not_null(), pl.format("ts outside session {}", pl.col("_sessions"))),
    ]
    if dedupe:
        frame = _with_first_copy(frame, data)
        duplicate = pl.col("_duplicate")
        rules.append((duplicate, pl.format("duplicate of row {}", pl.col("_first"))))
        late = late & ~duplicate.fill_null(False)
    rules.append((late, order_reason))

    frame = frame.with_columns(trading_date.alias("_trading_date"), sessions.alias("_sessions"))
    checked = frame.with_columns(prior.alias("_prior"))
    failed = checked.select(pl.any_horizontal([f.fill_null(False) for f, _ in rules])).to_series()
    valid = frame.select(list(columns))
    if failed.any():
        valid = valid.filter(~failed)
    bad = checked.filter(failed)
    reasons = [pl.when(f.fill_null(False)).then(r if isinstance(r, pl.Expr) else pl.lit(r)) for f, r in rules]
    quarantine = bad.select(
        target_table=pl.lit(target_table),
        source=pl.lit(source),
        instrument=pl.col("instrument"),
        date=pl.col("date"),
        row_number=pl.col(ROW),
        reason=pl.concat_str(reasons, separator="; ", ignore_nulls=True),
        payload=pl.struct(data).struct.json_encode(),
    ).cast(QUARANTINE_COLUMNS)
    return valid, quarantine


def _with_first_copy(frame: pl.DataFrame, data: list[str]) -> pl.DataFrame:
    """Add ``_duplicate`` (a later copy of an earlier row) and ``_first`` (that row's number).

    Copies share their key, so hashing the key columns picks the candidates cheaply; the
    exact comparison of whole rows runs on those alone.
    """
    hashes = frame.select(list(KEY_COLUMNS)).hash_rows()
    ordered = hashes.sort()
    repeated = ordered.filter(ordered == ordered.shift(1)).unique()
    positions = hashes.is_in(repeated.implode()).arg_true()
    duplicate = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True).alias("_duplicate")
    first = pl.repeat(None, frame.height, dtype=pl.Int64, eager=True).alias("_first")
    if len(positions):
        copies = frame[positions].with_columns(_pos=positions).select(
            "_pos",
            _duplicate=pl.col("_pos") != pl.col("_pos").min().over(data),
            _first=pl.col(ROW).first().over(data),
        )
        duplicate = duplicate.scatter(copies["_pos"], copies["_duplicate"])
        first = first.scatter(copies["_pos"], copies["_first"])
    return frame.with_columns(duplicate, first)
