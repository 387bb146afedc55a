"""A plain, per-step transcription of the dynamics in ``ExecutionProblem``'s docstring.

Independent of the closed forms and of the production simulator: it checks the former before
the latter exists, and both against each other. Static regimes only.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from execution_assets.sim.problem import ExecutionProblem

# policy(k, x, J, I) -> fraction of the remaining order to trade at step k, arrays of shape (n,)
Policy = Callable[[int, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def simulate_is_bps(problem: ExecutionProblem, policy: Policy, n_episodes: int, seed: int) -> np.ndarray:
    return simulate(problem, policy, n_episodes, seed)[0]


def simulate(problem: ExecutionProblem, policy: Policy, n_episodes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(IS in bps, sum_k x_{k+1}^2) per episode; the second gives the per-step risk penalty."""
    p = problem.regime_adjusted()
    imp = p.impact
    rng = np.random.default_rng(seed)
    n, tau = n_episodes, p.tau_s
    x = np.ones(n)  # fraction of the order left
    U = np.zeros(n)
    perm = np.zeros(n)
    J = np.zeros(n)
    I = rng.standard_normal(n) if p.has_signal else np.zeros(n)
    cost = np.zeros(n)
    held2 = np.zeros(n)
    decay = np.exp(-imp.transient_decay_per_s * tau)
    for k in range(p.n_steps):
        frac = np.ones(n) if k == p.n_steps - 1 else np.clip(policy(k, x.copy(), J.copy(), I.copy()), 0, 1)
        u = frac * x
        a = u * p.size_frac_adv  # q_k / ADV
        part = a * p.session_seconds / tau
        fill = U + p.side * (perm + J) + p.side * (p.half_spread_bps * 1e-4 + imp.eta * part**imp.beta)
        cost += p.side * u * fill  # side * q (P - S0) / (X S0)
        z = rng.standard_normal(n)
        U = U + p.sigma_step * z + p.drift_per_day * tau / p.session_seconds + p.signal_drift_per_unit * I
        perm = perm + imp.gamma * a**imp.delta
        J = (J + imp.kappa * a) * decay
        if p.has_signal:
            I = p.signal_phi * I + np.sqrt(1 - p.signal_phi**2) * rng.standard_normal(n)
        x = x - u
        held2 += x**2
    return 1e4 * cost, held2


def strategy_policy(strategy, problem: ExecutionProblem, n_episodes: int) -> Policy:
    """Drive a ``Strategy`` with observations holding the fields it may read (others 0)."""
    from execution_assets.sim.observation import N_OBS, OBS_INDEX

    strategy.reset(problem, n_episodes)

    def policy(k, x, J, I):
        obs = np.zeros((n_episodes, N_OBS), dtype=np.float32)
        obs[:, OBS_INDEX["remaining_frac"]] = x
        obs[:, OBS_INDEX["time_frac"]] = k / problem.n_steps
        obs[:, OBS_INDEX["imbalance"]] = problem.side * I
        obs[:, OBS_INDEX["transient_impact"]] = J * 1e3
        return strategy.act(obs)

    return policy


def schedule_policy(trades: np.ndarray) -> Policy:
    u = np.asarray(trades, dtype=float)
    left = np.cumsum(u[::-1])[::-1]

    def policy(k, x, J, I):
        return np.full(x.shape, u[k] / left[k] if left[k] > 0 else 1.0)

    return policy
