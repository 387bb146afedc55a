"""Databento DBN files (``.dbn``, ``.dbn.zst``, read offline with ``databento-dbn``) -> 1-second
book snapshots and trade prints of one instrument's trading date.

Schemas:
- ``mbp-1`` / ``mbp-10``: every record carries the book after its event, so the snapshot of a
  second is the book of the second's last record; trades are the records with action T.
- ``mbo``: the book is rebuilt order by order with Databento's documented semantics: Add
  inserts, Cancel removes the record's size (the order leaves at zero), Modify changes price
  and/or size (a modify of an unknown order is an add), cleaR empties the book; Trade and Fill
  records do not change it (every fill comes with the cancel or modify that does). Trades are
  the T records. A file that starts with a book snapshot (R + adds flagged F_SNAPSHOT) must know
  every order it later cancels; one without (a window cut from the middle of a session) only
  sees orders added inside the window, so its book is a subset of the real one: cancels of
  orders it never saw are skipped.
- ``trades``: prints only; for a day that also has a book file, its prints are used.

Conventions shared with the other readers: ``ts_recv`` (Databento's index, in file order) in
the instrument's local time, naive; the snapshot labelled s is the book after the last record
before s + 1 s, on the instrument's session grid cut to the file's window (quiet seconds repeat
the book, seconds before it has both sides are quarantined as null). The aggressor side B, A, N
becomes +1, -1, 0. Instrument from the file's raw symbology, its sessions and trading dates from
the reference data. A file out of time order, or an MBO record the book contradicts, raises
``RawDataError`` naming the file, the record and the rule; rows that break a row rule (bad price,
outside the session) are quarantined by ``validation``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import databento_dbn as dbn
import polars as pl

from execution_assets.market.errors import RawDataError
from execution_assets.market.generic import scaled_price
from execution_assets.market.reference import Instrument, instrument, to_local
from execution_assets.market.validation import RawDay, empty, split_snapshots, split_trades
from schemas.columns import KEY_COLUMNS, N_LEVELS, level_columns

SUFFIXES = (".dbn", ".dbn.zst")
BOOK_SCHEMAS = ("mbo", "mbp-10", "mbp-1")  # the first present for a day gives its book
SIDES = {"B": 1, "A": -1, "N": 0}
_CHUNK = 1 << 16
_UNDEF = dbn.UNDEF_PRICE
_SCALE = dbn.FIXED_PRICE_SCALE


@dataclass(frozen=True)
class DbnHeader:
    """What a DBN file holds, from its metadata alone (cheap: the records are not decoded)."""

    path: Path
    schema: str
    symbols: dict[int, str]  # instrument_id -> raw symbol
    start_ns: int
    end_ns: int

    def trading_dates(self, symbol: str) -> list[dt.date]:
        spec = instrument(symbol)
        local = pl.Series([self.start_ns, self.end_ns - 1]).to_frame("ns").select(to_local(pl.col("ns"), spec.timezone))
        start, last = local.to_series().to_list()
        return spec.trading_dates(start, last + dt.timedelta(microseconds=1))


def is_dbn(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def read_header(path: str | Path) -> DbnHeader:
    path = Path(path)
    decoder = _decoder(path)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            records = _decode(decoder, chunk, path)
            if records:
                return _header(path, records[0])
    raise RawDataError(path, None, "no DBN metadata (empty or not a DBN file)")


def read_dbn(paths: Sequence[str | Path], symbol: str, date: dt.date, n_levels: int = N_LEVELS) -> RawDay:
    """One instrument-day from the DBN files that cover it (a book file and/or a trades file)."""
    headers = [read_header(p) for p in paths]
    spec = instrument(symbol)
    books = sorted((h for h in headers if h.schema in BOOK_SCHEMAS), key=lambda h: BOOK_SCHEMAS.index(h.schema))
    prints = [h for h in headers if h.schema == "trades"]
    unknown = [str(h.path) for h in headers if h.schema not in (*BOOK_SCHEMAS, "trades")]
    if unknown:
        raise RawDataError(unknown[0], None, f"DBN schema not read here (use one of {', '.join(BOOK_SCHEMAS)}, trades)")
    if books:
        book_file = books[0]
        states, trades = _read_book_file(book_file, symbol, n_levels)
        snapshots, snapshot_rejects = _snapshots(states, book_file, spec, date, n_levels)
        source = str(book_file.path)
    else:
        snapshots, snapshot_rejects = empty({**KEY_COLUMNS, **level_columns(n_levels)}), None
        source = None
    if prints or not books:
        trades = _read_trades_file(prints[0], symbol)
        source = ", ".join(filter(None, [source, str(prints[0].path)]))
    trades_valid, trade_rejects = _day_trades(trades, spec, date, source)
    quarantine = pl.concat([q for q in (snapshot_rejects, trade_rejects) if q is not None])
    return RawDay(symbol, date, source, snapshots, trades_valid, quarantine)


def _decoder(path: Path) -> dbn.DBNDecoder:
    compression = dbn.Compression.ZSTD if path.name.endswith(".zst") else dbn.Compression.NONE
    return dbn.DBNDecoder(compression=compression)


def _decode(decoder: dbn.DBNDecoder, chunk: bytes, path: Path) -> list:
    try:
        return decoder.write_and_decode(chunk)
    except (ValueError, dbn.DBNError) as exc:
        raise RawDataError(path, None, f"not a readable DBN file: {exc}") from exc


def _header(path: Path, metadata) -> DbnHeader:
    if not isinstance(metadata, dbn.Metadata):
        raise RawDataError(path, None, "no DBN metadata at the start of the file")
    if metadata.stype_in != dbn.SType.RAW_SYMBOL:
        raise RawDataError(path, None, f"symbology {metadata.stype_in.value}: request the data by raw_symbol (e.g. ESU4)")
    symbols = {int(m["symbol"]): raw for raw, intervals in metadata.mappings.items() for m in intervals}
    return DbnHeader(path, metadata.schema.value, symbols, metadata.start, metadata.end)


def _records(header: DbnHeader, symbol: str) -> Iterator[tuple[int, object]]:
    """(1-based record index, record) of ``symbol``, checked to be in ``ts_recv`` order."""
    ids = {i for i, s in header.symbols.items() if s == symbol}
    if not ids:
        raise RawDataError(header.path, None, f"no records of {symbol} (the file maps {sorted(set(header.symbols.values()))})")
    decoder, last, index = _decoder(header.path), 0, 0
    with open(header.path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            for record in _decode(decoder, chunk, header.path):
                if isinstance(record, dbn.Metadata):
                    continue
                index += 1
                if getattr(record, "instrument_id", None) not in ids or not hasattr(record, "action"):
                    continue
                if record.ts_recv < last:
                    raise RawDataError(header.path, index, "ts_recv goes backwards; DBN records must be in time order", unit="record")
                last = record.ts_recv
                yield index, record


def _read_book_file(header: DbnHeader, symbol: str, n_levels: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(book after the last record of each second with records, trade records)."""
    book = _MboBook(header.path) if header.schema == "mbo" else None
    states: list[tuple] = []
    trades: list[tuple] = []
    second, last = None, None

    def levels() -> tuple:
        return book.levels(n_levels) if book is not None else _mbp_levels(last, n_levels)

    for index, record in _records(header, symbol):
        this_second = record.ts_recv // 1_000_000_000
        if second is not None and this_second != second:
            states.append((second, *levels()))
        second, last = this_second, record
        if record.action.value == "T":
            trades.append((index, record.ts_recv, record.price, record.size, record.side.value))
        if book is not None:
            book.apply(index, record)
    if second is not None:
        states.append((second, *levels()))
    names = ["second"] + [f"{side}_{what}_{k}" for side in ("bid", "ask") for what in ("px", "sz") for k in range(1, n_levels + 1)]
    return pl.DataFrame(states, schema=dict.fromkeys(names, pl.Int64), orient="row"), _trade_frame(trades)


