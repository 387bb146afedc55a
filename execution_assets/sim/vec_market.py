"""Vectorized execution market: n episodes of one ``ExecutionProblem`` stepped at once.

The dynamics are those of ``execution_assets.sim.problem`` (read its docstring): trade k fills
at the pre-trade mid (unaffected path + permanent + transient impact so far) plus the half
spread and its temporary impact; then the permanent impact of q_k is added and the transient
state J updates as J_{k+1} = (J_k + kappa q_k / ADV) exp(-rho tau). Everything random is drawn
at ``reset`` (``market_path``), so the same seed gives every policy the same unaffected path.
The last step executes whatever remains.

Internally prices are fractions of the arrival price S_0, signed by the order's side (positive
= against the order), and every per-step operation writes into preallocated buffers. The
impact laws are those of ``execution_assets.impact`` specialised to q >= 0 and folded into
constants (tests assert they agree). The volatility and momentum features (EWMAs of the
unaffected returns, see ``observation``) advance with each step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from execution_assets.impact import transient_decay_factor
from execution_assets.sim.market_path import MarketPath, Shocks, draw_path, validate_replay_mid
from execution_assets.sim.observation import (
    CLIP_BOUND,
    CLIPPED_FIELDS,
    EWMA_WEIGHT,
    N_OBS,
    OBS_INDEX,
    PRICE_SCALE,
    TRANSIENT_SCALE,
    context_fields,
    feature_sigma,
    observed_regime_filter,
    participation_scale,
)
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.reference_plan import reference_fractions

BPS = 1e4


class StepResult(NamedTuple):
    """One step of all episodes. Arrays are rows of the market's history: valid until ``reset``."""

    step: int  # k, the step just executed
    shares: np.ndarray  # (n,) q_k executed
    fill_return: np.ndarray  # (n,) side * (P_k / S_0 - 1); for q_k = 0 the price a tiny trade would get
    cost_bps: np.ndarray  # (n,) side q_k (P_k - S_0) / (X S_0) * 1e4: sums to IS over the episode
    risk_bps: np.ndarray  # (n,) risk_aversion * step_var_k * (x_{k+1} / X)^2 * 1e8
    mtm_cost_bps: np.ndarray | None  # (n,) mark-to-market shortfall increment (if tracked)
    done: bool


@dataclass(frozen=True)
class EpisodeSummary:
    """Per-episode results of a finished batch (DESIGN section 3, evaluation.episode_results)."""

    is_bps: np.ndarray  # signed implementation shortfall, bps of arrival notional, never clipped
    vwap_slippage_bps: np.ndarray  # side * (average fill - market VWAP) / S_0 in bps
    filled_frac: np.ndarray
    n_child_orders: np.ndarray  # steps with q_k > 0
    risk_penalty_bps: np.ndarray  # sum_k risk_bps: the lambda * Var part of the objective
    invalid_actions: np.ndarray  # NaN actions, counted as 0
    shares: np.ndarray  # (N, n) executed shares per step
    fill_return: np.ndarray  # (N, n) side * (P_k / S_0 - 1)
    arrival_price: np.ndarray  # (n,)

    @property
    def arrival_slippage_bps(self) -> np.ndarray:
        """Average fill vs arrival in bps; equals ``is_bps`` since the order always completes."""
        return self.is_bps / self.filled_frac


