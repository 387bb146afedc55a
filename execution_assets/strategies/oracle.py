"""The optimal-IS oracle: the best policy for the parametric model given its true parameters.

It knows everything about the problem, the regime included, and observes the signal. It picks
the exact solver for the model at hand:

- no signal: the state evolves deterministically, so the optimal policy is a static schedule:
  the exact QP for linear impact (``static_optimal``), SLSQP on the exact objective otherwise;
- signal, linear impact: the LQ feedback law from the Riccati recursion (``lq_oracle``), unless
  that law leaves 0 <= u <= x on its nominal path (a known trend makes it round-trip), where
  clipping it would be far from optimal: then the constrained DP below;
- signal, power-law impact: numerical dynamic programming (``dp_oracle``).

State. The oracle reads only the signal from the observation (``imbalance`` = side * I_k, std 1,
see ``sim.observation``). The remaining order x and the transient state J are deterministic
functions of its own trades, so it carries them itself in float64 (the observation is float32)
and checks x against the observed ``remaining_frac``. With a switching regime (hidden Markov
chain) there is no exact solver here: the oracle then plans for the starting regime held fixed.

Trend direction. Where it is drawn per episode (``ExecutionProblem.trend_sign`` 0), the oracle
is told each episode's direction by ``reveal`` (it is clairvoyant: the outer bound) and acts on
the plan for that direction; it refuses to act without it.
"""

from __future__ import annotations

import numpy as np

from execution_assets.sim.market_path import MarketPath
from execution_assets.sim.observation import OBS_INDEX
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.base import Strategy, fractions_of_remaining
from execution_assets.strategies.dp_oracle import DPSolution, solve_dp
from execution_assets.strategies.lq_oracle import LQSolution, solve_lq
from execution_assets.strategies.schedule_costs import (
    diffusion_variance_is_bps2,
    expected_is_bps,
    transient_decay_per_step,
)
from execution_assets.strategies.signal_model import signal_model
from execution_assets.strategies.static_optimal import optimal_static_schedule

_REMAINING_CHECK_TOL = 1e-5  # float32 observation vs the float64 state


def oracle_planning_problem(problem: ExecutionProblem) -> ExecutionProblem:
    """The static-regime problem the oracle optimizes (the true one unless the regime switches).

    A trending problem whose direction is drawn per episode needs ``trend_sign`` set first."""
    return problem.with_(regime_switch_rate_per_s=0.0).regime_adjusted()


def planning_problems(problem: ExecutionProblem) -> tuple[ExecutionProblem, ...]:
    """One planning problem, or one per trend direction (+1, -1) where the direction is drawn."""
    if problem.regime == "trending" and problem.random_trend:
        return tuple(oracle_planning_problem(problem.with_(trend_sign=s)) for s in (1, -1))
    return (oracle_planning_problem(problem),)


def choose_solver(plan: ExecutionProblem) -> tuple[str, LQSolution | None]:
    """"static", "riccati" (with its solution) or "dp" for a planning problem (module docstring)."""
    if not signal_model(plan).active:
        return "static", None
    if plan.impact.beta == 1.0 and plan.impact.delta == 1.0:
        lq = solve_lq(plan)
        if lq.within_bounds_nominally(transient_decay_per_step(plan), plan.impact.kappa * plan.size_frac_adv):
            return "riccati", lq
    return "dp", None


def static_value(plan: ExecutionProblem, trades: np.ndarray) -> float:
    """A static schedule's value on the oracle's objective: E[IS] + lambda sum sigma^2 x'^2 (bps)."""
    return expected_is_bps(plan, trades) + plan.risk_aversion * diffusion_variance_is_bps2(plan, trades)


