"""Run a ``Strategy`` on the vectorized market: one batch of episodes, common random numbers."""

from __future__ import annotations

import numpy as np

from execution_assets.sim.market_path import MarketPath
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.sim.replay_market import ReplayMarket
from execution_assets.sim.vec_market import EpisodeSummary, VecMarket
from execution_assets.strategies.base import Strategy


def run_strategy(
    strategy: Strategy,
    problem: ExecutionProblem,
    n_episodes: int,
    seed: int | None,
    *,
    replay_mid: np.ndarray | None = None,
    path: MarketPath | None = None,
    plan_problem: ExecutionProblem | None = None,
    book: ReplayBook | None = None,
) -> EpisodeSummary:
    """``n_episodes`` of ``problem`` driven by ``strategy``; the same seed gives every strategy
    the same price paths, so results of two strategies are paired episode by episode.

    ``path`` (drawn from ``seed`` already) replaces the draw; ``plan_problem`` is what the
    strategy plans for when it is not the market's own problem (robustness tests); ``book`` runs
    the episodes on its recorded days (``ReplayMarket``) instead of the parametric market."""
    if book is not None:
        market: VecMarket = ReplayMarket(problem, n_episodes, book)
    else:
        market = VecMarket(problem, n_episodes, replay_mid=replay_mid)
    market.reset(seed, path=path)
    strategy.reset(problem if plan_problem is None else plan_problem, n_episodes)
    strategy.reveal(market.path)
    while not market.done:
        market.step_fraction(strategy.act(market.observe()))
    return market.summary()
