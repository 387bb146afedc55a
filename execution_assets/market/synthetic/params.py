"""Parameters of the synthetic market: one frozen dataclass per instrument, validated on creation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams
from schemas.columns import N_LEVELS

SESSION_MINUTES = US_EQUITY_SESSION_SECONDS // 60  # 390
REGIMES = ("normal", "volatile", "trending")


@dataclass(frozen=True)
class UShape:
    """Intraday U-shape over the 390 session minutes: ``1 + open bump + close bump``.

    weight(x) = 1 + open_boost * exp(-x / open_decay_min) + close_boost * exp(-(390 - x) / close_decay_min),
    x = minutes since the open (bucket centre), normalized to sum to 1.
    """

    open_boost: float = 2.0
    open_decay_min: float = 20.0
    close_boost: float = 1.5
    close_decay_min: float = 15.0

    def __post_init__(self) -> None:
        for name in ("open_boost", "close_boost"):
            _check(self, name, getattr(self, name) >= 0, ">= 0")
        for name in ("open_decay_min", "close_decay_min"):
            _check(self, name, getattr(self, name) > 0, "> 0")

    def minute_weights(self) -> np.ndarray:
        """Share of the day's total per session minute (390 values, sum 1)."""
        x = np.arange(SESSION_MINUTES) + 0.5
        w = (
            1.0
            + self.open_boost * np.exp(-x / self.open_decay_min)
            + self.close_boost * np.exp(-(SESSION_MINUTES - x) / self.close_decay_min)
        )
        return w / w.sum()

    def second_weights(self) -> np.ndarray:
        """Share of the day's total per session second (constant within a minute, sum 1)."""
        return np.repeat(self.minute_weights() / 60.0, 60)


DEFAULT_DEPTH_PROFILE = (1.0, 1.3, 1.6, 1.8, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5)


