"""The interface every execution strategy implements, and the static-schedule base class.

A strategy works a batch of ``n_episodes`` episodes of one ``ExecutionProblem`` in lockstep:
``reset(problem, n_episodes)`` once, then ``act(obs)`` once per step, in order, with the
batch's observations of shape (n_episodes, obs_dim). It returns the fraction of the remaining
order to trade now, in [0, 1] (the env's action). Static schedules plan once in ``reset`` and
send u_k / (u_k + ... + u_{N-1}) at step k, which makes the env trade exactly u_k of the order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from execution_assets.sim.problem import ExecutionProblem

if TYPE_CHECKING:
    from execution_assets.sim.market_path import MarketPath


class Strategy(ABC):
    name: str = "strategy"

    @abstractmethod
    def reset(self, problem: ExecutionProblem, n_episodes: int) -> None:
        """Start a batch of episodes of ``problem``."""

    @abstractmethod
    def act(self, obs: np.ndarray) -> np.ndarray:
        """Fractions of remaining shares to trade now, shape (n_episodes,), in [0, 1]."""

    def reveal(self, path: "MarketPath") -> None:
        """Called after ``reset`` with the batch's drawn path. Only the clairvoyant oracle reads
        it (the trend's direction per episode); every other strategy sees observations only."""


class StatelessPolicy(Strategy):
    """A strategy whose action depends on the current observation alone (a trained network):
    episodes of different problems can then share one ``act`` call (``evaluation.paired``)."""

    def reset(self, problem: ExecutionProblem, n_episodes: int) -> None:
        """Nothing to plan or remember: everything it needs is in the observation."""


def nominal_problem(problem: ExecutionProblem) -> ExecutionProblem:
    """What a practitioner's planner knows: the problem without its hidden regime."""
    return problem.with_(regime="normal", regime_switch_rate_per_s=0.0)


def fractions_of_remaining(trades: np.ndarray) -> np.ndarray:
    """Per-step fraction of what is left that executes ``trades`` (fractions of the order)."""
    u = np.asarray(trades, dtype=float)
    left = np.cumsum(u[::-1])[::-1]
    frac = np.divide(u, left, out=np.ones_like(u), where=left > 0)
    frac[-1] = 1.0
    return np.clip(frac, 0.0, 1.0)


class ScheduleStrategy(Strategy):
    """A static schedule: trades planned in ``reset`` from the problem alone (kept in ``trades``)."""

    def __init__(self) -> None:
        self.trades = np.ones(1)
        self._fractions = np.ones(1)
        self._n = 0
        self._k = 0

    @abstractmethod
    def schedule(self, problem: ExecutionProblem) -> np.ndarray:
        """Trades u_0..u_{N-1} as fractions of the order (>= 0, sum 1)."""

    def reset(self, problem: ExecutionProblem, n_episodes: int) -> None:
        trades = np.asarray(self.schedule(problem), dtype=float)
        if trades.shape != (problem.n_steps,) or np.any(trades < -1e-12) or abs(trades.sum() - 1.0) > 1e-9:
            raise ValueError(f"{self.name}: schedule must be {problem.n_steps} trades >= 0 summing to 1")
        self.trades = np.maximum(trades, 0.0)
        self._fractions = fractions_of_remaining(self.trades)
        self._n, self._k = n_episodes, 0

    def act(self, obs: np.ndarray) -> np.ndarray:
        if self._k >= self._fractions.size:
            raise RuntimeError(f"{self.name}: act called more than n_steps={self._fractions.size} times; reset first")
        if obs.shape[0] != self._n:
            raise ValueError(f"{self.name}: expected {self._n} observations, got {obs.shape[0]}")
        frac = self._fractions[self._k]
        self._k += 1
        return np.full(self._n, frac)
