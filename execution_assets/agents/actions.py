"""How a policy's action becomes the env's fraction of the remaining order.

The env's action is the fraction of the remaining shares to trade now. A raw fraction is badly
conditioned for learning: TWAP trades 1/30 of the remainder at the start and all of it at the
end, so the same action means very different speeds at different times. The agents act
relative to a reference schedule instead, reading its fraction of the remainder for the
current step from the observation: the scenario's static optimal plan (``plan_fraction``: AC,
OW or the static optimum, ``strategies.reference_plan``; the default), or TWAP
(``twap_fraction`` = 1 / (N - k)). Action 0 (or the grid's 1x multiple) is the reference exactly:

    plan_ratio       continuous a in [-1, 1]:  fraction = min(1, plan * (1 + max_deviation * a))
                     (PPO, SAC; 0x to 2x the plan's speed with max_deviation 1). Linear in a, so
                     exploration noise around the mean action leaves the expected schedule at the
                     mean's: the deterministic policy is the one the noisy one was trained as
    plan_log_ratio   continuous a in [-1, 1]:  fraction = min(1, plan * max_ratio ** a). Convex in a:
                     symmetric exploration noise trades faster on average than the mean action
                     (by exp((sigma ln max_ratio)^2 / 2), +14% at sigma 0.37, max_ratio 4), so
                     training shifts the mean to slow down and the deterministic policy drifts
    plan_grid        discrete i:  fraction = min(1, plan * multiples[i])                   (DQN)
    twap_log_ratio   as plan_log_ratio around TWAP (max_ratio 8 covers the oracle's speeds on our
                     scenarios: AC and Obizhaeva-Wang trade 0.44x to 3.3x TWAP, the signal
                     oracle 0x to 5.7x at its 1st-99th percentiles)
    twap_grid        as plan_grid around TWAP
    remaining_grid   discrete i in 0..10:  fraction = i / 10, the env's discrete variant
                     (``ExecutionEnvDiscrete``); it cannot express TWAP's 1/30, see docs/agents.md

Acting around the plan makes an agent at least as good as the best classical schedule by
construction (its initial policy is the plan), and leaves it only what information buys to learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from execution_assets.sim.observation import OBS_INDEX

TWAP_FIELD = OBS_INDEX["twap_fraction"]
PLAN_FIELD = OBS_INDEX["plan_fraction"]
REMAINING_GRID_SIZE = 11
LOG_RATIO_KINDS = ("plan_log_ratio", "twap_log_ratio")
CONTINUOUS_KINDS = ("plan_ratio", *LOG_RATIO_KINDS)
GRID_KINDS = ("plan_grid", "twap_grid")
KINDS = (*CONTINUOUS_KINDS, *GRID_KINDS, "remaining_grid")


@dataclass(frozen=True)
class ActionMap:
    kind: str
    max_ratio: float = 8.0
    multiples: tuple[float, ...] = ()
    max_deviation: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown action parameterization {self.kind!r}; known: {', '.join(KINDS)}")
        if self.kind in LOG_RATIO_KINDS and not self.max_ratio > 1:
            raise ValueError(f"{self.kind} needs max_ratio > 1, got {self.max_ratio}")
        if self.kind == "plan_ratio" and not 0 < self.max_deviation <= 1:
            raise ValueError(f"plan_ratio needs 0 < max_deviation <= 1, got {self.max_deviation}")
        if self.kind in GRID_KINDS and (len(self.multiples) < 2 or min(self.multiples) < 0):
            raise ValueError(f"{self.kind} needs at least two multiples >= 0, got {self.multiples}")

    @property
    def reference_field(self) -> int | None:
        """The observation field of the schedule the action is relative to (None: absolute)."""
        if self.kind == "remaining_grid":
            return None
        return PLAN_FIELD if self.kind.startswith("plan_") else TWAP_FIELD

    @classmethod
    def from_env_config(cls, env: dict) -> "ActionMap":
        return cls(
            kind=env["action"],
            max_ratio=float(env.get("max_ratio", 8.0)),
            multiples=tuple(float(m) for m in env.get("multiples", ())),
            max_deviation=float(env.get("max_deviation", 1.0)),
        )

    @property
    def space(self) -> spaces.Space:
        if self.kind in CONTINUOUS_KINDS:
            return spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        n = len(self.multiples) if self.kind in GRID_KINDS else REMAINING_GRID_SIZE
        return spaces.Discrete(n)

    def to_fraction(self, actions: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Fractions of the remainder (n,) for a batch of actions and the observations they saw."""
        a = np.asarray(actions).reshape(len(obs))
        if self.kind == "remaining_grid":
            return np.clip(a, 0, REMAINING_GRID_SIZE - 1) / (REMAINING_GRID_SIZE - 1)
        reference = obs[:, self.reference_field].astype(float)
        if self.kind == "plan_ratio":
            ratio = 1.0 + self.max_deviation * np.clip(a.astype(float), -1.0, 1.0)
        elif self.kind in LOG_RATIO_KINDS:
            ratio = self.max_ratio ** np.clip(a.astype(float), -1.0, 1.0)
        else:
            ratio = np.asarray(self.multiples)[np.clip(a, 0, len(self.multiples) - 1).astype(int)]
        return np.minimum(1.0, reference * ratio)


class FractionActions(VecEnvWrapper):
    """Turns the policy's actions into fractions for the continuous ``ExecutionVecEnv``."""

    def __init__(self, venv: VecEnv, action_map: ActionMap) -> None:
        super().__init__(venv, action_space=action_map.space)
        self.action_map = action_map
        self._obs: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        self._obs = self.venv.reset()
        return self._obs

    def step_async(self, actions: np.ndarray) -> None:
        if self._obs is None:
            raise RuntimeError("FractionActions: call reset() before step()")
        self.venv.step_async(self.action_map.to_fraction(actions, self._obs))

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        self._obs = obs
        return obs, rewards, dones, infos
