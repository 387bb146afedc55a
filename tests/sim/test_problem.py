"""ExecutionProblem: validation, the regime-adjusted view and the signal constants."""

from __future__ import annotations

import math

import pytest

from execution_assets.impact import US_EQUITY_SESSION_SECONDS
from execution_assets.sim.problem import ExecutionProblem


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"signal_alpha_bps_per_s": 0.1}, "signal_mean_reversion_per_s > 0"),
        ({"regime_switch_rate_per_s": -1.0}, "must be >= 0"),
        ({"sigma_daily": float("nan")}, "sigma_daily must be finite"),
        ({"regime": "calm"}, "regime must be one of"),
        ({"side": 0}, "side must be"),
        ({"adv_shares": 0.0}, "adv_shares"),
    ],
)
def test_invalid_problems_are_rejected_with_the_field_named(changes, message):
    with pytest.raises(ValueError, match=message):
        ExecutionProblem(**changes)


def test_regime_adjusted_folds_the_static_regime_into_sigma_and_drift():
    base = ExecutionProblem(sigma_daily=0.02, drift_per_day=0.001, trend_per_day=0.03)
    volatile = base.with_(regime="volatile").regime_adjusted()
    assert volatile.sigma_daily == pytest.approx(0.04) and volatile.drift_per_day == pytest.approx(0.001)
    trending = base.with_(regime="trending", trend_sign=1).regime_adjusted()
    assert trending.sigma_daily == pytest.approx(0.02) and trending.drift_per_day == pytest.approx(0.031)
    assert trending.regime == "normal"
    with pytest.raises(ValueError, match="switches"):
        base.with_(regime_switch_rate_per_s=0.001).regime_adjusted()


def test_signal_constants_integrate_the_ou_drift_over_a_step():
    p = ExecutionProblem(horizon_s=600, n_steps=10, signal_mean_reversion_per_s=1 / 30, signal_alpha_bps_per_s=0.2)
    phi = math.exp(-60 / 30)
    assert p.signal_phi == pytest.approx(phi)
    assert p.signal_drift_per_unit == pytest.approx(0.2e-4 * (1 - phi) * 30)
    assert ExecutionProblem().signal_drift_per_unit == 0.0 and not ExecutionProblem().has_signal
    assert p.sigma_step == pytest.approx(0.02 * math.sqrt(60 / US_EQUITY_SESSION_SECONDS))
