"""Whole-table rewrites of the scenario grid and the evaluation tables.

They are rewritten as a whole (not by partition): each is one experiment whose rows depend on
each other (p-values corrected across all rows, one grid per calibration).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from execution_assets.sql import load_sql
from execution_assets.warehouse import insert_frame, transaction


def replace_table(con: duckdb.DuckDBPyConnection, table: str, delete_sql: str, frame: pl.DataFrame) -> int:
    """Delete every row (``sql/<delete_sql>.sql``) and insert ``frame`` by name, atomically."""
    return replace_table_chunks(con, table, delete_sql, [frame])


def replace_table_chunks(
    con: duckdb.DuckDBPyConnection,
    table: str,
    delete_sql: str,
    frames: Sequence[pl.DataFrame],
    per_insert: int = 200,
    *,
    copy_sql: str | None = None,
) -> int:
    """``replace_table`` for rows held as many frames: inserted ``per_insert`` frames at a time,
    in one transaction, so the rows are never copied into one big frame. ``copy_sql`` (run after
    the delete, in the same transaction) first copies rows from another table. Returns the rows
    inserted from ``frames``."""
    rows = 0
    with transaction(con):
        con.execute(load_sql(delete_sql)).fetchall()
        if copy_sql is not None:
            con.execute(load_sql(copy_sql)).fetchall()
        for start in range(0, len(frames), per_insert):
            chunk = pl.concat(frames[start : start + per_insert])
            insert_frame(con, table, chunk)
            rows += chunk.height
    return rows
