"""Exact mean and variance of IS (bps) for any static schedule of an ``ExecutionProblem``.

These are the closed forms the simulator is checked against. A schedule is the list of trades
u_0..u_{N-1} as fractions of the order (u_k >= 0, sum 1); x_{k+1} = u_{k+1} + ... + u_{N-1} is
what remains after trade k. In the simulator's timing (see ``ExecutionProblem``) trade k pays,
as a fraction of arrival price, the half spread, its own temporary impact, the permanent impact
of the earlier trades, the transient state J_k and the exogenous mid move so far. Summing by
parts, the exogenous part is sum_k x_{k+1} dW_k, so

    IS_frac = sum_k u_k (hs + temp(u_k) + P_k + J_k) + sum_k x_{k+1} side (mu tau + alpha_k + sigma_step Z_k)

    P_k = sum_{j<k} gamma (a u_j)^delta,   J_k = sum_{j<k} kappa a u_j r^{k-j},  r = exp(-rho tau)

with a = X / ADV and alpha_k = c_alpha I_k the signal's predicted move. The deterministic part
is exact for every impact law; the signal has mean zero, so the variance of a static schedule
is sigma_step^2 sum x_{k+1}^2 (diffusion) plus c_alpha^2 sum_{k,l} x_{k+1} x_{l+1} phi^|k-l|
(signal, stationary AR(1)). For linear impact (beta = delta = 1) the mean is a quadratic form in
u, given by ``linear_cost_model`` for the exact solvers (AC, OW, the oracle).

A static regime enters through ``ExecutionProblem.regime_adjusted`` (exact); a switching regime
has no closed form here and raises.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from execution_assets.impact import participation, permanent_impact, temporary_impact, transient_decay_factor
from execution_assets.sim.problem import ExecutionProblem

BPS = 1e4
TRADE_SUM_TOL = 1e-9


def validate_trades(problem: ExecutionProblem, trades: np.ndarray) -> np.ndarray:
    """Trades as a float array, checked: one per step, finite, >= 0, summing to the order."""
    u = np.asarray(trades, dtype=float)
    if u.shape != (problem.n_steps,):
        raise ValueError(f"schedule needs n_steps={problem.n_steps} trades, got shape {u.shape}")
    if not np.all(np.isfinite(u)) or np.any(u < -TRADE_SUM_TOL):
        raise ValueError(f"schedule trades must be finite and >= 0, got {u}")
    if abs(u.sum() - 1.0) > TRADE_SUM_TOL * problem.n_steps:
        raise ValueError(f"schedule trades must sum to 1 (the whole order), got {u.sum()!r}")
    return u


def remaining_after(trades: np.ndarray) -> np.ndarray:
    """x_{k+1}: fraction of the order left after trade k (last entry 0)."""
    u = np.asarray(trades, dtype=float)
    return np.concatenate([np.cumsum(u[::-1])[::-1][1:], [0.0]])


def transient_decay_per_step(problem: ExecutionProblem) -> float:
    return transient_decay_factor(problem.tau_s, problem.impact)


def transient_state(problem: ExecutionProblem, trades: np.ndarray) -> np.ndarray:
    """J_k (fraction of arrival price) seen by trade k: decayed transient impact of trades j < k."""
    u = np.asarray(trades, dtype=float)
    r = transient_decay_per_step(problem)
    kappa_a = problem.impact.kappa * problem.size_frac_adv
    j = np.zeros_like(u)
    for k in range(1, u.size):
        j[k] = r * (j[k - 1] + kappa_a * u[k - 1])
    return j


def expected_is_bps(problem: ExecutionProblem, trades: np.ndarray) -> float:
    """E[IS] in bps of a static schedule, exact for the parametric model (static regime)."""
    u = validate_trades(problem, trades)
    problem = problem.regime_adjusted()
    imp = problem.impact
    shares = u * problem.total_shares
    temp = temporary_impact(participation(shares, problem.tau_s, problem.adv_shares, problem.session_seconds), imp)
    perm = permanent_impact(shares / problem.adv_shares, imp)
    perm_before = np.concatenate([[0.0], np.cumsum(perm)[:-1]])
    mu_step = problem.drift_per_day * problem.tau_s / problem.session_seconds
    hs = problem.half_spread_bps / BPS
    paid = u * (hs + temp + perm_before + transient_state(problem, u))
    drift = problem.side * mu_step * remaining_after(u)
    return float(BPS * (paid.sum() + drift.sum()))


def _remaining_operator(n_steps: int) -> np.ndarray:
    """R with (R u)_k = x_{k+1}, the order left after trade k, for k = 0..N-1."""
    k = np.arange(n_steps)
    return (k[None, :] > k[:, None]).astype(float)


def variance_matrices(problem: ExecutionProblem) -> tuple[np.ndarray, np.ndarray]:
    """(C_diffusion, C_signal): Var[IS_bps](u) = u'(C_diffusion + C_signal)u for static u."""
    problem = problem.regime_adjusted()
    R = _remaining_operator(problem.n_steps)
    c_diff = BPS**2 * problem.sigma_step**2 * R.T @ R
    k = np.arange(problem.n_steps)
    corr = problem.signal_phi ** np.abs(k[:, None] - k[None, :])
    c_sig = BPS**2 * problem.signal_drift_per_unit**2 * R.T @ corr @ R
    return c_diff, c_sig


