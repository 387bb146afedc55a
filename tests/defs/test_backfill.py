"""Backfills in few runs: a range of instrument-days per run, split as Dagster's daemon splits a
UI backfill, every partition stored with its own metadata and check results."""

from __future__ import annotations

import datetime as dt
import math

import dagster as dg
import polars as pl
import pytest
from dagster._core.definitions.automation_tick_evaluation_context import build_run_requests_with_backfill_policies
from dagster._core.definitions.events import AssetKeyPartitionKey
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from execution_assets import warehouse
from execution_assets.defs.partitions import (
    MAX_DAYS_PER_RUN,
    instrument_date_key,
    range_tags,
    register_partitions,
    run_ranges,
)
from execution_assets.market.calendar import SYNTHETIC_START, business_days
from tests.reliability.landing import write_generic_day

ASSETS = [dg.AssetKey(name) for name in ("raw_l2_snapshots", "raw_trades", "book_features")]


@pytest.fixture
def definitions():
    from execution_assets.definitions import defs

    return defs()


def _daemon_ranges(definitions, instance, days) -> list[tuple[str, str]]:
    """The (start, end) of each run the backfill daemon makes of a backfill of ``days``."""
    keys = [str(instrument_date_key(*day)) for day in days]
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        requests = build_run_requests_with_backfill_policies(
            [AssetKeyPartitionKey(asset, key) for asset in ASSETS for key in keys],
            definitions.resolve_asset_graph(),
            instance,
        )
    assert all(set(r.asset_selection) == set(ASSETS) for r in requests)  # ingest and features together
    tags = [r.tags for r in requests]
    return sorted((t["dagster/asset_partition_range_start"], t["dagster/asset_partition_range_end"]) for t in tags)


def test_a_backfill_becomes_runs_of_at_most_max_days_per_instrument_like_the_cli(definitions):
    n_days = MAX_DAYS_PER_RUN + 6
    dates = business_days(SYNTHETIC_START, n_days)
    days = [(name, date) for name in ("SYNTH_ILQ", "SYNTH_LIQ") for date in dates]
    with dg.instance_for_test() as instance:
        register_partitions(instance, days)
        daemon = _daemon_ranges(definitions, instance, days)
        assert len(daemon) == 2 * math.ceil(n_days / MAX_DAYS_PER_RUN)
        cli = sorted((r.start, r.end) for r in run_ranges(instance, days))
        assert cli == daemon
        partitions_def = definitions.resolve_assets_def("book_features").partitions_def
        covered = [
            key
            for start, end in daemon
            for key in partitions_def.get_partition_keys_in_range(dg.PartitionKeyRange(start, end), instance)
        ]
        assert sorted(covered) == sorted(str(instrument_date_key(*day)) for day in days)  # each once, no other

        # days out of the date partitions' order (registered later) start ranges of their own
        early = [("SYNTH_LIQ", dt.date(2023, 12, 28)), ("SYNTH_LIQ", dt.date(2023, 12, 29))]
        register_partitions(instance, early)
        assert sorted((r.start, r.end) for r in run_ranges(instance, early + days)) == _daemon_ranges(
            definitions, instance, early + days
        )


def _check_infos(instance, definitions, asset: dg.AssetKey) -> dict[str, list]:
    """The latest result of each check of ``asset``, by partition."""
    keys = [spec.key for spec in definitions.resolve_assets_def(asset).check_specs if spec.asset_key == asset]
    by_partition: dict[str, list] = {}
    for info in instance.event_log_storage.get_asset_check_partition_info(keys):
        by_partition.setdefault(info.partition_key, []).append(info)
    return by_partition


def test_a_range_run_stores_every_partition_with_its_metadata_and_checks(data_dir, definitions):
    from execution_assets.cli import ingest_days

    days = [(name, date) for name in ("SYNTH_ILQ", "SYNTH_LIQ") for date in business_days(SYNTHETIC_START, 3)]
    with dg.instance_for_test() as instance:
        ingest_days(days, instance)
        assert len(instance.get_run_records()) == 2  # one run per instrument, not one per day
        keys = {str(instrument_date_key(*day)) for day in days}
        for asset in ASSETS:
            records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=asset), limit=100).records
            assert {r.partition_key for r in records} == keys
            plotted = {r.partition_key for r in records if "mid_and_spread" in r.asset_materialization.metadata}
            if asset.path[-1] != "raw_trades":  # one plot per instrument and run: its last day
                assert plotted == {str(instrument_date_key(name, days[2][1])) for name in ("SYNTH_ILQ", "SYNTH_LIQ")}
            if asset.path[-1] == "raw_trades":
                counts = {r.partition_key: r.asset_materialization.metadata["dagster/row_count"].value for r in records}
                with warehouse.connect(data_dir / "warehouse.duckdb") as con:
                    stored = con.execute("SELECT date, instrument, count(*) FROM raw.trades GROUP BY ALL").fetchall()
                assert counts == {f"{date}|{instrument}": n for date, instrument, n in stored}  # each its own
            checks = _check_infos(instance, definitions, asset)
            assert set(checks) == keys
            for infos in checks.values():
                assert len(infos) == (2 if asset.path[-1] == "book_features" else 3)
                assert all(i.latest_execution_status == AssetCheckExecutionRecordStatus.SUCCEEDED for i in infos)
                assert all(i.is_current for i in infos)  # each points at its partition's materialization


