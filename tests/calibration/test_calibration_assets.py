"""The calibration assets through Dagster: partition mapping, tables, checks, metadata, schedule."""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl
import pytest

from execution_assets import warehouse
from execution_assets.defs.calibration.assets import BY_INSTRUMENT
from execution_assets.defs.partitions import instrument_date_partitions, instrument_partitions, register_partitions
from execution_assets.features import write_book_features
from execution_assets.market.landing import synthetic_seed
from execution_assets.market.synthetic import simulate_market_day

INSTRUMENT = "SYNTH_LIQ"
DAYS = [dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)]


def write_raw_days(instrument: str, days: list[dt.date]) -> None:
    """The ingest assets' output for simulated days (raw tables + features), written directly so
    these tests depend on the calibration layer only."""
    with warehouse.connect() as con:
        for day in days:
            simulated = simulate_market_day(instrument, day, seed=synthetic_seed(instrument, day))
            warehouse.insert_frame(con, "raw.l2_snapshots", simulated.snapshots)
            warehouse.insert_frame(con, "raw.trades", simulated.trades)
        write_book_features(con, instrument, days[0], days[-1])


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """Three synthetic sessions in a private warehouse, then calibration_job for the instrument."""
    monkeypatch = pytest.MonkeyPatch()
    data_dir = tmp_path_factory.mktemp("calibration") / "data"
    monkeypatch.setenv("EXECUTION_DATA_DIR", str(data_dir))
    from execution_assets.definitions import defs

    definitions = defs()
    write_raw_days(INSTRUMENT, DAYS)
    job = definitions.resolve_job_def("calibration_job")
    with dg.instance_for_test() as instance:
        register_partitions(instance, [(INSTRUMENT, day) for day in DAYS])
        result = job.execute_in_process(partition_key=INSTRUMENT, instance=instance)
        yield definitions, instance, job, result, data_dir
    monkeypatch.undo()


def _read(data_dir, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).pl()


def test_calibration_job_writes_every_table(calibrated):
    _, _, _, result, data_dir = calibrated
    assert result.success
    volume = _read(data_dir, "SELECT * FROM calibration.daily_volume ORDER BY date")
    assert volume["date"].to_list() == DAYS
    assert (volume["volume"] > 4e6).all() and (volume["vwap"] > 0).all()
    adv = _read(data_dir, "SELECT * FROM calibration.adv ORDER BY date")
    assert adv["source"].to_list() == ["trades_partial"] * 3  # 3 sessions, no bars for a synthetic name
    assert adv["adv_20d"][-1] == pytest.approx(volume["volume"].mean())
    curve = _read(data_dir, "SELECT * FROM calibration.latest_volume_curve")
    assert curve.height == 78 and curve["volume_share"].sum() == pytest.approx(1.0)
    params = _read(data_dir, "SELECT * FROM calibration.latest_impact_params")
    assert params.height == 1
    row = params.row(0, named=True)
    assert row["as_of"] == DAYS[-1] and row["n_days"] == 3
    assert row["eta"] == pytest.approx(2e-4, rel=0.05)  # trade-level: precise even on 3 days
    assert row["sigma_daily"] == pytest.approx(0.012, rel=0.1)
    # realistic permanent impact (1.5 bps per 1% ADV) is only loosely identified by 3 sessions:
    # the interval must say so by covering the truth
    assert row["gamma_ci_low"] <= 0.015 <= row["gamma_ci_high"]


def test_checks_pass_or_warn_with_reasons(calibrated):
    _, _, _, result, _ = calibrated
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    errors = [("daily_volume", "complete"), ("adv", "positive"), ("volume_curve", "sums_to_one")]
    for key in [*errors, ("impact_params", "no_silent_nan")]:
        assert checks[key].passed, key
    # three sessions: a partial ADV window and a thin volume curve are flagged, not fatal
    assert not checks[("adv", "full_window")].passed
    assert checks[("adv", "full_window")].severity == dg.AssetCheckSeverity.WARN
    assert not checks[("volume_curve", "enough_sessions")].passed


def test_metadata_has_plots_and_report(calibrated):
    _, _, _, result, data_dir = calibrated
    events = result.get_asset_materialization_events()
    materializations = {m.asset_key.path[-1]: m.materialization.metadata for m in events}
    assert "data:image/png;base64" in materializations["volume_curve"]["volume_curve"].value
    assert materializations["volume_curve"]["l1_error_vs_truth"].value < 0.1
    report = materializations["impact_params"]["report"].value
    assert "Estimate vs truth" in report
    assert report.count("data:image/png;base64") == 3  # impact vs participation, decay, volume curve
    path = materializations["impact_params"]["report_path"].value
    assert path.startswith(str(data_dir)) and open(path).read() == report