def diffusion_variance_is_bps2(problem: ExecutionProblem, trades: np.ndarray) -> float:
    """Var[IS] in bps^2 from the mid's diffusion alone: sigma_step^2 sum_k x_{k+1}^2."""
    u = validate_trades(problem, trades)
    x = remaining_after(u)
    return float(BPS**2 * problem.regime_adjusted().sigma_step**2 * (x**2).sum())


def variance_is_bps2(problem: ExecutionProblem, trades: np.ndarray) -> float:
    """Var[IS] in bps^2 of a static schedule, exact: diffusion plus the signal's alpha."""
    u = validate_trades(problem, trades)
    c_diff, c_sig = variance_matrices(problem)
    return float(u @ (c_diff + c_sig) @ u)


@dataclass(frozen=True)
class LinearCostModel:
    """E[IS_bps](u) = u'Hu + h'u and Var[IS_bps](u) = u'Cu of static schedules, linear impact."""

    H: np.ndarray
    h: np.ndarray
    C: np.ndarray

    def mean(self, u: np.ndarray) -> float:
        return float(u @ self.H @ u + self.h @ u)

    def variance(self, u: np.ndarray) -> float:
        return float(u @ self.C @ u)


def linearized_problem(problem: ExecutionProblem) -> ExecutionProblem:
    """``problem`` with each power law replaced by the line through it at TWAP's trade size.

    TWAP then pays the same temporary and permanent impact in both; linear models plan with it.
    """
    imp = problem.impact
    if imp.beta == 1.0 and imp.delta == 1.0:
        return problem
    twap_frac_adv = problem.size_frac_adv / problem.n_steps
    twap_participation = twap_frac_adv * problem.session_seconds / problem.tau_s
    return problem.with_(
        impact=imp.with_(
            eta=imp.eta * twap_participation ** (imp.beta - 1.0),
            beta=1.0,
            gamma=imp.gamma * twap_frac_adv ** (imp.delta - 1.0),
            delta=1.0,
        )
    )


def linear_cost_model(
    problem: ExecutionProblem, *, transient: bool = True, drift: bool = True
) -> LinearCostModel:
    """The quadratic form of E[IS_bps] and Var[IS_bps] for beta = delta = 1 (see module docstring).

    ``transient`` / ``drift`` False drop those terms (a strategy that ignores them plans with this).
    """
    problem = problem.regime_adjusted()
    imp = problem.impact
    if imp.beta != 1.0 or imp.delta != 1.0:
        raise ValueError(f"linear_cost_model needs beta = delta = 1, got beta={imp.beta}, delta={imp.delta}")
    n, a = problem.n_steps, problem.size_frac_adv
    k = np.arange(n)
    lag = k[:, None] - k[None, :]  # row k (payer), column j (earlier trade)
    eta_eff = imp.eta * a * problem.session_seconds / problem.tau_s
    lower = np.zeros((n, n))
    lower[lag > 0] = imp.gamma * a
    if transient and imp.kappa > 0:
        r = transient_decay_per_step(problem)
        lower += np.where(lag > 0, imp.kappa * a * r ** np.maximum(lag, 0), 0.0)
    H = BPS * (eta_eff * np.eye(n) + 0.5 * (lower + lower.T))
    hs = problem.half_spread_bps / BPS
    mu_step = problem.drift_per_day * problem.tau_s / problem.session_seconds if drift else 0.0
    h = BPS * (hs + problem.side * mu_step * k.astype(float))  # sum_k x_{k+1} = sum_j j u_j
    c_diff, c_sig = variance_matrices(problem)
    return LinearCostModel(H=H, h=h, C=c_diff + c_sig)
