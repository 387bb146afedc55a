"""A trained agent as a ``Strategy``: normalize the observation, predict, map to a fraction.

It acts deterministically (the policy's mean action, or the greedy one for DQN), so it
plugs into ``strategies.runner.run_strategy`` and the evaluation like any baseline.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3 import DQN, PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecNormalize

from execution_assets.agents.actions import ActionMap
from execution_assets.agents.run_folder import CONFIG_FILE, MODEL_FILE, NORMALIZER_FILE, read_config, read_specialists
from execution_assets.agents.scenarios import GRID_SCOPES
from execution_assets.paths import artifacts_dir
from execution_assets.sim.observation import N_OBS, OBS_FIELDS, OBS_INDEX
from execution_assets.strategies.base import StatelessPolicy

ALGORITHM_CLASSES: dict[str, type[BaseAlgorithm]] = {"dqn": DQN, "ppo": PPO, "sac": SAC}
_HORIZON = OBS_INDEX["horizon"]


class AgentPolicy(StatelessPolicy):
    def __init__(
        self, model: BaseAlgorithm, action_map: ActionMap, normalizer: VecNormalize | None, name: str = "agent"
    ) -> None:
        self.model = model
        self.action_map = action_map
        self.normalizer = normalizer
        self.name = name
        model.policy.set_training_mode(False)  # once: SB3's predict() re-walks every module per call

    def act(self, obs: np.ndarray) -> np.ndarray:
        """``model.predict(x, deterministic=True)`` without its per-call checks and mode switches,
        which cost more than the forward pass on the evaluation's small batches."""
        x = obs if self.normalizer is None else self.normalizer.normalize_obs(obs)
        policy = self.model.policy
        with torch.no_grad():
            tensor = torch.as_tensor(np.asarray(x, dtype=np.float32), device=policy.device)
            actions = policy._predict(tensor, deterministic=True).cpu().numpy()
        space = policy.action_space
        if isinstance(space, spaces.Box):
            actions = actions.reshape(-1, *space.shape)
            actions = policy.unscale_action(actions) if policy.squash_output else np.clip(actions, space.low, space.high)
        return self.action_map.to_fraction(actions, obs)


class HorizonRouter(StatelessPolicy):
    """Horizon specialists as one strategy: each row of a batch goes to the specialist of its
    order's horizon (the observation's ``horizon`` field, ``agents.scenarios.GRID_SCOPES``)."""

    def __init__(self, specialists: dict[str, AgentPolicy], name: str = "agent") -> None:
        self.specialists = specialists
        self.name = name

    def act(self, obs: np.ndarray) -> np.ndarray:
        obs = np.asarray(obs)
        horizon = obs[:, _HORIZON]
        out = np.full(obs.shape[0], np.nan)
        for scope, policy in self.specialists.items():
            rows = GRID_SCOPES[scope](horizon)
            if rows.any():
                out[rows] = policy.act(obs[rows])
        return out


def load_agent(run_dir: str | Path, *, device: str = "cpu") -> AgentPolicy | HorizonRouter:
    """The selected checkpoint of a training run folder (see ``artifacts``) as a strategy.

    Only folders inside the project's artifact store load: a model file is a pickle, and
    unpickling runs code, so a path from elsewhere is refused rather than trusted.
    """
    run_dir = Path(run_dir).resolve()
    store = (artifacts_dir() / "models").resolve()
    if not run_dir.is_relative_to(store):
        raise PermissionError(f"refusing to load a model from {run_dir}: models load only from {store}")
    if not (run_dir / CONFIG_FILE).exists():
        raise FileNotFoundError(f"{run_dir} is not a training run folder: {CONFIG_FILE} is missing")
    config = read_config(run_dir)
    specialists = read_specialists(run_dir)
    if specialists:
        routed = {scope: load_agent(run_dir / folder, device=device) for scope, folder in specialists.items()}
        return HorizonRouter(routed, name=config["algo"])  # type: ignore[arg-type]
    return load_checkpoint(run_dir, config["algo"], config["env"], device=device)


def load_checkpoint(run_dir: Path, algo: str, env_config: dict, *, device: str = "cpu") -> AgentPolicy:
    """The model and normalizer saved in ``run_dir``, acting as ``env_config`` says."""
    model = ALGORITHM_CLASSES[algo].load(run_dir / MODEL_FILE, device=device)
    if model.observation_space.shape != (N_OBS,):
        raise ValueError(
            f"{run_dir / MODEL_FILE}: the model observes {model.observation_space.shape}, but the env "
            f"now emits ({N_OBS},) = {OBS_FIELDS}; retrain it (the observation layout changed)"
        )
    normalizer = None
    if (run_dir / NORMALIZER_FILE).exists():
        with open(run_dir / NORMALIZER_FILE, "rb") as fh:
            normalizer = pickle.load(fh)  # what VecNormalize.load does, without needing an env
        normalizer.training = False
    return AgentPolicy(model, ActionMap.from_env_config(env_config), normalizer, name=algo)
