"""The scenario grid, its mapping to ExecutionProblems, and the execution_scenarios asset."""

from __future__ import annotations

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest
from execution_assets.defs.resources import WarehouseResource

from execution_assets import warehouse
from execution_assets.impact import US_EQUITY_SESSION_SECONDS
from execution_assets.scenarios import (
    SPLIT_SEEDS,
    URGENCY_KAPPA_T,
    calibration_from_row,
    default_calibration,
    horizons_for,
    load_calibrations,
    n_steps_for,
    scenario_grid,
    scenario_problem,
    steps_every,
    stored_problem,
)
from execution_assets.strategies.almgren_chriss import ac_kappa, ac_params_from_problem
from execution_assets.strategies.schedule_costs import expected_is_bps

CALS = [default_calibration("SYNTH_LIQ"), default_calibration("SYNTH_ILQ")]


@pytest.fixture(scope="module")
def grid() -> pl.DataFrame:
    return scenario_grid(CALS)


def test_grid_is_the_full_product_per_instrument_and_split(grid):
    assert grid.height == 2 * 3 * (3 * 4 * 3 * 3 * 2 * 3)
    assert grid["scenario_id"].n_unique() == grid.height
    per_cell = grid.group_by("instrument", "split").len()
    assert per_cell["len"].to_list() == [648] * 6
    assert set(grid["size_pct_adv"]) == {1.0, 5.0, 10.0}
    assert set(grid["horizon_s"]) == {300.0, 1800.0, 3600.0, 23400.0}
    assert set(grid["regime"]) == {"normal", "volatile", "trending"}
    assert set(grid["urgency"]) == {"low", "medium", "high"}
    assert set(grid["side"]) == {1, -1}
    assert set(grid["impact_model"]) == {"linear", "square_root", "transient"}


def test_seeds_are_unique_and_inside_their_split_range(grid):
    assert grid["seed"].n_unique() == grid.height
    for split, (lo, hi) in SPLIT_SEEDS.items():
        seeds = grid.filter(pl.col("split") == split)["seed"]
        assert seeds.min() >= lo and seeds.max() < hi


def test_decisions_per_episode_stay_in_20_to_100_and_the_interval_grows_with_the_horizon(grid):
    assert grid["n_steps"].min() >= 20 and grid["n_steps"].max() <= 100
    intervals = [h / n_steps_for(h) for h in horizons_for(US_EQUITY_SESSION_SECONDS)]
    assert intervals == sorted(intervals) and intervals[0] < intervals[-1]
    assert all(float(i).is_integer() for i in intervals)  # replay needs whole-second steps
    assert n_steps_for(1000) == 50
    with pytest.raises(ValueError, match="whole-second"):
        n_steps_for(997)


def test_a_finer_decision_clock_keeps_the_orders_and_their_seeds(grid):
    fine = scenario_grid(CALS, splits=("test",), decision_interval_s=5.0)
    coarse = grid.filter(pl.col("split") == "test")
    assert fine["scenario_id"].to_list() == coarse["scenario_id"].to_list()
    assert fine["seed"].to_list() == coarse["seed"].to_list()
    assert (fine["n_steps"] * 5.0 == fine["horizon_s"]).all() and set(fine["decision_interval_s"]) == {5.0}
    thirty_minutes = fine.filter(pl.col("horizon_s") == 1800.0)
    assert set(thirty_minutes["n_steps"]) == {360}
    with pytest.raises(ValueError, match="whole-second"):
        steps_every(1800.0, 7.0)


def test_stored_rows_rebuild_the_problem_they_were_made_from(grid):
    by_instrument = {c.instrument: c for c in CALS}
    for row in grid.sample(50, seed=1).iter_rows(named=True):
        assert stored_problem(row) == scenario_problem(row, by_instrument[row["instrument"]])


def test_urgency_is_almgren_chriss_kappa_t():
    cal = CALS[0]
    for urgency, kappa_t in URGENCY_KAPPA_T.items():
        row = _row(scenario_grid([cal], ["test"]), urgency=urgency, horizon_s=300.0, impact_model="linear")
        problem = stored_problem(row)
        p = ac_params_from_problem(problem)
        # lambda is set by kappa^2 = lambda sigma^2 / eta; AC's discrete kappa uses
        # eta_tilde = eta - gamma tau / 2 instead, and agrees to O((kappa tau)^2) on 5 s steps
        assert ac_kappa(p) * p.T == pytest.approx(kappa_t * np.sqrt(p.eta / p.eta_tilde), rel=1e-3)


