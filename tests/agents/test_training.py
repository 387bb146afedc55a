"""Training mechanics on tiny budgets: run folder, save/load round trip, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
import torch
import yaml

from execution_assets.agents.policy import load_agent
from execution_assets.agents.scenarios import family_problems
from execution_assets.agents.run_folder import models_dir
from execution_assets.agents.training import train_agent
from execution_assets.agents.validation import Benchmark
from execution_assets.strategies.runner import run_strategy

TINY = {
    "ppo": {"env": {"n_envs": 16}, "model": {"n_steps": 30, "batch_size": 240, "n_epochs": 2}},
    "sac": {"env": {"n_envs": 16}, "model": {"learning_starts": 160, "batch_size": 64, "buffer_size": 5000}},
    "dqn": {"env": {"n_envs": 16}, "model": {"learning_starts": 160, "batch_size": 64, "buffer_size": 5000}},
}


def tiny(algo: str, timesteps: int = 1920, **training) -> dict:
    return {
        **TINY[algo],
        "training": {"total_timesteps": timesteps, "eval_every": 960, "n_val_episodes": 300, "n_test_episodes": 300, **training},
    }


def _train(algo, family, name, **training):
    """A tiny training run in the (temporary) artifact store, the only place models load from."""
    run_dir = models_dir(algo) / name
    return train_agent(algo, family, "standard", overrides=tiny(algo, **training), run_dir=run_dir, progress=False, log=lambda _: None)


@pytest.mark.parametrize("algo", ["ppo", "sac", "dqn"])
def test_run_folder_and_round_trip(algo, data_dir):
    result = _train(algo, "almgren_chriss", algo)
    files = {p.name for p in result.run_dir.iterdir()}
    assert {"model.zip", "vecnormalize.pkl", "normalization.json", "config.yaml", "curves.csv", "curves.png", "summary.json"} <= files
    config = yaml.safe_load((result.run_dir / "config.yaml").read_text())
    assert config["algo"] == algo and config["device"] == "cpu" and config["stages"][-1]["family"] == "almgren_chriss"
    curves = pl.read_csv(result.run_dir / "curves.csv")
    assert curves["timesteps"].to_list() == result.curves["timesteps"].to_list()
    assert curves["selected"].sum() >= 1
    assert result.selected_timestep in curves.filter(pl.col("selected"))["timesteps"].to_list()
    # the saved checkpoint reproduces the validation numbers it was selected on
    agent = load_agent(result.run_dir)
    again = Benchmark(family_problems("almgren_chriss"), "validation", 300).compare(agent)
    assert again[0].agent == pytest.approx(result.validation[0].agent, rel=1e-9)  # torch thread count: last bits
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert summary["test"][0]["agent"] == pytest.approx(result.test[0].agent, rel=1e-12)
    assert summary["test"][0]["split"] == "test" and result.validation[0].split == "validation"
    out = run_strategy(agent, family_problems("almgren_chriss")[0], 50, seed=1)
    assert np.all(out.filled_frac == 1.0) and np.all(np.isfinite(out.is_bps))


def test_same_seed_same_model_and_numbers(data_dir):
    a = _train("ppo", "almgren_chriss", "a")
    b = _train("ppo", "almgren_chriss", "b")
    c = _train("ppo", "almgren_chriss", "c", seed=1)
    cols = ["timesteps", "train_objective_bps", "val_agent_bps", "val_capture"]
    assert a.curves.select(cols).equals(b.curves.select(cols))
    assert a.test[0].agent == b.test[0].agent
    pa, pb, pc = (torch.nn.utils.parameters_to_vector(load_agent(r.run_dir).model.policy.parameters()) for r in (a, b, c))
    assert torch.equal(pa, pb) and not torch.equal(pa, pc)


def test_curriculum_moves_through_the_stages(data_dir):
    stages = [{"family": "easy", "max_timesteps": 960, "advance_at": 2.0, "patience": 100}]
    result = _train("ppo", "medium", "cur", timesteps=2880, curriculum=stages)
    assert [h[1] for h in result.stage_history] == ["easy"] and "budget" in result.stage_history[0][2]
    assert result.curves["stage"].to_list()[0] == "easy" and result.curves["stage"].to_list()[-1] == "medium"
    assert not result.curves.filter(pl.col("stage") == "easy")["selected"].any()  # selection on the target only
    assert len(result.validation) == len(family_problems("medium"))


def test_default_run_folder_is_under_artifacts(data_dir):
    result = train_agent("dqn", "risk_neutral", "quick", overrides=tiny("dqn", timesteps=960), progress=False, log=lambda _: None)
    assert result.run_dir.parent == models_dir("dqn") and str(result.run_dir).startswith(str(data_dir))
    assert result.run_dir.name.endswith("-risk_neutral-quick-s0")


@pytest.mark.parametrize("algo", ["dqn", "ppo", "sac"])
def test_init_at_reference_starts_the_policy_exactly_at_the_plan(algo):
    from stable_baselines3 import DQN, PPO, SAC

    from execution_assets.agents.actions import ActionMap
    from execution_assets.agents.config import resolve_config
    from execution_assets.agents.envs import make_training_env
    from execution_assets.agents.training import model_kwargs, start_at_reference

    config = resolve_config(algo, "almgren_chriss", overrides=TINY[algo])
    env = make_training_env(family_problems("almgren_chriss"), config.env, seed=0)
    model = {"dqn": DQN, "ppo": PPO, "sac": SAC}[algo]("MlpPolicy", env.venv, seed=0, **model_kwargs(config))
    amap = ActionMap.from_env_config(config.env)
    start_at_reference(model, amap)
    obs = env.venv.reset()
    actions, _ = model.predict(obs, deterministic=True)
    raw = env.venv.get_original_obs()
    assert amap.kind.startswith("plan_")  # the default: act around the scenario's static optimal plan
    np.testing.assert_allclose(amap.to_fraction(actions, raw), raw[:, amap.reference_field], rtol=1e-12)


def test_a_curriculum_run_keeps_its_initial_policy_when_no_final_checkpoint_is_eligible(data_dir, monkeypatch):
    """Every final-stage checkpoint worse than the plan in some family: the run keeps the policy it
    started from, the plan, validated on the final stage (it used to end with no model at all)."""
    import execution_assets.agents.monitor as monitor
    from execution_assets.strategies.reference_plan import ReferencePlan

    monkeypatch.setattr(monitor, "plan_gain_bound", lambda *args, **kwargs: (0.0, -1.0, -1.0))
    stages = [{"family": "easy", "max_timesteps": 960, "advance_at": 2.0, "patience": 100}]
    result = _train("ppo", "medium", "fallback", timesteps=2880, curriculum=stages)
    assert result.selected_timestep == 0 and len(result.validation) == len(family_problems("medium"))
    assert not (result.run_dir / monitor.INITIAL_PREFIX).exists()
    problem = family_problems("medium")[0]
    kept, plan = (run_strategy(s, problem, 64, seed=3).is_bps for s in (load_agent(result.run_dir), ReferencePlan()))
    np.testing.assert_allclose(kept, plan, rtol=1e-5, atol=1e-4)
