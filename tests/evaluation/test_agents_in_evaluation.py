"""A trained_agent run folder is picked up, loaded through the agents API and evaluated like any strategy."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import polars as pl
import pytest
import yaml

from execution_assets.evaluation.agents import latest_runs, load_agents
from execution_assets.evaluation.grid import evaluate_scenarios
from execution_assets.evaluation.reports_results import agent_report
from execution_assets.evaluation.summary import summarize
from execution_assets.scenarios import calibration_by_instrument, default_calibration, scenario_grid
from execution_assets.sim.observation import OBS_HIGH, OBS_LOW


class _Shape(gym.Env):
    """Only the spaces of the training env: enough to build and save an (untrained) PPO."""

    observation_space = gym.spaces.Box(OBS_LOW, OBS_HIGH, dtype=np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def reset(self, *, seed=None, options=None):
        return np.zeros(len(OBS_LOW), dtype=np.float32), {}

    def step(self, action):
        return np.zeros(len(OBS_LOW), dtype=np.float32), 0.0, True, False, {}


@pytest.fixture
def ppo_run(data_dir):
    from stable_baselines3 import PPO

    run = data_dir / "artifacts" / "models" / "ppo" / "20260101T000000000000-mixed-quick-s0"
    run.mkdir(parents=True)
    model = PPO("MlpPolicy", _Shape(), seed=0, device="cpu", policy_kwargs={"net_arch": [8], "log_std_init": -1.0})
    model.save(run / "model.zip")
    (run / "config.yaml").write_text(yaml.safe_dump({"algo": "ppo", "family": "mixed", "profile": "quick", "env": {"action": "twap_log_ratio", "max_ratio": 8.0}}))
    older = run.parent / "20250101T000000000000-mixed-quick-s0"
    older.mkdir()  # incomplete (no model): never picked
    return run


def test_newest_complete_run_is_evaluated_on_the_same_paths(ppo_run):
    runs = latest_runs()
    assert runs == {"ppo": ppo_run}
    agents = load_agents(runs)
    assert [a.name for a in agents] == ["ppo"]
    cal = default_calibration("SYNTH_LIQ")
    scenarios = scenario_grid([cal], ["test"]).filter(pl.col("impact_model") == "linear").head(2)
    result = evaluate_scenarios(scenarios, calibration_by_instrument([cal]), 200, agents=agents, include_oracle=False)
    assert "ppo" in set(result.episodes["strategy"])
    summary = summarize(result.episodes, n_boot=100)
    ppo = summary.filter(pl.col("strategy") == "ppo")
    assert ppo.height == 2 and (ppo["mean_filled_frac"] == 1.0).all()
    report = agent_report("ppo", ppo_run, summary.with_columns(impact_model=pl.lit("linear"), horizon_s=pl.lit(300.0)))
    assert "data:image/png" in report.markdown()
    assert "In the evaluation (2 test scenarios)" in report.markdown()


def test_no_runs_means_no_agents(data_dir):
    assert latest_runs() == {}
    assert "No trained DQN agent" in agent_report("dqn", None, pl.DataFrame()).markdown()
