"""Scenarios of a 23-hour instrument: the hand-built CME Globex ES days (17:00-16:00 Chicago,
82,800 s) are calibrated, and the scenario grid over that calibration trades on its day."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from execution_assets.evaluation.headline import horizon_label
from execution_assets.evaluation.paired import baseline_strategies, evaluate_problem
from execution_assets.impact import US_EQUITY_SESSION_SECONDS
from execution_assets.scenarios import (
    calibration_from_row,
    load_calibrations,
    n_steps_for,
    scenario_grid,
    scenario_problem,
    stored_problem,
)
from execution_assets.strategies import Oracle
from execution_assets.strategies.almgren_chriss import ac_params_from_problem
from execution_assets.strategies.baselines import volume_fractions
from execution_assets.strategies.schedule_costs import expected_is_bps, variance_is_bps2
from execution_assets.warehouse import insert_frame, run_sql_file
from tests.calibration.test_sessions import ES, GLOBEX_SECONDS, globex  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def globex_grid(globex):  # noqa: F811
    con = globex[0]
    (calibration,) = load_calibrations(con)
    grid = scenario_grid([calibration], ["test"])
    insert_frame(con, "scenarios.execution_scenarios", grid)
    return con, calibration, grid


def test_the_calibration_states_its_23_hour_day(globex_grid):
    _, calibration, _ = globex_grid
    assert calibration.instrument == ES and calibration.source.startswith("calibration")
    assert calibration.session_seconds == GLOBEX_SECONDS
    assert calibration.volume_curve.size == GLOBEX_SECONDS // 300  # 5-minute buckets from 17:00
    # a row stored before impact_params had session_seconds takes the instrument's reference day
    assert calibration_from_row({"instrument": ES, "adv_shares": 1e4}).session_seconds == GLOBEX_SECONDS


def test_the_grid_trades_on_the_instruments_day(globex_grid):
    _, calibration, grid = globex_grid
    assert grid.height == 648 and set(grid["session_seconds"]) == {GLOBEX_SECONDS}
    assert sorted(set(grid["horizon_s"])) == [300.0, 1800.0, 3600.0, GLOBEX_SECONDS]
    day = grid.filter(pl.col("horizon_s") == GLOBEX_SECONDS)
    assert n_steps_for(GLOBEX_SECONDS) == 60 and set(day["n_steps"]) == {60}
    assert set(day["decision_interval_s"]) == {1380.0}  # whole seconds: replay can step it
    assert set(day["start_s"]) == {0.0} and set(grid.filter(pl.col("horizon_s") < GLOBEX_SECONDS)["start_s"]) == {1800.0}
    assert day["scenario_id"].str.contains(f"{ES}-lin-5pct-1d-normal-medium-buy-test").any()
    # the full day's expected volume is the whole curve; flat, one 1,380 s step is 1/60 of it
    assert volume_fractions(calibration.volume_curve, 0.0, 1380.0, 60, GLOBEX_SECONDS).sum() == pytest.approx(1.0)
    np.testing.assert_allclose(volume_fractions(None, 0.0, 1380.0, 60, GLOBEX_SECONDS), 1 / 60)


def test_a_stored_1_day_scenario_simulates_on_the_23_hour_day(globex_grid):
    con, calibration, _ = globex_grid
    stored = run_sql_file(con, "scenarios/select_scenarios", {"split": None})
    row = stored.filter(
        pl.col("horizon_s") == GLOBEX_SECONDS, pl.col("impact_model") == "transient", pl.col("regime") == "normal",
        pl.col("urgency") == "medium", pl.col("side") == 1, pl.col("size_pct_adv") == 5.0,
    ).row(0, named=True)  # fmt: skip
    problem = stored_problem(row)
    assert problem == scenario_problem(row, calibration) and problem.session_seconds == GLOBEX_SECONDS
    assert problem.sigma_step == pytest.approx(calibration.sigma_daily * np.sqrt(1380 / GLOBEX_SECONDS))
    assert ac_params_from_problem(problem, linearize=True).T == 1.0  # AC's horizon: one trading day
    strategies = [*baseline_strategies(problem, calibration.volume_curve, row["start_s"]), Oracle()]
    results, failures = evaluate_problem(problem, strategies, 64, int(row["seed"]))
    assert not failures and set(results) == {s.name for s in strategies}
    for name, summary in results.items():
        assert np.all(np.isfinite(summary.is_bps)) and np.all(summary.filled_frac == 1.0), name
    twap, n = np.full(problem.n_steps, 1 / problem.n_steps), len(results["twap"].is_bps)
    se = np.sqrt(variance_is_bps2(problem, twap) / n)
    assert abs(results["twap"].is_bps.mean() - expected_is_bps(problem, twap)) < 4 * se


def test_old_rows_and_labels():
    assert horizon_label(GLOBEX_SECONDS, GLOBEX_SECONDS) == "1 day" and horizon_label(3600.0, GLOBEX_SECONDS) == "60 min"
    assert horizon_label(23_400.0, GLOBEX_SECONDS) == "390 min" and horizon_label(23_400.0, 23_400.0) == "1 day"
    assert horizon_label(None) == "all"
    row = scenario_grid([calibration_from_row({"instrument": "GOOG"})], ["test"]).row(0, named=True)
    del row["session_seconds"]  # a row stored before execution_scenarios had the column
    assert stored_problem(row).session_seconds == US_EQUITY_SESSION_SECONDS
