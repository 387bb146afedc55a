"""The project's instance (dagster.yaml) keeps its event log in one SQLite file with one engine:
runs, partitioned materializations, check results and pool slots work as with Dagster's default."""

from __future__ import annotations

import shutil

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from execution_assets.defs.partitions import instrument_date_key
from execution_assets.defs.resources import OneFileEventLogStorage
from execution_assets.market.calendar import SYNTHETIC_START, business_days
from execution_assets.paths import PROJECT_ROOT


def test_the_project_instance_stores_a_range_run_in_one_event_log_file(tmp_path, data_dir, monkeypatch):
    from execution_assets.cli import _definitions, ingest_days

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # as cli.instance() and `make ui` set it
    shutil.copy(PROJECT_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, OneFileEventLogStorage)
        assert storage.supports_global_concurrency_limits  # the duckdb and training pools
        days = [("SYNTH_ILQ", date) for date in business_days(SYNTHETIC_START, 2)]
        ingest_days(days, instance)

        keys = {str(instrument_date_key(*day)) for day in days}
        assert sorted(path.name for path in tmp_path.glob("*.db")) == ["event_log.db"]
        for asset in ("raw_l2_snapshots", "raw_trades", "book_features"):
            records = instance.fetch_materializations(dg.AssetKey(asset), limit=10).records
            assert {r.partition_key for r in records} == keys
        specs = _definitions().resolve_assets_def("book_features").check_specs
        infos = storage.get_asset_check_partition_info([spec.key for spec in specs])
        assert {(i.check_key.name, i.partition_key) for i in infos} == {
            (spec.name, key) for spec in specs for key in keys
        }
        assert all(i.latest_execution_status == AssetCheckExecutionRecordStatus.SUCCEEDED for i in infos)
        assert all(i.is_current for i in infos)
        # a new storage on the same file (another process: the daemon, the webserver) reads it all
        other = OneFileEventLogStorage(base_dir=str(tmp_path))
        assert len(other.get_records_for_run(instance.get_run_records()[0].dagster_run.run_id).records) > 0
