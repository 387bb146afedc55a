"""Security: values from users (file names, partition keys) reach SQL only as parameters, and the
UI is bound to loopback. (The browser test checks the running webserver's socket.)"""

from __future__ import annotations

import ast
import datetime as dt
import re

import dagster as dg
import pytest

from execution_assets import warehouse
from execution_assets.defs.partitions import instrument_date_key, register_partitions
from execution_assets.export import export_partition
from execution_assets.market.landing import discover_landing_days
from execution_assets.paths import PROJECT_ROOT
from tests.reliability.conftest import table_hashes
from tests.reliability.landing import write_generic_day

EVIL = "x'; DROP TABLE raw.trades; --"
DATE = dt.date(2024, 1, 2)
GOOD = ("SYNTH_ILQ", DATE)


@pytest.fixture
def stored(data_dir):
    """One good partition in the warehouse, and the instance and job that wrote it."""
    from execution_assets.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    job = defs().resolve_job_def("ingest_job")
    register_partitions(instance, [GOOD, (EVIL, DATE)])
    assert job.execute_in_process(partition_key=instrument_date_key(*GOOD), instance=instance).success
    return instance, job, table_hashes(data_dir / "warehouse.duckdb")


def test_a_landing_file_named_with_sql_is_not_recognized(data_dir, stored):
    from execution_assets.defs.ingest.automation import new_raw_files_sensor

    raw = data_dir / "raw"
    l2, trades = write_generic_day(raw, "EVIL", DATE, seed=1, seconds=60)
    l2.rename(raw / f"{EVIL}_{DATE}_l2.parquet")
    trades.rename(raw / f"{EVIL}_{DATE}_trades.csv")
    assert discover_landing_days(raw) == {}
    assert new_raw_files_sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())).run_requests == []


def test_a_partition_key_carrying_sql_is_stored_harmlessly(data_dir, stored):
    instance, job, before = stored
    evil = instrument_date_key(EVIL, DATE)
    result = job.execute_in_process(partition_key=evil, instance=instance, raise_on_error=False)
    assert not result.success  # no raw data for that name: a clear error, nothing executed as SQL
    failure = result.failure_data_for_node("raw_market_data").error
    assert f"no raw data for {EVIL} {DATE}" in (failure.cause or failure).message

    from execution_assets.definitions import defs

    features = defs().resolve_job_def("ingest_job").get_subset(asset_selection={dg.AssetKey("book_features")})
    # the features SQL runs with the key as a value: it finds no rows, and drops nothing
    features.execute_in_process(partition_key=evil, instance=instance, raise_on_error=False)

    database = data_dir / "warehouse.duckdb"
    with warehouse.connect(database) as con:
        warehouse.delete_rows(con, "raw.trades", {"instrument": EVIL, "date": DATE})
        assert warehouse.count_rows(con, "raw.trades", {"instrument": EVIL}) == 0
        with pytest.raises(ValueError, match="cannot name a partition folder"):
            export_partition(con, data_dir / "export", EVIL, DATE)
        with pytest.raises(ValueError, match="not a plain SQL identifier"):
            warehouse.count_rows(con, "raw.trades; DROP TABLE raw.trades", {"instrument": "A"})
        with pytest.raises(ValueError, match="not a plain SQL identifier"):
            warehouse.count_rows(con, "raw.trades", {"1=1 OR instrument": "A"})
    assert table_hashes(database) == before  # every table still there, unchanged


SQL_CALLS = {"execute", "executemany", "sql", "query"}
CHECKED_CALLS = {"_identifier", "load_sql"}  # a checked identifier; the text of a project SQL file
ALLOWED_NAMES = {"clause"}  # warehouse._where: "col = ?" terms over checked identifiers


def _interpolations(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return [*node.args, *(k.value for k in node.keywords)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return [node.right] if isinstance(node.op, ast.Mod) else [node.left, node.right]
    return []


def _checked(value: ast.expr) -> bool:
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
        return value.func.id in CHECKED_CALLS
    if isinstance(value, ast.Name):
        return value.id in ALLOWED_NAMES
    return isinstance(value, ast.Constant)


def test_sql_built_in_python_interpolates_only_checked_identifiers():
    """Every SQL call whose text is built in Python (f-string, format, % or +) interpolates only
    identifiers that passed ``warehouse._identifier`` or project SQL files; values go as parameters."""
    offenders = []
    for path in sorted((PROJECT_ROOT / "execution_assets").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
                continue
            if node.func.attr in SQL_CALLS:
                bad = [v for v in _interpolations(node.args[0]) if not _checked(v)]
                offenders += [f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}: {ast.unparse(v)}" for v in bad]
    assert not offenders, "SQL text built from unchecked values:\n" + "\n".join(offenders)


def test_make_ui_binds_the_webserver_to_loopback():
    recipe = [line for line in (PROJECT_ROOT / "Makefile").read_text().splitlines() if "dagster dev" in line]
    assert recipe and all(re.search(r"(-h|--host) 127\.0\.0\.1\b", line) for line in recipe), recipe
