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

Speed. The stage cost is the fixed part (spread, impact, drift, risk) of moving between two
inventory grid points, computed once per problem as an (nx, nx) table, plus terms linear in J
and I. Backward induction loops over the trade size d = a - b in grid steps: for one d, every
inventory x_a moves to x_{a-d}, the next J and its interpolation weights depend on (d, J) only,
and the candidates for all (x, J, I) are slices of the continuation at nj rows of J', so each
step is a few numpy calls per d. The policy reads the same table for states on the x grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from execution_assets.impact import participation, permanent_impact, temporary_impact
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.schedule_costs import BPS, transient_decay_per_step
from execution_assets.strategies.signal_model import SignalModel, signal_model

_GH_NODES = 21
_SIGNAL_RANGE_STD = 4.0
_TRADE_CHUNK = 512  # episodes per vectorized policy evaluation (bounds memory)
_GRID_TOL = 1e-12  # inventory this close to a grid point is on it (trades then use the cost table)
_BLOCK_ELEMENTS = 40_000  # candidates per numpy call in the Bellman minimum (keeps them in cache)


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
    # (n_steps, ni, nx, nj) at (I, x', J'): E[V_{k+1}(x', J', I') | I] + BPS x' side c_I I, the
    # continuation value plus the signal's drift paid on x' (linear in I, so interpolating it is exact)
    continuation: np.ndarray
    value0: np.ndarray  # (nx, nj, ni): V_0
    grid_cost: np.ndarray  # (nx, nx): fixed_cost from x_grid[a] to x_grid[b]; inf for b > a

    def fixed_cost(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Stage cost (bps) of trading u from x without its J and signal terms; arrays broadcast."""
        p = self.problem
        shares = u * p.total_shares
        temp = temporary_impact(participation(shares, p.tau_s, p.adv_shares, p.session_seconds), p.impact)
        perm = permanent_impact(shares / p.adv_shares, p.impact)
        x_next = x - u
        mu_step = p.side * p.drift_per_day * p.tau_s / p.session_seconds
        hs = p.half_spread_bps / BPS
        return BPS * (u * (hs + temp) + x_next * (perm + mu_step)) + p.risk_aversion * BPS**2 * (
            p.sigma_step**2 * x_next**2
        )

    def stage_cost(self, x: np.ndarray, u: np.ndarray, j: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Stage cost (bps) of trading u from state (x, J, I); arrays broadcast."""
        exo = self.problem.side * self.signal.drift_per_unit * i
        return self.fixed_cost(x, u) + BPS * (u * j + (x - u) * exo)

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

    def _fixed_rows(self, x: np.ndarray, n_cand: int) -> np.ndarray:
        """fixed_cost to the first n_cand grid inventories (inf where infeasible), per state."""
        nx = self.x_grid.size
        a = np.clip(np.rint(x * (nx - 1)).astype(np.int64), 0, nx - 1)
        rows = self.grid_cost[a, :n_cand]  # exact for x on the grid
        off = np.flatnonzero(np.abs(x - self.x_grid[a]) > _GRID_TOL)
        if off.size:
            u = x[off, None] - self.x_grid[None, :n_cand]
            rows[off] = np.where(u >= -_GRID_TOL, self.fixed_cost(x[off, None], np.maximum(u, 0.0)), np.inf)
        return rows

    def _trade_chunk(self, k: int, x: np.ndarray, j: np.ndarray, i: np.ndarray) -> np.ndarray:
        total = self.action_values(k, x, j, i)
        return np.maximum(x - self.x_grid[np.argmin(total, axis=1)], 0.0)

    def action_values(self, k: int, x: np.ndarray, j: np.ndarray, i: np.ndarray) -> np.ndarray:
        """(n, c): stage cost + expected cost-to-go of moving each state to the grid inventories
        x_grid[:c], c = the grid points up to max(x) (inf where a state cannot reach one)."""
        ni, nx, nj = self.continuation.shape[1:]
        # candidates: grid inventories x' <= max(x) (the others are infeasible for every state)
        n_cand = max(1, int(np.searchsorted(self.x_grid, x.max() + _GRID_TOL, side="right")))
        total = self._fixed_rows(x, n_cand)
        if self.signal.active:  # the table holds the signal term at I clamped to its grid: add the rest
            beyond = np.flatnonzero((i < self.i_grid[0]) | (i > self.i_grid[-1]))
            excess = i[beyond] - np.clip(i[beyond], self.i_grid[0], self.i_grid[-1])
            drift = BPS * self.problem.side * self.signal.drift_per_unit * excess
            total[beyond] += drift[:, None] * self.x_grid[None, :n_cand]
        u = np.maximum(x[:, None] - self.x_grid[None, :n_cand], 0.0) if nj > 1 or j.any() else None
        if u is not None:  # the J term (J is 0 without transient impact)
            total += u * (BPS * j)[:, None]
        il, iw = _interp_weights(self.i_grid, i)
        if nj == 1:
            rows = self.continuation[k, :, :n_cand, 0]  # (ni, n_cand)
            future = rows[il]
            if ni > 1:
                future += iw[:, None] * (rows[il + 1] - future)
        else:  # linear in J' at the two I rows, then in I
            flat = self.continuation[k].ravel()  # (ni, nx, nj), C order
            jl, j_w = _interp_weights(self.j_grid, self.next_transient(j[:, None], u))
            base = jl + np.arange(n_cand)[None, :] * nj + (il * nx * nj)[:, None]
            low = flat[base]
            future = low + j_w * (flat[base + 1] - low)
            if ni > 1:
                base += nx * nj
                low = flat[base]
                future += iw[:, None] * (low + j_w * (flat[base + 1] - low) - future)
        total += future
        return total

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
    n, nx, nj, ni = problem.n_steps, x_grid.size, j_grid.size, i_grid.size
    sol = DPSolution(
        problem=problem,
        signal=sig,
        x_grid=x_grid,
        j_grid=j_grid,
        i_grid=i_grid,
        continuation=np.zeros((n, ni, nx, nj)),
        value0=np.zeros((nx, nj, ni)),
        grid_cost=np.zeros((nx, nx)),
    )
    trade = x_grid[:, None] - x_grid[None, :]  # from x_a (rows) to x_b (columns)
    sol.grid_cost[...] = np.where(trade >= 0, sol.fixed_cost(x_grid[:, None], np.maximum(trade, 0.0)), np.inf)
    # per trade size d (grid steps): fixed cost + J term, (nj, nx - d) over J and the target x_b = x_{a-d}
    stage = [sol.grid_cost.diagonal(-d)[None, :] + BPS * x_grid[d] * j_grid[:, None] for d in range(nx)]
    jl, jw = _interp_weights(j_grid, sol.next_transient(j_grid[None, :], x_grid[:, None]))  # (nx: d, nj)
    signal_cost = BPS * x_grid[:, None] * (problem.side * sig.drift_per_unit * i_grid)[None, :]  # (nx: b, ni)
    T = _signal_transition(sig, i_grid)
    # value and continuation as (nj, nx, ni): for one (d, J) the candidates are a slice over (x', I)
    x_col = x_grid[None, :, None]
    value = sol.stage_cost(x_col, x_col, j_grid[:, None, None], i_grid[None, None, :])  # last step: trade all
    for k in range(n - 2, -1, -1):
        ahead = value @ T.T + signal_cost  # expectation over I' given I, plus the signal's drift on x'
        sol.continuation[k] = ahead.transpose(2, 1, 0)
        value = _bellman_min(ahead, stage, jl, jw)
    sol.value0[...] = value.transpose(1, 0, 2)
    return sol


def _bellman_min(ahead: np.ndarray, stage: list[np.ndarray], jl: np.ndarray, jw: np.ndarray) -> np.ndarray:
    """min over trades of stage cost + ``ahead`` at (x', J'), for every (J, x, I) on the grids.

    Loops over the trade size d and, for cache locality, over blocks of J grid points.
    """
    nj, nx, ni = ahead.shape
    slope = np.diff(ahead, axis=0)  # J' is interpolated linearly between grid points jl and jl + 1
    new = np.full_like(ahead, np.inf)
    block = max(1, _BLOCK_ELEMENTS // (nx * ni))
    for g0 in range(0, nj, block):
        js = slice(g0, g0 + block)
        for d in range(nx):
            m = nx - d
            if nj == 1:
                total = ahead[:, :m] + stage[d][:, :, None]
            else:
                lo = jl[d, js]
                total = ahead[lo, :m]
                total += jw[d, js][:, None, None] * slope[lo, :m]
                total += stage[d][js, :, None]
            np.minimum(new[js, d:], total, out=new[js, d:])
    return new
