"""Load the project's SQL statements from ``sql/`` by name (no long SQL lives in Python)."""

from __future__ import annotations

from functools import cache

from execution_assets.paths import PROJECT_ROOT

SQL_DIR = PROJECT_ROOT / "sql"


@cache
def load_sql(name: str) -> str:
    """Text of ``sql/<name>.sql``, e.g. ``load_sql("ddl/raw_trades")``."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path} (asked for {name!r})")
    return path.read_text()
