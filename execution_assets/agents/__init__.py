"""RL execution agents (DQN, PPO, SAC) on stable-baselines3: training, selection, loading.

See docs/agents.md. ``train_agent`` trains one algorithm on a scenario family and writes its run
folder; ``load_agent`` turns a run folder into a ``Strategy``. Both are imported on first use,
so that reading configs or scenario families does not import torch.
"""

from importlib import import_module

_LAZY = {
    "train_agent": "execution_assets.agents.training",
    "RunResult": "execution_assets.agents.training",
    "load_agent": "execution_assets.agents.policy",
    "AgentPolicy": "execution_assets.agents.policy",
}
__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'execution_assets.agents' has no attribute {name!r}")
