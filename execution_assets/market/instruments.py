"""Built-in synthetic instruments: a liquid large cap and an illiquid small cap.

The default instruments have permanent and transient impact of a realistic size relative to
temporary impact (permanent ~1.5-2 bps per 1% of ADV). That keeps the discrete execution problem
well posed: with the Almgren-Chriss timing a child order does not pay its own permanent or
transient impact, so when those dwarf the temporary impact (eta_tilde = eta - gamma tau / 2 < 0)
the optimum degenerates into block trades. At this size, however, a few weeks of 1-second flow
pin gamma and kappa down only loosely (the calibration reports wide intervals).

``CALIBRATION_TEST_BEDS`` are the same markets with permanent and transient impact 10x larger:
there the market's own flow explains 1-3% of return variance, so 20 simulated days identify every
impact parameter; the calibration acceptance tests recover their truth.
"""

from __future__ import annotations

import dataclasses

from execution_assets.impact import ImpactParams
from execution_assets.market.synthetic.params import InstrumentSpec, MarketParams, UShape

SYNTH_LIQ = InstrumentSpec(
    "SYNTH_LIQ",
    MarketParams(
        impact=ImpactParams(eta=2e-4, beta=0.6, gamma=0.015, delta=1.0, kappa=0.03, transient_decay_per_s=0.1),
        sigma_daily=0.012,
        adv_shares=5_000_000.0,
        start_price=100.0,
        tick_size=0.01,
        spread_center_ticks=1.0,  # mostly 1 tick (1 bp), sometimes 2
        spread_dispersion=0.3,
        touch_size=2_000.0,
        level_gap_prob=0.0,
        sign_persistence=0.75,
        volume_shape=UShape(open_boost=2.0, open_decay_min=20.0, close_boost=1.5, close_decay_min=15.0),
        vol_shape=UShape(open_boost=1.5, open_decay_min=15.0, close_boost=0.5, close_decay_min=20.0),
        signal_reversion_per_s=0.1,
        signal_alpha=0.05,
    ),
)

SYNTH_ILQ = InstrumentSpec(
    "SYNTH_ILQ",
    MarketParams(
        impact=ImpactParams(eta=4e-4, beta=0.5, gamma=0.02, delta=1.0, kappa=0.03, transient_decay_per_s=0.08),
        sigma_daily=0.025,
        adv_shares=300_000.0,
        start_price=25.0,
        tick_size=0.01,
        spread_center_ticks=4.0,  # ~4 ticks (16 bp)
        spread_dispersion=0.35,
        touch_size=300.0,
        level_gap_prob=0.3,
        sign_persistence=0.7,
        volume_shape=UShape(open_boost=2.5, open_decay_min=25.0, close_boost=2.0, close_decay_min=15.0),
        vol_shape=UShape(open_boost=2.0, open_decay_min=20.0, close_boost=0.7, close_decay_min=20.0),
        signal_reversion_per_s=0.05,
        signal_alpha=0.04,
    ),
)

DEFAULT_INSTRUMENTS: dict[str, InstrumentSpec] = {spec.name: spec for spec in (SYNTH_LIQ, SYNTH_ILQ)}


def _with_strong_impact(spec: InstrumentSpec, gamma: float, kappa: float) -> InstrumentSpec:
    impact = dataclasses.replace(spec.params.impact, gamma=gamma, kappa=kappa)
    return InstrumentSpec(f"{spec.name}_HI", dataclasses.replace(spec.params, impact=impact))


CALIBRATION_TEST_BEDS: dict[str, InstrumentSpec] = {
    spec.name: spec
    for spec in (_with_strong_impact(SYNTH_LIQ, gamma=0.15, kappa=0.3), _with_strong_impact(SYNTH_ILQ, gamma=0.1, kappa=0.2))
}


def get_instrument(name: str) -> InstrumentSpec:
    """The built-in instrument called ``name``."""
    try:
        return DEFAULT_INSTRUMENTS[name]
    except KeyError:
        raise ValueError(
            f"unknown synthetic instrument {name!r}; known instruments: {', '.join(DEFAULT_INSTRUMENTS)}"
        ) from None
