"""What the prices so far say about the hidden regime and the trend's direction (a Bayes filter).

The scenario grid draws a regime the trader never sees (normal, volatile or trending, with a
trend up or down equally likely). Each step's unaffected return, net of the imbalance signal's
predicted drift, is Gaussian under each hypothesis h = (regime, trend direction): mean mu_h
(the regime's drift per step) and variance v_h (the regime's volatility). Over k steps the
side-signed residuals r_j enter the likelihood only through their count, sum S1 and sum of
squares S2:

    log p(h | r_1..r_k) = log prior_h - (S2 - 2 m_h S1 + k m_h^2) / (2 v_h) - k log(v_h) / 2 + const

with m_h = side * mu_h. The observable oracle plans with this posterior; the agents observe its
mean drift and its weight on the volatile regime as the ``trend_belief`` and ``volatile_belief``
fields (``observation``), so that what the ceiling knows is in the
observation too and an agent need not learn the filter itself from raw price moves (which took
a 1-day PPO specialist 20M steps to half learn: docs/decisions.md). Only observable quantities
and the model's parameters enter it: never the drawn regime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import math

import numpy as np

from execution_assets.sim.problem import REGIME_VOL_MULTIPLIER, REGIMES, TRAINING_REGIME_MIX, ExecutionProblem


@dataclass(frozen=True)
class Hypothesis:
    regime: str
    trend_sign: int
    prior: float


def hypotheses(problem: ExecutionProblem, prior: Mapping[str, float] = TRAINING_REGIME_MIX) -> list[Hypothesis]:
    """What the hidden state may be, with prior weights (summing to 1): a trend of drawn direction
    is two hypotheses, up and down, sharing the trending regime's weight."""
    unknown = set(prior) - set(REGIMES)
    if unknown or not prior or min(prior.values()) < 0 or sum(prior.values()) <= 0:
        raise ValueError(f"prior must weigh the regimes {REGIMES} with weights >= 0, got {dict(prior)}")
    total = sum(prior.values())
    out = []
    for regime, weight in prior.items():
        if weight == 0:
            continue
        if regime == "trending" and problem.random_trend:
            out += [Hypothesis(regime, sign, weight / total / 2) for sign in (1, -1)]
        else:
            out.append(Hypothesis(regime, problem.trend_sign or 1, weight / total))
    return out