@dataclass(frozen=True)
class FinishedBatch:
    """The history of a finished batch of ``problem``: what ``EpisodeSummary`` is computed from.

    ``VecMarket.finish`` hands one over so that its summary can still be taken after the market
    has been reset for the next batch (no copy of the (N, n) arrays).
    """

    problem: ExecutionProblem
    shares: np.ndarray  # (N, n) q_k
    fills: np.ndarray  # (N, n) side * (P_k / S_0 - 1)
    costs: np.ndarray  # (N, n) cost_bps per step
    risk: np.ndarray  # (N, n) risk_bps per step
    mtm: np.ndarray | None  # (N, n) mark-to-market increments, if tracked
    remaining: np.ndarray  # (n,) x_N
    invalid_actions: np.ndarray  # (n,)
    arrival_price: np.ndarray  # (n,)
    temp_coef: float  # temporary impact per share^beta, fraction of S_0
    half_spread: float  # fraction of S_0
    market_vwap: np.ndarray | None = None  # (n,) side * (market VWAP / S_0 - 1), when the market knows it

    def summary(self) -> EpisodeSummary:
        """Per-episode results (fresh arrays: they outlive this batch's buffers)."""
        shares, fills, beta = self.shares, self.fills, self.problem.impact.beta
        market_vwap = self.market_vwap
        if market_vwap is None:  # the parametric market's flow trades at the mean pre-trade mid
            if beta == 1.0:
                temp = shares * self.temp_coef
            else:
                temp = np.power(shares, beta) * self.temp_coef
            market_vwap = (fills - temp).mean(axis=0) - self.half_spread
        is_bps = self.costs.sum(axis=0)
        return EpisodeSummary(
            is_bps=is_bps,
            vwap_slippage_bps=is_bps - BPS * market_vwap,
            filled_frac=1.0 - self.remaining / self.problem.total_shares,
            n_child_orders=(shares > 0).sum(axis=0),
            risk_penalty_bps=self.risk.sum(axis=0),
            invalid_actions=self.invalid_actions.copy(),
            shares=shares.copy(),
            fill_return=fills.copy(),
            arrival_price=self.arrival_price.copy(),
        )


@dataclass(frozen=True)
class CostConstants:
    """A problem's cost formulas folded into constants once (``VecMarket`` and the scalar env)."""

    total_shares: float
    inv_x: float  # 1 / X
    bps_per_share: float  # BPS / X
    hs: float  # half spread, fraction of price
    beta: float
    delta: float
    temp_coef: float  # temporary impact per (shares traded this step) ** beta
    perm_coef: float  # permanent impact per (shares) ** delta
    trans_coef: float  # transient impact per share
    decay: float  # transient state multiplier per step
    risk_scale: float  # lambda BPS^2 / X^2: risk penalty per (shares held)^2 per unit step variance

    @classmethod
    def of(cls, problem: ExecutionProblem) -> CostConstants:
        imp = problem.impact
        adv, tau, x = problem.adv_shares, problem.tau_s, problem.total_shares
        return cls(
            total_shares=x,
            inv_x=1.0 / x,
            bps_per_share=BPS / x,
            hs=problem.half_spread_bps / BPS,
            beta=imp.beta,
            delta=imp.delta,
            temp_coef=imp.eta * (problem.session_seconds / (tau * adv)) ** imp.beta,
            perm_coef=imp.gamma / adv**imp.delta,
            trans_coef=imp.kappa / adv,
            decay=transient_decay_factor(tau, imp),
            risk_scale=problem.risk_aversion * BPS**2 / x**2,
        )


