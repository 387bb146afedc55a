"""The vectorized DP oracle against a plain transcription of its Bellman recursion on small grids."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.dp_oracle import _signal_transition, solve_dp

SIGNAL = dict(signal_mean_reversion_per_s=1 / 300, signal_alpha_bps_per_s=0.01)  # weak: interior trades at |I| > 4
SQRT_TRANSIENT = ImpactParams(eta=4e-4, beta=0.5, gamma=0.02, kappa=0.03, transient_decay_per_s=0.08)
PROBLEMS = {
    "sqrt_signal": ExecutionProblem(impact=SQRT_TRANSIENT.with_(kappa=0.0), risk_aversion=0.02, n_steps=5, **SIGNAL),
    "sqrt_transient_signal_sell": ExecutionProblem(
        impact=SQRT_TRANSIENT.with_(delta=0.7),
        side=-1,
        drift_per_day=0.01,
        regime="volatile",
        risk_aversion=0.02,
        n_steps=5,
        horizon_s=600,
        **SIGNAL,
    ),
}
GRIDS = dict(n_inventory=24, n_transient=5, n_signal=7)


def stage_cost(p: ExecutionProblem, x, u, j, i):
    """The module docstring's stage cost (bps), written out from the problem's parameters."""
    imp, x_next = p.impact, x - u
    a = u * p.size_frac_adv
    temp = imp.eta * (a * US_EQUITY_SESSION_SECONDS / p.tau_s) ** imp.beta
    exo = p.side * (p.drift_per_day * p.tau_s / US_EQUITY_SESSION_SECONDS + p.signal_drift_per_unit * i)
    return 1e4 * (u * (p.half_spread_bps * 1e-4 + temp + j) + x_next * (imp.gamma * a**imp.delta + exo)) + (
        p.risk_aversion * 1e8 * p.sigma_step**2 * x_next**2
    )


def reference_solution(p: ExecutionProblem, sol) -> list[np.ndarray]:
    """E[V_{k+1} | I] on the grids, (nx, nj, ni) per step k, by loops over every grid state."""
    xg, jg, ig = sol.x_grid, sol.j_grid, sol.i_grid
    T = _signal_transition(sol.signal, ig)
    decay = np.exp(-p.impact.transient_decay_per_s * p.tau_s)
    X, J, I = np.meshgrid(xg, jg, ig, indexing="ij")
    value = stage_cost(p, X, X, J, I)
    conts = [None] * p.n_steps
    for k in range(p.n_steps - 2, -1, -1):
        cont = conts[k] = value @ T.T
        new = np.empty_like(value)
        for a, x in enumerate(xg):
            u = x - xg[: a + 1]
            for g, j in enumerate(jg):
                j_next = decay * (j + p.impact.kappa * p.size_frac_adv * u)
                for c, i in enumerate(ig):
                    future = [np.interp(jn, jg, cont[b, :, c]) for b, jn in enumerate(j_next)]
                    new[a, g, c] = np.min(stage_cost(p, x, u, j, i) + future)
        value = new
    conts.append(value)  # V_0
    return conts


@pytest.mark.parametrize("name", PROBLEMS)
def test_solve_dp_matches_the_plain_bellman_recursion(name):
    problem = PROBLEMS[name]
    p = problem.regime_adjusted()
    sol = solve_dp(problem, **GRIDS)
    ref = reference_solution(p, sol)
    np.testing.assert_allclose(sol.value0, ref[-1], rtol=0, atol=1e-9)

    # the policy off the grids (and on the x grid), I beyond the grid included: the argmin of
    # stage cost + E[V_{k+1}] interpolated in J' and I, wherever that argmin is not a near-tie
    rng = np.random.default_rng(11)
    n, k = 400, 1
    x = np.where(np.arange(n) % 2 == 0, sol.x_grid[rng.integers(0, sol.x_grid.size, n)], rng.uniform(0, 1, n))
    j = rng.uniform(0, 1.2 * sol.j_grid[-1], n)
    i = 2.5 * rng.standard_normal(n)
    trades = sol.trade(k, x, j, i)
    decay = np.exp(-p.impact.transient_decay_per_s * p.tau_s)
    checked = 0
    for e in range(n):
        u = x[e] - sol.x_grid[sol.x_grid <= x[e] + 1e-12]
        u = np.maximum(u, 0.0)
        j_next = decay * (j[e] + p.impact.kappa * p.size_frac_adv * u)
        at_i = np.array([[np.interp(i[e], sol.i_grid, row) for row in ref[k][b]] for b in range(u.size)])
        future = np.array([np.interp(jn, sol.j_grid, at_i[b]) for b, jn in enumerate(j_next)])
        total = stage_cost(p, x[e], u, j[e], i[e]) + future
        best, second = np.sort(total)[:2] if total.size > 1 else (total[0], np.inf)
        if second - best > 1e-9:
            assert trades[e] == pytest.approx(u[np.argmin(total)], abs=1e-15)
            checked += 1
    assert checked > 0.9 * n
    assert np.all((trades >= 0) & (trades <= x))