class RegimeFilter:
    """The posterior over ``hypotheses(problem, prior)`` from the sufficient statistics of the
    side-signed residuals (their count k, sum S1 and sum of squares S2), vectorized over episodes."""

    def __init__(self, problem: ExecutionProblem, prior: Mapping[str, float] = TRAINING_REGIME_MIX) -> None:
        self.hypotheses = hypotheses(problem, prior)
        step = problem.tau_s / problem.session_seconds
        drift_day = np.array(
            [problem.with_(trend_sign=h.trend_sign).regime_drift_per_day(h.regime) for h in self.hypotheses]
        )
        self.mean = problem.side * drift_day * step  # m_h, side-signed, per step
        self.var = np.array([(problem.sigma_step * REGIME_VOL_MULTIPLIER[h.regime]) ** 2 for h in self.hypotheses])
        self.log_prior = np.log([h.prior for h in self.hypotheses])[:, None]
        # the drift a trend adds per step: the unit of ``trend_belief`` (0: no trend to detect)
        self.trend_step = problem.trend_per_day * step
        # the residual's signal term: side * c_alpha * I_{k-1}, with side * I the observed imbalance
        self.signal_drift = problem.signal_drift_per_unit
        # whether the posterior moves with the prices (else the beliefs are the prior's constants)
        self.informative = problem.sigma_step > 0 and len(self.hypotheses) > 1
        # the trend's part of each hypothesis' drift, side-signed, in units of the trend
        self._trend_units = np.array(
            [problem.side * h.trend_sign if h.regime == "trending" and self.trend_step else 0.0 for h in self.hypotheses]
        )[:, None]
        self._volatile = np.array([h.regime == "volatile" for h in self.hypotheses], dtype=float)[:, None]
        self._a = None
        if problem.sigma_step > 0:
            self._a = (-0.5 / self.var)[:, None]
            self._b = (self.mean / self.var)[:, None]
            self._c = (-0.5 * (self.mean**2 / self.var + np.log(self.var)))[:, None]
        self._closed_form = self._closed_form_constants(problem)
        self._buffers: np.ndarray | None = None

    def _closed_form_constants(self, problem: ExecutionProblem) -> dict[str, float] | None:
        """Constants of ``beliefs``' closed form, where the hypotheses are the grid's: normal,
        volatile, and a trend up or down equally likely (None elsewhere: the general posterior)."""
        by = {(h.regime, h.trend_sign if h.regime == "trending" else 0): h.prior for h in self.hypotheses}
        grid_hypotheses = {("normal", 0), ("volatile", 0), ("trending", 1), ("trending", -1)}
        if not self.informative or self.trend_step <= 0 or set(by) != grid_hypotheses:
            return None
        if by[("trending", 1)] != by[("trending", -1)]:
            return None
        v, vol2 = problem.sigma_step**2, REGIME_VOL_MULTIPLIER["volatile"] ** 2
        constants = {
            "m0": problem.side * problem.drift_per_day * problem.tau_s / problem.session_seconds,
            "tau_coef": self.trend_step / v,
            "log_trend_prior": float(np.log(by[("trending", 1)] / by[("normal", 0)])),
            "trend_cost": self.trend_step**2 / (2 * v),
            "vol_coef": (1 - 1 / vol2) / (2 * v),
            "vol_cost": 0.5 * float(np.log(vol2)),
            "log_vol_prior": float(np.log(by[("volatile", 0)] / by[("normal", 0)])),
        }
        return {name: float(value) for name, value in constants.items()}  # Python floats: beliefs_scalar

    def posterior(self, s1: np.ndarray, s2: np.ndarray, k: int) -> np.ndarray:
        """(H, n) posterior weights after k residuals with sums ``s1`` and squares ``s2`` (a price
        that cannot move, sigma 0, tells nothing: the prior)."""
        if self._a is None:
            return np.repeat(np.exp(self.log_prior), np.size(s1), axis=1)
        log_post = self._a * s2
        log_post += self._b * s1
        log_post += self._c * k + self.log_prior
        log_post -= log_post.max(axis=0)
        np.exp(log_post, out=log_post)
        log_post /= log_post.sum(axis=0)
        return log_post

    def beliefs(self, s1: np.ndarray, s2: np.ndarray, k: int, out: np.ndarray) -> None:
        """Write into ``out`` (2, n): the posterior mean of the trend's drift, side-signed (positive:
        against the order), in units of the trend (-1 surely with the order .. +1 surely against
        it; 0 without a trend), and the posterior probability of the volatile regime. Where the
        prices tell nothing (one hypothesis, or a price that cannot move), the prior's."""
        if not self.informative:
            prior = np.exp(self.log_prior)
            out[0] = float((prior * self._trend_units).sum())
            out[1] = float((prior * self._volatile).sum())
            return
        if self._closed_form is not None and self._closed_form_beliefs(s1, s2, k, out):
            return
        post = self.posterior(s1, s2, k)
        weighted = post * self._trend_units
        weighted.sum(axis=0, out=out[0])
        np.multiply(post, self._volatile, out=weighted)
        weighted.sum(axis=0, out=out[1])

    def beliefs_scalar(self, s1: float, s2: float, k: int) -> tuple[float, float]:
        """``beliefs`` of one episode in Python floats (the scalar env: numpy's per-call overhead
        would dominate), the closed form's operations in the same order."""
        f = self._closed_form
        if self.informative and f is not None:
            if f["m0"]:
                w = s2 - s1 * (2 * f["m0"]) + k * f["m0"] ** 2
                tau = (s1 - k * f["m0"]) * f["tau_coef"]
            else:
                w, tau = s2, s1 * f["tau_coef"]
            w = w * f["vol_coef"] + (f["log_vol_prior"] - k * f["vol_cost"])
            abs_tau = abs(tau)
            w = math.exp(min(w - abs_tau, 700.0))
            e = math.exp(-abs_tau)
            p = math.exp(f["log_trend_prior"] - k * f["trend_cost"])
            e2 = e * e
            den = (e2 + 1.0) * p + e + w
            if den > 0 and math.isfinite(den):
                return (1.0 - e2) * ((tau > 0) - (tau < 0)) * p / den, w / den
        out = np.empty((2, 1))
        self.beliefs(np.array([s1]), np.array([s2]), k, out)
        return float(out[0, 0]), float(out[1, 0])

    def _closed_form_beliefs(self, s1: np.ndarray, s2: np.ndarray, k: int, out: np.ndarray) -> bool:
        """``beliefs`` for the grid's hypotheses in two exponentials per episode (the general
        posterior takes four and a normalization; the env steps this every decision). Relative to
        the normal regime, the trend against the order has log-weight tau + c and the one with it
        -tau + c, the volatile regime l_v; dividing through by exp(|tau|):

            trend = sign(tau) p (1 - E^2) / D,   volatile = W / D,   D = E + W + p (1 + E^2)

        with p = e^c, E = e^-|tau|, W = e^(l_v - |tau|). False (nothing usable written) where the
        numbers leave floating point (absurd drifts), for the general posterior to take over."""
        f = self._closed_form
        if self._buffers is None or self._buffers.shape[1] != np.size(s1):
            self._buffers = np.empty((4, np.size(s1)))
        tau, abs_tau, w, den = self._buffers
        if f["m0"]:
            np.multiply(s1, 2 * f["m0"], out=w)
            np.subtract(s2, w, out=w)
            w += k * f["m0"] ** 2  # S2 - 2 m0 S1 + k m0^2
            np.subtract(s1, k * f["m0"], out=tau)
            tau *= f["tau_coef"]
        else:
            np.copyto(w, s2)
            np.multiply(s1, f["tau_coef"], out=tau)
        w *= f["vol_coef"]
        w += f["log_vol_prior"] - k * f["vol_cost"]
        np.abs(tau, out=abs_tau)
        w -= abs_tau
        np.minimum(w, 700.0, out=w)
        np.exp(w, out=w)  # W
        e = np.negative(abs_tau, out=abs_tau)
        np.exp(e, out=e)  # E
        p = math.exp(f["log_trend_prior"] - k * f["trend_cost"])
        np.multiply(e, e, out=den)  # E^2, then the numerator's 1 - E^2 in out[0]
        np.subtract(1.0, den, out=out[0])
        den += 1.0
        den *= p
        den += e
        den += w
        np.sign(tau, out=tau)
        out[0] *= tau
        out[0] *= p
        with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 where it fails: checked here
            out[0] /= den
            np.divide(w, den, out=out[1])
        return bool(np.isfinite(out).all())
