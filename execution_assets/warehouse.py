"""The DuckDB warehouse: connections, DDL, and atomic partition rewrites.

Every partition write is delete-then-insert in one transaction, inserting by column name
(DESIGN section 3): a crash mid-write leaves the old rows or the new ones, never half, and a
column-order change can't swap columns. User values only ever reach SQL as parameters.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from execution_assets.paths import warehouse_path
from execution_assets.sql import SQL_DIR, load_sql

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")
_LOCK_POLL_SECONDS = 0.2


@contextmanager
def connect(
    path: Path | str | None = None, read_only: bool = False, lock_wait_s: float = 0.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection (DuckDB allows one writer process: hold it briefly).

    Another process holding the file makes it fail at once (Dagster's ``duckdb`` pool is what
    orders writers), or after waiting up to ``lock_wait_s`` for that process to let go."""
    path = Path(path) if path is not None else warehouse_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_when_free(path, read_only, lock_wait_s)
    try:
        if not read_only:
            ensure_tables(con)
        yield con
    finally:
        con.close()


def _open_when_free(path: Path, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection:
    """Open ``path``, retrying for ``wait_s`` while another process holds it; then DuckDB's lock
    error, which names the process holding the file."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "Could not set lock" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(_LOCK_POLL_SECONDS)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema, table and view of ``sql/ddl`` and ``sql/views`` that is missing."""
    for path in sorted((SQL_DIR / "ddl").glob("*.sql")) + sorted((SQL_DIR / "views").glob("*.sql")):
        con.execute(path.read_text())


def _identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def _where(where: Mapping[str, object]) -> tuple[str, list[object]]:
    if not where:
        raise ValueError("a partition rewrite needs at least one key column")
    clause = " AND ".join(f"{_identifier(column)} = ?" for column in where)
    return clause, list(where.values())


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def delete_rows(con: duckdb.DuckDBPyConnection, table: str, where: Mapping[str, object]) -> None:
    clause, values = _where(where)
    con.execute(f"DELETE FROM {_identifier(table)} WHERE {clause}", values)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Insert ``frame`` into ``table`` matching columns by name."""
    con.register("incoming_frame", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {_identifier(table)} BY NAME SELECT * FROM incoming_frame")
    finally:
        con.unregister("incoming_frame")


def replace_partition(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, where: Mapping[str, object]
) -> int:
    """Atomically replace the rows of ``table`` matching ``where`` with ``frame``."""
    with transaction(con):
        delete_rows(con, table, where)
        insert_frame(con, table, frame)
    return frame.height


def count_rows(con: duckdb.DuckDBPyConnection, table: str, where: Mapping[str, object]) -> int:
    clause, values = _where(where)
    return con.execute(f"SELECT count(*) FROM {_identifier(table)} WHERE {clause}", values).fetchall()[0][0]


def run_sql_file(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, object]) -> pl.DataFrame:
    """Run ``sql/<name>.sql`` with named parameters and return the result."""
    return con.sql(load_sql(name), params=dict(params)).pl()
