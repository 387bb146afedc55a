"""Discrete-time Almgren-Chriss (2000) closed form, in the paper's units, and its bridge to ours.

Paper setting: sell X shares over T (days) in N intervals of tau = T/N. Trade n_k is sold at
t_{k-1} at the price S_{k-1} - h(n_k/tau), h(v) = epsilon sign(v) + eta v; then
S_k = S_{k-1} + sigma sqrt(tau) xi_k - tau g(n_k/tau), g(v) = gamma v. With the trajectory
x_k = X - n_1 - ... - n_k (x_0 = X, x_N = 0) the cost has

    E = 1/2 gamma X^2 + epsilon sum |n_k| + eta_tilde / tau sum n_k^2,  eta_tilde = eta - gamma tau / 2
    V = sigma^2 tau sum_{k=1}^{N} x_k^2

and the minimizer of E + lambda V is x_j = X sinh(kappa (T - t_j)) / sinh(kappa T) with
2 (cosh(kappa tau) - 1) / tau^2 = lambda sigma^2 / eta_tilde (paper eqs. 15-20).

This is exactly the simulator's convention (``ExecutionProblem``): the paper's n_{k+1} is our q_k,
filled at the pre-trade mid S_k. ``ac_params_from_problem`` converts the dimensionless problem:
eta_AC = S0 eta / ADV ($/share per share/day), gamma_AC = S0 gamma / ADV, epsilon = S0 * half
spread, sigma_AC = S0 sigma_daily, T = horizon in trading days (horizon_s / session_seconds), and
lambda_AC = lambda_bps * 1e4 / (X S0) so that
E[IS_bps] + lambda_bps Var[IS_bps] = 1e4 / (X S0) * (E + lambda_AC V).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.schedule_costs import linearized_problem

_KAPPA_T_LINEAR = 1e-9  # below this kappa*T the sinh profile is the straight line to machine precision


@dataclass(frozen=True)
class ACParams:
    """Almgren-Chriss inputs in the paper's units (shares, $/share, days)."""

    X: float  # shares to trade
    sigma: float  # $/share/sqrt(day)
    eta: float  # temporary impact, ($/share) / (shares/day)
    gamma: float  # permanent impact, ($/share) / share
    epsilon: float  # fixed cost per share ($/share): half spread plus fees
    T: float  # horizon, days
    N: int  # number of trades
    lam: float  # risk aversion, 1/$

    def __post_init__(self) -> None:
        if self.N < 1 or not self.T > 0 or not self.X > 0:
            raise ValueError(f"ACParams: need N >= 1, T > 0, X > 0, got N={self.N}, T={self.T}, X={self.X}")
        for name in ("sigma", "eta", "gamma", "epsilon", "lam"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"ACParams.{name} must be finite and >= 0, got {value!r}")
        if not self.eta_tilde > 0:
            raise ValueError(
                f"ACParams: eta_tilde = eta - gamma*tau/2 = {self.eta_tilde:.3g} must be > 0 "
                "(otherwise trading everything at once is free and the problem has no minimum)"
            )

    @property
    def tau(self) -> float:
        return self.T / self.N

    @property
    def eta_tilde(self) -> float:
        return self.eta - 0.5 * self.gamma * self.tau

    @property
    def times(self) -> np.ndarray:
        return np.arange(self.N + 1) * self.tau


def ac_kappa(p: ACParams) -> float:
    """kappa solving 2 (cosh(kappa tau) - 1) / tau^2 = lambda sigma^2 / eta_tilde."""
    rhs = p.lam * p.sigma**2 * p.tau**2 / (2.0 * p.eta_tilde)
    return _arccosh1p(rhs) / p.tau


def _arccosh1p(y: float) -> float:
    """arccosh(1 + y), accurate for small y (arccosh(1+y) = log(1 + y + sqrt(y (2 + y))))."""
    return float(np.log1p(y + np.sqrt(y * (2.0 + y))))


def ac_trajectory(p: ACParams) -> np.ndarray:
    """Holdings x_0..x_N of the optimal strategy (x_0 = X, x_N = 0)."""
    kappa = ac_kappa(p)
    t = p.times
    if kappa * p.T < _KAPPA_T_LINEAR:
        x = p.X * (1.0 - t / p.T)
    else:
        x = p.X * np.sinh(kappa * (p.T - t)) / np.sinh(kappa * p.T)
    x[-1] = 0.0
    return x


