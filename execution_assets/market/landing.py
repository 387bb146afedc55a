"""The raw landing folder (``data/raw/``): which instrument-days have files, and how to read them.

Recognized file names (anything else is reported, never guessed at):
- LOBSTER: ``TICKER_YYYY-MM-DD_start_end_message_N.csv`` with its ``..._orderbook_N.csv``.
- Generic: ``INSTRUMENT_YYYY-MM-DD_l2.(parquet|csv)`` and ``INSTRUMENT_YYYY-MM-DD_trades.(parquet|csv)``.
- Databento: any ``*.dbn`` / ``*.dbn.zst`` (MBO, MBP-1, MBP-10, trades); instrument and trading
  dates come from its metadata (symbology and time window) and the reference data, so one file
  may hold several instrument-days and one day may have a book file and a trades file.
Days without landing files but with a built-in synthetic instrument are simulated.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from execution_assets.market.databento import is_dbn, read_header

LOBSTER_MESSAGE = re.compile(
    r"^(?P<instrument>[A-Za-z0-9.]+)_(?P<date>\d{4}-\d{2}-\d{2})_\d+_\d+_message_(?P<level>\d+)\.csv$"
)
GENERIC = re.compile(
    r"^(?P<instrument>[A-Za-z0-9.-]+(?:_[A-Za-z0-9.-]+)*?)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<kind>l2|trades)\.(?:parquet|csv)$"
)


@dataclass(frozen=True)
class LandingDay:
    """The files of one instrument-day in the landing folder."""

    instrument: str
    date: dt.date
    format: str  # "lobster", "generic" or "databento"
    files: tuple[Path, ...]  # lobster: (message, orderbook); generic: (l2, trades); databento: its DBN files

    @property
    def key(self) -> tuple[str, dt.date]:
        return self.instrument, self.date


def _lobster_days(folder: Path) -> list[LandingDay]:
    days = []
    for message in sorted(folder.glob("*_message_*.csv")):
        match = LOBSTER_MESSAGE.match(message.name)
        if not match:
            continue
        orderbook = message.with_name(message.name.replace("_message_", "_orderbook_"))
        if orderbook.exists():
            date = dt.date.fromisoformat(match["date"])
            days.append(LandingDay(match["instrument"], date, "lobster", (message, orderbook)))
    return days


def _generic_days(folder: Path) -> list[LandingDay]:
    found: dict[tuple[str, str], dict[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        match = GENERIC.match(path.name)
        if match:
            found.setdefault((match["instrument"], match["date"]), {})[match["kind"]] = path
    return [
        LandingDay(instrument, dt.date.fromisoformat(date), "generic", (kinds["l2"], kinds["trades"]))
        for (instrument, date), kinds in found.items()
        if {"l2", "trades"} <= kinds.keys()
    ]


def _databento_days(folder: Path) -> list[LandingDay]:
    found: dict[tuple[str, dt.date], list[Path]] = {}
    for path in sorted(p for p in folder.iterdir() if is_dbn(p)):
        header = read_header(path)
        for symbol in sorted(set(header.symbols.values())):
            for date in header.trading_dates(symbol):
                found.setdefault((symbol, date), []).append(path)
    return [LandingDay(symbol, date, "databento", tuple(paths)) for (symbol, date), paths in found.items()]


def discover_landing_days(folder: Path) -> dict[tuple[str, dt.date], LandingDay]:
    """Every complete instrument-day in ``folder`` (a LOBSTER or generic day needs both of its files)."""
    if not folder.is_dir():
        return {}
    days = _lobster_days(folder) + _generic_days(folder) + _databento_days(folder)
    return {day.key: day for day in days}


def synthetic_seed(instrument: str, date: dt.date) -> int:
    """A stable seed per instrument-day, so re-materializing a synthetic day reproduces it."""
    return zlib.crc32(f"{instrument}|{date.isoformat()}".encode())


def link_into_landing(paths: list[Path], folder: Path) -> list[Path]:
    """Symlink source files (or the files of source folders) into the landing folder.

    Real data stays where it is (e.g. ``../shared/data``); the landing folder only points at it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    linked = []
    for path in paths:
        sources = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for source in sources:
            if not source.exists():
                raise FileNotFoundError(f"no such file to ingest: {source}")
            target = folder / source.name
            if target.is_symlink() or target.exists():
                target.unlink()
            target.symlink_to(source.resolve())
            linked.append(target)
    return linked
