"""End-to-end tests of the ingest + features assets through Dagster, on a private warehouse."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from execution_assets import warehouse
from execution_assets.defs.partitions import instrument_date_key, register_partitions

DAY = ("SYNTH_ILQ", dt.date(2024, 1, 2))


@pytest.fixture
def ingest(data_dir):
    """Run ingest_job for one partition on a temp instance; returns a callable."""
    from execution_assets.definitions import defs

    instance = dg.DagsterInstance.ephemeral()
    job = defs().resolve_job_def("ingest_job")

    def run(instrument: str, date: dt.date, raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
        register_partitions(instance, [(instrument, date)])
        return job.execute_in_process(
            partition_key=instrument_date_key(instrument, date), instance=instance, raise_on_error=raise_on_error
        )

    return run


def _counts(data_dir, instrument, date):
    with warehouse.connect(data_dir / "warehouse.duckdb") as con:
        where = {"instrument": instrument, "date": date}
        return {
            table: warehouse.count_rows(con, table, where)
            for table in ("raw.l2_snapshots", "raw.trades", "raw.quarantine", "features.book_1s")
        }


def test_synthetic_partition_materializes_with_checks_and_metadata(ingest, data_dir):
    result = ingest(*DAY)
    assert result.success
    counts = _counts(data_dir, *DAY)
    assert counts["raw.l2_snapshots"] == 23_400
    assert counts["features.book_1s"] == 23_400
    assert counts["raw.trades"] > 1_000
    checks = result.get_asset_check_evaluations()
    assert {(c.asset_key.path[-1], c.check_name) for c in checks} >= {
        ("raw_l2_snapshots", "contract"),
        ("raw_trades", "contract"),
        ("book_features", "contract"),
        ("book_features", "one_row_per_snapshot"),
    }
    assert all(c.passed for c in checks if c.check_name != "quarantine")
    materializations = {m.asset_key.path[-1]: m for m in result.get_asset_materialization_events()}
    features_metadata = materializations["book_features"].materialization.metadata
    assert features_metadata["dagster/row_count"].value == 23_400
    assert "data:image/png;base64" in features_metadata["mid_and_spread"].value


def test_rematerializing_a_partition_replaces_it(ingest, data_dir):
    ingest(*DAY)
    first = _counts(data_dir, *DAY)
    ingest(*DAY)
    assert _counts(data_dir, *DAY) == first


def test_failed_write_leaves_the_previous_partition(ingest, data_dir, monkeypatch):
    ingest(*DAY)
    before = _counts(data_dir, *DAY)

    def crash_on_trades(con, table, frame):
        if table == "raw.trades":
            raise RuntimeError("simulated crash mid-write")
        return real_insert(con, table, frame)

    from execution_assets.defs.ingest import assets

    real_insert = assets.insert_frame
    monkeypatch.setattr(assets, "insert_frame", crash_on_trades)
    result = ingest(*DAY, raise_on_error=False)
    assert not result.success
    assert _counts(data_dir, *DAY) == before


def test_unknown_instrument_fails_with_a_clear_error(ingest):
    with pytest.raises(Exception, match="no raw data for NOPE 2024-01-02"):
        ingest("NOPE", dt.date(2024, 1, 2))


def test_real_goog_lobster_day_ingests_through_dagster(ingest, data_dir):
    from execution_assets.market.landing import link_into_landing
    from tests.conftest import LOBSTER_DIR

    link_into_landing([LOBSTER_DIR], data_dir / "raw")
    assert ingest("GOOG", dt.date(2012, 6, 21)).success
    counts = _counts(data_dir, "GOOG", dt.date(2012, 6, 21))
    assert counts == {"raw.l2_snapshots": 23_400, "raw.trades": 11_678, "raw.quarantine": 0, "features.book_1s": 23_400}


def test_unparseable_landing_file_fails_clearly_and_keeps_stored_data(ingest, data_dir):
    from execution_assets.market import simulate_market_day

    instrument, date = "ACME", dt.date(2024, 3, 1)
    day = simulate_market_day("SYNTH_ILQ", date, seed=7)
    raw = data_dir / "raw"
    raw.mkdir(parents=True)
    day.snapshots.with_columns(instrument=pl.lit(instrument)).write_parquet(raw / f"{instrument}_{date}_l2.parquet")
    trades_csv = raw / f"{instrument}_{date}_trades.csv"
    day.trades.with_columns(instrument=pl.lit(instrument)).write_csv(trades_csv)
    assert ingest(instrument, date).success
    before = _counts(data_dir, instrument, date)
    assert before["raw.l2_snapshots"] == 23_400

    lines = trades_csv.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[3], "not-a-price")
    trades_csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(Exception, match=rf"{trades_csv.name}, line 4: .*price"):
        ingest(instrument, date)
    assert _counts(data_dir, instrument, date) == before


def test_sensor_requests_each_new_landing_day_once(data_dir):
    from execution_assets.defs.ingest.automation import new_raw_files_sensor
    from execution_assets.market.landing import link_into_landing
    from tests.conftest import LOBSTER_DIR

    instance = dg.DagsterInstance.ephemeral()
    assert new_raw_files_sensor(dg.build_sensor_context(instance=instance)).run_requests == []

    link_into_landing([LOBSTER_DIR], data_dir / "raw")
    first = new_raw_files_sensor(dg.build_sensor_context(instance=instance))
    assert [r.partition_key for r in first.run_requests] == [instrument_date_key("GOOG", dt.date(2012, 6, 21))]
    assert [r.partition_keys for r in first.dynamic_partitions_requests] == [["GOOG"], ["2012-06-21"]]

    again = new_raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert again.run_requests == []