def test_signal_params_rows_checks_and_metadata(calibrated):
    definitions, _, job, result, data_dir = calibrated
    assert "signal_params" in {key.path[-1] for key in job.asset_layer.selected_asset_keys}
    rows = _read(data_dir, "SELECT * FROM calibration.latest_signal_params ORDER BY predictor, horizon_s")
    assert rows.height == 15  # 3 predictors x (1 s and the 4 decision intervals)
    assert rows["as_of"].unique().to_list() == [DAYS[-1]] and (rows["n_days"] == 3).all()
    assert rows["horizon_s"].unique().sort().to_list() == [1, 5, 30, 60, 390]
    fit = rows.row(0, named=True)
    # 3 sessions of the liquid market: the level-1 imbalance predicts 5-60 s returns
    assert fit["significant"] and fit["reason"] is None
    assert fit["mean_reversion_per_s_ci_low"] < 0.1 < fit["mean_reversion_per_s_ci_high"]
    checks = {(c.asset_key.path[-1], c.check_name): c for c in result.get_asset_check_evaluations()}
    assert checks[("signal_params", "no_silent_nan")].passed
    assert checks[("signal_params", "estimable")].passed
    assert checks[("signal_params", "estimable")].severity == dg.AssetCheckSeverity.WARN
    metadata = {m.asset_key.path[-1]: m.materialization.metadata for m in result.get_asset_materialization_events()}
    signal = metadata["signal_params"]
    assert "| imbalance_1 | 5 | True |" in signal["coefficients"].value
    assert signal["true_mean_reversion_per_s"].value == 0.1
    assert signal["n_obs"].value["1s"] == 3 * 23_399
    spec = definitions.get_assets_def("execution_scenarios").get_asset_spec(dg.AssetKey("execution_scenarios"))
    assert dg.AssetKey("signal_params") in {dep.asset_key for dep in spec.deps}


def test_rematerializing_keeps_one_row_per_as_of(calibrated):
    _, instance, job, _, data_dir = calibrated
    before = _read(data_dir, "SELECT count(*) AS n FROM calibration.impact_params")["n"][0]
    assert job.execute_in_process(partition_key=INSTRUMENT, instance=instance).success
    assert _read(data_dir, "SELECT count(*) AS n FROM calibration.impact_params")["n"][0] == before == 1
    assert _read(data_dir, "SELECT count(*) AS n FROM calibration.volume_curve")["n"][0] == 78
    assert _read(data_dir, "SELECT count(*) AS n FROM calibration.signal_params")["n"][0] == 15


def test_depends_on_every_date_of_the_instrument(calibrated):
    definitions, instance, *_ = calibrated
    for asset in ("daily_volume", "volume_curve", "impact_params", "signal_params"):
        spec = definitions.get_assets_def(asset).get_asset_spec(dg.AssetKey(asset))
        mappings = {dep.asset_key.path[-1]: dep.partition_mapping for dep in spec.deps}
        assert mappings["raw_trades"] is BY_INSTRUMENT, asset
    upstream = BY_INSTRUMENT.get_upstream_mapped_partitions_result_for_partitions(
        instrument_partitions.empty_subset().with_partition_keys([INSTRUMENT]),
        instrument_partitions,
        instrument_date_partitions,
        dynamic_partitions_store=instance,
    )
    keys = upstream.partitions_subset.get_partition_keys()
    assert sorted(k.keys_by_dimension["date"] for k in keys) == [d.isoformat() for d in DAYS]
    assert {k.keys_by_dimension["instrument"] for k in keys} == {INSTRUMENT}


def test_schedule_requests_one_run_per_instrument(calibrated):
    definitions, instance, *_ = calibrated
    schedule = definitions.resolve_schedule_def("daily_recalibration")
    when = dt.datetime(2024, 1, 5, 17, 30)
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=when, repository_def=definitions.get_repository_def()
    )
    requests = schedule.evaluate_tick(context).run_requests
    assert [(r.partition_key, r.run_key) for r in requests] == [(INSTRUMENT, f"{INSTRUMENT}|2024-01-05")]
    assert schedule.job_name == "calibration_job"


def test_schedule_skips_without_instruments():
    from execution_assets.defs.calibration.automation import daily_recalibration

    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance)
        assert daily_recalibration.evaluate_tick(context).skip_message == "no instrument ingested yet"
