"""Parametric execution market: problem definition, drawn paths and the vectorized simulator.

Public API: ``ExecutionProblem`` (the task and its dynamics, see ``problem``), ``VecMarket``
(n episodes stepped at once), ``simulate`` (run a schedule or a policy and summarise),
``draw_path`` / ``draw_shocks`` / ``parametric_path`` / ``replay_path`` (the action-independent
paths, common random numbers), ``load_replay_mid`` (a recorded day from the warehouse) and the
observation layout ``OBS_FIELDS`` / ``OBS_INDEX``.
"""

from execution_assets.sim.market_path import (
    MarketPath,
    Shocks,
    draw_path,
    draw_shocks,
    parametric_path,
    replay_path,
)
from execution_assets.sim.observation import OBS_FIELDS, OBS_INDEX
from execution_assets.sim.problem import REGIME_VOL_MULTIPLIER, REGIMES, ExecutionProblem
from execution_assets.sim.replay import load_replay_mid
from execution_assets.sim.vec_market import EpisodeSummary, StepResult, VecMarket, simulate

__all__ = [
    "OBS_FIELDS",
    "OBS_INDEX",
    "REGIMES",
    "REGIME_VOL_MULTIPLIER",
    "EpisodeSummary",
    "ExecutionProblem",
    "MarketPath",
    "Shocks",
    "StepResult",
    "VecMarket",
    "draw_path",
    "draw_shocks",
    "load_replay_mid",
    "parametric_path",
    "replay_path",
    "simulate",
]
