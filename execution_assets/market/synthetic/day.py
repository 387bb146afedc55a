"""One synthetic instrument-day: order flow -> efficient mid -> book -> trade prints -> frames."""

from __future__ import annotations

import datetime as dt
import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, participation, temporary_impact
from execution_assets.market import instruments, reference
from execution_assets.market.synthetic.book import Book, build_book
from execution_assets.market.synthetic.flow import US_PER_S, OrderFlow, simulate_order_flow
from execution_assets.market.synthetic.params import REGIMES, InstrumentSpec, MarketParams
from execution_assets.market.synthetic.prices import simulate_log_mid, simulate_signal
from schemas.columns import N_LEVELS, SNAPSHOT_COLUMNS, TRADE_COLUMNS

_EPOCH = dt.datetime(1970, 1, 1)
_STREAMS = ("flow", "signal", "mid", "book", "prints", "trend")


@dataclass(frozen=True)
class SyntheticDay:
    """Raw tables of one simulated instrument-day and the true parameters that generated them."""

    snapshots: pl.DataFrame  # SNAPSHOT_COLUMNS, one row per second, book at the end of the second
    trades: pl.DataFrame  # TRADE_COLUMNS, sorted by ts
    truth: dict[str, Any]


def simulate_market_day(
    instrument: str | InstrumentSpec,
    date: dt.date | str,
    seed: int,
    params: MarketParams | None = None,
    regime: str = "normal",
    n_levels: int = N_LEVELS,
) -> SyntheticDay:
    """Simulate one session of ``instrument`` on ``date``, from the open of its reference row
    (09:30 New York for the built-in instruments and names the reference data do not list).

    ``instrument`` is a default instrument's name or an ``InstrumentSpec``; ``params``, if given,
    replaces its parameters (then any name is accepted). (instrument name, date, seed) seed one
    random stream per component (flow, signal, mid, book, prints, trend sign), so the regime,
    ``n_levels`` or one component's parameters leave the other components' draws unchanged:
    variants of a day are compared on common random numbers.
    """
    spec = _resolve_instrument(instrument, params)
    day = _parse_date(date)
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}; known regimes: {', '.join(REGIMES)}")
    if isinstance(n_levels, bool) or not isinstance(n_levels, int) or not 1 <= n_levels <= N_LEVELS:
        raise ValueError(f"n_levels must be an int in [1, {N_LEVELS}], got {n_levels!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")

    p = spec.params
    name_key = zlib.crc32(spec.name.encode())
    streams = np.random.SeedSequence([int(seed), name_key, day.toordinal()]).spawn(len(_STREAMS))
    rngs = {name: np.random.default_rng(stream) for name, stream in zip(_STREAMS, streams)}
    sigma = p.sigma_daily * (p.volatile_sigma_mult if regime == "volatile" else 1.0)
    spread_mult = p.volatile_spread_mult if regime == "volatile" else 1.0
    trend_sign = 1.0 if rngs["trend"].random() < 0.5 else -1.0
    mu_daily = trend_sign * p.trend_drift_sigmas * sigma if regime == "trending" else 0.0

    flow = simulate_order_flow(p, rngs["flow"])
    signal = simulate_signal(p.signal_reversion_per_s, rngs["signal"])
    log_mid = simulate_log_mid(
        log_start=math.log(p.start_price),
        sigma_daily=sigma,
        vol_second_weights=p.vol_shape.second_weights(),
        mu_daily=mu_daily,
        signal=signal,
        signal_alpha=p.signal_alpha,
        alpha_variance_share=p.alpha_variance_share,
        net_volume_frac_adv=flow.net_volume / p.adv_shares,
        impact=p.impact,
        rng=rngs["mid"],
    )
    book = build_book(p, log_mid, signal, spread_mult, rngs["book"])
    price_ticks = _print_ticks(p, flow, book, rngs["prints"])

    open_us = (dt.datetime.combine(day, dt.time()) + _session_open(spec.name) - _EPOCH) // dt.timedelta(microseconds=1)
    snapshots = _snapshot_frame(spec.name, day, open_us, book, p.tick_size, n_levels)
    trades = _frame(
        TRADE_COLUMNS,
        spec.name,
        day,
        {
            "ts": open_us + flow.ts_us,
            "price": _to_price(price_ticks, p.tick_size),
            "size": flow.size,
            "side": flow.side,
        },
    )
    truth = _truth(spec, day, seed, regime, n_levels, sigma, mu_daily, spread_mult)
    return SyntheticDay(snapshots, trades, truth)


