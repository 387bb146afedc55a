"""Model loading refuses files outside the artifact store and models of another observation layout."""

import gymnasium as gym
import pytest
from stable_baselines3 import PPO

from execution_assets.agents.policy import load_agent, load_checkpoint


def test_a_model_outside_the_artifact_store_is_refused(data_dir, tmp_path):
    with pytest.raises(PermissionError, match="models load only from"):
        load_agent(tmp_path / "elsewhere" / "run")


def test_a_model_with_another_observation_space_fails_clearly(data_dir):
    run_dir = data_dir / "artifacts" / "models" / "ppo" / "old-run"
    run_dir.mkdir(parents=True)
    env = gym.make("CartPole-v1")  # 4 observations, not the execution env's layout
    PPO("MlpPolicy", env, n_steps=64, device="cpu").save(run_dir / "model.zip")
    with pytest.raises(ValueError, match="the model observes \\(4,\\)"):
        load_checkpoint(run_dir, "ppo", {}, device="cpu")
