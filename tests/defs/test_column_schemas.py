"""Every table asset shows its columns in the catalog, taken from the table's pandera contract."""

from __future__ import annotations

import dagster as dg
import pytest

from schemas.catalog import contract

NOT_TABLES = {"parquet_export"}  # reads DuckDB, writes parquet files: no table of its own


def _table_assets() -> dict[dg.AssetKey, dg.AssetSpec]:
    """Every asset that stores a DuckDB table: kind duckdb, not an export."""
    from execution_assets.definitions import defs

    graph = defs().resolve_asset_graph()
    return {
        key: graph.get(key).to_asset_spec()
        for key in graph.get_all_asset_keys()
        if "duckdb" in graph.get(key).kinds and key.to_user_string() not in NOT_TABLES
    }


def test_the_table_assets_are_found():
    names = {key.to_user_string() for key in _table_assets()}
    assert {"raw_l2_snapshots", "raw_trades", "book_features", "impact_params", "execution_scenarios"} <= names


@pytest.mark.parametrize("key", sorted(_table_assets(), key=lambda k: k.to_user_string()), ids=str)
def test_table_asset_shows_its_contracts_columns(key):
    spec = _table_assets()[key]
    table = spec.metadata["dagster/table_name"]
    schema = spec.metadata["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema), key
    model = contract(table)
    assert [c.name for c in schema.columns] == list(model.columns), f"{key}: columns differ from {table}'s contract"
    for column in schema.columns:
        expected = model.columns[column.name]
        assert column.constraints.nullable == bool(expected.nullable), column.name
        assert column.type and column.description, f"{key}.{column.name}: type and description shown"
    rules = {r for c in schema.columns for r in c.constraints.other}
    assert all(any(r.startswith(check.name) for r in rules) for c in model.columns.values() for check in c.checks)


def test_column_types_are_the_stored_duckdb_types():
    schema = _table_assets()[dg.AssetKey("raw_trades")].metadata["dagster/column_schema"]
    assert {c.name: c.type for c in schema.columns} == {
        "instrument": "VARCHAR", "date": "DATE", "ts": "TIMESTAMP", "price": "DOUBLE", "size": "BIGINT", "side": "TINYINT",
    }  # fmt: skip
    book = _table_assets()[dg.AssetKey("raw_l2_snapshots")].metadata["dagster/column_schema"]
    assert "bid_px_1 < ask_px_1 (not crossed or locked)" in book.constraints.other