def ac_trade_list(p: ACParams) -> np.ndarray:
    """Trades n_1..n_N = x_{k-1} - x_k of the optimal strategy."""
    return -np.diff(ac_trajectory(p))


def ac_expected_cost(p: ACParams) -> float:
    """E of the optimal strategy, closed form (paper eq. 20; kappa -> 0 limit is TWAP's)."""
    kappa = ac_kappa(p)
    base = 0.5 * p.gamma * p.X**2 + p.epsilon * p.X
    if kappa * p.T < _KAPPA_T_LINEAR:
        return float(base + p.eta_tilde * p.X**2 / p.T)
    kt, ktau = kappa * p.T, kappa * p.tau
    impact = (
        p.eta_tilde * p.X**2 * np.tanh(0.5 * ktau)
        * (p.tau * np.sinh(2 * kt) + 2 * p.T * np.sinh(ktau))
        / (2 * p.tau**2 * np.sinh(kt) ** 2)
    )
    return float(base + impact)


def ac_variance(p: ACParams) -> float:
    """V of the optimal strategy, closed form (paper eq. 20; kappa -> 0 limit is TWAP's)."""
    kappa = ac_kappa(p)
    if kappa * p.T < _KAPPA_T_LINEAR:
        return float(p.sigma**2 * p.X**2 * p.T * (1 - 1 / p.N) * (1 - 0.5 / p.N) / 3.0)
    kt, ktau = kappa * p.T, kappa * p.tau
    num = p.tau * np.sinh(kt) * np.cosh(kappa * (p.T - p.tau)) - p.T * np.sinh(ktau)
    return float(0.5 * p.sigma**2 * p.X**2 * num / (np.sinh(kt) ** 2 * np.sinh(ktau)))


def ac_schedule_cost(p: ACParams, trades: np.ndarray) -> tuple[float, float]:
    """(E, V) of any static trade list n_1..n_N under the paper's linear model."""
    n = np.asarray(trades, dtype=float)
    if n.shape != (p.N,):
        raise ValueError(f"trade list must have N={p.N} entries, got shape {n.shape}")
    x = p.X - np.cumsum(n)
    e = 0.5 * p.gamma * p.X**2 + p.epsilon * np.abs(n).sum() + p.eta_tilde / p.tau * (n**2).sum()
    v = p.sigma**2 * p.tau * (x**2).sum()
    return float(e), float(v)


def ac_params_from_problem(problem: ExecutionProblem, *, linearize: bool = False) -> ACParams:
    """The paper's inputs equivalent to ``problem`` (see the module docstring for the mapping).

    The paper's model is linear: a problem with beta != 1 or delta != 1 raises unless
    ``linearize``, which replaces each power law by the line through it at TWAP's trade size
    (the same temporary and permanent cost for TWAP). Transient impact, drift and the signal are
    not part of the paper's model and are ignored here; a static regime's volatility is used
    (a switching regime raises).
    """
    imp = problem.impact
    if not linearize and (imp.beta != 1.0 or imp.delta != 1.0):
        raise ValueError(
            f"Almgren-Chriss needs linear impact (beta = delta = 1), got beta={imp.beta}, delta={imp.delta}; "
            "pass linearize=True to use the line through TWAP's trade size"
        )
    imp = linearized_problem(problem).impact
    s0, adv, x = problem.arrival_price, problem.adv_shares, problem.total_shares
    return ACParams(
        X=x,
        sigma=s0 * problem.regime_adjusted().sigma_daily,
        eta=s0 * imp.eta / adv,
        gamma=s0 * imp.gamma / adv,
        epsilon=s0 * problem.half_spread_bps * 1e-4,
        T=problem.horizon_s / problem.session_seconds,
        N=problem.n_steps,
        lam=problem.risk_aversion * 1e4 / (x * s0),
    )


def dollars_to_bps(cost: float, problem: ExecutionProblem) -> float:
    """A cost in $ as bps of arrival notional."""
    return 1e4 * cost / (problem.total_shares * problem.arrival_price)


def dollars2_to_bps2(variance: float, problem: ExecutionProblem) -> float:
    """A variance in $^2 as bps^2 of arrival notional."""
    return 1e8 * variance / (problem.total_shares * problem.arrival_price) ** 2


def ac_problem_trades(problem: ExecutionProblem, *, linearize: bool = False) -> np.ndarray:
    """AC's optimal trades for ``problem``, as fractions of the order (sum to 1)."""
    p = ac_params_from_problem(problem, linearize=linearize)
    return ac_trade_list(p) / p.X