@dataclass(frozen=True)
class MarketParams:
    """Every parameter of one instrument's synthetic market (defaults: a liquid large cap).

    Units: ``sigma_daily`` is the standard deviation of the day's log return (diffusion plus
    the OU alpha, normal regime); ``adv_shares`` is the expected daily volume; prices in
    currency, sizes in shares, rates per second. Impact follows ``execution_assets.impact``.
    """

    impact: ImpactParams = field(
        default_factory=lambda: ImpactParams(
            eta=2e-4, beta=0.6, gamma=0.15, delta=1.0, kappa=0.3, transient_decay_per_s=0.1
        )
    )
    sigma_daily: float = 0.012
    adv_shares: float = 5_000_000.0
    start_price: float = 100.0
    tick_size: float = 0.01
    # spread in ticks = max(1, round(spread_center_ticks * exp(spread_dispersion * z))), z an AR(1) N(0, 1)
    spread_center_ticks: float = 1.0
    spread_dispersion: float = 0.3
    spread_reversion_per_s: float = 0.05
    # depth: mean shares at level k = touch_size * depth_profile[k - 1], lognormal AR(1) noise
    touch_size: float = 2_000.0
    depth_profile: tuple[float, ...] = DEFAULT_DEPTH_PROFILE
    depth_noise: float = 0.35
    depth_reversion_per_s: float = 0.2
    level_gap_prob: float = 0.0  # chance that the next level is 2 ticks away instead of 1
    # trades: Poisson arrivals on volume_shape; size = lot_size * k, P(k) ~ k^-size_tail_alpha, k <= size_max_lots
    lot_size: int = 100
    size_tail_alpha: float = 3.0
    size_max_lots: int = 50
    sign_persistence: float = 0.75  # P(a trade has the same aggressor side as the previous one)
    volume_shape: UShape = field(default_factory=UShape)
    vol_shape: UShape = field(default_factory=lambda: UShape(1.5, 15.0, 0.5, 20.0))
    # OU order-book imbalance signal I (stationary N(0, 1)), alpha = signal_alpha * sigma_1s * I
    signal_reversion_per_s: float = 0.1
    signal_alpha: float = 0.05
    imbalance_tilt: float = 0.5  # log-size tilt of level 1 per unit of I (bid up, ask down)
    imbalance_tilt_decay: float = 0.8  # tilt at level k = imbalance_tilt * decay^(k - 1)
    # regimes
    volatile_sigma_mult: float = 2.0
    volatile_spread_mult: float = 1.5
    trend_drift_sigmas: float = 1.0  # |mu| over the day, in units of sigma_daily (sign drawn per day)

    def __post_init__(self) -> None:
        if not isinstance(self.impact, ImpactParams):
            raise ValueError(f"MarketParams.impact must be an ImpactParams, got {type(self.impact).__name__}")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float | int) and not math.isfinite(value):
                raise ValueError(f"MarketParams.{f.name} must be finite, got {value!r}")
        positive = (
            "sigma_daily", "adv_shares", "start_price", "tick_size", "spread_reversion_per_s", "touch_size",
            "depth_reversion_per_s", "size_tail_alpha", "signal_reversion_per_s",
            "volatile_sigma_mult", "volatile_spread_mult", "imbalance_tilt_decay",
        )  # fmt: skip
        for name in positive:
            _check(self, name, getattr(self, name) > 0, "> 0")
        for name in ("spread_dispersion", "depth_noise", "signal_alpha", "imbalance_tilt", "trend_drift_sigmas"):
            _check(self, name, getattr(self, name) >= 0, ">= 0")
        _check(self, "spread_center_ticks", self.spread_center_ticks >= 1, ">= 1 tick")
        _check(self, "start_price", self.start_price / self.tick_size >= 100, ">= 100 ticks")
        _check(self, "level_gap_prob", 0 <= self.level_gap_prob <= 1, "in [0, 1]")
        _check(self, "sign_persistence", 0 < self.sign_persistence < 1, "in (0, 1)")
        for name in ("lot_size", "size_max_lots"):
            value = getattr(self, name)
            _check(self, name, isinstance(value, int) and value >= 1, "an int >= 1")
        _check(self, "depth_profile", len(self.depth_profile) == N_LEVELS, f"of length {N_LEVELS}")
        _check(self, "depth_profile", all(math.isfinite(v) and v > 0 for v in self.depth_profile), "all finite and > 0")
        for name in ("volume_shape", "vol_shape"):
            _check(self, name, isinstance(getattr(self, name), UShape), "a UShape")
        alpha_ok = self.alpha_variance_share < 0.5
        _check(self, "signal_alpha", alpha_ok, "small enough that the alpha explains < 50% of variance")

    # ---- derived quantities (the truth a calibrator compares against) ----

    def trade_size_distribution(self) -> tuple[np.ndarray, np.ndarray]:
        """Possible trade sizes (shares) and their probabilities (truncated power law in lots)."""
        k = np.arange(1, self.size_max_lots + 1, dtype=float)
        p = k**-self.size_tail_alpha
        return (k * self.lot_size).astype(np.int64), p / p.sum()

    @property
    def mean_trade_size(self) -> float:
        sizes, probs = self.trade_size_distribution()
        return float(sizes @ probs)

    @property
    def mean_sq_trade_size(self) -> float:
        sizes, probs = self.trade_size_distribution()
        return float((sizes.astype(float) ** 2) @ probs)

    @property
    def expected_trades_per_day(self) -> float:
        return self.adv_shares / self.mean_trade_size

    @property
    def sign_autocorrelation(self) -> float:
        """Correlation of consecutive trade signs (Markov chain: 2 * persistence - 1)."""
        return 2.0 * self.sign_persistence - 1.0

    @property
    def alpha_variance_share(self) -> float:
        """Share of the day's return variance that comes from the OU alpha (the rest is diffusion)."""
        phi = math.exp(-self.signal_reversion_per_s)
        return self.signal_alpha**2 * (1 + phi) / (1 - phi)

    def expected_half_spread_bps(self, spread_mult: float = 1.0) -> float:
        """Half the expected quoted spread, in bps of the start price."""
        return 0.5 * self.expected_spread_ticks(spread_mult) * self.tick_size / self.start_price * 1e4

    def expected_spread_ticks(self, spread_mult: float = 1.0) -> float:
        """E[max(1, round(c * exp(s z)))], z ~ N(0, 1), c = spread_center_ticks * spread_mult."""
        c, s = self.spread_center_ticks * spread_mult, self.spread_dispersion
        if s == 0:
            return float(max(1, math.floor(c + 0.5)))
        expected, k = 1.0, 2
        while True:  # E = 1 + sum_{k >= 2} P(c e^{sz} >= k - 1/2)
            tail = 0.5 * math.erfc(math.log((k - 0.5) / c) / s / math.sqrt(2))
            expected += tail
            if tail < 1e-12 and k > c:
                return expected
            k += 1

    def net_flow_variance_frac_adv(self) -> float:
        """Variance of the day's net signed volume as a fraction of ADV (Poisson count, Markov signs)."""
        rho = self.sign_autocorrelation
        n = self.expected_trades_per_day
        return n * (self.mean_sq_trade_size + 2 * self.mean_trade_size**2 * rho / (1 - rho)) / self.adv_shares**2


def _check(obj: object, name: str, ok: bool, rule: str) -> None:
    if not ok:
        raise ValueError(f"{type(obj).__name__}.{name} must be {rule}, got {getattr(obj, name)!r}")


@dataclass(frozen=True)
class InstrumentSpec:
    """A named instrument of the synthetic market."""

    name: str
    params: MarketParams

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"InstrumentSpec.name must be a non-empty string, got {self.name!r}")
        if not isinstance(self.params, MarketParams):
            raise ValueError(f"InstrumentSpec.params must be a MarketParams, got {type(self.params).__name__}")
