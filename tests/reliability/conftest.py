"""Fixtures of the reliability tests: a private data dir and Dagster home, and worker processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from execution_assets.paths import PROJECT_ROOT

WORKER = "tests.reliability.worker"


@pytest.fixture
def dagster_home(tmp_path, monkeypatch):
    """A persistent Dagster home with the project's dagster.yaml (its "duckdb" pool limit of 1)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def worker(data_dir, dagster_home, tmp_path):
    """Start ``tests.reliability.worker`` in its own process on this test's data dir and home.

    Its log goes to a file (``process.log``): a pipe nobody reads would fill and block it.
    """
    env = {**os.environ, "EXECUTION_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(dagster_home)}
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        log = tmp_path / f"worker-{len(started)}.log"
        with open(log, "w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", WORKER, *args],
                cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True,
            )  # fmt: skip
        process.log = log
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def table_hashes(database: Path) -> dict[str, tuple[int, int]]:
    """(rows, order-independent hash of the rows) of every table in the warehouse.

    Columns that record when something ran (``*_at``) are left out: they differ by design.
    Doubles are rounded to 9 decimal places (see below).
    """
    con = duckdb.connect(str(database), read_only=True)
    try:
        columns: dict[str, list[str]] = {}
        for schema, table, column, data_type in con.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema NOT IN ('main', 'information_schema', 'pg_catalog') "
            "AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE') "
            "ORDER BY table_schema, table_name, ordinal_position"
        ).fetchall():
            if not column.endswith("_at"):
                # DuckDB's parallel float aggregation may differ in the last bits between runs:
                # doubles are compared to 9 decimal places
                quoted = f'"{column}"'
                value = f"round({quoted}, 9)" if data_type == "DOUBLE" else quoted
                columns.setdefault(f"{schema}.{table}", []).append(value)
        digest = "SELECT count(*), coalesce(sum(hash({})::HUGEINT), 0) FROM {}"
        return {table: con.execute(digest.format(", ".join(cols), table)).fetchall()[0] for table, cols in columns.items()}
    finally:
        con.close()
