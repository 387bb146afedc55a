"""Execution strategies, their closed forms and the optimal-IS oracle (plain numpy/scipy).

Every strategy implements ``Strategy``: ``reset(problem, n_episodes)`` then ``act(obs)`` once
per step, returning the fraction of the remaining order to trade now.
"""

from execution_assets.strategies.baselines import POV, TWAP, VWAP, AlmgrenChriss, ObizhaevaWang
from execution_assets.strategies.base import ScheduleStrategy, Strategy
from execution_assets.strategies.oracle import Oracle

__all__ = ["POV", "TWAP", "VWAP", "AlmgrenChriss", "ObizhaevaWang", "Oracle", "ScheduleStrategy", "Strategy"]
