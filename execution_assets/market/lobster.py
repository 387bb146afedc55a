"""LOBSTER message + orderbook files -> 1-second book snapshots and trade prints.

LOBSTER (lobsterdata.com) reconstructs NASDAQ's book from ITCH. Message columns: time
(seconds after midnight, up to nanoseconds), event type (1 submit, 2 partial cancel,
3 delete, 4 visible execution, 5 hidden execution, 6 cross trade, 7 halt), order id,
size, price (USD x 10000), direction (1 buy limit order, -1 sell limit order). Orderbook
row i is the book after message i: ask_px_1, ask_sz_1, bid_px_1, bid_sz_1, ask_px_2, ...;
an empty level is price 9999999999 (ask) / -9999999999 (bid) with size 0.

Choices:
- Snapshots cover the instrument's session (reference data; 09:30:00-15:59:59 for US
  equities) cut to the file's window (the start/end milliseconds in its name). The snapshot at ts = second s is the book after the last
  message with time < s + 1, so it includes every message that shares the last timestamp of
  the second. Seconds without messages repeat the previous state; seconds before the first
  message have no book and are quarantined ("null bid_px_1 ...") rather than invented.
- A book can look locked for a moment between messages that share one timestamp; the
  end-of-second state is taken after the whole group, so such a transient lock never reaches
  a snapshot. NASDAQ's own book cannot stay locked or crossed (a marketable order executes
  at once), so a locked/crossed state left at the end of a second is a data error: it is
  quarantined like any other bad row, not repaired by looking back in time.
- Messages must be in time order (the book states depend on it); a file that goes back in
  time raises RawDataError rather than being re-sorted.
- Row i of one file describes row i of the other, so the two row counts are compared before
  anything else: a torn pair (a copy cut short) fails naming both files and both counts,
  not with whatever its cut last line happens to break.
- Trades are execution messages, types 4 and 5, one print per message; the aggressor is the
  other side of the resting order, side = -direction. Type 6 (auction cross) prints are not
  continuous-session trades and are left out; type 7 (halt) changes nothing here.
  Identical prints are legitimate (one sweep filling several resting orders), so trades are
  not deduplicated: each message is its own event.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl

from execution_assets.market.errors import RawDataError
from execution_assets.market.generic import cast_columns, ragged_line_error, scaled_price
from execution_assets.market.reference import instrument
from execution_assets.market.validation import RawDay, split_snapshots, split_trades
from schemas.columns import N_LEVELS

_NAME = re.compile(
    r"^(?P<ticker>.+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<start>\d+)_(?P<end>\d+)_"
    r"(?P<kind>message|orderbook)_(?P<level>\d+)\.csv$"
)
MESSAGE_COLUMNS: dict[str, pl.DataType] = {
    "time": pl.String(),  # parsed as text: exact microseconds, no float rounding
    "event_type": pl.Int64(),
    "order_id": pl.Int64(),
    "size": pl.Int64(),
    "price": pl.Int64(),
    "direction": pl.Int64(),
}
EXECUTIONS = (4, 5)
EMPTY_ASK, EMPTY_BID = 9_999_999_999, -9_999_999_999
PRICE_SCALE = 10_000


def read_lobster(message_csv: str | Path, orderbook_csv: str | Path, n_levels: int = N_LEVELS) -> RawDay:
    """Read one LOBSTER day; levels deeper than ``n_levels`` are dropped, missing ones are null."""
    message_csv, orderbook_csv = Path(message_csv), Path(orderbook_csv)
    name = parse_name(message_csv, "message")
    book_name = parse_name(orderbook_csv, "orderbook")
    if {k: v for k, v in name.items() if k != "kind"} != {k: v for k, v in book_name.items() if k != "kind"}:
        raise RawDataError(orderbook_csv, None, f"does not belong to message file {message_csv.name}")
    level = int(name["level"])
    day = dt.date.fromisoformat(name["date"])
    n_messages, n_book = count_rows(message_csv), count_rows(orderbook_csv)
    if n_messages != n_book:
        raise RawDataError(
            message_csv,
            None,
            f"{n_messages:,} rows but its orderbook file {orderbook_csv} has {n_book:,}: a torn or "
            "mismatched pair (row i of one describes row i of the other); re-copy both files",
        )

    messages = _read_messages(message_csv)
    book = _read_book(orderbook_csv, level)
    midnight = _epoch_us(day)

    trades = (
        messages.with_row_index("row_number", offset=1)
        .filter(pl.col("event_type").is_in(EXECUTIONS))
        .select(
            "row_number",
            instrument=pl.lit(name["ticker"]),
            date=pl.lit(day),
            ts=(pl.col("micros") + midnight).cast(pl.Datetime("us")),
            price=scaled_price(pl.col("price"), PRICE_SCALE),
            size="size",
            side=(-pl.col("direction")).cast(pl.Int8, strict=False),
            event_type="event_type",
            order_id="order_id",
        )
    )
    trades_valid, trades_bad = split_trades(trades, str(message_csv), dedupe=False, sides=(1, -1))

    seconds = _session_seconds(name["ticker"], day, int(name["start"]), int(name["end"]))
    snapshots = _snapshots(messages, book, seconds, n_levels).select(
        "row_number",
        instrument=pl.lit(name["ticker"]),
        date=pl.lit(day),
        ts=(pl.col("second") * 1_000_000 + midnight).cast(pl.Datetime("us")),
        *_level_exprs(level, n_levels),
    )
    snapshots_valid, snapshots_bad = split_snapshots(snapshots, str(orderbook_csv))

    return RawDay(
        instrument=name["ticker"],
        date=day,
        source=str(message_csv),
        snapshots=snapshots_valid,
        trades=trades_valid,
        quarantine=pl.concat([snapshots_bad, trades_bad]),
    )


def parse_name(path: Path, kind: str) -> dict[str, str]:
    """``TICKER_YYYY-MM-DD_start_end_{message|orderbook}_N.csv`` -> its parts."""
    match = _NAME.match(path.name)
    if match is None or match["kind"] != kind:
        raise RawDataError(path, None, f"not a LOBSTER {kind} file name (TICKER_YYYY-MM-DD_start_end_{kind}_N.csv)")
    return match.groupdict()


def _read_messages(path: Path) -> pl.DataFrame:
    """Typed read; if it fails, read text so the offending line can be named."""
    try:
        frame = pl.read_csv(path, has_header=False, new_columns=list(MESSAGE_COLUMNS), schema_overrides=MESSAGE_COLUMNS)
    except pl.exceptions.PolarsError:
        frame = _read_text(path, len(MESSAGE_COLUMNS))
        if frame.width == len(MESSAGE_COLUMNS):
            frame = cast_columns(frame.rename(dict(zip(frame.columns, MESSAGE_COLUMNS))), MESSAGE_COLUMNS, path, 1)
    if frame.width != len(MESSAGE_COLUMNS):
        raise RawDataError(path, 1, f"{frame.width} columns, a LOBSTER message file has {len(MESSAGE_COLUMNS)}")
    parts = pl.col("time").str.split_exact(".", 1)
    frame = frame.with_columns(
        second=parts.struct[0].cast(pl.Int64, strict=False),
        micros=parts.struct[0].cast(pl.Int64, strict=False) * 1_000_000
        + parts.struct[1].fill_null("0").str.pad_end(6, "0").str.slice(0, 6).cast(pl.Int64, strict=False),
    )
    unreadable = frame["micros"].is_null()
    if unreadable.any():
        row = int(unreadable.arg_true()[0])
        raise RawDataError(path, row + 1, f"column 'time': cannot read {frame['time'][row]!r} as seconds after midnight")
    backwards = frame["micros"].diff() < 0
    if backwards.any():
        row = int(backwards.arg_true()[0])
        raise RawDataError(path, row + 1, "time goes backwards; LOBSTER messages must be in time order")
    return frame


def count_rows(path: Path) -> int:
    """Non-empty lines of a headerless CSV (a last line without a newline counts)."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def _read_book(path: Path, level: int) -> pl.DataFrame:
    n_columns = 4 * level
    book = _read_text(path, n_columns)
    if book.width != n_columns:
        raise RawDataError(path, 1, f"{book.width} columns, expected 4 x level {level} = {n_columns}")
    names = [f"{side}_{what}_{k}" for k in range(1, level + 1) for side in ("ask", "bid") for what in ("px", "sz")]
    book = book.rename(dict(zip(book.columns, names)))
    return cast_columns(book, dict.fromkeys(names, pl.Int64()), path, first_line=1)


