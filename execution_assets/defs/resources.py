"""Resources of the code location (the DuckDB warehouse) and the instance's event log storage."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
import sqlalchemy as db
from dagster._core.storage.event_log import ConsolidatedSqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from execution_assets import warehouse
from execution_assets.paths import warehouse_path


class WarehouseResource(dg.ConfigurableResource):
    """Short-lived connections to the DuckDB warehouse, with its tables ensured.

    Uses the library's own ``warehouse.connect`` (not ``DuckDBResource``) so that Dagster
    assets, the CLI and tests open the file with one configuration: DuckDB refuses a second,
    differently configured connection to the same file in one process.
    """

    database: str
    # seconds a connection waits while another process holds the file (0: fail at once, the
    # duckdb pool orders writers); `make run` sets it where it runs two processes on purpose
    lock_wait_s: float = 0.0

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(self.database, lock_wait_s=self.lock_wait_s) as con:
            yield con


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources={"duckdb": WarehouseResource(database=str(warehouse_path()))})


class OneFileEventLogStorage(ConsolidatedSqliteEventLogStorage):
    """The instance's event log (``event_log_storage`` in ``dagster.yaml``): Dagster's consolidated
    SQLite storage, every run's events in one file, with one SQLAlchemy engine for its lifetime.

    Dagster's SQLite storages build a new engine for every statement they run, and with it an empty
    compiled-statement cache, and ask SQLite whether the asset-check table exists before storing
    each check result: most of the cost of an event, of which a backfill day writes 14 (3 planned
    and 3 done materializations, 8 check results). Here the engine is kept (still ``NullPool``:
    every use opens and closes its own SQLite connection, as before, so nothing is held between
    events or across a fork) and a table found once is not looked up again.
    """

    @functools.cached_property
    def _engine(self) -> db.engine.Engine:
        return db.create_engine(
            self._conn_string, poolclass=NullPool, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        )

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def has_table(self, table_name: str) -> bool:
        found = self.__dict__.setdefault("_tables_found", set())
        if table_name not in found and super().has_table(table_name):
            found.add(table_name)
        return table_name in found

    def dispose(self) -> None:
        super().dispose()
        if "_engine" in self.__dict__:
            self._engine.dispose()
