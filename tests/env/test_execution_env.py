"""ExecutionEnv / ExecutionEnvDiscrete: checkers, robustness, rewards, no leakage, parity with VecMarket."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

from execution_assets.sim.replay_book import book_from_mids
from gymnasium.utils.env_checker import check_env as gym_check_env
from hypothesis import given, settings
from hypothesis import strategies as st
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from execution_assets.env import OBS_FIELDS, ExecutionEnv, ExecutionEnvDiscrete
from execution_assets.impact import ImpactParams
from execution_assets.sim.market_path import draw_shocks, parametric_path
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import VecMarket
from tests.sim.test_vec_market import twap_cost_bps

FULL = ExecutionProblem(
    impact=ImpactParams(kappa=0.1, transient_decay_per_s=1 / 300),
    risk_aversion=1e-3,
    signal_mean_reversion_per_s=1 / 60,
    signal_alpha_bps_per_s=0.05,
    regime_switch_rate_per_s=1 / 600,
)
PROBLEMS = {
    "linear": ExecutionProblem(n_steps=8, horizon_s=480),
    "sqrt-sell": ExecutionProblem(n_steps=8, horizon_s=480, side=-1, impact=ImpactParams(beta=0.5, delta=0.5)),
    "full": FULL.with_(n_steps=8, horizon_s=480),
    # the grid's kind: a regime drawn unseen, inferred by the regime filter (trend_belief, volatile_belief)
    "hidden-trend-sell": ExecutionProblem(
        n_steps=8, horizon_s=480, side=-1, regime="trending", regime_hidden=True, sigma_daily=0.005, trend_per_day=0.05,
        signal_mean_reversion_per_s=1 / 60, signal_alpha_bps_per_s=0.05,
    ),
}


@pytest.mark.parametrize("env_id", ["ExecutionEnv-v0", "ExecutionEnvDiscrete-v0"])
def test_gymnasium_and_sb3_checkers_pass(env_id):
    env = gym.make(env_id)
    gym_check_env(env.unwrapped, skip_render_check=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb3_check_env(env.unwrapped)
    unexpected = [str(w.message) for w in caught if "symmetric and normalized Box action space" not in str(w.message)]
    assert unexpected == []
    obs, info = env.reset(seed=0)
    assert obs.shape == (len(OBS_FIELDS),) and info["episode_seed"] == 0


actions = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([np.nan, np.inf, -np.inf, -1.0, 0.0, 1.0, 1.5]),
)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(PROBLEMS)), seq=st.lists(actions, min_size=8, max_size=8), seed=st.integers(0, 2**31))
def test_any_action_sequence_completes_the_order_with_finite_outputs(name, seq, seed):
    problem = PROBLEMS[name]
    env = ExecutionEnv(problem, reward="ac_utility")
    obs, _ = env.reset(seed=seed)
    total, remaining_before = 0.0, problem.total_shares
    for k, a in enumerate(seq):
        obs, reward, terminated, truncated, info = env.step(np.array([a]))
        assert np.isfinite(reward) and env.observation_space.contains(obs)
        assert 0.0 <= info["shares"] <= remaining_before * (1 + 1e-12)
        remaining_before -= info["shares"]
        total += info["shares"]
        assert terminated == (k == len(seq) - 1) and not truncated
    assert info["remaining_shares"] == 0.0 and info["filled_frac"] == 1.0
    assert total == pytest.approx(problem.total_shares, rel=1e-12)
    assert info["invalid_actions"] == sum(a != a for a in seq)
    assert np.isfinite(info["is_bps"])


@settings(max_examples=25, deadline=None)
@given(seq=st.lists(st.one_of(st.integers(-5, 20), st.just(float("nan"))), min_size=8, max_size=8))
def test_discrete_actions_are_clipped_tenths_of_the_remainder(seq):
    problem = PROBLEMS["linear"]
    env = ExecutionEnvDiscrete(problem)
    env.reset(seed=1)
    remaining = problem.total_shares
    for k, a in enumerate(seq):
        _, reward, terminated, _, info = env.step(a)
        if k < len(seq) - 1:
            frac = 0.0 if a != a else min(max(a, 0), 10) / 10
            assert info["shares"] == pytest.approx(frac * remaining, rel=1e-12, abs=1e-9)
        remaining -= info["shares"]
    assert terminated and info["remaining_shares"] == 0.0
    assert info["invalid_actions"] == sum(a != a for a in seq)


@pytest.mark.parametrize("reward", ["per_step", "terminal", "ac_utility"])
def test_every_reward_design_sums_to_minus_shortfall_plus_risk(reward):
    env = ExecutionEnv(FULL, reward=reward)
    env.reset(seed=3)
    rng = np.random.default_rng(0)
    rewards = []
    while True:
        _, r, done, _, info = env.step(rng.random(1))
        rewards.append(r)
        if done:
            break
    assert sum(rewards) == pytest.approx(-(info["is_bps"] + info["risk_penalty_bps"]), rel=1e-10)
    assert info["risk_penalty_bps"] > 0
    if reward == "terminal":
        assert rewards[:-1] == [0.0] * (len(rewards) - 1)


@pytest.mark.parametrize("side", [1, -1])
def test_twap_through_the_env_costs_exactly_the_hand_computed_amount(side):
    problem = ExecutionProblem(sigma_daily=0.0, side=side)
    env = ExecutionEnv(problem)
    env.reset(seed=0)
    for k in range(problem.n_steps):
        _, _, done, _, info = env.step(np.array([1.0 / (problem.n_steps - k)]))
    assert done
    assert info["is_bps"] == pytest.approx(twap_cost_bps(problem), rel=1e-12)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("reward", ["per_step", "ac_utility"])
def test_scalar_env_replays_vec_market_episode_zero_exactly(name, reward):
    problem = PROBLEMS[name]
    env = ExecutionEnv(problem, reward=reward)
    obs, _ = env.reset(seed=11)
    market = VecMarket(problem, 1, mark_to_market=True)
    market.reset(11)
    np.testing.assert_array_equal(obs, market.observe()[0])
    rng = np.random.default_rng(2)
    while not market.done:
        action = rng.random(1).astype(np.float32)
        obs, r, _, _, info = env.step(action)
        res = market.step_fraction(action)
        cost = res.mtm_cost_bps if reward == "ac_utility" else res.cost_bps
        np.testing.assert_array_equal(obs, market.observe()[0])
        assert r == pytest.approx(-(cost[0] + res.risk_bps[0]), rel=1e-12, abs=1e-12)
    assert info["is_bps"] == pytest.approx(market.is_bps[0], rel=1e-12)


def test_observation_carries_no_future_and_no_regime():
    problem = FULL
    N, n, k = problem.n_steps, 16, 12
    base = draw_shocks(N, n, 5, signal=True, regime=True, trend=True)
    other = draw_shocks(N, n, 6, signal=True, regime=True, trend=True)
    price, signal, regime = base.price.copy(), base.signal.copy(), base.regime.copy()
    price[k:], signal[k + 1 :], regime[k:] = other.price[k:], other.signal[k + 1 :], other.regime[k:]
    mixed = type(base)(price=price, signal=signal, regime=regime, start=None, trend=base.trend)
    a, b = VecMarket(problem, n), VecMarket(problem, n)
    a.reset(path=parametric_path(problem, base))
    b.reset(path=parametric_path(problem, mixed))
    assert not np.array_equal(a.path.unaffected[k + 1 :], b.path.unaffected[k + 1 :])
    rng = np.random.default_rng(0)
    for _ in range(k):
        np.testing.assert_array_equal(a.observe(), b.observe())
        frac = rng.random(n)
        a.step_fraction(frac)
        b.step_fraction(frac)
    np.testing.assert_array_equal(a.observe(), b.observe())  # step k: the draws differ only from here on
    a.step_fraction(frac)
    b.step_fraction(frac)
    assert not np.array_equal(a.observe(), b.observe())
    assert not any("regime" in field for field in OBS_FIELDS)
    # a static regime's label is invisible when it changes nothing else (no volatility to scale)
    quiet = ExecutionProblem(sigma_daily=0.0, signal_mean_reversion_per_s=0.01, signal_alpha_bps_per_s=0.2)
    envs = [ExecutionEnv(quiet.with_(regime=r)) for r in ("normal", "volatile")]
    first = [env.reset(seed=4)[0] for env in envs]
    np.testing.assert_array_equal(*first)
    for _ in range(5):
        np.testing.assert_array_equal(*[env.step(np.array([0.2]))[0] for env in envs])


def test_problem_lists_samplers_options_and_curriculum_switches():
    small, big = PROBLEMS["linear"], PROBLEMS["linear"].with_(size_frac_adv=0.2)
    env = ExecutionEnv([small, big])
    env.reset(seed=0)
    drawn = {env.reset()[1]["problem"].size_frac_adv for _ in range(30)}
    assert drawn == {0.05, 0.2}
    calls = []
    env = ExecutionEnv(lambda rng: calls.append(rng) or big)
    _, info = env.reset(seed=1)
    assert info["problem"] is big and isinstance(calls[0], np.random.Generator)
    _, info = env.reset(options={"problem": small})
    assert info["problem"] is small
    env.set_problems(small)
    assert env.reset()[1]["problem"] is small
    with pytest.raises(TypeError, match="not an ExecutionProblem"):
        ExecutionEnv(lambda rng: 3).reset(seed=0)
    with pytest.raises(ValueError, match="reward must be one of"):
        ExecutionEnv(reward="sharpe")


def test_reset_is_deterministic_given_the_first_seed():
    env_a, env_b = ExecutionEnv(FULL), ExecutionEnv(FULL)
    env_a.reset(seed=9)
    env_b.reset(seed=9)
    for _ in range(3):
        np.testing.assert_array_equal(env_a.reset()[0], env_b.reset()[0])
        np.testing.assert_array_equal(env_a.step(np.array([0.3]))[0], env_b.step(np.array([0.3]))[0])


def test_replay_env_walks_a_recorded_day():
    problem = ExecutionProblem(sigma_daily=0.0)
    env = ExecutionEnv(problem, replay=book_from_mids([np.full(5_000, 42.0)]))
    env.reset(seed=0)
    for k in range(problem.n_steps):
        _, _, done, _, info = env.step(np.array([1.0 / (problem.n_steps - k)]))
    assert info["arrival_price"] == 42.0
    # zero spread and unlimited depth at a flat mid: only the order's own impact costs
    assert info["is_bps"] == pytest.approx(twap_cost_bps(problem.with_(half_spread_bps=0.0, impact=problem.impact.with_(eta=0.0))), rel=1e-9)


def test_step_before_reset_and_bad_action_shapes_are_errors():
    env = ExecutionEnv(PROBLEMS["linear"])
    with pytest.raises(RuntimeError, match="call reset"):
        env.step(np.array([0.5]))
    env.reset(seed=0)
    with pytest.raises(ValueError, match="one number"):
        env.step(np.array([0.5, 0.5]))
