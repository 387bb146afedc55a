"""Optimal static schedules: exact QP (AC, OW) vs scipy, and the OW closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.almgren_chriss import ac_problem_trades
from execution_assets.strategies.static_optimal import (
    minimize_quadratic_schedule,
    optimal_linear_schedule,
    optimal_static_schedule,
    ow_continuous_solution,
    ow_discrete_trades,
    static_objective,
)

OW_PROBLEM = ExecutionProblem(
    impact=ImpactParams(eta=0.001, gamma=0.02, kappa=0.3, transient_decay_per_s=1 / 200),
    risk_aversion=0.02,
    n_steps=20,
)


def scipy_static_optimum(problem: ExecutionProblem) -> tuple[np.ndarray, float]:
    """SLSQP on the exact objective, from TWAP: an independent check of the exact solvers."""
    n = problem.n_steps
    res = minimize(
        lambda u: static_objective(problem, np.maximum(u, 0) / np.maximum(u, 0).sum()),
        np.full(n, 1 / n),
        method="SLSQP",
        bounds=[(0, 1)] * n,
        constraints=[{"type": "eq", "fun": lambda u: u.sum() - 1}],
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    u = np.maximum(res.x, 0) / np.maximum(res.x, 0).sum()
    return u, static_objective(problem, u)


@pytest.mark.parametrize("problem", [OW_PROBLEM, OW_PROBLEM.with_(risk_aversion=0.0, side=-1)])
def test_ow_schedule_is_the_optimum_of_its_objective(problem):
    u = optimal_linear_schedule(problem)
    u_sp, obj_sp = scipy_static_optimum(problem)
    assert static_objective(problem, u) <= obj_sp + 1e-9
    assert static_objective(problem, u) == pytest.approx(obj_sp, rel=1e-7)
    np.testing.assert_allclose(u, u_sp, atol=2e-4)
    # the transient kernel changes the answer: AC (no kernel) is worse under it
    assert static_objective(problem, u) < static_objective(problem, ac_problem_trades(problem)) - 0.1


def pure_ow_problem(n_steps: int, rho_T: float, horizon_s: float = 3600.0) -> ExecutionProblem:
    """Transient kernel only; temporary impact = half a block's own jump (eta_eff = kappa a / 2)."""
    a, kappa = 0.05, 0.2
    tau = horizon_s / n_steps
    eta = 0.5 * kappa * a / (a * US_EQUITY_SESSION_SECONDS / tau)
    imp = ImpactParams(eta=eta, gamma=0.0, kappa=kappa, transient_decay_per_s=rho_T / horizon_s)
    return ExecutionProblem(size_frac_adv=a, horizon_s=horizon_s, n_steps=n_steps, impact=imp, half_spread_bps=0)


def test_ow_discrete_closed_form():
    problem = pure_ow_problem(n_steps=25, rho_T=3.0)
    r = np.exp(-3.0 / 25)
    np.testing.assert_allclose(optimal_linear_schedule(problem), ow_discrete_trades(25, r), atol=1e-12)


def test_ow_continuous_limit_blocks_and_constant_rate():
    """Discrete optimum -> OW's blocks X/(rho T + 2) at both ends and rate rho X/(rho T + 2), at rate 1/N."""
    rho_T = 3.0
    start, rate, end = ow_continuous_solution(rho_T)  # 1/5, 3/5, 1/5
    errors = []
    for n in (250, 1000):
        u = optimal_linear_schedule(pure_ow_problem(n_steps=n, rho_T=rho_T))
        errors.append(max(abs(u[0] / start - 1), abs(u[-1] / end - 1), np.max(np.abs(u[1:-1] * n / rate - 1))))
    assert errors[1] < 3e-3
    assert errors[1] < errors[0] / 3  # first-order convergence: 4x the steps, ~4x smaller error


def test_active_set_handles_binding_sign_constraints():
    """A buyer facing a falling price waits: the unconstrained optimum sells early (u < 0)."""
    problem = ExecutionProblem(drift_per_day=-0.5, n_steps=15, impact=ImpactParams(eta=0.0005, gamma=0.0))
    free = optimal_linear_schedule(problem, nonnegative=False)
    assert free.min() < -1e-3
    u = optimal_linear_schedule(problem)
    assert u.min() >= 0 and (u == 0).sum() >= 1
    _, obj_sp = scipy_static_optimum(problem)
    assert static_objective(problem, u) == pytest.approx(obj_sp, rel=1e-7)
    assert static_objective(problem, u) <= obj_sp + 1e-9


def test_quadratic_solver_random_instances():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = 8
        m = rng.standard_normal((n, n))
        A = m @ m.T + 0.1 * np.eye(n)
        b = 3 * rng.standard_normal(n)
        u = minimize_quadratic_schedule(A, b)
        res = minimize(
            lambda v: v @ A @ v + b @ v,
            np.full(n, 1 / n),
            method="SLSQP",
            bounds=[(0, None)] * n,
            constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1}],
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        assert u.min() >= 0 and u.sum() == pytest.approx(1)
        assert u @ A @ u + b @ u <= res.fun + 1e-9


@pytest.mark.parametrize(
    "impact", [ImpactParams(beta=0.5, eta=0.01), ImpactParams(beta=0.5, eta=0.01, kappa=0.2, transient_decay_per_s=0.005)]
)
def test_numerical_schedule_for_square_root_impact(impact):
    problem = ExecutionProblem(impact=impact, risk_aversion=0.05, n_steps=12, horizon_s=1200)
    u = optimal_static_schedule(problem)
    twap = np.full(12, 1 / 12)
    assert static_objective(problem, u) < static_objective(problem, twap)
    # no single-coordinate pair move improves it (first-order optimality on the simplex)
    base = static_objective(problem, u)
    for i in range(12):
        for j in range(12):
            if i != j and u[i] > 1e-3:
                v = u.copy()
                v[i] -= 1e-3
                v[j] += 1e-3
                assert static_objective(problem, v) > base - 1e-6
