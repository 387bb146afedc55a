"""Recorded days for replay, read from the warehouse: mid paths (``features.book_1s``) and full
books (``ReplayBook``: level-1 features, the depth of ``raw.l2_snapshots``, the printed volume)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import numpy as np

from execution_assets.sim.market_path import validate_replay_mid
from execution_assets.sim.replay_book import ReplayBook, book_from_frame, split_days
from execution_assets.sql import load_sql
from execution_assets.warehouse import run_sql_file


def load_replay_mid(con: duckdb.DuckDBPyConnection, instrument: str, date: dt.date | str) -> np.ndarray:
    """The day's mids on a 1-second grid (first to last snapshot, gaps forward-filled).

    Raises ``ValueError`` naming the instrument and date when the day has no feature rows.
    """
    rows = con.execute(load_sql("sim/replay_mid"), {"instrument": instrument, "date": date}).fetchnumpy()
    mid = np.asarray(rows["mid"], dtype=float)
    if mid.size == 0:
        raise ValueError(f"features.book_1s has no rows for instrument {instrument!r} on {date}")
    return validate_replay_mid(mid, f"features.book_1s {instrument} {date}")


def load_replay_book(
    con: duckdb.DuckDBPyConnection, instrument: str, dates: Sequence[dt.date] | None = None, n_levels: int | None = None
) -> ReplayBook:
    """``instrument``'s stored days (those in ``dates``, or all) as a ``ReplayBook``.

    Raises ``ValueError`` naming the instrument when no day has both features and snapshots.
    """
    params = {"instrument": instrument, "dates": None if dates is None else list(dates)}
    frame = run_sql_file(con, "sim/replay_book", params)
    if frame.is_empty():
        which = "any date" if dates is None else f"the dates {', '.join(str(d) for d in dates)}"
        raise ValueError(f"no replay book for {instrument!r} on {which}: features.book_1s / raw.l2_snapshots have no rows")
    return book_from_frame(instrument, frame, n_levels)


def stored_days(con: duckdb.DuckDBPyConnection) -> dict[str, list[dt.date]]:
    """Every instrument's days in ``features.book_1s``, in date order."""
    frame = run_sql_file(con, "sim/book_days", {})
    out: dict[str, list[dt.date]] = {}
    for instrument, date in frame.iter_rows():
        out.setdefault(instrument, []).append(date)
    return out


def load_split_books(
    con: duckdb.DuckDBPyConnection, instruments: Sequence[str], split: str, real: Sequence[str] = ()
) -> dict[str, ReplayBook]:
    """The ``split`` days (``split_days``: by date, real instruments test-only) of each of
    ``instruments`` that has any, as books; the imbalance is standardized by the train days'."""
    days = stored_days(con)
    books = {}
    for instrument in instruments:
        splits = split_days(days.get(instrument, []), real=instrument in real)
        if not splits[split]:
            continue
        book = load_replay_book(con, instrument, splits[split])
        if split != "train" and splits["train"]:
            scale = run_sql_file(con, "sim/imbalance_scale", {"instrument": instrument, "dates": splits["train"]}).row(0)
            book = book.with_imbalance_scale(*(s if s > 0 else 1.0 for s in scale))
        books[instrument] = book
    return books
