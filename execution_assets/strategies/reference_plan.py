"""The scenario's static optimal plan: the schedule plan-relative agents act around.

It is the classical schedule a desk would run from the scenario's parameters alone, before the
order starts (no trend, no signal, the regime unknown): Almgren-Chriss for linear impact,
Obizhaeva-Wang where a transient kernel is present, the static optimum of the true power law for
square-root impact. Where the regime is hidden (``regime_hidden``: the scenario grid's problems),
the plan prices risk at the volatility of the regime prior the agents train on, sqrt(E[m(r)^2])
sigma (``prior_vol_multiplier``: sqrt 2 for the grid's mix), which makes it the best static
schedule in expectation over that prior; the
``almgren_chriss`` and ``obizhaeva_wang`` baselines are the textbook schedules at the nominal
(normal-regime) sigma, the same formulas with one input changed (``docs/decisions.md``). Action 0 of the ``plan_log_ratio`` and ``plan_grid`` action maps executes exactly this
schedule, so a plan-relative agent starts from the best classical plan and learning adds only
what information buys. Where Almgren-Chriss has no minimum (permanent impact outweighing
temporary over long steps), the exact static QP of the same linear model takes its place; where
the cost is not convex at all (no static optimum: e.g. GOOG's one-day calibration, whose permanent
impact outweighs its temporary impact), TWAP, so that the simulator can run any problem.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from execution_assets.sim.problem import ExecutionProblem, prior_vol_multiplier
from execution_assets.strategies.almgren_chriss import ac_problem_trades
from execution_assets.strategies.base import ScheduleStrategy, fractions_of_remaining, nominal_problem
from execution_assets.strategies.schedule_costs import linearized_problem
from execution_assets.strategies.static_optimal import optimal_linear_schedule, optimal_static_schedule


def plan_problem(problem: ExecutionProblem) -> ExecutionProblem:
    """What the plan knows: the nominal problem without signal, trend or side (it is side-free),
    at the regime prior's volatility where the regime is hidden."""
    return nominal_problem(problem).with_(
        side=1,
        signal_mean_reversion_per_s=0.0,
        signal_alpha_bps_per_s=0.0,
        trend_sign=0,
        sigma_daily=problem.sigma_daily * (prior_vol_multiplier() if problem.regime_hidden else 1.0),
        regime_hidden=False,
    )


@lru_cache(maxsize=4096)
def _plan_trades(textbook: ExecutionProblem) -> np.ndarray:
    imp = textbook.impact
    twap = np.full(textbook.n_steps, 1.0 / textbook.n_steps)
    if imp.beta != 1.0 or imp.delta != 1.0 or imp.kappa > 0:
        try:
            if imp.beta != 1.0 or imp.delta != 1.0:
                trades = optimal_static_schedule(textbook)
            else:
                trades = optimal_linear_schedule(linearized_problem(textbook), drift=False)
        except (RuntimeError, np.linalg.LinAlgError):  # not convex (e.g. GOOG's one-day calibration, eta~ < 0)
            trades = twap
    else:
        try:
            trades = ac_problem_trades(textbook, linearize=True)
        except ValueError:  # eta_tilde <= 0: AC's model has no minimum
            try:
                trades = optimal_linear_schedule(textbook, drift=False)
            except (RuntimeError, np.linalg.LinAlgError):  # not convex: no static optimum
                trades = twap
    trades = np.maximum(np.asarray(trades, dtype=float), 0.0)
    trades /= trades.sum()
    trades.setflags(write=False)
    return trades


def reference_plan(problem: ExecutionProblem) -> np.ndarray:
    """The plan's trades u_0..u_{N-1} as fractions of the order (read-only, cached per problem)."""
    return _plan_trades(plan_problem(problem))


@lru_cache(maxsize=4096)
def _plan_fractions(textbook: ExecutionProblem) -> np.ndarray:
    fractions = fractions_of_remaining(_plan_trades(textbook))
    fractions.setflags(write=False)
    return fractions


def reference_fractions(problem: ExecutionProblem) -> np.ndarray:
    """Per step k, the fraction of its own remainder the plan trades (1 at the last step)."""
    return _plan_fractions(plan_problem(problem))


class ReferencePlan(ScheduleStrategy):
    """The reference plan as a strategy: what a plan-relative agent does at action 0."""

    name = "plan"

    def schedule(self, problem: ExecutionProblem) -> np.ndarray:
        return np.array(reference_plan(problem))