def _read_text(path: Path, n_fields: int) -> pl.DataFrame:
    try:
        return pl.read_csv(path, has_header=False, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise ragged_line_error(path, n_fields, header=False) or RawDataError(path, None, str(exc)) from exc


def _snapshots(messages: pl.DataFrame, book: pl.DataFrame, seconds: pl.Series, n_levels: int) -> pl.DataFrame:
    """Raw (integer) book at the end of each second, with the orderbook row it comes from."""
    keep = [c for c in book.columns if int(c.rsplit("_", 1)[1]) <= n_levels]
    states = pl.concat(
        [messages.select("second").with_row_index("row_number", offset=1), book.select(keep)], how="horizontal"
    )
    last = states.group_by("second", maintain_order=True).last()
    return seconds.to_frame("second").join_asof(last, on="second", strategy="backward")


def _level_exprs(level: int, n_levels: int) -> list[pl.Expr]:
    """Contract level columns: dollars, empty levels null, null past the file's depth."""
    exprs = []
    for side, empty_px in (("bid", EMPTY_BID), ("ask", EMPTY_ASK)):
        for what in ("px", "sz"):
            for k in range(1, n_levels + 1):
                out = f"{side}_{what}_{k}"
                if k > level:
                    exprs.append(pl.lit(None, pl.Float64 if what == "px" else pl.Int64).alias(out))
                    continue
                px, sz = pl.col(f"{side}_px_{k}"), pl.col(f"{side}_sz_{k}")
                is_empty = (px == empty_px) & (sz == 0) if what == "sz" else px == empty_px
                value = scaled_price(px, PRICE_SCALE) if what == "px" else sz
                exprs.append(pl.when(~is_empty).then(value).alias(out))
    return exprs


def _session_seconds(ticker: str, day: dt.date, start_ms: int, end_ms: int) -> pl.Series:
    """Seconds after midnight of the snapshot grid: the instrument's sessions, cut to the file's window."""
    midnight = dt.datetime.combine(day, dt.time())
    window = (midnight + dt.timedelta(milliseconds=start_ms), midnight + dt.timedelta(milliseconds=end_ms))
    grid = instrument(ticker).session_grid(day, *window)
    return ((grid - midnight).dt.total_seconds()).cast(pl.Int64)


def _epoch_us(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * 86_400_000_000
