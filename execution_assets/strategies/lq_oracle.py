"""Optimal-IS oracle for linear impact: a linear-quadratic control problem, backward Riccati.

State before trade k: z = (x, J, I, 1) with x the fraction of the order left, J the transient
impact (fraction of arrival price), I the OU signal. Control: u, the fraction of the order traded.
Dynamics: x' = x - u, J' = r (J + kappa a u), I' = phi I + s eps (``SignalModel``). Summing the
exogenous mid move by parts (``schedule_costs``), IS in bps is a sum of stage costs

    c_k = 1e4 [u hs + eta_eff u^2 + gamma a u x' + u J + x' side (mu tau + c_I I)] + noise terms,

eta_eff = eta a session/tau; the noise terms x' side sigma_step Z have zero conditional mean.
Risk: mean-variance is time-inconsistent once the schedule reacts to information, so the oracle
penalizes each step's conditional variance, lambda 1e8 sigma_step^2 x'^2, the standard choice;
for a schedule that does not react (no signal) the penalties add up to exactly lambda Var[IS_bps].
Every term is quadratic in (z, u), so V_k(z) = z' P_k z with

    M = Q + [A B]' P_{k+1} [A B] (+ P_{k+1}[I, I] s^2 in the constant),
    u_k = -M_uu^{-1} M_uz z,     P_k = M_zz - M_zu M_uu^{-1} M_uz,

and at the last step u = x (the order completes). Without signal the state is deterministic and
the feedback law reproduces the optimal static schedule (AC, or OW with transient impact)
without the sign constraint; with the signal, trades may want to reverse (u < 0) or exceed what
is left. The env allows neither, so the strategy clips the fraction to [0, 1]; the policy is
exact whenever the clip does not bind (``LQSolution.unconstrained_value`` is then its value).
Clipping at extreme signals costs nothing measurable (within 0.06 bps of the constrained DP on
every normal and volatile test scenario, 1,000 paths), but a known trend makes the unconstrained
law buy ahead and sell back (round trips that earn the drift), so its nominal path itself leaves
the bounds and the clipped policy is far from optimal (18 bps on a 1-day trending order): the
oracle then solves the constrained problem by DP (``within_bounds_nominally``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.schedule_costs import BPS, transient_decay_per_step
from execution_assets.strategies.signal_model import SignalModel, signal_model

X, J, SIG, ONE, U = range(5)  # indices of (z, u)


@dataclass(frozen=True)
class LQSolution:
    gains: np.ndarray  # (n_steps, 4): u_k = -gains[k] @ z; the last row is (-1, 0, 0, 0), u = x
    value_matrices: np.ndarray  # (n_steps, 4, 4): V_k(z) = z' P_k z
    signal: SignalModel

    def trade(self, k: int, z: np.ndarray) -> np.ndarray:
        """Unconstrained optimal trades (fraction of the order) for states z of shape (n, 4)."""
        return -z @ self.gains[k]

    def unconstrained_value(self, initial_signal_var: float | None = None) -> float:
        """Expected objective from the start (x=1, J=0), I_0 ~ N(0, var) (stationary by default)."""
        var = self.signal.stationary_std**2 if initial_signal_var is None else initial_signal_var
        P = self.value_matrices[0]
        return float(P[X, X] + 2 * P[X, ONE] + P[ONE, ONE] + var * P[SIG, SIG])

    def within_bounds_nominally(self, decay: float, kappa_a: float, tol: float = 1e-9) -> bool:
        """Whether the law keeps 0 <= u <= x along the path with the signal at its mean (I = 0).

        ``decay`` and ``kappa_a`` move the transient state J as the simulator does."""
        x, j = 1.0, 0.0
        for k in range(self.gains.shape[0]):
            u = float(self.trade(k, np.array([[x, j, 0.0, 1.0]]))[0])
            if u < -tol or u > x + tol:
                return False
            x, j = x - u, decay * (j + kappa_a * u)
        return True


def _stage_cost(problem: ExecutionProblem, sig: SignalModel) -> np.ndarray:
    """Symmetric Q with c_k = w' Q w, w = (x, J, I, 1, u); x' = x - u."""
    imp = problem.impact
    a = problem.size_frac_adv
    eta_eff = imp.eta * a * problem.session_seconds / problem.tau_s
    hs = problem.half_spread_bps / BPS
    mu_step = problem.drift_per_day * problem.tau_s / problem.session_seconds
    xp = np.array([1.0, 0, 0, 0, -1.0])  # x' as a linear form in w
    e = np.eye(5)

    def sym(v: np.ndarray, w: np.ndarray) -> np.ndarray:  # quadratic form of (v.w)(w.w')
        return 0.5 * (np.outer(v, w) + np.outer(w, v))

    Q = BPS * (
        hs * sym(e[U], e[ONE])
        + eta_eff * np.outer(e[U], e[U])
        + imp.gamma * a * sym(e[U], xp)
        + sym(e[U], e[J])
        + problem.side * mu_step * sym(xp, e[ONE])
        + problem.side * sig.drift_per_unit * sym(xp, e[SIG])
    )
    return Q + problem.risk_aversion * BPS**2 * problem.sigma_step**2 * np.outer(xp, xp)


def solve_lq(problem: ExecutionProblem) -> LQSolution:
    """Backward Riccati recursion for ``problem`` (needs beta = delta = 1 and a static regime)."""
    problem = problem.regime_adjusted()
    imp = problem.impact
    if imp.beta != 1.0 or imp.delta != 1.0:
        raise ValueError(f"the LQ oracle needs linear impact, got beta={imp.beta}, delta={imp.delta}")
    sig = signal_model(problem)
    Q = _stage_cost(problem, sig)
    r = transient_decay_per_step(problem)
    AB = np.zeros((4, 5))  # z' = AB @ w
    AB[X, X], AB[X, U] = 1.0, -1.0
    AB[J, J], AB[J, U] = r, r * imp.kappa * problem.size_frac_adv
    AB[SIG, SIG] = sig.phi
    AB[ONE, ONE] = 1.0

    n = problem.n_steps
    gains = np.zeros((n, 4))
    values = np.zeros((n, 4, 4))
    last = np.zeros((5, 4))  # w = last @ z with u = x
    last[:4, :4] = np.eye(4)
    last[U, X] = 1.0
    gains[-1, X] = -1.0
    values[-1] = last.T @ Q @ last
    for k in range(n - 2, -1, -1):
        P = values[k + 1]
        M = Q + AB.T @ P @ AB
        M[ONE, ONE] += P[SIG, SIG] * sig.innovation_std**2
        m_uu = M[U, U]
        if not m_uu > 0:
            raise ValueError(
                f"LQ oracle: step {k} is not convex in the trade (M_uu={m_uu:.3g}); "
                "temporary impact must exceed half the permanent and transient impact"
            )
        gains[k] = M[U, :4] / m_uu
        values[k] = M[:4, :4] - np.outer(M[:4, U], M[U, :4]) / m_uu
    return LQSolution(gains=gains, value_matrices=values, signal=sig)
