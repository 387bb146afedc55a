"""Market order flow of one synthetic day: arrivals, sizes and aggressor signs.

The flow is exogenous: it is drawn from its own random stream and never looks at prices, so
regressions of price changes on signed volume are unbiased.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from execution_assets.impact import US_EQUITY_SESSION_SECONDS
from execution_assets.market.synthetic.params import MarketParams

US_PER_S = 1_000_000


@dataclass(frozen=True)
class OrderFlow:
    """Trades sorted by time, and their per-second buy and sell volumes."""

    ts_us: np.ndarray  # int64, microseconds since the open, strictly increasing
    second: np.ndarray  # int64, session second of each trade (ts_us // 1e6)
    size: np.ndarray  # int64 shares
    side: np.ndarray  # int8, +1 buyer-initiated
    buy_volume: np.ndarray  # float, shares bought by aggressors in each second (US_EQUITY_SESSION_SECONDS,)
    sell_volume: np.ndarray  # float, shares sold by aggressors in each second

    @property
    def net_volume(self) -> np.ndarray:
        return self.buy_volume - self.sell_volume


def simulate_order_flow(params: MarketParams, rng: np.random.Generator) -> OrderFlow:
    """Poisson arrivals with intensity ``ADV / E[size] * volume curve``, i.i.d. power-law sizes,
    Markov signs (each trade repeats the previous side with probability ``sign_persistence``)."""
    intensity = params.expected_trades_per_day * params.volume_shape.second_weights()
    counts = rng.poisson(intensity)
    n = int(counts.sum())
    second = np.repeat(np.arange(US_EQUITY_SESSION_SECONDS, dtype=np.int64), counts)
    # distinct timestamps (identical prints would read as duplicates downstream): offsets leave
    # room for bumping each tie up by 1 us without leaving the second
    raw = np.sort(second * US_PER_S + rng.integers(0, US_PER_S - int(counts.max(initial=0)), n))
    rank = np.arange(n)
    ts_us = np.maximum.accumulate(raw - rank) + rank if n else raw
    sizes, probs = params.trade_size_distribution()
    size = sizes[np.searchsorted(np.cumsum(probs), rng.random(n), side="right").clip(max=len(sizes) - 1)]
    flips = rng.random(n) >= params.sign_persistence
    first = 1 if rng.random() < 0.5 else -1
    side = np.where(np.cumsum(flips) % 2 == 0, first, -first).astype(np.int8)
    buys = side > 0
    buy_volume = np.bincount(second[buys], weights=size[buys], minlength=US_EQUITY_SESSION_SECONDS).astype(float)
    sell_volume = np.bincount(second[~buys], weights=size[~buys], minlength=US_EQUITY_SESSION_SECONDS).astype(float)
    return OrderFlow(ts_us, second, size, side, buy_volume, sell_volume)
