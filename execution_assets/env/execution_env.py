"""Gymnasium execution environment: one episode of an ``ExecutionProblem``, stepped in Python floats.

The dynamics, the observation and the draws are those of ``VecMarket`` (the same seed gives
the same episode as ``VecMarket(problem, 1).reset(seed)``; a test asserts it). This class
re-implements the step in scalar Python because numpy calls on size-1 arrays would cost
several times more per step. With ``replay`` (a ``ReplayBook``) the episode runs on the replay
market instead (``sim.replay_market``, one episode of it: same observation layout, slower).

Action: the fraction of the remaining shares to trade now, Box(0, 1) (``ExecutionEnvDiscrete``:
0%, 10%, ..., 100%). Out-of-range actions are clipped, a NaN action trades nothing and is counted
in ``info["invalid_actions"]``; the last step executes the remainder whatever the action.

Rewards (bps of arrival notional; every design sums over the episode to -(IS + lambda * P),
P = sum_k step_var_k (x_{k+1} / X)^2 * 1e8, so for a static schedule in a static regime
without signal the expected return is exactly -(E[IS] + lambda Var[IS])):
    per_step    r_k = -(side q_k (P_k - S_0) / (X S_0) * 1e4 + lambda step_var_k (x_{k+1}/X)^2 1e8)
    ac_utility  r_k = -(mark-to-market shortfall of step k + the same risk term), the
                shortfall being q_k (P_k - S_k) + x_{k+1} (S_{k+1} - S_k): the price risk of
                the shares still held is charged when it happens (lower-variance credit)
    terminal    0 until the last step, then -(IS + lambda P)
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from execution_assets.env.problems import ProblemSpec, check_reward, make_sampler
from execution_assets.sim.market_path import (
    draw_shocks,
    draws_trend,
    regime_tables,
    switch_thresholds,
    trend_step,
)
from execution_assets.sim.observation import (
    N_OBS,
    OBS_HIGH,
    OBS_INDEX,
    OBS_LOW,
    PRICE_SCALE,
    TRANSIENT_SCALE,
    context_fields,
    feature_sigma,
    observed_regime_filter,
    participation_scale,
    path_features_scalar,
)
from execution_assets.sim.problem import REGIMES, ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.sim.replay_market import ReplayMarket
from execution_assets.strategies.reference_plan import reference_fractions
from execution_assets.sim.vec_market import BPS, CostConstants

_I_PRICE, _I_PART = OBS_INDEX["price_move"], OBS_INDEX["participation"]
_I_TRANS, _I_FILL, _I_TWAP = OBS_INDEX["transient_impact"], OBS_INDEX["last_fill"], OBS_INDEX["twap_fraction"]
_I_PLAN = OBS_INDEX["plan_fraction"]
_I_FEATURES = slice(OBS_INDEX["volatility"], OBS_INDEX["volatile_belief"] + 1)
_LO = [float(v) for v in OBS_LOW]
_HI = [float(v) for v in OBS_HIGH]


def _clip(value: float, i: int) -> float:
    lo, hi = _LO[i], _HI[i]
    return lo if value < lo else hi if value > hi else value


def _episode_path(problem: ExecutionProblem, seed: int) -> tuple[list[float], list[float] | None, list[float], float]:
    """(U_k, I_k or None, step_var_k, S_0) of one episode: ``parametric_path`` in Python floats.

    Same streams and the same operations in the same order as the vectorized builder, so the
    episode equals episode 0 of ``VecMarket(problem, 1).reset(seed)``.
    """
    n_steps = problem.n_steps
    switching = problem.regime_switch_rate_per_s > 0
    shocks = draw_shocks(n_steps, 1, seed, signal=problem.has_signal, regime=switching, trend=draws_trend(problem))
    z = shocks.price[:, 0].tolist()
    vol_table, drift_table = (t.tolist() for t in regime_tables(problem))
    trend = trend_step(problem) * (float(shocks.trend[0]) if shocks.trend is not None else 0.0)
    trending = REGIMES.index("trending")
    r = REGIMES.index(problem.regime)
    first, half = switch_thresholds(problem)
    words = shocks.regime[:, 0].tolist() if switching else []
    phi, c_alpha = problem.signal_phi, problem.signal_drift_per_unit
    innovation = float(np.sqrt(1.0 - phi * phi))
    e = shocks.signal[:, 0].tolist() if problem.has_signal else None
    signal = None if e is None else [e[0]] + [0.0] * n_steps
    u = [0.0] * (n_steps + 1)
    step_var = [0.0] * n_steps
    for k in range(n_steps):
        vol, drift = vol_table[r], drift_table[r]
        step_var[k] = vol * vol
        ret = z[k] * vol
        if drift != 0.0:
            ret += drift
        if trend != 0.0 and r == trending:
            ret += trend
        if signal is not None:
            if c_alpha != 0.0:
                ret += signal[k] * c_alpha
            signal[k + 1] = e[k + 1] * innovation + signal[k] * phi
        u[k + 1] = u[k] + ret
        if switching and k < n_steps - 1:
            x = words[k]
            r = (r + (x < first) + (x < half)) % len(REGIMES)
    return u, signal, step_var, problem.arrival_price


class ExecutionEnv(gym.Env):
    """Work one order; see the module docstring for actions, observation and rewards."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        problem: ProblemSpec = None,
        *,
        reward: str = "per_step",
        replay: ReplayBook | None = None,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise ValueError(f"ExecutionEnv has no render modes, got {render_mode!r}")
        self.render_mode = None
        self.reward_design = check_reward(reward)
        self.replay = replay
        self._replay_market: ReplayMarket | None = None  # the market on replay (one episode)
        self._sampler = make_sampler(problem)
        self.action_space = self._make_action_space()
        self.observation_space = spaces.Box(OBS_LOW, OBS_HIGH, dtype=np.float32)
        self.problem: ExecutionProblem | None = None
        self._obs = np.zeros(N_OBS, dtype=np.float32)
        self._k = self._n_steps = 0

    def _make_action_space(self) -> spaces.Space:
        return spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)

    def set_problems(self, problem: ProblemSpec) -> None:
        """Change what later episodes are drawn from (curriculum); the current one is untouched."""
        self._sampler = make_sampler(problem)

    # ------------------------------------------------------------------ reset
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        problem = options.get("problem") or self._sampler(self.np_random)
        episode_seed = seed if seed is not None else int(self.np_random.integers(2**63))
        self._load(problem, episode_seed)
        return self._observe(), {"episode_seed": episode_seed, "problem": problem}

    def _load(self, problem: ExecutionProblem, episode_seed: int) -> None:
        if problem is not self.problem:
            self._configure(problem)
        if self.replay is not None:
            if self._replay_market is None or self._replay_market.problem != problem:
                self._replay_market = ReplayMarket(problem, 1, self.replay, mark_to_market=self.reward_design == "ac_utility")
            self._replay_market.reset(episode_seed)
            self._k = 0
            return
        u, signal, step_var, self._arrival_price = _episode_path(problem, episode_seed)
        side = problem.side
        self._u = u if side == 1 else [-v for v in u]
        self._features = path_features_scalar(u, signal, side, self._feature_sigma, self._regime_filter)
        self._step_var = step_var
        self._k = 0
        self._remaining = self._x_total
        self._perm = self._trans = self._mid = 0.0
        self._is = self._penalty = self._last_fill = self._mid_sum = 0.0
        self._invalid = self._n_orders = 0

    def _configure(self, problem: ExecutionProblem) -> None:
        """Constants of ``problem`` (same folding as ``VecMarket``)."""
        self.problem = problem
        self._n_steps = problem.n_steps
        c = CostConstants.of(problem)
        self._x_total, self._inv_x, self._bps_per_share, self._hs = c.total_shares, c.inv_x, c.bps_per_share, c.hs
        self._beta, self._delta, self._temp_coef, self._perm_coef = c.beta, c.delta, c.temp_coef, c.perm_coef
        self._trans_coef, self._decay, self._risk_scale = c.trans_coef, c.decay, c.risk_scale
        self._part_scale = participation_scale(problem).tolist()
        self._plan_fractions = reference_fractions(problem).tolist()
        self._feature_sigma = feature_sigma(problem)
        self._regime_filter = observed_regime_filter(problem)
        self._obs[:] = 0.0
        for name, value in context_fields(problem).items():
            self._obs[OBS_INDEX[name]] = value

    # ------------------------------------------------------------------ step
    def _fraction(self, action: Any) -> float:
        """The action as a fraction in [0, 1]; NaN -> 0 and counted."""
        if type(action) is np.ndarray:
            if action.size != 1:
                raise ValueError(f"ExecutionEnv: action must hold one number, got shape {action.shape}")
            a = float(action[0] if action.ndim == 1 else action.reshape(-1)[0])
        else:
            a = float(action[0]) if isinstance(action, (list, tuple)) else float(action)
        if a != a:
            self._invalid += 1
            return 0.0
        return 0.0 if a < 0.0 else 1.0 if a > 1.0 else a

    def step(self, action):
        if self.problem is None or self._k >= self._n_steps:
            raise RuntimeError("ExecutionEnv: call reset() before step() (the episode is over)")
        frac = self._fraction(action)
        if self.replay is not None:
            return self._replay_step(frac)
        k = self._k
        x = self._remaining
        q = x if k == self._n_steps - 1 else frac * x
        if self._beta == 1.0:
            temp = q * self._temp_coef
        elif self._beta == 0.5:
            temp = math.sqrt(q) * self._temp_coef
        else:
            temp = q**self._beta * self._temp_coef
        mid = self._mid
        fill = temp + self._hs + mid
        cost = q * fill * self._bps_per_share
        self._is += cost
        self._mid_sum += mid
        if self._delta == 1.0:
            perm = self._perm + q * self._perm_coef
        else:
            perm = self._perm + q**self._delta * self._perm_coef
        trans = (self._trans + q * self._trans_coef) * self._decay
        mid_next = self._u[k + 1] + perm + trans
        x -= q
        risk = x * x * self._step_var[k] * self._risk_scale
        self._penalty += risk
        self._perm, self._trans, self._mid, self._remaining = perm, trans, mid_next, x
        self._last_fill = fill
        if q > 0.0:
            self._n_orders += 1
        self._k = k = k + 1
        done = k == self._n_steps
        design = self.reward_design
        if design == "per_step":
            reward = -(cost + risk)
        elif design == "ac_utility":
            mtm = cost - q * mid * self._bps_per_share + x * (mid_next - mid) * self._bps_per_share
            reward = -(mtm + risk)
        else:
            reward = -(self._is + self._penalty) if done else 0.0
        info = {"invalid_actions": self._invalid, "shares": q}
        if done:
            info.update(self._final_info())
        return self._observe(), reward, done, False, info

    def _replay_step(self, frac: float):
        """One step on the replay market (one episode of ``ReplayMarket``: numpy, not scalar)."""
        market = self._replay_market
        res = market.step_fraction(np.array([frac]))
        self._k = market.k
        design = self.reward_design
        if design == "per_step":
            reward = -float(res.cost_bps[0] + res.risk_bps[0])
        elif design == "ac_utility":
            reward = -float(res.mtm_cost_bps[0] + res.risk_bps[0])
        else:
            reward = -float(market.is_bps[0] + market.risk_penalty_bps[0]) if res.done else 0.0
        info = {"invalid_actions": int(market.invalid_actions[0]), "shares": float(res.shares[0])}
        if res.done:
            s = market.summary()
            info.update(
                remaining_shares=float(market.remaining[0]),
                is_bps=float(s.is_bps[0]),
                vwap_slippage_bps=float(s.vwap_slippage_bps[0]),
                risk_penalty_bps=float(s.risk_penalty_bps[0]),
                filled_frac=float(s.filled_frac[0]),
                n_child_orders=int(s.n_child_orders[0]),
                arrival_price=float(s.arrival_price[0]),
                date=market.episode_dates[0],
            )
        return market.observe()[0].copy(), reward, res.done, False, info

    def _final_info(self) -> dict[str, Any]:
        mean_mid = self._mid_sum / self._n_steps
        return {
            "remaining_shares": self._remaining,
            "is_bps": self._is,
            "vwap_slippage_bps": self._is - BPS * mean_mid,
            "risk_penalty_bps": self._penalty,
            "filled_frac": 1.0 - self._remaining / self._x_total,
            "n_child_orders": self._n_orders,
            "arrival_price": self._arrival_price,
        }

    def _observe(self) -> np.ndarray:
        if self.replay is not None:
            return self._replay_market.observe()[0].copy()
        k, n = self._k, self._n_steps
        o = self._obs
        o[0] = self._remaining * self._inv_x
        o[1] = k / n
        o[_I_FEATURES] = self._features[k]
        o[_I_PRICE] = _clip(self._mid * PRICE_SCALE, _I_PRICE)
        o[_I_PART] = _clip((self._x_total - self._remaining) * self._part_scale[k], _I_PART)
        o[_I_TRANS] = _clip(self._trans * TRANSIENT_SCALE, _I_TRANS)
        o[_I_FILL] = _clip(self._last_fill * PRICE_SCALE, _I_FILL)
        o[_I_TWAP] = 1.0 / (n - k) if k < n else 0.0
        o[_I_PLAN] = self._plan_fractions[k] if k < n else 0.0
        return o.copy()


class ExecutionEnvDiscrete(ExecutionEnv):
    """``ExecutionEnv`` with Discrete(11) actions: trade i * 10% of the remaining shares."""

    N_ACTIONS = 11

    def _make_action_space(self) -> spaces.Space:
        return spaces.Discrete(self.N_ACTIONS)

    def _fraction(self, action: Any) -> float:
        a = float(action.reshape(-1)[0]) if type(action) is np.ndarray else float(action)
        if a != a:
            self._invalid += 1
            return 0.0
        i = 0 if a < 0 else self.N_ACTIONS - 1 if a > self.N_ACTIONS - 1 else int(a)
        return i / (self.N_ACTIONS - 1)
