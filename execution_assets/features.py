"""1-second book features (``features.book_1s``) computed in DuckDB from the raw tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb

from execution_assets.sql import load_sql
from execution_assets.warehouse import transaction


def write_book_features(
    con: duckdb.DuckDBPyConnection,
    instrument: str,
    date_from: dt.date,
    date_to: dt.date | None = None,
    dates: Sequence[dt.date] | None = None,
) -> int:
    """Recompute features of ``instrument`` for the dates ``date_from``..``date_to`` (only those in
    ``dates`` when given: a batch of days need not be every stored day in its span), replacing
    them atomically in one statement.

    Returns the number of feature rows written.
    """
    params = {"instrument": instrument, "date_from": date_from, "date_to": date_to or date_from, "dates": dates}
    with transaction(con):
        con.execute(load_sql("features/delete_book_1s"), params)
        inserted = con.execute("INSERT INTO features.book_1s BY NAME " + load_sql("features/book_1s"), params)
        return inserted.fetchall()[0][0]  # DuckDB answers an INSERT with its row count
