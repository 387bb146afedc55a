"""Static baselines: TWAP, VWAP, POV, Almgren-Chriss and Obizhaeva-Wang.

They plan from what a trader knows: the problem's nominal parameters (``nominal_problem``: no
hidden regime) and, for VWAP and POV, the expected intraday volume curve. AC and OW plan with
linear impact (power laws replaced by their line through TWAP's trade size) and ignore drift
and the signal; OW adds the transient kernel to AC's model and is the pure Obizhaeva-Wang
schedule when lambda = 0 and gamma = 0.
"""

from __future__ import annotations

import numpy as np

from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.almgren_chriss import ac_problem_trades
from execution_assets.strategies.base import ScheduleStrategy, nominal_problem
from execution_assets.strategies.schedule_costs import linearized_problem
from execution_assets.strategies.static_optimal import optimal_linear_schedule


def volume_fractions(
    volume_curve: np.ndarray | None, start_s: float, tau_s: float, n_steps: int, session_seconds: float
) -> np.ndarray:
    """Expected share of the day's volume in each step [start + k tau, start + (k+1) tau).

    ``volume_curve``: shares of daily volume in equal buckets covering the trading day of
    ``session_seconds`` (the instrument's sessions back to back; None = flat).
    """
    end_s = start_s + n_steps * tau_s
    if start_s < 0 or end_s > session_seconds + 1e-9:
        raise ValueError(f"horizon [{start_s}, {end_s}] s must lie within the session [0, {session_seconds:g}] s")
    if volume_curve is None:
        return np.full(n_steps, tau_s / session_seconds)
    curve = np.asarray(volume_curve, dtype=float)
    if curve.ndim != 1 or curve.size == 0 or not np.all(np.isfinite(curve)) or np.any(curve < 0) or curve.sum() <= 0:
        raise ValueError(f"volume_curve must be a non-empty 1-d array of finite shares >= 0, got {curve!r}")
    edges = np.linspace(0.0, session_seconds, curve.size + 1)
    cumulative = np.concatenate([[0.0], np.cumsum(curve / curve.sum())])
    t = start_s + tau_s * np.arange(n_steps + 1)
    return np.diff(np.interp(t, edges, cumulative))


class TWAP(ScheduleStrategy):
    name = "twap"

    def schedule(self, problem: ExecutionProblem) -> np.ndarray:
        return np.full(problem.n_steps, 1.0 / problem.n_steps)


class VWAP(ScheduleStrategy):
    """Trades in proportion to the expected volume of each step (flat curve: TWAP)."""

    name = "vwap"

    def __init__(self, volume_curve: np.ndarray | None = None, start_s: float = 0.0) -> None:
        super().__init__()
        self.volume_curve, self.start_s = volume_curve, start_s

    def schedule(self, problem: ExecutionProblem) -> np.ndarray:
        vol = volume_fractions(self.volume_curve, self.start_s, problem.tau_s, problem.n_steps, problem.session_seconds)
        if vol.sum() <= 0:
            raise ValueError("VWAP: the volume curve expects no volume over the horizon")
        return vol / vol.sum()


class POV(ScheduleStrategy):
    """Trades ``rate`` of the expected market volume each step; the last step takes the rest."""

    name = "pov"

    def __init__(self, rate: float, volume_curve: np.ndarray | None = None, start_s: float = 0.0) -> None:
        super().__init__()
        if not 0 < rate <= 1:
            raise ValueError(f"POV rate must be in (0, 1], got {rate!r}")
        self.rate, self.volume_curve, self.start_s = rate, volume_curve, start_s

    def schedule(self, problem: ExecutionProblem) -> np.ndarray:
        vol = volume_fractions(self.volume_curve, self.start_s, problem.tau_s, problem.n_steps, problem.session_seconds)
        wanted = self.rate * vol / problem.size_frac_adv  # fraction of the order per step
        done = np.minimum(np.cumsum(wanted), 1.0)
        done[-1] = 1.0
        return np.diff(np.concatenate([[0.0], done]))


class AlmgrenChriss(ScheduleStrategy):
    """Discrete AC closed form for the problem's (linearized) impact and risk aversion."""

    name = "almgren_chriss"

    def schedule(self, problem: ExecutionProblem) -> np.ndarray:
        return ac_problem_trades(nominal_problem(problem), linearize=True)


class ObizhaevaWang(ScheduleStrategy):
    """Exact optimal static schedule with the transient kernel, temporary and permanent impact."""

    name = "obizhaeva_wang"

    def schedule(self, problem: ExecutionProblem) -> np.ndarray:
        textbook = nominal_problem(problem).with_(signal_mean_reversion_per_s=0.0, signal_alpha_bps_per_s=0.0)
        return optimal_linear_schedule(linearized_problem(textbook), drift=False)
