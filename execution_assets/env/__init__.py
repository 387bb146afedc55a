"""Gymnasium execution environments; importing this package registers them with gymnasium.

``gymnasium.make("ExecutionEnv-v0")`` (continuous fraction of the remainder) and
``gymnasium.make("ExecutionEnvDiscrete-v0")`` (0%, 10%, ..., 100%) take the constructor's
keyword arguments (``problem``, ``reward``, ``replay``: a ``ReplayBook`` to trade recorded days).
"""

from gymnasium.envs.registration import register, registry

from execution_assets.env.execution_env import ExecutionEnv, ExecutionEnvDiscrete
from execution_assets.env.problems import REWARDS
from execution_assets.env.vec_env import ExecutionVecEnv
from execution_assets.sim.observation import OBS_FIELDS, OBS_INDEX

for _id, _cls in (("ExecutionEnv-v0", "ExecutionEnv"), ("ExecutionEnvDiscrete-v0", "ExecutionEnvDiscrete")):
    if _id not in registry:
        register(id=_id, entry_point=f"execution_assets.env.execution_env:{_cls}")

__all__ = ["OBS_FIELDS", "OBS_INDEX", "REWARDS", "ExecutionEnv", "ExecutionEnvDiscrete", "ExecutionVecEnv"]
