"""Action parameterizations, the reference-relative rewards and the concatenated training env."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.agents.actions import PLAN_FIELD, TWAP_FIELD, ActionMap, FractionActions
from execution_assets.agents.envs import (
    ConcatVecEnv,
    ReferenceRelativeReward,
    family_twap_cost_scales,
    make_training_env,
    twap_cost_scale,
)
from execution_assets.agents.scenarios import family_problems
from execution_assets.env import ExecutionVecEnv
from execution_assets.sim.observation import N_OBS
from execution_assets.impact import ImpactParams
from execution_assets.strategies import TWAP, AlmgrenChriss, ObizhaevaWang
from execution_assets.strategies.reference_plan import ReferencePlan, reference_plan
from execution_assets.strategies.runner import run_strategy
from execution_assets.strategies.static_optimal import optimal_static_schedule

PROBLEM = family_problems("almgren_chriss")[0]


def _obs(twap: np.ndarray) -> np.ndarray:
    obs = np.zeros((twap.size, N_OBS), dtype=np.float32)
    obs[:, TWAP_FIELD] = twap
    return obs


def test_twap_log_ratio_is_twap_at_zero_and_bounded_by_the_ratio():
    amap = ActionMap("twap_log_ratio", max_ratio=8.0)
    twap = np.array([1 / 30, 1 / 30, 1 / 30, 0.5, 1.0])
    frac = amap.to_fraction(np.array([0.0, 1.0, -1.0, 1.0, 5.0]), _obs(twap))
    np.testing.assert_allclose(frac, [1 / 30, 8 / 30, 1 / 240, 1.0, 1.0], rtol=1e-6)
    assert amap.space.shape == (1,) and amap.space.low[0] == -1.0


def test_discrete_grids():
    grid = ActionMap("twap_grid", multiples=(0.0, 1.0, 3.0))
    np.testing.assert_allclose(grid.to_fraction(np.array([0, 1, 2, 2]), _obs(np.array([0.1, 0.1, 0.1, 0.5]))), [0, 0.1, 0.3, 1.0], rtol=1e-6)
    assert grid.space.n == 3
    remaining = ActionMap("remaining_grid")
    np.testing.assert_allclose(remaining.to_fraction(np.array([0, 3, 10]), _obs(np.zeros(3))), [0, 0.3, 1.0])
    assert remaining.space.n == 11
    with pytest.raises(ValueError, match="at least two multiples"):
        ActionMap("twap_grid", multiples=(1.0,))


def _run_actions(venv, action: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step one batch to its end with a constant action; (summed rewards, terminal infos' IS)."""
    venv.reset()
    total = np.zeros(venv.num_envs)
    while True:
        _, rewards, dones, infos = venv.step(action)
        total += rewards
        if dones.all():
            return total, np.array([i["is_bps"] for i in infos])


def test_action_zero_through_the_wrapper_is_twap():
    """Up to the float32 rounding of the observed ``twap_fraction`` (1e-7 relative per trade)."""
    venv = FractionActions(ExecutionVecEnv(PROBLEM, 64, seed=11), ActionMap("twap_log_ratio"))
    _, is_bps = _run_actions(venv, np.zeros((64, 1), dtype=np.float32))
    expected = run_strategy(TWAP(), PROBLEM, 64, seed=11).is_bps
    np.testing.assert_allclose(is_bps, expected, rtol=1e-5, atol=1e-5)


def test_twap_relative_reward_is_zero_for_twap_and_the_cost_difference_otherwise():
    def make():
        return ReferenceRelativeReward(ExecutionVecEnv(PROBLEM, 32, seed=5), ExecutionVecEnv(PROBLEM, 32, seed=5), "twap")

    venv = FractionActions(make(), ActionMap("twap_log_ratio"))
    total, _ = _run_actions(venv, np.zeros((32, 1), dtype=np.float32))
    np.testing.assert_array_equal(total, 0.0)
    venv = FractionActions(make(), ActionMap("twap_log_ratio"))
    total, _ = _run_actions(venv, np.full((32, 1), 0.5, dtype=np.float32))
    twap = run_strategy(TWAP(), PROBLEM, 32, seed=5)
    agent = ExecutionVecEnv(PROBLEM, 32, seed=5)
    agent_total, _ = _run_actions(FractionActions(agent, ActionMap("twap_log_ratio")), np.full((32, 1), 0.5, dtype=np.float32))
    # every reward design sums to -(IS + risk penalty): the difference is TWAP's minus the agent's
    np.testing.assert_allclose(total, agent_total + twap.is_bps + twap.risk_penalty_bps, rtol=1e-4, atol=1e-3)


