"""Optimal static schedules: exact for linear impact (a QP), numerical for power laws.

With linear impact the objective E[IS_bps] + lambda Var[IS_bps] of a static schedule is the
quadratic u'(H + lambda C)u + h'u (``linear_cost_model``), minimized over u >= 0, sum u = 1.
Without the sign constraint it is one KKT linear system; with it, a primal active-set method
solves a short sequence of them and is exact. This gives Almgren-Chriss (no transient term),
Obizhaeva-Wang (transient kernel kappa e^{-rho t} on top of linear temporary and permanent
impact) and the oracle's no-signal schedule.

Obizhaeva-Wang check. In the simulator's convention a trade pays only the transient impact of
earlier trades; the continuous model also charges a block half its own jump. Setting the linear
temporary impact to that half (eta_eff = kappa a / 2), gamma = 0 and lambda = 0 makes the
discrete cost (kappa a / 2) u'Ku with K_ij = r^|i-j|, whose minimizer is known in closed form
(Alfonsi, Fruth & Schied 2008): end trades 1 / (2 + (N - 2)(1 - r)), interior trades
(1 - r) / (2 + (N - 2)(1 - r)). As N grows with rho T fixed this tends to the continuous OW
solution: blocks X / (rho T + 2) at start and end and the constant rate rho X / (rho T + 2)
between (``ow_discrete_trades``, ``ow_continuous_solution``; tested both ways).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.schedule_costs import (
    expected_is_bps,
    linear_cost_model,
    linearized_problem,
    variance_is_bps2,
)

_ACTIVE_SET_TOL = 1e-12


def _kkt_on_free(A: np.ndarray, b: np.ndarray, free: np.ndarray) -> tuple[np.ndarray, float]:
    """Minimizer of u'Au + b'u with u = 0 off ``free`` and sum u = 1, and its multiplier nu
    (stationarity on the free set: 2Au + b + nu = 0)."""
    idx = np.flatnonzero(free)
    m = idx.size
    kkt = np.zeros((m + 1, m + 1))
    kkt[:m, :m] = 2.0 * A[np.ix_(idx, idx)]
    kkt[:m, m] = 1.0
    kkt[m, :m] = 1.0
    rhs = np.concatenate([-b[idx], [1.0]])
    sol = np.linalg.solve(kkt, rhs)
    u = np.zeros(A.shape[0])
    u[idx] = sol[:m]
    return u, float(sol[m])


def minimize_quadratic_schedule(A: np.ndarray, b: np.ndarray, *, nonnegative: bool = True) -> np.ndarray:
    """argmin u'Au + b'u subject to sum u = 1 (and u >= 0): primal active set, exact.

    ``A`` must be positive definite on {sum u = 0}; the method starts from TWAP and adds or drops
    one bound per iteration (Nocedal & Wright, Algorithm 16.3).
    """
    n = A.shape[0]
    A = 0.5 * (A + A.T)
    if not nonnegative:
        return _kkt_on_free(A, b, np.ones(n, dtype=bool))[0]
    u = np.full(n, 1.0 / n)
    free = np.ones(n, dtype=bool)
    for _ in range(10 * n + 10):
        target, nu = _kkt_on_free(A, b, free)
        step = target - u
        if np.max(np.abs(step)) <= _ACTIVE_SET_TOL:
            grad = 2.0 * A @ u + b
            mult = grad + nu  # KKT: grad_i + nu = mu_i >= 0 for bound i
            mult[free] = np.inf
            worst = int(np.argmin(mult))
            if mult[worst] >= -1e-10 * max(1.0, np.abs(grad).max()):
                return np.maximum(u, 0.0)
            free[worst] = True
            continue
        blocking = free & (step < 0)
        ratios = np.full(n, np.inf)
        ratios[blocking] = -u[blocking] / step[blocking]
        j = int(np.argmin(ratios))
        alpha = min(1.0, ratios[j])
        u = u + alpha * step
        if alpha < 1.0:
            u[j] = 0.0
            free[j] = False
    raise RuntimeError("active-set QP did not converge; is the cost matrix positive definite?")


def optimal_linear_schedule(
    problem: ExecutionProblem, *, transient: bool = True, drift: bool = True, nonnegative: bool = True
) -> np.ndarray:
    """Exact optimal static trades (fractions of the order) for linear impact."""
    model = linear_cost_model(problem, transient=transient, drift=drift)
    return minimize_quadratic_schedule(model.H + problem.risk_aversion * model.C, model.h, nonnegative=nonnegative)


def static_objective(problem: ExecutionProblem, trades: np.ndarray) -> float:
    """E[IS_bps] + lambda Var[IS_bps] of a static schedule, exact (static regime)."""
    return expected_is_bps(problem, trades) + problem.risk_aversion * variance_is_bps2(problem, trades)


def optimal_numerical_schedule(problem: ExecutionProblem, starts: list[np.ndarray] | None = None) -> np.ndarray:
    """Best static schedule for any impact law by SLSQP on the exact objective.

    Convex for beta >= 1 with delta = 1; with delta < 1 the permanent cost is concave in each
    trade, so this is the best local optimum from TWAP and the given ``starts``.
    """
    n = problem.n_steps
    candidates = [np.full(n, 1.0 / n), *(starts or [])]
    best, best_value = candidates[0], static_objective(problem, candidates[0])

    def objective(u: np.ndarray) -> float:
        u = np.maximum(u, 0.0)
        return static_objective(problem, u / u.sum())

    for start in candidates:
        res = minimize(
            objective,
            start,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * n,
            constraints=[{"type": "eq", "fun": lambda u: u.sum() - 1.0}],
            options={"ftol": 1e-12, "maxiter": 500},
        )
        u = np.maximum(res.x, 0.0)
        u /= u.sum()
        value = static_objective(problem, u)
        if value < best_value:
            best, best_value = u, value
    return best


def optimal_power_law_schedule(problem: ExecutionProblem) -> np.ndarray:
    """Best static schedule for a power-law temporary impact (beta > 0) with linear permanent
    impact (delta = 1), by SLSQP with the exact gradient: the objective is convex,

        u'(H + lambda C)u + h'u + c sum_k u_k^(1 + beta),   c = 1e4 eta (a session / tau)^beta,

    with (H, h, C) the linear cost model without temporary impact. Tens of milliseconds where the
    finite-difference ``optimal_numerical_schedule`` takes seconds, to the same optimum.
    """
    imp = problem.impact
    if imp.delta != 1.0 or imp.beta <= 0:
        raise ValueError(f"optimal_power_law_schedule needs delta = 1 and beta > 0, got beta={imp.beta}, delta={imp.delta}")
    beta = imp.beta
    model = linear_cost_model(problem.with_(impact=imp.with_(eta=0.0, beta=1.0)))
    A = model.H + problem.risk_aversion * model.C
    A = A + A.T  # the gradient of u'Au is (A + A')u
    c = 1e4 * imp.eta * (problem.size_frac_adv * problem.session_seconds / problem.tau_s) ** beta

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        v = np.maximum(u, 0.0)
        power = v**beta
        value = 0.5 * v @ A @ v + model.h @ v + c * (v * power).sum()
        return float(value), A @ v + model.h + c * (1.0 + beta) * power

    n = problem.n_steps
    start = optimal_linear_schedule(linearized_problem(problem))
    res = minimize(
        objective,
        start,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "eq", "fun": lambda u: u.sum() - 1.0, "jac": lambda u: np.ones_like(u)}],
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    u = np.maximum(res.x, 0.0)
    return u / u.sum()


def optimal_static_schedule(problem: ExecutionProblem, *, transient: bool = True, drift: bool = True) -> np.ndarray:
    """Optimal static trades: exact QP for linear impact, SLSQP otherwise."""
    imp = problem.impact
    if imp.beta == 1.0 and imp.delta == 1.0:
        return optimal_linear_schedule(problem, transient=transient, drift=drift)
    if not (transient and drift):
        raise ValueError("dropping transient or drift terms is only supported for linear impact")
    if imp.delta == 1.0 and imp.beta > 0:
        return optimal_power_law_schedule(problem)
    warm = optimal_linear_schedule(linearized_problem(problem))
    return optimal_numerical_schedule(problem, starts=[warm])


def ow_discrete_trades(n_steps: int, decay_per_step: float) -> np.ndarray:
    """Minimizer of u'Ku, K_ij = r^|i-j|, sum u = 1 (Alfonsi-Fruth-Schied closed form)."""
    r = decay_per_step
    if n_steps == 1:
        return np.ones(1)
    u = np.full(n_steps, 1.0 - r)
    u[0] = u[-1] = 1.0
    return u / (2.0 + (n_steps - 2) * (1.0 - r))


def ow_continuous_solution(rho_T: float) -> tuple[float, float, float]:
    """Obizhaeva-Wang (2013) risk-neutral optimum per unit order and horizon: (start block,
    constant rate per unit of T, end block) = (1, rho T, 1) / (rho T + 2)."""
    d = rho_T + 2.0
    return 1.0 / d, rho_T / d, 1.0 / d
