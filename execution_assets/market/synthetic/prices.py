"""Efficient (log) mid price and the OU imbalance signal of one synthetic day.

States are indexed ``k = 0..T``: state 0 is the session's open, state ``k + 1`` the end of
session second ``k``. Second ``k`` moves the log mid from state ``k`` to state ``k + 1`` by::

    mu                                            drift (trending regime only)
  + sigma_k * sqrt(1 - a^2 (1 + phi) / (1 - phi)) * eps_k   diffusion, eps ~ N(0, 1)
  + a * sigma_k * I_k                             alpha of the signal at the start of the second
  + permanent_impact(x_k)                         gamma * sign(x_k) |x_k|^delta
  + J_{k+1} - J_k                                 transient state, J_{k+1} = e^{-rho} J_k + kappa x_k

with ``x_k`` the second's net aggressor volume / ADV, ``sigma_k^2`` the vol curve's share of
``sigma_daily^2`` for that second, ``I`` an AR(1) with ``phi = exp(-signal_reversion_per_s)`` and
unit variance. The diffusion is scaled down by the alpha's share of variance so that diffusion
plus alpha give a daily variance of exactly ``sigma_daily^2``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams, permanent_impact


def ar1(phi: float, shocks: np.ndarray) -> np.ndarray:
    """Stationary unit-variance AR(1) along axis 0 driven by standard normal ``shocks``."""
    scaled = shocks * math.sqrt(1.0 - phi * phi)
    scaled[0] = shocks[0]  # start in the stationary distribution
    return lfilter([1.0], [1.0, -phi], scaled, axis=0)


def simulate_signal(reversion_per_s: float, rng: np.random.Generator) -> np.ndarray:
    """OU imbalance signal sampled at the T + 1 states, stationary N(0, 1)."""
    return ar1(math.exp(-reversion_per_s), rng.standard_normal(US_EQUITY_SESSION_SECONDS + 1))


def simulate_log_mid(
    *,
    log_start: float,
    sigma_daily: float,
    vol_second_weights: np.ndarray,
    mu_daily: float,
    signal: np.ndarray,
    signal_alpha: float,
    alpha_variance_share: float,
    net_volume_frac_adv: np.ndarray,
    impact: ImpactParams,
    rng: np.random.Generator,
) -> np.ndarray:
    """Log efficient mid at the T + 1 states (see module docstring)."""
    sigma_s = sigma_daily * np.sqrt(vol_second_weights)
    diffusion = sigma_s * math.sqrt(1.0 - alpha_variance_share) * rng.standard_normal(US_EQUITY_SESSION_SECONDS)
    alpha = signal_alpha * sigma_s * signal[:-1]
    permanent = permanent_impact(net_volume_frac_adv, impact)
    transient = np.zeros(US_EQUITY_SESSION_SECONDS + 1)
    if impact.kappa > 0:
        phi = math.exp(-impact.transient_decay_per_s)
        transient[1:] = lfilter([impact.kappa], [1.0, -phi], net_volume_frac_adv)
    steps = mu_daily / US_EQUITY_SESSION_SECONDS + diffusion + alpha + permanent
    log_mid = np.empty(US_EQUITY_SESSION_SECONDS + 1)
    log_mid[0] = log_start
    log_mid[1:] = log_start + np.cumsum(steps)
    return log_mid + transient