@pytest.fixture
def acme_days(data_dir):
    """Two small landing days of ACME, registered on a test instance; the ingest_job and a runner."""
    from execution_assets.definitions import defs

    days = [("ACME", dt.date(2024, 3, 1)), ("ACME", dt.date(2024, 3, 4))]
    files = {day: write_generic_day(data_dir / "raw", *day, seed=i, seconds=1800) for i, day in enumerate(days)}
    job = defs().resolve_job_def("ingest_job")
    with dg.instance_for_test() as instance:
        register_partitions(instance, days)
        (key_range,) = run_ranges(instance, days)

        def run() -> dg.ExecuteInProcessResult:
            return job.execute_in_process(instance=instance, tags=range_tags(key_range), raise_on_error=False)

        yield days, files, run, instance


def _stored(data_dir) -> dict:
    with warehouse.connect(data_dir / "warehouse.duckdb") as con:
        return {
            table: con.execute(f"SELECT date, count(*) FROM {table} GROUP BY ALL ORDER BY ALL").fetchall()
            for table in ("raw.l2_snapshots", "raw.trades", "features.book_1s")
        }


def test_an_unreadable_file_fails_its_run_and_keeps_every_stored_day(acme_days, data_dir):
    days, files, run, _ = acme_days
    assert run().success
    before = _stored(data_dir)
    assert [n for _, n in before["raw.l2_snapshots"]] == [1800, 1800]

    trades_csv = files[days[1]][1]
    lines = trades_csv.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[3], "not-a-price")
    trades_csv.write_text("\n".join(lines) + "\n")
    result = run()
    assert not result.success
    assert f"{trades_csv.name}, line 4" in str(result.failure_data_for_node("raw_market_data").error)
    assert _stored(data_dir) == before  # the good day of the run was not half-replaced either


def test_a_failed_blocking_check_fails_only_its_day_and_holds_back_the_runs_features(acme_days, data_dir):
    days, files, run, instance = acme_days
    l2 = files[days[0]][0]
    frame = pl.read_parquet(l2)
    frame.with_columns(bid_px_1=pl.col("ask_px_1") + 0.01).write_parquet(l2)  # every book crossed

    result = run()
    assert not result.success
    assert result.failure_data_for_node("raw_market_data").error.cls_name == "DagsterAssetCheckFailedError"
    share = {
        c.partition: c.passed
        for c in result.get_asset_check_evaluations()
        if c.asset_key.path[-1] == "raw_l2_snapshots" and c.check_name == "quarantine_share"
    }
    assert share == {str(instrument_date_key(*days[0])): False, str(instrument_date_key(*days[1])): True}
    materialized = {(m.asset_key.path[-1], m.partition) for m in result.get_asset_materialization_events()}
    assert {asset for asset, _ in materialized} == {"raw_l2_snapshots", "raw_trades"}  # stored and flagged
    assert _stored(data_dir)["features.book_1s"] == []


def test_a_range_run_tagged_with_its_first_day_fails_instead_of_storing_only_that_day(acme_days):
    """How Dagster 1.13 tags the runs of a backfill launched from a multi-partitioned job's page."""
    days, _, _, instance = acme_days
    from execution_assets.definitions import defs

    (key_range,) = run_ranges(instance, days)
    first = instrument_date_key(*days[0])
    tags = {**range_tags(key_range), **{f"dagster/partition/{k}": v for k, v in first.keys_by_dimension.items()}}
    result = defs().resolve_job_def("ingest_job").execute_in_process(
        instance=instance, tags=tags, raise_on_error=False
    )
    assert not result.success
    assert "Launch the backfill from an asset page" in str(result.failure_data_for_node("raw_market_data").error)
    assert result.get_asset_materialization_events() == []
