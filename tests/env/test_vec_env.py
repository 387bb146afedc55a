"""ExecutionVecEnv: SB3 VecEnv conventions, auto-reset, seeding, parity with the scalar env."""

from __future__ import annotations

import numpy as np
import pytest
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.vec_env import VecMonitor, VecNormalize

from execution_assets.env import ExecutionEnv, ExecutionEnvDiscrete, ExecutionVecEnv
from execution_assets.sim.observation import OBS_INDEX
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import VecMarket
from tests.env.test_execution_env import FULL

SHORT = FULL.with_(n_steps=6, horizon_s=360)


def test_steps_follow_sb3_conventions_with_terminal_observation_and_auto_reset():
    venv = ExecutionVecEnv(SHORT, 4, seed=3)
    obs = venv.reset()
    twin = VecMarket(SHORT, 4)
    twin.reset(3)
    np.testing.assert_array_equal(obs, twin.observe())
    assert obs.shape == (4, len(OBS_INDEX)) and venv.observation_space.contains(obs[0])
    rng = np.random.default_rng(0)
    for k in range(SHORT.n_steps):
        actions = rng.random((4, 1)).astype(np.float32)
        obs, rewards, dones, infos = venv.step(actions)
        res = twin.step_fraction(actions.reshape(4))
        assert rewards.dtype == np.float32 and rewards.shape == (4,) and dones.dtype == bool
        np.testing.assert_allclose(rewards, -(res.cost_bps + res.risk_bps), rtol=1e-6)
        assert dones.all() == (k == SHORT.n_steps - 1) and dones.all() == dones.any()
    terminal = twin.observe()
    for i, info in enumerate(infos):
        np.testing.assert_array_equal(info["terminal_observation"], terminal[i])
        assert info["is_bps"] == pytest.approx(twin.is_bps[i], rel=1e-12)
    np.testing.assert_array_equal(obs[:, OBS_INDEX["remaining_frac"]], 1.0)  # the next batch's first obs
    np.testing.assert_array_equal(obs[:, OBS_INDEX["time_frac"]], 0.0)
    summary = venv.last_summary()
    np.testing.assert_array_equal(summary.filled_frac, 1.0)
    np.testing.assert_allclose(summary.is_bps, twin.is_bps, rtol=1e-12)


@pytest.mark.parametrize("reward", ["per_step", "terminal", "ac_utility"])
def test_one_env_batch_replays_the_scalar_env(reward):
    venv = ExecutionVecEnv(SHORT, 1, reward=reward, seed=21)
    env = ExecutionEnv(SHORT, reward=reward)
    np.testing.assert_array_equal(venv.reset()[0], env.reset(seed=21)[0])
    for k in range(SHORT.n_steps):
        action = np.array([[0.1 + 0.1 * k]], dtype=np.float32)
        vobs, vr, vdone, vinfo = venv.step(action)
        obs, r, done, _, info = env.step(action[0])
        assert vr[0] == pytest.approx(r, rel=1e-6, abs=1e-6) and vdone[0] == done
    np.testing.assert_array_equal(vinfo[0]["terminal_observation"], obs)
    assert vinfo[0]["is_bps"] == pytest.approx(info["is_bps"], rel=1e-12)


def test_discrete_batch_replays_the_discrete_scalar_env():
    venv = ExecutionVecEnv(SHORT, 1, discrete=True, seed=8)
    env = ExecutionEnvDiscrete(SHORT)
    np.testing.assert_array_equal(venv.reset()[0], env.reset(seed=8)[0])
    for action in (3, 0, 7, 10, 1, 2):
        vobs, vr, _, vinfo = venv.step(np.array([action]))
        obs, r, done, _, info = env.step(action)
        assert vr[0] == pytest.approx(r, rel=1e-6, abs=1e-6)
        if not done:
            np.testing.assert_array_equal(vobs[0], obs)
    np.testing.assert_array_equal(vinfo[0]["terminal_observation"], obs)
    assert vinfo[0]["is_bps"] == pytest.approx(info["is_bps"], rel=1e-12)


def test_seeding_batches_and_bad_actions():
    a, b = ExecutionVecEnv(SHORT, 8), ExecutionVecEnv(SHORT, 8)
    a.seed(5)
    b.seed(5)
    np.testing.assert_array_equal(a.reset(), b.reset())
    actions = np.full((8, 1), np.nan, dtype=np.float32)
    actions[1] = np.inf
    for _ in range(SHORT.n_steps):
        obs_a, *_ = a.step(actions)
        obs_b, *_ = b.step(actions)
    np.testing.assert_array_equal(obs_a, obs_b)  # batch 1 is seeded [5, 1] in both
    summary = a.last_summary()
    assert summary.invalid_actions[0] == SHORT.n_steps and summary.invalid_actions[1] == 0
    assert summary.n_child_orders[0] == 1 and summary.n_child_orders[1] == 1  # all at the end / all at once
    first = ExecutionVecEnv(SHORT, 8, seed=5).reset()
    assert not np.array_equal(first, obs_a)


def test_discrete_actions_and_curriculum_through_env_method():
    venv = ExecutionVecEnv(SHORT, 3, discrete=True, seed=0)
    venv.reset()
    _, _, _, _ = venv.step(np.array([0, 5, 10]))
    shares = venv.market.shares_history[0] / SHORT.total_shares
    np.testing.assert_allclose(shares, [0.0, 0.5, 1.0])
    bigger = SHORT.with_(size_frac_adv=0.2)
    venv.env_method("set_problems", bigger)
    assert venv.problem is SHORT  # the running batch is untouched
    for _ in range(SHORT.n_steps - 1):
        venv.step(np.array([1, 1, 1]))
    assert venv.problem is bigger
    assert venv.get_attr("reward_design") == ["per_step"] * 3


def test_sb3_algorithms_train_on_the_vec_env():
    venv = VecNormalize(VecMonitor(ExecutionVecEnv(SHORT, 8, seed=0)))
    PPO("MlpPolicy", venv, n_steps=12, batch_size=48, n_epochs=1, device="cpu", seed=0).learn(96)
    dqn_env = VecMonitor(ExecutionVecEnv(ExecutionProblem(n_steps=6, horizon_s=360), 4, discrete=True, seed=0))
    DQN("MlpPolicy", dqn_env, learning_starts=16, buffer_size=500, device="cpu", seed=0).learn(64)


@pytest.mark.parametrize("reward", ["per_step", "ac_utility"])
def test_last_summary_stays_right_as_batches_swap_history_buffers(reward):
    """Batch b's summary equals a fresh market's on the same seed and actions, for b past the
    third batch, where finish() hands the market back buffers of two batches ago."""
    n, seed = 8, 5
    venv = ExecutionVecEnv(SHORT, n, reward=reward, seed=seed)
    venv.reset()
    rng = np.random.default_rng(1)
    summaries = []
    for batch in range(5):
        actions = [rng.random((n, 1)).astype(np.float32) for _ in range(SHORT.n_steps)]
        for a in actions:
            venv.step(a)
        summary = venv.last_summary()
        fresh = VecMarket(SHORT, n, mark_to_market=reward == "ac_utility")
        fresh.reset(seed if batch == 0 else [seed, batch])
        for a in actions:
            fresh.step_fraction(a.reshape(n))
        np.testing.assert_array_equal(summary.is_bps, fresh.summary().is_bps)
        np.testing.assert_array_equal(summary.risk_penalty_bps, fresh.summary().risk_penalty_bps)
        summaries.append(summary)
    assert len({s.is_bps.tobytes() for s in summaries}) == 5  # five different batches, none overwritten
