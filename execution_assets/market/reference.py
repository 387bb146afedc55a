"""Instrument reference data: venue, timezone, trading sessions, tick, lot, multiplier, currency.

The rows live in ``instruments.csv`` beside this module, the file users edit (one row per
instrument or futures root; ``*`` is the row for names it does not list, the US equity session
LOBSTER and the generic contract always assumed). A futures contract (``ESU4``, ``CLX5``) takes
its root's row (``ES``, ``CL``) unless it has one of its own.

Sessions are ``HH:MM-HH:MM`` in the instrument's timezone, several joined by ``;``. A session
whose open is after its close starts the calendar day before its trading date: CME Globex
``17:00-16:00`` Chicago opens Sunday 17:00 for Monday and pauses 16:00-17:00 each day.
Timestamps in the raw tables are naive exchange-local time, so everything here works on the
local clock; ``to_local`` converts UTC epochs.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from execution_assets.warehouse import insert_frame, transaction

INSTRUMENTS_CSV = Path(__file__).with_name("instruments.csv")
DEFAULT_ROW = "*"
_FUTURES = re.compile(r"^(?P<root>[A-Z0-9]{1,4}?)[FGHJKMNQUVXZ]\d{1,2}$")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Session:
    """One trading window: ``open`` to ``close`` (exclusive) local time; ``wraps`` when it opens
    the calendar day before the trading date."""

    open: dt.timedelta
    close: dt.timedelta

    @property
    def wraps(self) -> bool:
        return self.open >= self.close

    @property
    def seconds(self) -> int:
        return int((self.close - self.open + (_DAY if self.wraps else dt.timedelta())).total_seconds())

    @property
    def open_offset(self) -> dt.timedelta:
        """The open relative to the trading date's midnight (negative when it wraps: -7 h on Globex)."""
        return self.open - (_DAY if self.wraps else dt.timedelta())

    def bounds(self, date: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """(first instant, end) of the window on trading date ``date``, naive local time."""
        midnight = dt.datetime.combine(date, dt.time())
        return midnight + self.open_offset, midnight + self.close

    def __str__(self) -> str:
        return f"{_clock(self.open)}-{_clock(self.close)}"


@dataclass(frozen=True)
class Instrument:
    """A row of ``reference.instruments`` (named as asked for; ``root`` is the row it came from)."""

    instrument: str
    venue: str
    timezone: str
    sessions: tuple[Session, ...]
    trading_days: tuple[int, ...]  # weekdays, Monday = 0
    tick_size: float
    lot_size: float
    multiplier: float
    currency: str
    root: str

    @property
    def session_seconds(self) -> int:
        """Seconds of trading in one trading day (23,400 for US equities, 82,800 on Globex)."""
        return sum(s.seconds for s in self.sessions)

    def session_clock(self) -> tuple[tuple[int, int, int], ...]:
        """The trading clock, the sessions back to back from the day's first open (breaks left
        out), so intraday statistics of any market are indexed 0..session_seconds - 1. Per
        session in time order: (open, close) in seconds from the trading date's midnight
        (negative: the evening before) and the clock's second at its open."""
        clock, out = 0, []
        for session in sorted(self.sessions, key=lambda s: s.open_offset):
            open_s = int(session.open_offset.total_seconds())
            out.append((open_s, open_s + session.seconds, clock))
            clock += session.seconds
        return tuple(out)

    def clock_time(self, second: int) -> dt.time:
        """Local time of the trading clock's ``second`` (17:00 for second 0 on Globex)."""
        for open_s, close_s, clock in self.session_clock():
            if 0 <= second - clock < close_s - open_s:
                return (dt.datetime.min + dt.timedelta(seconds=(open_s + second - clock) % 86_400)).time()
        raise ValueError(f"{self.instrument}: second {second} is not in its {self.session_seconds} trading seconds")

    @property
    def sessions_text(self) -> str:
        return "; ".join(map(str, self.sessions))

    def is_trading_day(self, date: dt.date) -> bool:
        return date.weekday() in self.trading_days

    def trading_date(self, ts: dt.datetime) -> dt.date | None:
        """The trading date a local timestamp (naive, or aware in any zone) belongs to; None
        outside every session or on a day without trading."""
        if ts.tzinfo is not None:
            ts = ts.astimezone(_zone(self.timezone)).replace(tzinfo=None)
        for session in self.sessions:
            for date in (ts.date(), ts.date() + _DAY):
                start, end = session.bounds(date)
                if start <= ts < end and self.is_trading_day(date):
                    return date
        return None

    def trading_dates(self, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
        """Trading dates whose sessions overlap ``[start, end)`` (naive local times)."""
        dates, date = [], start.date()
        while date <= end.date() + _DAY:
            if self.is_trading_day(date) and any(_overlaps(s.bounds(date), (start, end)) for s in self.sessions):
                dates.append(date)
            date += _DAY
        return dates

    def session_grid(self, date: dt.date, start: dt.datetime, end: dt.datetime) -> pl.Series:
        """Whole local seconds of ``date``'s sessions within ``[start, end)``, as naive datetimes:
        the 1-second snapshot grid, each second labelled by its start."""
        parts = []
        for session in self.sessions:
            first, stop = session.bounds(date)
            first = max(first, _ceil_second(start))
            stop = min(stop, _ceil_second(end))
            if stop > first:
                parts.append(pl.datetime_range(first, stop - dt.timedelta(seconds=1), "1s", time_unit="us", eager=True))
        return pl.concat(parts).sort() if parts else pl.Series([], dtype=pl.Datetime("us"))

    def trading_date_expr(self, ts: pl.Expr) -> pl.Expr:
        """Polars: the trading date of naive local ``ts``, null outside the sessions."""
        clock = ts - ts.dt.truncate("1d")
        date = ts.dt.date()
        out = pl.lit(None, pl.Date)
        for session in reversed(self.sessions):
            if session.wraps:
                inside = pl.when(clock >= session.open).then(date.dt.offset_by("1d")).when(clock < session.close).then(date)
            else:
                inside = pl.when((clock >= session.open) & (clock < session.close)).then(date)
            out = pl.coalesce(inside.otherwise(None), out)
        return pl.when(out.dt.weekday().is_in([d + 1 for d in self.trading_days])).then(out)


def by_instrument(names: Iterable[str], build) -> pl.Expr:
    """``build(Instrument)`` evaluated with each row's own instrument (column ``instrument``)."""
    out = pl.lit(None)
    for name in sorted(set(names)):
        out = pl.when(pl.col("instrument") == name).then(build(instrument(name))).otherwise(out)
    return out


def to_local(epoch_ns: pl.Expr, timezone: str) -> pl.Expr:
    """UTC nanoseconds since the epoch -> naive local microsecond datetimes of ``timezone``."""
    utc = pl.from_epoch(epoch_ns, time_unit="ns").dt.replace_time_zone("UTC")
    return utc.dt.convert_time_zone(timezone).dt.replace_time_zone(None).dt.cast_time_unit("us")


def instrument(name: str, path: Path = INSTRUMENTS_CSV) -> Instrument:
    """The reference row of ``name``: its own, its futures root's, else the ``*`` row."""
    rows = load_instruments(path)
    match = _FUTURES.match(name)
    for key in (name, match["root"] if match else None, DEFAULT_ROW):
        if key in rows:
            return _row_to_instrument(name, key, rows[key])
    raise ValueError(f"{path}: no row for {name!r} and no {DEFAULT_ROW!r} row for unlisted instruments")


def reference_table(path: Path = INSTRUMENTS_CSV) -> pl.DataFrame:
    """The file as rows of ``reference.instruments`` (sessions as text)."""
    rows = [_row_to_instrument(key, key, row) for key, row in load_instruments(path).items()]
    return pl.DataFrame(
        [
            {
                "instrument": r.instrument,
                "venue": r.venue,
                "timezone": r.timezone,
                "sessions": r.sessions_text,
                "trading_days": ",".join(_DAYS[d] for d in r.trading_days),
                "session_seconds": r.session_seconds,
                "tick_size": r.tick_size,
                "lot_size": r.lot_size,
                "multiplier": r.multiplier,
                "currency": r.currency,
            }
            for r in rows
        ]
    )


def write_reference_table(con: duckdb.DuckDBPyConnection, path: Path = INSTRUMENTS_CSV) -> pl.DataFrame:
    """Replace ``reference.instruments`` with the file's rows, in one transaction."""
    frame = reference_table(path)
    with transaction(con):
        con.execute("DELETE FROM reference.instruments")
        insert_frame(con, "reference.instruments", frame)
    return frame


def session_seconds(name: str) -> int:
    return instrument(name).session_seconds


def trading_date(name: str, ts: dt.datetime) -> dt.date | None:
    return instrument(name).trading_date(ts)


def load_instruments(path: Path = INSTRUMENTS_CSV) -> dict[str, dict[str, str]]:
    """Rows by instrument; every value checked, errors name the file, line and column. Read
    again whenever the file changes, so an edit reaches a running code server."""
    return _load_instruments(Path(path), Path(path).stat().st_mtime_ns)


@functools.cache
def _load_instruments(path: Path, _mtime_ns: int) -> dict[str, dict[str, str]]:
    frame = pl.read_csv(path, infer_schema=False)
    required = ["instrument", "venue", "timezone", "sessions", "trading_days", "tick_size", "lot_size", "multiplier", "currency"]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    rows: dict[str, dict[str, str]] = {}
    for line, row in enumerate(frame.iter_rows(named=True), start=2):
        key = row["instrument"]
        if key in rows:
            raise ValueError(f"{path}, line {line}: instrument {key!r} appears twice")
        try:
            _row_to_instrument(key, key, row)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}, line {line}: {exc}") from None
        rows[key] = row
    return rows


def _row_to_instrument(name: str, key: str, row: dict[str, str]) -> Instrument:
    _zone(row["timezone"])
    numbers = {c: float(row[c]) for c in ("tick_size", "lot_size", "multiplier")}
    if min(numbers.values()) <= 0:
        raise ValueError(f"tick_size, lot_size and multiplier must be > 0, got {numbers}")
    return Instrument(
        instrument=name,
        venue=row["venue"],
        timezone=row["timezone"],
        sessions=_parse_sessions(row["sessions"]),
        trading_days=_parse_days(row["trading_days"]),
        currency=row["currency"],
        root=key,
        **numbers,
    )


def _parse_sessions(text: str) -> tuple[Session, ...]:
    sessions = []
    for part in text.split(";"):
        match = re.fullmatch(r"\s*(\d{2}):(\d{2})-(\d{2}):(\d{2})\s*", part)
        if not match:
            raise ValueError(f"sessions {text!r}: expected HH:MM-HH:MM[;HH:MM-HH:MM...]")
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 * 60 + m2 > 24 * 60:
            raise ValueError(f"sessions {text!r}: not a clock time")
        sessions.append(Session(dt.timedelta(hours=h1, minutes=m1), dt.timedelta(hours=h2, minutes=m2)))
    return tuple(sessions)


def _parse_days(text: str) -> tuple[int, ...]:
    first, _, last = text.partition("-")
    if first not in _DAYS or (last or first) not in _DAYS:
        raise ValueError(f"trading_days {text!r}: expected e.g. Mon-Fri or Mon-Sun")
    return tuple(range(_DAYS.index(first), _DAYS.index(last or first) + 1))


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _overlaps(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _ceil_second(ts: dt.datetime) -> dt.datetime:
    floor = ts.replace(microsecond=0)
    return floor if floor == ts else floor + dt.timedelta(seconds=1)


def _clock(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
