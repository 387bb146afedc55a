"""The catalog's view of the contracts: hand-written models agree with the DDL the warehouse is
created from; DDL-derived contracts follow the DDL, descriptions from its comments."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from execution_assets.sql import SQL_DIR
from schemas.catalog import contract, table_columns

MODELLED = ["raw.l2_snapshots", "raw.trades", "raw.quarantine", "features.book_1s"]
TABLES = sorted(p.stem.replace("_", ".", 1) for p in (SQL_DIR / "ddl").glob("*.sql") if not p.stem.startswith("00"))


def _stored(table: str) -> list[tuple[str, str]]:
    with duckdb.connect(":memory:") as con:
        con.execute((SQL_DIR / "ddl" / "00_schemas.sql").read_text())
        con.execute((SQL_DIR / "ddl" / f"{table.replace('.', '_')}.sql").read_text())
        return con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall()


@pytest.mark.parametrize("table", TABLES)
def test_contract_columns_and_types_are_the_stored_ones(table):
    assert dict((c.name, c.type) for c in table_columns(table)) == dict(_stored(table))  # rows are inserted by name
    assert all(c.description for c in table_columns(table)), "every column described"


def test_hand_written_models_are_the_contract():
    from schemas.features import BookFeaturesModel
    from schemas.raw import L2SnapshotsModel, QuarantineModel, TradesModel

    models = [L2SnapshotsModel, TradesModel, QuarantineModel, BookFeaturesModel]
    assert [contract(table) for table in MODELLED] == models


def test_ddl_comments_become_descriptions_and_not_null_the_nullability():
    columns = {c.name: c for c in table_columns("calibration.adv")}
    assert columns["adv_20d"].description == "shares" and not columns["adv_20d"].nullable
    assert columns["observed_volume"].nullable
    impact = {c.name: c for c in table_columns("calibration.impact_params")}
    assert impact["gamma_ci_low"].description == "lower bound of the 95% confidence interval of gamma"
    assert "well identified" in impact["permanent_1pct_adv_bps"].description  # a comment continued on its own line
    assert contract("calibration.volume_curve").columns["bucket_start"].dtype.type == pl.Time
