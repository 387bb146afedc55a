"""Bad data stops where it is found: a failed blocking check on ingest keeps book_features out of
the run, the daily recalibration away from the instrument, and says which rule broke."""

from __future__ import annotations

import dataclasses
import datetime as dt

import dagster as dg
import polars as pl
import pytest

from execution_assets.defs.partitions import instrument_date_key, register_partitions
from tests.reliability.landing import write_generic_day

BAD = ("ACME", dt.date(2024, 3, 1))
GOOD = ("SYNTH_ILQ", dt.date(2024, 1, 2))
FRIDAY_CLOSE = dt.datetime(2024, 3, 1, 17, 30)


@pytest.fixture
def ingest(data_dir):
    from execution_assets.definitions import defs

    definitions = defs()
    job = definitions.resolve_job_def("ingest_job")
    with dg.instance_for_test() as instance:

        def run(instrument: str, date: dt.date) -> dg.ExecuteInProcessResult:
            register_partitions(instance, [(instrument, date)])
            return job.execute_in_process(
                partition_key=instrument_date_key(instrument, date), instance=instance, raise_on_error=False
            )

        run.instance, run.repository = instance, definitions.get_repository_def()
        yield run


def _crossed(frame: pl.DataFrame, every: int) -> pl.DataFrame:
    """Every n-th book crossed: the bid a cent above the ask."""
    crossed = pl.int_range(pl.len()) % every == 0
    return frame.with_columns(bid_px_1=pl.when(crossed).then(pl.col("ask_px_1") + 0.01).otherwise(pl.col("bid_px_1")))


def _check(result: dg.ExecuteInProcessResult, asset: str, name: str) -> dg.AssetCheckEvaluation:
    return next(c for c in result.get_asset_check_evaluations() if c.asset_key.path[-1] == asset and c.check_name == name)


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {m.asset_key.path[-1] for m in result.get_asset_materialization_events()}


def _recalibration_requests(ingest) -> list[str]:
    from execution_assets.defs.calibration.automation import daily_recalibration

    context = dg.build_schedule_context(ingest.instance, FRIDAY_CLOSE, repository_def=ingest.repository)
    answer = daily_recalibration.evaluate_tick(context)
    return [r.partition_key for r in answer.run_requests or []]


def test_a_file_full_of_crossed_books_stops_features_and_calibration(ingest, data_dir):
    assert ingest(*GOOD).success
    l2, _ = write_generic_day(data_dir / "raw", *BAD, seed=3, seconds=1800)
    clean = pl.read_parquet(l2)
    clean.pipe(_crossed, every=10).write_parquet(l2)  # 10% of the day's books crossed

    result = ingest(*BAD)
    assert not result.success
    assert _materialized(result) == {"raw_l2_snapshots", "raw_trades"}  # stored and flagged, nothing built on it
    assert result.failure_data_for_node("raw_market_data").error.cls_name == "DagsterAssetCheckFailedError"
    share = _check(result, "raw_l2_snapshots", "quarantine_share")
    assert not share.passed and share.blocking and share.severity == dg.AssetCheckSeverity.ERROR
    assert "crossed book: bid_px_1 > ask_px_1" in share.description  # the rule, on the asset's Checks tab
    assert share.partition == str(instrument_date_key(*BAD))
    assert _check(result, "raw_l2_snapshots", "contract").passed  # validation kept the crossed rows out
    warning = _check(result, "raw_l2_snapshots", "quarantine")
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN and not warning.blocking

    assert _recalibration_requests(ingest) == ["SYNTH_ILQ"]  # ACME waits until its day is fixed

    clean.pipe(_crossed, every=1_000_000).write_parquet(l2)  # one crossed book: noise
    fixed = ingest(*BAD)
    assert fixed.success and _materialized(fixed) == {"raw_l2_snapshots", "raw_trades", "book_features"}
    assert not _check(fixed, "raw_l2_snapshots", "quarantine").passed  # a warning stays a warning
    assert sorted(_recalibration_requests(ingest)) == ["ACME", "SYNTH_ILQ"]


def test_a_crossed_book_that_survives_validation_fails_the_contract(ingest, data_dir, monkeypatch):
    """A validation bug letting a crossed book through: the contract check is the last line."""
    from execution_assets.defs.ingest import assets
    from execution_assets.market.sources import load_raw_day

    def buggy_validation(*args):
        day = load_raw_day(*args)
        return dataclasses.replace(day, snapshots=_crossed(day.snapshots, every=5000))

    monkeypatch.setattr(assets, "load_raw_day", buggy_validation)
    result = ingest(*GOOD)
    assert not result.success
    assert "book_features" not in _materialized(result)
    contract = _check(result, "raw_l2_snapshots", "contract")
    assert not contract.passed and contract.blocking
    assert "bid_px_1 < ask_px_1 (not crossed or locked)" in contract.description
    assert "bid_px_1 < ask_px_1 (not crossed or locked)" in contract.metadata["failures"].value
    assert _recalibration_requests(ingest) == []


def test_every_ingest_feature_and_calibration_error_check_is_blocking_and_partitioned():
    from execution_assets.definitions import defs

    graph = defs().resolve_asset_graph()
    blocking = {}
    for group in ("ingest", "features", "calibration"):
        for key in dg.AssetSelection.groups(group).resolve(graph):
            for spec in graph.get(key).assets_def.check_specs:
                if spec.asset_key == key:
                    blocking[(key.path[-1], spec.name)] = spec.blocking
                    assert spec.partitions_def == graph.get(key).partitions_def, spec.key
    warnings = {"quarantine", "full_window", "enough_sessions", "estimable"}
    assert {k for k, b in blocking.items() if not b} == {k for k in blocking if k[1] in warnings}
    assert blocking[("raw_l2_snapshots", "contract")] and blocking[("raw_trades", "quarantine_share")]