class VecMarket:
    """n episodes of ``problem`` (parametric, or replaying ``replay_mid``, 1-second mids)."""

    def __init__(
        self,
        problem: ExecutionProblem,
        n_episodes: int,
        *,
        replay_mid: np.ndarray | None = None,
        mark_to_market: bool = False,
    ) -> None:
        if n_episodes < 1:
            raise ValueError(f"n_episodes must be >= 1, got {n_episodes}")
        self.problem = problem
        self.n_episodes = n = int(n_episodes)
        self.n_steps = N = problem.n_steps
        self.replay_mid = None if replay_mid is None else validate_replay_mid(replay_mid)
        self.mark_to_market = mark_to_market
        self.side = problem.side
        self._add_u = np.add if self.side == 1 else np.subtract  # x + side * U for the unsigned path U
        c = CostConstants.of(problem)
        self.total_shares, self._inv_x, self._bps_per_share, self._hs = c.total_shares, c.inv_x, c.bps_per_share, c.hs
        self._beta, self._delta, self._temp_coef, self._perm_coef = c.beta, c.delta, c.temp_coef, c.perm_coef
        self._trans_coef, self._decay, self._risk_scale = c.trans_coef, c.decay, c.risk_scale
        self._has_transient = problem.impact.kappa > 0
        self._lam = problem.risk_aversion
        self._part_scale = participation_scale(problem).tolist()
        self._plan_fractions = [*reference_fractions(problem).tolist(), 0.0]  # per step k; 0 when done
        # state
        self.k = 0
        self.path: MarketPath | None = None
        self.remaining = np.empty(n)
        self.permanent = np.zeros(n)  # Perm_k >= 0, fraction of S_0 in the order's direction
        self.transient = np.zeros(n)  # J_k >= 0, same units
        self._mid = np.empty(n)  # M_k: side-signed pre-trade mid, side U_k + Perm_k + J_k
        self.invalid_actions = np.empty(n, dtype=np.int64)
        # history and path buffers (reused by every reset)
        self._shares = np.empty((N, n))
        self._fills = np.empty((N, n))
        self._costs = np.empty((N, n))
        self._risk = np.zeros((N, n))
        self._mtm = np.empty((N, n)) if mark_to_market else None
        self._shock_buf: Shocks | None = None
        self._path_buf: MarketPath | None = None
        self._tmp = np.empty(n)
        self._tmp2 = np.empty(n)
        # observation: the fields before _N_BLOCK in a float64 block (one row per field, cast once
        # per call); the ones after it in a float32 block (constants, twap_ and plan_fraction per call)
        self._obs_t = np.zeros((_N_BLOCK, n))
        self._obs_tail = np.zeros((N_OBS - _N_BLOCK, n), dtype=np.float32)
        for name, value in context_fields(problem).items():
            i = OBS_INDEX[name]
            if i < _N_BLOCK:
                self._obs_t[i] = value
            else:
                self._obs_tail[i - _N_BLOCK] = value
        # EWMA feature state, stacked: momentum and w * variance of the side-signed unaffected
        # returns, and the step's increments (d, d^2)
        self._ewma = np.empty((2, n))
        self._mom, self._var_w = self._ewma
        self._ewma_step = np.empty((2, n))
        self._ret_scale = self.side * EWMA_WEIGHT / feature_sigma(problem)
        # the regime filter's sufficient statistics (S1, S2) of the side-signed residuals (``beliefs``)
        self._filter = observed_regime_filter(problem)
        self._filter_on = self._filter is not None and self._filter.informative
        if self._filter is not None:  # the prior's beliefs (constant when the prices tell nothing)
            self._filter.beliefs(np.zeros(n), np.zeros(n), 0, self._obs_t[_BELIEFS])
        self._signal_term = self.side * problem.signal_drift_per_unit
        self._sums = np.zeros((2, n))
        self._residual = np.empty(n)

    # ------------------------------------------------------------------ reset
    def reset(self, seed: int | Sequence[int] | None = None, *, path: MarketPath | None = None) -> None:
        """Start n new episodes on the path drawn from ``seed`` (or on ``path`` as given).

        The drawn path lives in buffers reused by the next reset: copy ``market.path`` to keep it.
        """
        if path is None:
            path = draw_path(
                self.problem,
                self.n_episodes,
                seed,
                self.replay_mid,
                shocks_out=self._shock_buf,
                out=self._path_buf,
            )
            if self.replay_mid is None and self._path_buf is None:
                self._path_buf = path
                self._shock_buf = _shocks_like(path, self.problem)
        elif path.unaffected.shape != (self.n_steps + 1, self.n_episodes):
            raise ValueError(
                f"path shape {path.unaffected.shape} does not fit {self.n_steps} steps x {self.n_episodes} episodes"
            )
        self.path = path
        self._u = path.unaffected
        self._mom.fill(0.0)
        self._var_w.fill(EWMA_WEIGHT)  # prior variance 1
        self._sums.fill(0.0)
        self.k = 0
        self.remaining.fill(self.total_shares)
        self.permanent.fill(0.0)
        self.transient.fill(0.0)
        self._mid.fill(0.0)  # U_0 = 0
        self.invalid_actions.fill(0)

    # ------------------------------------------------------------------ stepping
    def step(self, shares: np.ndarray | float) -> StepResult:
        """Trade ``shares`` (n,) in every episode: NaN counts as 0 (and as an invalid action),
        the rest is clipped to [0, remaining]; the last step trades the whole remainder."""
        q = self._begin_step()
        a = np.asarray(shares)
        self._count_nan(a)
        if self.k < self.n_steps - 1:
            np.fmax(a, 0.0, out=q, dtype=float)  # fmax drops NaN
            np.fmin(q, self.remaining, out=q)
        return self._advance(q)

    def step_fraction(self, fraction: np.ndarray | float) -> StepResult:
        """Trade ``fraction`` (n,) of each episode's remaining shares (clipped to [0, 1], NaN = 0)."""
        q = self._begin_step()
        a = np.asarray(fraction)
        self._count_nan(a)
        if self.k < self.n_steps - 1:
            np.fmax(a, 0.0, out=q, dtype=float)  # fmax drops NaN
            np.fmin(q, 1.0, out=q)
            q *= self.remaining
        return self._advance(q)

    def _begin_step(self) -> np.ndarray:
        if self.path is None:
            raise RuntimeError("VecMarket: call reset() before step()")
        if self.k >= self.n_steps:
            raise RuntimeError(f"VecMarket: the episodes are over after {self.n_steps} steps; call reset()")
        q = self._shares[self.k]
        if self.k == self.n_steps - 1:
            np.copyto(q, self.remaining)
        return q

    def _count_nan(self, a: np.ndarray) -> None:
        """Count NaN actions (one reduction in the common all-finite case)."""
        if not math.isfinite(np.add.reduce(a, axis=None)):
            self.invalid_actions += np.isnan(a)

    def _fill_offset(self, q: np.ndarray, out: np.ndarray) -> None:
        """P_k - M_k (side-signed, fraction of S_0) of q_k shares: half spread + temporary impact."""
        if self._beta == 1.0:
            np.multiply(q, self._temp_coef, out=out)
        else:
            if self._beta == 0.5:
                np.sqrt(q, out=out)
            else:
                np.power(q, self._beta, out=out)
            out *= self._temp_coef
        out += self._hs

    def _advance(self, q: np.ndarray) -> StepResult:
        k = self.k
        mid, fill, tmp = self._mid, self._fills[k], self._tmp
        # P_k - S_0 (side-signed): the fill's offset from the pre-trade mid M_k, plus M_k
        self._fill_offset(q, fill)
        fill += mid
        cost = self._costs[k]
        np.multiply(q, fill, out=cost)
        cost *= self._bps_per_share
        mtm = None
        if self._mtm is not None:  # q_k (P_k - M_k), then + x_{k+1} (M_{k+1} - M_k) below
            mtm = self._mtm[k]
            np.multiply(q, mid, out=mtm)
            mtm *= -self._bps_per_share
            mtm += cost
            np.copyto(self._tmp2, mid)
        # permanent and transient impact of q_k, then M_{k+1}
        if self._delta == 1.0:
            np.multiply(q, self._perm_coef, out=tmp)
        else:
            np.power(q, self._delta, out=tmp)
            tmp *= self._perm_coef
        self.permanent += tmp
        u_next = self._u[k + 1]
        self._add_u(self.permanent, u_next, out=mid)
        if self._has_transient:
            np.multiply(q, self._trans_coef, out=tmp)
            self.transient += tmp
            self.transient *= self._decay
            mid += self.transient
        self.remaining -= q
        if mtm is not None:
            np.subtract(mid, self._tmp2, out=tmp)
            tmp *= self.remaining
            tmp *= self._bps_per_share
            mtm += tmp
        risk = self._risk[k]
        if self._lam > 0:
            np.multiply(self.remaining, self.remaining, out=risk)
            risk *= self.path.step_var[k]
            risk *= self._risk_scale
        # features: d = side * w * z_k; mom <- (1 - w) mom + d; w var <- (1 - w) w var + d^2
        step = self._ewma_step
        d = step[0]
        np.subtract(u_next, self._u[k], out=d)
        if self._filter_on:
            self._advance_filter(d, k)
        d *= self._ret_scale
        np.multiply(d, d, out=step[1])
        self._ewma *= 1.0 - EWMA_WEIGHT
        self._ewma += step
        self.k = k + 1
        return StepResult(k, q, fill, cost, risk, mtm, self.k == self.n_steps)

    def _advance_filter(self, du: np.ndarray, k: int) -> None:
        """S1 += r, S2 += r^2 for r = side * (U_{k+1} - U_k) - side * c_alpha * I_k (``regime_filter``)."""
        r = self._residual
        np.multiply(du, self.side, out=r)
        signal = self.path.signal
        if signal is not None and self._signal_term != 0.0:
            np.multiply(signal[k], self._signal_term, out=self._tmp)
            r -= self._tmp
        self._sums[0] += r
        r *= r
        self._sums[1] += r

    @property
    def is_bps(self) -> np.ndarray:
        """Implementation shortfall so far (n,), bps of arrival notional (sum of the steps' costs)."""
        return self._costs[: self.k].sum(axis=0)

    @property
    def risk_penalty_bps(self) -> np.ndarray:
        """Risk penalty so far (n,): sum of the steps' ``risk_bps``."""
        return self._risk[: self.k].sum(axis=0)

    # ------------------------------------------------------------------ views
    @property
    def done(self) -> bool:
        return self.k >= self.n_steps

    @property
    def signal(self) -> np.ndarray:
        """I_k (n,), known before trading at step k (zeros without a signal)."""
        if self.path is None or self.path.signal is None:
            return np.zeros(self.n_episodes)
        return self.path.signal[self.k]

    @property
    def unaffected_return(self) -> np.ndarray:
        """U_k (n,): the unaffected mid over S_0 minus one (not side-signed)."""
        return self.path.unaffected[self.k]

    @property
    def mid(self) -> np.ndarray:
        """S_k (n,) in price units: the pre-trade mid including the agent's own impact."""
        return self.path.arrival_price * (1.0 + self.side * self._mid)

    @property
    def shares_history(self) -> np.ndarray:
        """(k, n) shares executed at steps 0..k-1 (a view, valid until ``reset``)."""
        return self._shares[: self.k]

    def observe(self) -> np.ndarray:
        """The (n, N_OBS) float32 observation at the current step, fields in ``OBS_FIELDS``.

        A fresh array each call: the step's fields computed in a float64 block and cast once, the
        problem's constants filled in float32 (the same values a cast gives), clipped, returned as
        its transpose (Fortran-ordered; any (n, N_OBS) consumer reads it as usual).
        """
        k, N = self.k, self.n_steps
        o = self._obs_t
        np.multiply(self.remaining, self._inv_x, out=o[_REMAINING])
        o[_TIME] = k / N
        np.sqrt(self._var_w, out=o[_VOL])
        o[_VOL] *= _INV_SQRT_W
        signal = self.path.signal
        if signal is not None:
            if self.side == 1:
                np.copyto(o[_IMBALANCE], signal[k])
            else:
                np.negative(signal[k], out=o[_IMBALANCE])
        np.copyto(o[_MOMENTUM], self._mom)
        if self._filter_on:
            self._filter.beliefs(self._sums[0], self._sums[1], k, o[_BELIEFS])
        if self._has_transient:
            np.multiply(self.transient, TRANSIENT_SCALE, out=o[_TRANSIENT])
        np.multiply(self._mid, PRICE_SCALE, out=o[_PRICE])
        executed = self._tmp
        np.subtract(self.total_shares, self.remaining, out=executed)
        np.multiply(executed, self._part_scale[k], out=o[_PARTICIPATION])
        if k > 0:
            np.multiply(self._fills[k - 1], PRICE_SCALE, out=o[_LAST_FILL])
        else:
            o[_LAST_FILL] = 0.0
        out = np.empty((N_OBS, self.n_episodes), dtype=np.float32)
        np.copyto(out[:_N_BLOCK], o)
        np.copyto(out[_N_BLOCK:], self._obs_tail)
        out[_TWAP].fill(1.0 / (N - k) if k < N else 0.0)
        out[_PLAN].fill(self._plan_fractions[k])
        clipped = out[CLIPPED_FIELDS]  # exact: the fields with bound 0 are >= 0 by construction
        clipped.clip(-CLIP_BOUND, CLIP_BOUND, out=clipped)
        return out.T

    def summary(self) -> EpisodeSummary:
        """Per-episode results; call when ``done``."""
        return self._finished_batch("summary", copy=False).summary()

    def finish(self, spare: FinishedBatch | None = None) -> FinishedBatch:
        """Hand the finished batch over (its summary stays available after the next ``reset``).

        The market goes on (after ``reset``) with ``spare``'s history buffers (a batch handed over
        earlier and no longer needed, of the same problem and size) or with fresh ones. No (N, n)
        array is copied, so a caller that wants the last summary need not keep a second market.
        """
        finished = self._finished_batch("finish", copy=True)
        if (
            spare is not None
            and spare.problem == self.problem
            and spare.shares.shape == self._shares.shape
            and (spare.mtm is None) == (self._mtm is None)
        ):
            self._shares, self._fills, self._costs, self._risk, self._mtm = (
                spare.shares, spare.fills, spare.costs, spare.risk, spare.mtm,
            )  # fmt: skip
        else:
            shape = self._shares.shape
            self._shares, self._fills, self._costs = np.empty(shape), np.empty(shape), np.empty(shape)
            self._risk = np.zeros(shape)  # rows stay 0 when risk_aversion is 0
            self._mtm = None if self._mtm is None else np.empty(shape)
        self.path, self.k = None, 0  # the history is gone: reset() before stepping again
        return finished

    def _finished_batch(self, caller: str, copy: bool) -> FinishedBatch:
        """The history as a ``FinishedBatch``; ``copy`` the (n,) state that the next reset overwrites."""
        if not self.done:
            raise RuntimeError(f"VecMarket.{caller}: episodes are at step {self.k} of {self.n_steps}")
        state = (self.remaining, self.invalid_actions, self.path.arrival_price)
        if copy:
            state = tuple(a.copy() for a in state)
        history = (self._shares, self._fills, self._costs, self._risk, self._mtm)
        return FinishedBatch(self.problem, *history, *state, self._temp_coef, self._hs)