def _session_open(name: str) -> dt.timedelta:
    """The open of ``name``'s one session, from its reference row. The model's day is one
    session of US_EQUITY_SESSION_SECONDS (a US equity day); an instrument whose sessions differ is refused
    rather than given a day that its calibration would read on another clock."""
    row = reference.instrument(name)
    if len(row.sessions) != 1 or row.session_seconds != US_EQUITY_SESSION_SECONDS or row.sessions[0].wraps:
        raise ValueError(
            f"{name}: the synthetic market simulates one {US_EQUITY_SESSION_SECONDS}-second session a day, "
            f"its reference row ({row.root}) has {row.sessions_text}"
        )
    return row.sessions[0].open


def _print_ticks(params: MarketParams, flow: OrderFlow, book: Book, rng: np.random.Generator) -> np.ndarray:
    """Trade prices in ticks: the touch before the trade's second, pushed out by temporary impact.

    A print in second ``k`` executes at ``ask_1 + R(c * mid / tick)`` (buys) or
    ``bid_1 - R(c * mid / tick)`` (sells), quotes and mid of state ``k`` (the snapshot of second
    ``k - 1``), with ``c = temporary_impact(participation(same-side volume of second k, 1 s, ADV))``
    and ``R`` unbiased stochastic rounding (``E[R(y)] = y``), so ``E[side * (price - touch) / mid] = c``.
    """
    k = flow.second
    adv = params.adv_shares
    cost_buy = temporary_impact(participation(flow.buy_volume, 1.0, adv, US_EQUITY_SESSION_SECONDS), params.impact)
    cost_sell = temporary_impact(participation(flow.sell_volume, 1.0, adv, US_EQUITY_SESSION_SECONDS), params.impact)
    buy = flow.side > 0
    concession = np.where(buy, cost_buy[k], cost_sell[k]) * book.mid_ticks[k]
    extra = np.floor(concession + rng.random(len(k))).astype(np.int64)
    ticks = np.where(buy, book.ask_ticks[k, 0] + extra, book.bid_ticks[k, 0] - extra)
    if len(ticks) and ticks.min() < 1:
        raise ValueError(
            f"a synthetic sell printed at {ticks.min()} ticks: temporary impact (eta={params.impact.eta}) "
            "is too large for the price level"
        )
    return ticks


def _to_price(ticks: np.ndarray, tick_size: float) -> np.ndarray:
    return np.round(ticks * tick_size, 10)  # the nearest double to the tick multiple


def _snapshot_frame(name: str, day: dt.date, open_us: int, book: Book, tick: float, n_levels: int) -> pl.DataFrame:
    data: dict[str, np.ndarray] = {"ts": open_us + np.arange(US_EQUITY_SESSION_SECONDS, dtype=np.int64) * US_PER_S}
    end_of_second = slice(1, None)  # state k + 1 is the book at the end of second k
    for side, ticks, size in (("bid", book.bid_ticks, book.bid_size), ("ask", book.ask_ticks, book.ask_size)):
        for level in range(n_levels):
            data[f"{side}_px_{level + 1}"] = _to_price(ticks[end_of_second, level], tick)
            data[f"{side}_sz_{level + 1}"] = size[end_of_second, level]
    return _frame(SNAPSHOT_COLUMNS, name, day, data)


def _frame(columns: dict[str, pl.DataType], name: str, day: dt.date, data: dict[str, np.ndarray]) -> pl.DataFrame:
    """A frame with exactly ``columns`` in order; ``ts`` given as epoch microseconds; missing levels null."""
    frame = pl.DataFrame(data)
    exprs = []
    for column, dtype in columns.items():
        if column == "instrument":
            exprs.append(pl.lit(name, dtype=dtype).alias(column))
        elif column == "date":
            exprs.append(pl.lit(day, dtype=dtype).alias(column))
        elif column == "ts":
            exprs.append(pl.col("ts").cast(pl.Int64).cast(dtype))
        elif column in data:
            exprs.append(pl.col(column).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(column))
    return frame.select(exprs)


