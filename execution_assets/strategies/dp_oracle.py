"""Optimal-IS oracle by numerical dynamic programming, for any impact law (e.g. square root).

Same stage costs and per-step variance penalty as the LQ oracle (``lq_oracle``), with the power
laws of ``impact.py``: trade u (fraction of the order) at state (x, J, I) costs, in bps,

    1e4 [u hs + u temp(u) + x' perm(u) + u J + x' side (mu tau + c_I I)] + lambda 1e8 sigma_step^2 x'^2

(x' = x - u; ``x' perm(u)`` is the permanent impact of this trade paid by the shares still to
trade, the by-parts form of charging it to later fills). The remaining inventory lives on a grid
of ``n_inventory`` steps and trades move between grid points, so no interpolation is needed in
x and the constraints 0 <= u <= x hold exactly. J (only when kappa > 0) and I (only with a
signal) are interpolated linearly on grids; the expectation over I' uses Gauss-Hermite
quadrature. The result converges to the exact optimum as the grids are refined (tested against
the Riccati solution for linear impact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from execution_assets.impact import SESSION_SECONDS, participation, permanent_impact, temporary_impact
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.schedule_costs import BPS, transient_decay_per_step
from execution_assets.strategies.signal_model import SignalModel, signal_model

_GH_NODES = 21
_SIGNAL_RANGE_STD = 4.0
_TRADE_CHUNK = 1024  # episodes per vectorized policy evaluation (bounds memory)


def _interp_weights(grid: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower index and upper weight for linear interpolation on a uniform grid (clamped)."""
    if grid.size == 1:
        return np.zeros(values.shape, dtype=int), np.zeros(values.shape)
    step = grid[1] - grid[0]
    pos = np.clip((values - grid[0]) / step, 0.0, grid.size - 1 - 1e-12)
    lo = np.floor(pos).astype(int)
    return lo, pos - lo


