"""Limit order book of one synthetic day, built around the efficient mid at every state.

- Spread in ticks: ``S = max(1, round(c * exp(s * z)))`` with ``z`` a stationary AR(1) N(0, 1)
  (``exp(-spread_reversion_per_s)`` per second); never crossed or locked.
- Touch: ``bid_1 = round(mid / tick - S / 2)``, ``ask_1 = bid_1 + S`` (ticks), so the quoted mid
  is the efficient mid plus a rounding error uniform on +-1/2 tick (unbiased).
- Deeper levels: 1 tick apart, or 2 with probability ``level_gap_prob`` (drawn per second).
- Sizes: ``touch_size * depth_profile[k] * exp(+-tilt_k * I + depth_noise * u - depth_noise^2 / 2)``,
  ``u`` a stationary AR(1) N(0, 1) per side and level, ``+`` for bids and ``-`` for asks, so the
  level-1 and level-5 size imbalances carry the OU signal ``I``. Rounded to shares, at least 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from execution_assets.market.synthetic.params import MarketParams
from execution_assets.market.synthetic.prices import ar1
from schemas.columns import N_LEVELS


@dataclass(frozen=True)
class Book:
    """Prices in integer ticks and sizes in shares, one row per state, one column per level."""

    bid_ticks: np.ndarray  # int64 (states, n_levels)
    ask_ticks: np.ndarray
    bid_size: np.ndarray  # int64 (states, n_levels)
    ask_size: np.ndarray

    @property
    def mid_ticks(self) -> np.ndarray:
        return (self.bid_ticks[:, 0] + self.ask_ticks[:, 0]) / 2.0


def spread_ticks(params: MarketParams, spread_mult: float, n_states: int, rng: np.random.Generator) -> np.ndarray:
    z = ar1(math.exp(-params.spread_reversion_per_s), rng.standard_normal(n_states))
    raw = params.spread_center_ticks * spread_mult * np.exp(params.spread_dispersion * z)
    return np.maximum(1, np.floor(raw + 0.5)).astype(np.int64)


def build_book(
    params: MarketParams,
    log_mid: np.ndarray,
    signal: np.ndarray,
    spread_mult: float,
    rng: np.random.Generator,
) -> Book:
    """All ``N_LEVELS`` levels (the caller keeps the first n), so the depth shown never changes the draws."""
    n_states, n_levels = len(log_mid), N_LEVELS
    spread = spread_ticks(params, spread_mult, n_states, rng)
    mid_ticks = np.exp(log_mid) / params.tick_size
    bid_1 = np.floor(mid_ticks - spread / 2.0 + 0.5).astype(np.int64)
    ask_1 = bid_1 + spread

    def offsets() -> np.ndarray:
        gaps = 1 + (rng.random((n_states, n_levels - 1)) < params.level_gap_prob)
        return np.concatenate([np.zeros((n_states, 1), np.int64), np.cumsum(gaps, axis=1)], axis=1)

    bid_ticks = bid_1[:, None] - offsets()
    ask_ticks = ask_1[:, None] + offsets()
    if bid_ticks[:, -1].min() < 1:
        raise ValueError(
            f"synthetic price fell to {bid_ticks[:, -1].min()} ticks at book level {n_levels}: "
            "raise MarketParams.start_price or lower sigma_daily"
        )

    levels = np.arange(n_levels)
    mean_size = params.touch_size * np.asarray(params.depth_profile)
    tilt = params.imbalance_tilt * params.imbalance_tilt_decay**levels
    shocks = rng.standard_normal((n_states, 2 * n_levels))
    noise = params.depth_noise * ar1(math.exp(-params.depth_reversion_per_s), shocks)
    base = np.log(mean_size) - params.depth_noise**2 / 2
    tilted = np.outer(signal, tilt)

    def sizes(log_size: np.ndarray) -> np.ndarray:
        return np.maximum(1, np.rint(np.exp(log_size))).astype(np.int64)

    bid_size = sizes(base + tilted + noise[:, :n_levels])
    ask_size = sizes(base - tilted + noise[:, n_levels:])
    return Book(bid_ticks, ask_ticks, bid_size, ask_size)