def normal_day_truth(instrument: str | InstrumentSpec, date: dt.date | str, seed: int) -> dict[str, Any]:
    """``simulate_market_day(instrument, date, seed=seed).truth`` (normal regime, every level)
    without simulating the day: in that regime the truth depends on the parameters alone."""
    spec = _resolve_instrument(instrument, None)
    return _truth(spec, _parse_date(date), seed, "normal", N_LEVELS, spec.params.sigma_daily, 0.0, 1.0)


def _resolve_instrument(instrument: str | InstrumentSpec, params: MarketParams | None) -> InstrumentSpec:
    if params is not None and not isinstance(params, MarketParams):
        raise ValueError(f"params must be a MarketParams or None, got {type(params).__name__}")
    if isinstance(instrument, InstrumentSpec):
        return instrument if params is None else InstrumentSpec(instrument.name, params)
    if not isinstance(instrument, str):
        raise ValueError(f"instrument must be a name or an InstrumentSpec, got {type(instrument).__name__}")
    if params is not None:
        return InstrumentSpec(instrument, params)
    return instruments.get_instrument(instrument)


def _parse_date(date: dt.date | str) -> dt.date:
    if isinstance(date, dt.datetime):
        return date.date()
    if isinstance(date, dt.date):
        return date
    if isinstance(date, str):
        try:
            return dt.date.fromisoformat(date)
        except ValueError:
            raise ValueError(f"date must be ISO YYYY-MM-DD, got {date!r}") from None
    raise ValueError(f"date must be a datetime.date or an ISO string, got {type(date).__name__}")


def _truth(
    spec: InstrumentSpec,
    day: dt.date,
    seed: int,
    regime: str,
    n_levels: int,
    sigma: float,
    mu_daily: float,
    spread_mult: float,
) -> dict[str, Any]:
    """The parameters that generated the day, in the units of ``calibration.impact_params``."""
    p = spec.params
    impact = p.impact
    spread_ticks = p.expected_spread_ticks(spread_mult)
    flow_var = p.net_flow_variance_frac_adv()
    return {
        "instrument": spec.name,
        "date": day.isoformat(),
        "seed": int(seed),
        "regime": regime,
        "n_levels": n_levels,
        # volatility: diffusion + alpha (exactly sigma_daily^2 per day); the market's own flow
        # adds gamma^2 Var(net flow / ADV) on top (delta = 1; None otherwise)
        "sigma_daily": sigma,
        "sigma_daily_normal": p.sigma_daily,
        "sigma_daily_with_impact": math.sqrt(sigma**2 + impact.gamma**2 * flow_var) if impact.delta == 1 else None,
        "mu_daily": mu_daily,
        "vol_curve": p.vol_shape.minute_weights().tolist(),  # share of daily variance per minute
        # impact (execution_assets.impact units)
        **impact.as_dict(),
        # volume
        "adv_shares": p.adv_shares,
        "volume_curve": p.volume_shape.minute_weights().tolist(),  # share of daily volume per minute
        "expected_trades_per_day": p.expected_trades_per_day,
        "mean_trade_size": p.mean_trade_size,
        "mean_sq_trade_size": p.mean_sq_trade_size,
        "lot_size": p.lot_size,
        "size_tail_alpha": p.size_tail_alpha,
        "size_max_lots": p.size_max_lots,
        "sign_persistence": p.sign_persistence,
        "net_flow_std_frac_adv": math.sqrt(flow_var),
        # book
        "start_price": p.start_price,
        "tick_size": p.tick_size,
        "expected_spread_ticks": spread_ticks,
        "half_spread_bps": p.expected_half_spread_bps(spread_mult),
        "touch_size": p.touch_size,
        "depth_profile": list(p.depth_profile[:n_levels]),
        # alpha signal
        "signal_reversion_per_s": p.signal_reversion_per_s,
        "signal_alpha": p.signal_alpha,  # next-second return per unit signal, in units of sigma_1s
        "alpha_variance_share": p.alpha_variance_share,
        "imbalance_tilt": p.imbalance_tilt,
    }
