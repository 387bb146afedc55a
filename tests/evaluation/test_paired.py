"""Paired evaluation: common random numbers, stacking of static schedules, failures, plan vs market."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from execution_assets.evaluation.grid import evaluate_scenarios
from execution_assets.evaluation.paired import (
    EPISODE_COLUMNS,
    baseline_strategies,
    episode_frame,
    evaluate_problem,
    pov_rate,
    run_stateless_together,
)
from execution_assets.impact import ImpactParams
from execution_assets.scenarios import default_calibration, scenario_grid, stored_problem
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies import TWAP, AlmgrenChriss, Oracle
from execution_assets.sim.market_path import draw_path
from execution_assets.sim.observation import OBS_INDEX
from execution_assets.strategies.base import StatelessPolicy
from execution_assets.strategies.runner import run_strategy

CAL = default_calibration("SYNTH_LIQ")
PROBLEM = ExecutionProblem(
    size_frac_adv=0.05, horizon_s=1800.0, n_steps=30, sigma_daily=0.02, risk_aversion=0.01,
    impact=ImpactParams(eta=0.002, gamma=0.05, kappa=0.5, transient_decay_per_s=0.01),
    signal_mean_reversion_per_s=0.01, signal_alpha_bps_per_s=0.05,
)  # fmt: skip


def test_stacked_schedules_and_feedback_strategies_match_separate_runs_on_the_same_seed():
    strategies = [*baseline_strategies(PROBLEM, CAL.volume_curve, 1800.0), Oracle()]
    results, failures = evaluate_problem(PROBLEM, strategies, 300, seed=11)
    assert not failures
    assert list(results) == ["twap", "vwap", "pov", "almgren_chriss", "obizhaeva_wang", "oracle"]
    for strategy in strategies:
        alone = run_strategy(strategy, PROBLEM, 300, 11)
        np.testing.assert_allclose(results[strategy.name].is_bps, alone.is_bps, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(results[strategy.name].vwap_slippage_bps, alone.vwap_slippage_bps, atol=1e-9)


class LeanOnTheSignal(StatelessPolicy):
    """TWAP's fraction scaled up when the signal favours trading now: reads the observation only."""

    name = "lean"

    def act(self, obs):
        tilt = np.clip(1.0 + obs[:, OBS_INDEX["imbalance"]], 0.2, 3.0)
        return np.minimum(1.0, obs[:, OBS_INDEX["twap_fraction"]] * tilt)


def test_a_stateless_policy_on_many_problems_at_once_equals_one_run_each():
    problems = [
        PROBLEM,
        PROBLEM.with_(side=-1, size_frac_adv=0.01),
        PROBLEM.with_(n_steps=12, impact=ImpactParams(eta=0.01, beta=0.5)),
        PROBLEM.with_(regime="volatile"),
    ]
    paths = [draw_path(p, 64, seed=20 + i) for i, p in enumerate(problems)]
    together = run_stateless_together(LeanOnTheSignal(), problems, paths)
    for problem, path, summary in zip(problems, paths, together):
        alone = run_strategy(LeanOnTheSignal(), problem, 64, seed=20 + problems.index(problem))
        assert np.array_equal(summary.is_bps, alone.is_bps) and np.array_equal(summary.filled_frac, alone.filled_frac)


def test_grid_evaluation_of_a_stateless_policy_matches_per_scenario_runs():
    grid = scenario_grid([CAL], ["test"])[::97]
    batched = evaluate_scenarios(grid, {}, 40, agents=[LeanOnTheSignal()], include_oracle=False)
    assert batched.failures.is_empty() and len(batched.frames) == grid.height
    for frame, row in zip(batched.frames, grid.iter_rows(named=True)):
        alone, _ = evaluate_problem(stored_problem(row), [TWAP(), LeanOnTheSignal()], 40, int(row["seed"]))
        lean = frame.filter(pl.col("strategy") == "lean")["is_bps"].to_numpy()
        twap = frame.filter(pl.col("strategy") == "twap")["is_bps"].to_numpy()
        assert np.array_equal(lean, alone["lean"].is_bps) and np.array_equal(twap, alone["twap"].is_bps)


def test_agents_evaluated_apart_from_the_benchmarks_get_the_same_rows():
    """episode_results adds the agents to benchmark_results' rows in a later run: the agent's
    rows must be those of one evaluation of everything, path for path."""
    grid = scenario_grid([CAL], ["test"])[::211]
    whole = evaluate_scenarios(grid, {}, 40, agents=[LeanOnTheSignal()], include_oracle=False).episodes
    apart = evaluate_scenarios(grid, {}, 40, agents=[LeanOnTheSignal()], include_oracle=False, include_baselines=False).episodes
    assert set(apart["strategy"].cast(pl.String)) == {"lean"}
    assert_frame_equal(apart, whole.filter(pl.col("strategy") == "lean"), categorical_as_str=True)


def test_agent_names_must_not_shadow_a_baseline():
    class Shadow(LeanOnTheSignal):
        name = "twap"

    with pytest.raises(ValueError, match="agent names must be distinct"):
        evaluate_scenarios(scenario_grid([CAL], ["test"])[:1], {}, 10, agents=[Shadow()])