def test_groups_get_distinct_paths_and_reproduce_from_the_seed():
    env = make_training_env([PROBLEM], {"n_envs": 8, "n_groups": 2, "reward": "ac_utility", "action": "twap_log_ratio",
                                        "normalize_obs": False, "normalize_reward": False}, seed=3)
    assert isinstance(env.venv.venv, ConcatVecEnv) and env.normalizer is None
    env.venv.seed(3)
    first = [env.venv.reset()]
    for _ in range(3):
        first.append(env.venv.step(np.zeros((8, 1), dtype=np.float32))[0])
    again = make_training_env([PROBLEM], {"n_envs": 8, "n_groups": 2, "reward": "ac_utility", "action": "twap_log_ratio",
                                          "normalize_obs": False, "normalize_reward": False}, seed=3)
    again.venv.seed(3)
    second = [again.venv.reset()] + [again.venv.step(np.zeros((8, 1), dtype=np.float32))[0] for _ in range(3)]
    np.testing.assert_array_equal(np.stack(first), np.stack(second))
    assert not np.array_equal(first[3][:4], first[3][4:])  # the two groups follow different paths


def test_n_envs_must_split_evenly_into_groups():
    with pytest.raises(ValueError, match="multiple of env.n_groups"):
        make_training_env([PROBLEM], {"n_envs": 10, "n_groups": 3, "reward": "ac_utility", "action": "twap_log_ratio",
                                      "normalize_obs": True, "normalize_reward": True}, seed=0)


SIGNAL = dict(signal_mean_reversion_per_s=1 / 300, signal_alpha_bps_per_s=0.1)


@pytest.mark.parametrize(
    "problem, classical",
    [
        (PROBLEM.with_(**SIGNAL, regime="trending"), AlmgrenChriss()),  # linear: Almgren-Chriss
        (family_problems("transient")[0].with_(risk_aversion=0.02, side=-1), ObizhaevaWang()),  # transient: OW
    ],
    ids=["linear", "transient"],
)
def test_the_reference_plan_is_the_classical_baseline_and_action_zero_executes_it(problem, classical):
    classical.reset(problem, 1)
    np.testing.assert_allclose(reference_plan(problem), classical.trades, rtol=1e-9, atol=1e-12)
    venv = FractionActions(ExecutionVecEnv(problem, 64, seed=7), ActionMap("plan_log_ratio", max_ratio=4.0))
    _, is_bps = _run_actions(venv, np.zeros((64, 1), dtype=np.float32))
    np.testing.assert_allclose(is_bps, run_strategy(classical, problem, 64, seed=7).is_bps, rtol=1e-5, atol=1e-5)


def test_square_root_plan_is_the_static_optimum_and_the_plan_grid_scales_it():
    problem = PROBLEM.with_(impact=ImpactParams(eta=0.01, beta=0.5, gamma=0.05))
    plan = reference_plan(problem)
    np.testing.assert_allclose(plan, optimal_static_schedule(problem), atol=1e-7)
    grid = ActionMap("plan_grid", multiples=(0.0, 1.0, 2.0))
    obs = np.zeros((3, N_OBS), dtype=np.float32)
    obs[:, PLAN_FIELD] = 0.4
    obs[:, TWAP_FIELD] = 0.1  # ignored: the grid scales the plan
    np.testing.assert_allclose(grid.to_fraction(np.array([0, 1, 2]), obs), [0.0, 0.4, 0.8], rtol=1e-6)


def test_plan_relative_reward_is_zero_at_the_plan():
    problem = PROBLEM.with_(**SIGNAL)
    venv = FractionActions(
        ReferenceRelativeReward(ExecutionVecEnv(problem, 32, seed=5), ExecutionVecEnv(problem, 32, seed=5), "plan"),
        ActionMap("plan_log_ratio"),
    )
    total, _ = _run_actions(venv, np.zeros((32, 1), dtype=np.float32))
    np.testing.assert_array_equal(total, 0.0)
    moved, _ = _run_actions(venv, np.full((32, 1), 0.5, dtype=np.float32))
    plan = run_strategy(ReferencePlan(), problem, 32, seed=5)
    assert not np.allclose(moved, 0.0)
    assert np.isfinite(plan.is_bps).all()


def test_family_reward_scale_divides_by_the_family_mean_twap_cost():
    """Orders of one impact model and horizon share one unit (the mean of their TWAP costs), so a
    basis point weighs the same on a 1% and a 10% order; other families keep their own unit."""
    small, large = PROBLEM.with_(size_frac_adv=0.01), PROBLEM.with_(size_frac_adv=0.1)
    other = PROBLEM.with_(impact=ImpactParams(beta=0.5, delta=0.5))
    scales = family_twap_cost_scales([small, large, other])
    assert scales[small] == scales[large] == pytest.approx((twap_cost_scale(small) + twap_cost_scale(large)) / 2)
    assert scales[other] == twap_cost_scale(other) and twap_cost_scale(large) > 1.5 * twap_cost_scale(small)

    def total_reward(scale: str, family_scales=None) -> np.ndarray:
        env = ReferenceRelativeReward(
            ExecutionVecEnv(small, 16, seed=5), ExecutionVecEnv(small, 16, seed=5), "plan", scale, family_scales
        )
        return _run_actions(FractionActions(env, ActionMap("plan_ratio")), np.full((16, 1), 0.5, dtype=np.float32))[0]

    raw = total_reward("none")
    np.testing.assert_allclose(total_reward("family_twap_cost", scales), raw / scales[small], rtol=1e-5)
    with pytest.raises(ValueError, match="family scales"):
        total_reward("family_twap_cost")