def test_impact_models_charge_twap_the_same_temporary_impact():
    g = scenario_grid([CALS[0]], ["test"])
    twap = np.full(60, 1 / 60)
    costs = {}
    for model in ("linear", "square_root", "transient"):
        problem = stored_problem(_row(g, impact_model=model, horizon_s=1800.0, regime="normal", urgency="low"))
        costs[model] = expected_is_bps(problem, twap)
    assert costs["linear"] == pytest.approx(costs["square_root"], rel=1e-9)
    assert costs["transient"] > costs["linear"]  # plus the Obizhaeva-Wang displacement


def test_calibration_nulls_fall_back_to_defaults_and_say_so():
    row = {
        "instrument": "SYNTH_LIQ", "as_of": None, "adv_shares": 4e6, "eta": 3e-4, "beta": 0.55,
        "gamma": None, "delta": 1.0, "kappa": None, "transient_decay_per_s": None,
        "sigma_daily": 0.015, "half_spread_bps": 0.6, "null_reason": "gamma: not identified",
    }  # fmt: skip
    cal = calibration_from_row(row)
    truth = default_calibration("SYNTH_LIQ")
    assert cal.impact.eta == 3e-4 and cal.adv_shares == 4e6
    assert cal.impact.gamma == truth.impact.gamma and cal.impact.kappa == truth.impact.kappa
    assert cal.source == "calibration+defaults"
    assert "gamma" in cal.notes and "kappa" in cal.notes and "not identified" in cal.notes
    # the signal scales with the calibrated volatility
    assert cal.signal_alpha_bps_per_s == pytest.approx(truth.signal_alpha_bps_per_s * 0.015 / truth.sigma_daily)


def test_unknown_instruments_get_generic_defaults():
    cal = default_calibration("ACME")
    assert cal.source == "defaults" and cal.volume_curve is None and "generic" in cal.notes
    assert cal.impact.kappa > 0


def test_empty_warehouse_uses_the_built_in_instruments(tmp_path):
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        cals = load_calibrations(con)
    assert [c.instrument for c in cals] == ["SYNTH_ILQ", "SYNTH_LIQ"]
    assert all(c.source == "defaults" for c in cals)


def test_asset_writes_the_grid_idempotently_with_passing_checks(data_dir):
    from execution_assets.defs.scenarios.assets import execution_scenarios

    data_dir.mkdir(parents=True)
    resources = {"duckdb": WarehouseResource(database=str(data_dir / "warehouse.duckdb"))}
    instance = dg.DagsterInstance.ephemeral()
    for _ in range(2):
        result = dg.materialize([execution_scenarios], resources=resources, instance=instance)
        assert result.success
    checks = result.get_asset_check_evaluations()
    assert len(checks) == 5 and all(c.passed for c in checks)
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["dagster/row_count"].value == 3888
    assert "data:image/png;base64" in metadata["urgency"].value
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM scenarios.execution_scenarios").fetchall()[0][0] == 3888


def _row(g: pl.DataFrame, **where) -> dict:
    frame = g.filter(**where) if where else g
    return frame.filter(pl.col("side") == 1, pl.col("size_pct_adv") == 5.0).row(0, named=True)


def test_the_daily_horizon_is_the_instruments_trading_day(grid):
    assert all(c.session_seconds == US_EQUITY_SESSION_SECONDS for c in CALS)  # the synthetic instruments are US equities
    assert set(grid["session_seconds"]) == {US_EQUITY_SESSION_SECONDS}
    assert horizons_for(82_800.0)[-1] == 82_800.0
    with pytest.raises(ValueError, match="not longer"):
        horizons_for(3_600.0)


def test_the_urgency_plot_skips_an_instrument_where_almgren_chriss_has_no_minimum():
    """GOOG's one-day calibration gives eta~ < 0 (permanent impact outweighs temporary): the asset's
    AC schedules by urgency come from the next instrument instead of failing the grid."""
    import dataclasses

    from execution_assets.defs.scenarios.assets import _urgency_plot
    from execution_assets.impact import ImpactParams
    from execution_assets.strategies import AlmgrenChriss

    good = default_calibration("SYNTH_LIQ")
    bad = dataclasses.replace(good, instrument="AAA", impact=ImpactParams(eta=1e-6, beta=1.0, gamma=0.5, delta=1.0))
    grid = scenario_grid([bad, good], ["test"])
    cell = grid.filter(pl.col("instrument") == "AAA", pl.col("impact_model") == "linear", size_pct_adv=5.0, horizon_s=1800.0)
    with pytest.raises(ValueError, match="eta_tilde"):
        AlmgrenChriss().reset(stored_problem(cell.row(0, named=True)), 1)
    assert _urgency_plot(grid).startswith("![urgency](data:image/png;base64,")