class OraclePlan:
    """The exact solution of one planning problem, as trades from the state (x, J, I).

    The DP is exact only as its grids are fine: its inventory grid (steps of 1/200 of the order)
    cannot express the small early trades of a square-root schedule, and lost 8.7 bps to the
    exact static optimum on a 1-day order. Where the static optimum's value beats the DP's own
    value (both on the oracle's objective, the signal at its stationary law), the static
    schedule is the better policy and the oracle runs it (solver "static")."""

    def __init__(self, plan: ExecutionProblem, dp_grid: dict[str, int]) -> None:
        self.plan = plan
        self.solver, self._lq = choose_solver(plan)
        self._dp: DPSolution | None = solve_dp(plan, **dp_grid) if self.solver == "dp" else None
        static = optimal_static_schedule(plan) if self.solver != "riccati" else None
        if self._dp is not None and static_value(plan, static) < self._dp.initial_value():
            self.solver, self._dp = "static", None
        self._fractions = fractions_of_remaining(static) if self.solver == "static" else None

    def fraction(self, k: int, x: np.ndarray, j: np.ndarray, signal: np.ndarray) -> np.ndarray:
        """Fractions of the remainder x to trade at step k from the states (x, J, I)."""
        if k == self.plan.n_steps - 1:
            return np.ones_like(x)
        if self.solver == "static":
            return np.full_like(x, self._fractions[k])
        if self.solver == "riccati":
            trade = self._lq.trade(k, np.stack([x, j, signal, np.ones_like(x)], axis=1))
        else:
            trade = self._dp.trade(k, x, j, signal)
        trade = np.clip(trade, 0.0, x)
        return np.divide(trade, x, out=np.zeros_like(x), where=x > 0)


class Oracle(Strategy):
    name = "oracle"

    def __init__(self, *, dp_inventory: int = 200, dp_transient: int = 7, dp_signal: int = 15) -> None:
        """DP grid sizes: 7 transient and 15 signal points are within 0.03 bps of 11 and 31 on the
        test grid's DP scenarios (1,000 paired paths each) at 40% of the time; the inventory grid
        is what matters (100 points cost up to 0.08 bps on 10%-of-ADV orders)."""
        self.dp_grid = dict(n_inventory=dp_inventory, n_transient=dp_transient, n_signal=dp_signal)
        self._solved: dict[ExecutionProblem, OraclePlan] = {}  # solving is the expensive part
        self._plans: tuple[OraclePlan, ...] = ()
        self._which: np.ndarray | None = None

    @property
    def solver(self) -> str:
        """The solver of the current problem (of its first plan where there is one per direction)."""
        return self._plans[0].solver if self._plans else "static"

    def reset(self, problem: ExecutionProblem, n_episodes: int) -> None:
        plans = planning_problems(problem)
        if any(p not in self._solved for p in plans):
            self._solved = {p: self._solved.get(p) or OraclePlan(p, self.dp_grid) for p in plans}
        self._plans = tuple(self._solved[p] for p in plans)
        self._which = np.zeros(n_episodes, dtype=np.intp) if len(plans) == 1 else None
        first = self._plans[0].plan
        self._kappa_a = first.impact.kappa * first.size_frac_adv
        self._decay = transient_decay_per_step(first)
        self._side = problem.side
        self._n_steps = problem.n_steps
        self._k = 0
        self._x = np.ones(n_episodes)
        self._j = np.zeros(n_episodes)

    def reveal(self, path: MarketPath) -> None:
        """Each episode's trend direction (plan 0 for +1, plan 1 for -1) where it was drawn."""
        if len(self._plans) > 1:
            if path.trend_sign is None or path.trend_sign.shape != self._x.shape:
                raise ValueError("oracle: the path carries no trend direction for each episode")
            self._which = (path.trend_sign < 0).astype(np.intp)

    def act(self, obs: np.ndarray) -> np.ndarray:
        if not self._plans or self._k >= self._n_steps:
            raise RuntimeError("oracle: act called more than n_steps times since reset")
        if self._which is None:
            raise RuntimeError("oracle: the trend's direction is drawn per episode; call reveal(path) after reset")
        obs = np.asarray(obs)
        if obs.shape[0] != self._x.size:
            raise ValueError(f"oracle: expected {self._x.size} observations, got {obs.shape[0]}")
        seen = obs[:, OBS_INDEX["remaining_frac"]].astype(float)
        if np.max(np.abs(seen - self._x)) > _REMAINING_CHECK_TOL:
            raise RuntimeError("oracle: observed remaining_frac differs from its own state; act once per step, in order")
        k, x = self._k, self._x
        signal = self._side * obs[:, OBS_INDEX["imbalance"]].astype(float)
        if len(self._plans) == 1:
            frac = self._plans[0].fraction(k, x, self._j, signal)
        else:
            frac = np.empty_like(x)
            for i, plan in enumerate(self._plans):
                mask = self._which == i
                frac[mask] = plan.fraction(k, x[mask], self._j[mask], signal[mask])
        u = frac * x
        self._j = self._decay * (self._j + self._kappa_a * u)
        self._x = x - u
        self._k += 1
        return frac