@dataclass(frozen=True)
class DPSolution:
    problem: ExecutionProblem
    signal: SignalModel
    x_grid: np.ndarray
    j_grid: np.ndarray
    i_grid: np.ndarray
    continuation: np.ndarray  # (n_steps, ni, nx, nj): E[V_{k+1}(x', J', I') | I] at (I, x', J')
    value0: np.ndarray  # (nx, nj, ni): V_0

    def stage_cost(self, x: np.ndarray, u: np.ndarray, j: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Stage cost (bps) of trading u from state (x, J, I); arrays broadcast."""
        p = self.problem
        shares = u * p.total_shares
        temp = temporary_impact(participation(shares, p.tau_s, p.adv_shares), p.impact)
        perm = permanent_impact(shares / p.adv_shares, p.impact)
        x_next = x - u
        mu_step = p.drift_per_day * p.tau_s / SESSION_SECONDS
        hs = p.half_spread_bps / BPS
        exo = p.side * (mu_step + self.signal.drift_per_unit * i)
        return BPS * (u * (hs + temp + j) + x_next * (perm + exo)) + p.risk_aversion * BPS**2 * (
            p.sigma_step**2 * x_next**2
        )

    def next_transient(self, j: np.ndarray, u: np.ndarray) -> np.ndarray:
        p = self.problem
        return transient_decay_per_step(p) * (j + p.impact.kappa * p.size_frac_adv * u)

    def trade(self, k: int, x: np.ndarray, j: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Optimal trades (fractions of the order) at step k for states of shape (n,)."""
        x, j, i = (np.asarray(v, dtype=float) for v in (x, j, i))
        if k == self.problem.n_steps - 1:
            return x.copy()
        out = np.empty_like(x)
        for lo in range(0, x.size, _TRADE_CHUNK):
            sl = slice(lo, lo + _TRADE_CHUNK)
            out[sl] = self._trade_chunk(k, x[sl], j[sl], i[sl])
        return out

    def _trade_chunk(self, k: int, x: np.ndarray, j: np.ndarray, i: np.ndarray) -> np.ndarray:
        u = x[:, None] - self.x_grid[None, :]  # to every grid inventory x'
        feasible = u >= -1e-12
        u = np.maximum(u, 0.0)
        ni, nx, nj = self.continuation.shape[1:]
        flat = self.continuation[k].ravel()  # (ni, nx, nj), C order
        base = np.arange(nx)[None, :] * nj + np.zeros((x.size, 1), dtype=np.int64)
        if ni == 1:
            i_w = np.zeros((x.size, 1))
        else:
            il, iw = _interp_weights(self.i_grid, i)
            base += (il * nx * nj)[:, None]
            i_w = iw[:, None]
        if nj == 1:
            j_w = np.zeros_like(u)
        else:
            jl, j_w = _interp_weights(self.j_grid, self.next_transient(j[:, None], u))
            base += jl

        def at_i(offset: np.ndarray) -> np.ndarray:  # linear in J at the I row ``offset``
            low = flat[offset]
            return low if nj == 1 else low + j_w * (flat[offset + 1] - low)

        future = at_i(base)
        if ni > 1:
            future = future + i_w * (at_i(base + nx * nj) - future)
        total = self.stage_cost(x[:, None], u, j[:, None], i[:, None]) + future
        total = np.where(feasible, total, np.inf)
        return u[np.arange(x.size), np.argmin(total, axis=1)]

    def initial_value(self) -> float:
        """V_0 at x = 1, J = 0, averaged over the signal's stationary law."""
        v = self.value0[-1, 0]
        if self.i_grid.size == 1:
            return float(v[0])
        nodes, weights = np.polynomial.hermite_e.hermegauss(_GH_NODES)
        il, iw = _interp_weights(self.i_grid, nodes * self.signal.stationary_std)
        ih = np.minimum(il + 1, self.i_grid.size - 1)
        return float(((1 - iw) * v[il] + iw * v[ih]) @ weights / weights.sum())


def _signal_transition(sig: SignalModel, i_grid: np.ndarray) -> np.ndarray:
    """T[a, b]: weight of grid point b in E[f(I') | I = i_grid[a]] (Gauss-Hermite + linear interp)."""
    if i_grid.size == 1:
        return np.ones((1, 1))
    nodes, weights = np.polynomial.hermite_e.hermegauss(_GH_NODES)
    weights = weights / weights.sum()
    nxt = sig.phi * i_grid[:, None] + sig.innovation_std * nodes[None, :]
    lo, w = _interp_weights(i_grid, nxt)
    T = np.zeros((i_grid.size, i_grid.size))
    rows = np.broadcast_to(np.arange(i_grid.size)[:, None], lo.shape)
    np.add.at(T, (rows, lo), (1 - w) * weights)
    np.add.at(T, (rows, np.minimum(lo + 1, i_grid.size - 1)), w * weights)
    return T


def solve_dp(
    problem: ExecutionProblem, *, n_inventory: int = 200, n_transient: int = 21, n_signal: int = 31
) -> DPSolution:
    """Backward induction on the (x, J, I) grids; J and I axes collapse when not in the model."""
    problem = problem.regime_adjusted()
    sig = signal_model(problem)
    x_grid = np.linspace(0.0, 1.0, n_inventory + 1)
    kappa_a = problem.impact.kappa * problem.size_frac_adv
    j_grid = np.linspace(0.0, kappa_a, n_transient) if kappa_a > 0 else np.zeros(1)
    half = _SIGNAL_RANGE_STD * sig.stationary_std
    i_grid = np.linspace(-half, half, n_signal) if sig.active else np.zeros(1)
    n = problem.n_steps
    sol = DPSolution(
        problem=problem,
        signal=sig,
        x_grid=x_grid,
        j_grid=j_grid,
        i_grid=i_grid,
        continuation=np.zeros((n, i_grid.size, x_grid.size, j_grid.size)),
        value0=np.zeros((x_grid.size, j_grid.size, i_grid.size)),
    )
    T = _signal_transition(sig, i_grid)
    xs, js, is_ = np.meshgrid(x_grid, j_grid, i_grid, indexing="ij")
    value = sol.stage_cost(xs, xs, js, is_)  # last step: trade everything
    j_col, i_row = j_grid[None, :, None], i_grid[None, None, :]
    for k in range(n - 2, -1, -1):
        cont = value @ T.T  # (nx, nj, ni): expectation over I' given I
        sol.continuation[k] = cont.transpose(2, 0, 1)
        new = np.empty_like(value)
        for a, x in enumerate(x_grid):
            u = x - x_grid[: a + 1]  # trades to every x' <= x
            if j_grid.size == 1:
                future = cont[: a + 1]
            else:
                jl, jw = _interp_weights(j_grid, sol.next_transient(j_grid[None, :], u[:, None]))
                rows = np.arange(a + 1)[:, None]
                low, high = cont[rows, jl], cont[rows, np.minimum(jl + 1, j_grid.size - 1)]
                future = low + jw[:, :, None] * (high - low)
            new[a] = np.min(sol.stage_cost(x, u[:, None, None], j_col, i_row) + future, axis=0)
        value = new
    sol.value0[...] = value
    return sol