def _shocks_like(path: MarketPath, problem: ExecutionProblem) -> Shocks:
    """Empty shock buffers shaped for ``path`` (what ``draw_shocks`` fills at the next reset)."""
    N, n = path.n_steps, path.n_episodes
    return Shocks(
        price=np.empty((N, n), dtype=np.float32),
        signal=np.empty((N + 1, n), dtype=np.float32) if problem.has_signal else None,
        regime=np.empty((max(N - 1, 0), n), dtype=np.uint32) if problem.regime_switch_rate_per_s > 0 else None,
        start=None,
    )


_REMAINING, _TIME = OBS_INDEX["remaining_frac"], OBS_INDEX["time_frac"]
_VOL, _IMBALANCE, _MOMENTUM = OBS_INDEX["volatility"], OBS_INDEX["imbalance"], OBS_INDEX["momentum"]
_BELIEFS = slice(OBS_INDEX["trend_belief"], OBS_INDEX["volatile_belief"] + 1)
_PRICE, _PARTICIPATION = OBS_INDEX["price_move"], OBS_INDEX["participation"]
_TRANSIENT, _LAST_FILL, _TWAP = OBS_INDEX["transient_impact"], OBS_INDEX["last_fill"], OBS_INDEX["twap_fraction"]
_PLAN = OBS_INDEX["plan_fraction"]
_INV_SQRT_W = 1.0 / math.sqrt(EWMA_WEIGHT)
_N_BLOCK = _LAST_FILL + 1  # observe() computes fields [0, _N_BLOCK) in float64; the rest are constants
assert CLIPPED_FIELDS.stop <= _N_BLOCK <= _TWAP

Policy = Callable[[VecMarket], np.ndarray]


def simulate(
    problem: ExecutionProblem,
    policy: np.ndarray | Policy,
    n_episodes: int,
    seed: int | Sequence[int] | None,
    *,
    replay_mid: np.ndarray | None = None,
    path: MarketPath | None = None,
) -> EpisodeSummary:
    """Run ``n_episodes`` of ``problem`` and summarise them.

    ``policy`` is a static schedule of shares per step (shape (N,) or (N, n)), or a callable
    ``policy(market) -> shares (n,)`` called before every step (it may read ``market.k``,
    ``market.remaining``, ``market.signal``, ``market.observe()``, ...). The same ``seed`` gives
    every policy the same unaffected path (common random numbers).
    """
    market = VecMarket(problem, n_episodes, replay_mid=replay_mid)
    market.reset(seed, path=path)
    schedule = None if callable(policy) else np.asarray(policy, dtype=float)
    if schedule is not None and schedule.shape[0] != problem.n_steps:
        raise ValueError(f"schedule has {schedule.shape[0]} steps, problem has n_steps={problem.n_steps}")
    while not market.done:
        market.step(policy(market) if schedule is None else schedule[market.k])
    return market.summary()
