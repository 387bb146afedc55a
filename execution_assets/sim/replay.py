"""Recorded mid paths for replay mode, read from ``features.book_1s`` in the warehouse."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np

from execution_assets.sim.market_path import validate_replay_mid
from execution_assets.sql import load_sql


def load_replay_mid(con: duckdb.DuckDBPyConnection, instrument: str, date: dt.date | str) -> np.ndarray:
    """The day's mids on a 1-second grid (first to last snapshot, gaps forward-filled).

    Raises ``ValueError`` naming the instrument and date when the day has no feature rows.
    """
    rows = con.execute(load_sql("sim/replay_mid"), {"instrument": instrument, "date": date}).fetchnumpy()
    mid = np.asarray(rows["mid"], dtype=float)
    if mid.size == 0:
        raise ValueError(f"features.book_1s has no rows for instrument {instrument!r} on {date}")
    return validate_replay_mid(mid, f"features.book_1s {instrument} {date}")