def test_every_strategy_faces_the_same_paths():
    """Same seed, same paths: a strategy's episode costs move together with TWAP's."""
    results, _ = evaluate_problem(PROBLEM, [TWAP(), AlmgrenChriss()], 2000, seed=3)
    twap, ac = results["twap"].is_bps, results["almgren_chriss"].is_bps
    assert np.corrcoef(twap, ac)[0, 1] > 0.9
    other, _ = evaluate_problem(PROBLEM, [AlmgrenChriss()], 2000, seed=4)
    assert abs(np.corrcoef(twap, other["almgren_chriss"].is_bps)[0, 1]) < 0.1


def test_a_strategy_that_cannot_plan_is_reported_not_fatal():
    # permanent impact so large that eta_tilde = eta - gamma tau / 2 < 0: AC has no minimum
    bad = PROBLEM.with_(impact=ImpactParams(eta=1e-5, gamma=0.5), n_steps=20, horizon_s=23400.0)
    results, failures = evaluate_problem(bad, [TWAP(), AlmgrenChriss()], 50, seed=1)
    assert list(results) == ["twap"]
    assert [f.strategy for f in failures] == ["almgren_chriss"] and "eta_tilde" in failures[0].error


def test_static_strategies_plan_on_the_plan_problem_while_the_oracle_knows_the_market():
    market = PROBLEM.with_(sigma_daily=0.08)
    plan = PROBLEM
    results, _ = evaluate_problem(market, [AlmgrenChriss(), Oracle()], 200, seed=5, plan_problem=plan)
    planned = AlmgrenChriss()
    planned.reset(plan, 1)
    shares = results["almgren_chriss"].shares[:, 0] / market.total_shares
    np.testing.assert_allclose(shares, planned.trades, atol=1e-12)
    truth = AlmgrenChriss()
    truth.reset(market, 1)
    assert not np.allclose(planned.trades, truth.trades, atol=1e-3)  # the stress changes the plan


def test_pov_rate_finishes_by_80_percent_of_the_horizon_or_caps_at_100_percent():
    small = PROBLEM.with_(size_frac_adv=0.001, horizon_s=3600.0, n_steps=60)
    rate = pov_rate(small, None, 0.0)
    assert rate == pytest.approx(0.001 / (3600 / 23400) / 0.8)
    assert pov_rate(PROBLEM.with_(size_frac_adv=0.5, horizon_s=300.0, n_steps=60), None, 0.0) == 1.0


def test_no_baseline_beats_the_oracle_beyond_noise_on_grid_scenarios():
    grid = scenario_grid([CAL], ["test"]).filter(pl.col("impact_model") != "square_root", pl.col("horizon_s") < 23400)
    for row in grid.sample(8, seed=2).iter_rows(named=True):
        problem = stored_problem(row)
        strategies = [*baseline_strategies(problem, CAL.volume_curve, row["start_s"]), Oracle()]
        results, _ = evaluate_problem(problem, strategies, 400, int(row["seed"]))
        oracle = results["oracle"].is_bps + results["oracle"].risk_penalty_bps
        for name, s in results.items():
            gap = oracle - (s.is_bps + s.risk_penalty_bps)  # > 0: the strategy is cheaper than the oracle
            assert gap.mean() < 3 * gap.std() / np.sqrt(gap.size) + 1e-9, (row["scenario_id"], name)


def test_episode_frame_has_the_table_columns_and_one_row_per_episode():
    results, _ = evaluate_problem(PROBLEM, [TWAP(), AlmgrenChriss()], 7, seed=2)
    frame = episode_frame("s1", results)
    assert frame.schema == pl.Schema(EPISODE_COLUMNS)
    assert frame.height == 14 and frame["episode"].to_list() == list(range(7)) * 2
    assert (frame["filled_frac"] == 1.0).all()


def test_risk_neutral_linear_market_without_signal_nothing_beats_twap_beyond_noise():
    """DESIGN section 7's invariant, through the evaluation: the paired test finds no winner."""
    from execution_assets.evaluation.metrics import bootstrap_weights, paired_improvement

    neutral = PROBLEM.with_(
        risk_aversion=0.0, signal_mean_reversion_per_s=0.0, signal_alpha_bps_per_s=0.0,
        impact=ImpactParams(eta=0.002, gamma=0.05),
    )  # fmt: skip
    strategies = [*baseline_strategies(neutral, None, 1800.0), Oracle()]
    results, _ = evaluate_problem(neutral, strategies, 4000, seed=21)
    twap = results["twap"].is_bps
    weights = bootstrap_weights(twap.size, 200, seed=1)
    for name in ("almgren_chriss", "obizhaeva_wang", "oracle"):
        np.testing.assert_allclose(results[name].is_bps, twap, atol=1e-9)  # they are TWAP here
    for name in ("vwap", "pov"):  # flat volume curve: TWAP too; no better than TWAP in any case
        cmp = paired_improvement(twap, results[name].is_bps, weights)
        assert cmp.improvement_bps <= 3 * cmp.improvement_se_bps + 1e-9


def test_the_grid_evaluated_in_two_processes_equals_one_process():
    from execution_assets.evaluation.grid import evaluate_scenarios_in_parallel

    grid = scenario_grid([CAL], ["test"])[::97]  # 7 scenarios across models, horizons and regimes
    one = evaluate_scenarios(grid, {}, 20, include_oracle=False)
    two = evaluate_scenarios_in_parallel(grid, {}, 20, include_oracle=False, workers=2)
    assert two.failures.is_empty()
    assert_frame_equal(pl.concat(two.frames), pl.concat(one.frames))
