"""Materializing every asset twice gives identical tables and identical parquet exports.

Covers every asset of the code location except the "agents", "evaluation" and "reports" groups
(training and the Monte Carlo evaluation behind the reports take minutes), and fails listing
any asset that is neither covered here nor excluded, so a new asset cannot slip past.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import dagster as dg
import pytest

from execution_assets.defs.partitions import instrument_date_key, register_partitions
from execution_assets.export import export_root
from tests.reliability.conftest import table_hashes

INSTRUMENT = "SYNTH_ILQ"
DATES = (dt.date(2024, 1, 2), dt.date(2024, 1, 3))
EXCLUDED_GROUPS = ("agents", "evaluation", "reports")
BY_INSTRUMENT_DAY = dg.AssetSelection.groups("ingest", "features", "ops")
BY_INSTRUMENT = dg.AssetSelection.groups("calibration")
UNPARTITIONED = dg.AssetSelection.groups("scenarios", "reference")


def _materialize_everything(definitions: dg.Definitions, instance: dg.DagsterInstance) -> None:
    assets, resources = list(definitions.assets), definitions.resources

    def run(selection: dg.AssetSelection, partition_key=None) -> None:
        result = dg.materialize(
            assets, selection=selection, partition_key=partition_key, instance=instance, resources=resources
        )
        assert result.success

    for date in DATES:
        run(BY_INSTRUMENT_DAY, instrument_date_key(INSTRUMENT, date))
    run(BY_INSTRUMENT, INSTRUMENT)
    run(UNPARTITIONED)


def _export_digests(root) -> dict[str, str]:
    files = sorted(root.rglob("*.parquet"))
    return {str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


@pytest.mark.slow  # ingest, export, calibration and scenarios, twice: ~40 s
def test_every_asset_materialized_twice_gives_identical_tables(data_dir):
    from execution_assets.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    covered = (BY_INSTRUMENT_DAY | BY_INSTRUMENT | UNPARTITIONED).resolve(graph)
    excluded = dg.AssetSelection.groups(*EXCLUDED_GROUPS).resolve(graph)
    missing = graph.get_all_asset_keys() - covered - excluded
    assert not missing, f"assets this test does not materialize: {sorted(k.to_user_string() for k in missing)}"

    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, [(INSTRUMENT, date) for date in DATES])
    _materialize_everything(definitions, instance)
    first, first_export = table_hashes(data_dir / "warehouse.duckdb"), _export_digests(export_root())
    _materialize_everything(definitions, instance)
    second, second_export = table_hashes(data_dir / "warehouse.duckdb"), _export_digests(export_root())

    assert first == second
    assert first_export == second_export
    written = {table for table, (rows, _) in first.items() if rows}
    assert {"raw.l2_snapshots", "raw.trades", "features.book_1s", "calibration.impact_params",
            "scenarios.execution_scenarios"} <= written  # fmt: skip
    assert len(first_export) == 3 * len(DATES)