def _mbp_levels(record, n_levels: int) -> tuple:
    levels = record.levels[:n_levels]
    pad = [None] * (n_levels - len(levels))
    bid_px = [_price_or_none(lv.bid_px) for lv in levels] + pad
    ask_px = [_price_or_none(lv.ask_px) for lv in levels] + pad
    bid_sz = [lv.bid_sz if p is not None else None for lv, p in zip(levels, bid_px)] + pad
    ask_sz = [lv.ask_sz if p is not None else None for lv, p in zip(levels, ask_px)] + pad
    return (*bid_px, *bid_sz, *ask_px, *ask_sz)


def _price_or_none(price: int) -> int | None:
    return None if price == _UNDEF else price


class _MboBook:
    """Resting orders by id and aggregated size by price, per side."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.orders: dict[int, tuple[str, int, int]] = {}  # order_id -> (side, price, size)
        self.depth: dict[str, dict[int, int]] = {"B": {}, "A": {}}
        self.complete = False  # True once a snapshot (cleaR flagged F_SNAPSHOT) has been applied

    def apply(self, index: int, record) -> None:
        action = record.action.value
        if action == "R":
            self.orders.clear()
            self.depth = {"B": {}, "A": {}}
            self.complete = self.complete or bool(record.flags & dbn.F_SNAPSHOT)
        elif action == "A":
            if record.order_id in self.orders:
                self._fail(index, f"add of order {record.order_id}, which is already in the book")
            self._add(index, record)
        elif action == "C":
            if record.order_id not in self.orders:
                if self.complete:
                    self._fail(index, f"cancel of order {record.order_id}, which is not in the book")
                return
            side, price, size = self._remove(record.order_id)
            if size > record.size:
                self._insert(record.order_id, side, price, size - record.size)
        elif action == "M":
            if record.order_id in self.orders:
                self._remove(record.order_id)
            self._add(index, record)

    def levels(self, n_levels: int) -> tuple:
        out = []
        for side, best_first in (("B", True), ("A", False)):
            prices = sorted(self.depth[side], reverse=best_first)[:n_levels]
            pad = [None] * (n_levels - len(prices))
            out.append((prices + pad, [self.depth[side][p] for p in prices] + pad))
        (bid_px, bid_sz), (ask_px, ask_sz) = out
        return (*bid_px, *bid_sz, *ask_px, *ask_sz)

    def _add(self, index: int, record) -> None:
        side = record.side.value
        if side not in self.depth or record.price == _UNDEF or record.size <= 0:
            self._fail(index, f"{record.action.value} of order {record.order_id} without a side, price or size")
        self._insert(record.order_id, side, record.price, record.size)

    def _insert(self, order_id: int, side: str, price: int, size: int) -> None:
        self.orders[order_id] = (side, price, size)
        self.depth[side][price] = self.depth[side].get(price, 0) + size

    def _remove(self, order_id: int) -> tuple[str, int, int]:
        side, price, size = self.orders.pop(order_id)
        left = self.depth[side][price] - size
        if left > 0:
            self.depth[side][price] = left
        else:
            del self.depth[side][price]
        return side, price, size

    def _fail(self, index: int, rule: str) -> None:
        raise RawDataError(self.path, index, f"MBO {rule}", unit="record")


def _read_trades_file(header: DbnHeader, symbol: str) -> pl.DataFrame:
    rows = [
        (i, r.ts_recv, r.price, r.size, r.side.value) for i, r in _records(header, symbol) if r.action.value == "T"
    ]
    return _trade_frame(rows)


def _trade_frame(rows: list[tuple]) -> pl.DataFrame:
    schema = {"row_number": pl.Int64, "ts_recv": pl.Int64, "price_raw": pl.Int64, "size": pl.Int64, "aggressor": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _day_trades(trades: pl.DataFrame, spec: Instrument, date: dt.date, source: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The prints of ``date``: those in its sessions, and those outside any session that come
    before its first session (quarantined there as outside the session)."""
    frame = trades.with_columns(ts=to_local(pl.col("ts_recv"), spec.timezone)).with_columns(
        trading_date=spec.trading_date_expr(pl.col("ts"))
    )
    first = min(s.bounds(date)[0] for s in spec.sessions)
    previous = max((s.bounds(d)[1] for s in spec.sessions for d in _days_before(spec, date)), default=dt.datetime.min)
    between = pl.col("trading_date").is_null() & (pl.col("ts") >= previous) & (pl.col("ts") < first)
    day = frame.filter((pl.col("trading_date") == date) | between).select(
        "row_number",
        instrument=pl.lit(spec.instrument),
        date=pl.lit(date),
        ts="ts",
        price=scaled_price(pl.when(pl.col("price_raw") != _UNDEF).then(pl.col("price_raw")), _SCALE),
        size="size",
        side=pl.col("aggressor").replace_strict(SIDES, default=None, return_dtype=pl.Int8),
        aggressor="aggressor",
    )
    return split_trades(day, source, dedupe=False)


def _days_before(spec: Instrument, date: dt.date) -> list[dt.date]:
    """The last trading date before ``date`` (within a week), as a one-element list."""
    for back in range(1, 8):
        day = date - dt.timedelta(days=back)
        if spec.is_trading_day(day):
            return [day]
    return []


def _snapshots(
    states: pl.DataFrame, header: DbnHeader, spec: Instrument, date: dt.date, n_levels: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    window = pl.Series([header.start_ns, header.end_ns]).to_frame("ns").select(to_local(pl.col("ns"), spec.timezone))
    start, end = window.to_series().to_list()
    grid = spec.session_grid(date, start, end).to_frame("ts")
    local = states.with_columns(ts=to_local(pl.col("second") * 1_000_000_000, spec.timezone)).sort("ts")
    joined = grid.join_asof(local, on="ts", strategy="backward")
    px = [f"{side}_px_{k}" for side in ("bid", "ask") for k in range(1, n_levels + 1)]
    frame = joined.select(
        instrument=pl.lit(spec.instrument),
        date=pl.lit(date),
        ts="ts",
        **{c: scaled_price(pl.col(c), _SCALE) for c in px},
        **{c.replace("_px_", "_sz_"): pl.col(c.replace("_px_", "_sz_")) for c in px},
    ).select([*KEY_COLUMNS, *level_columns(n_levels)])
    return split_snapshots(frame, str(header.path))
