"""The action-independent paths: normals, streams, regimes, signal, replay."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.impact import US_EQUITY_SESSION_SECONDS
from execution_assets.sim.market_path import (
    draw_path,
    draw_shocks,
    fill_normals,
    parametric_path,
    trend_signs,
    regime_counter,
    replay_path,
    stream,
    switch_probability,
)
from execution_assets.sim.problem import REGIMES, ExecutionProblem


def test_fill_normals_are_standard_normal_and_reproducible():
    z = fill_normals(stream(3, "price"), np.empty(400_000, dtype=np.float32)).astype(float)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    assert abs((np.abs(z) > 1.96).mean() - 0.05) < 0.002
    assert abs(((z**4).mean()) - 3.0) < 0.06  # kurtosis of the normal law
    assert np.abs(z).max() < 6.8
    again = fill_normals(stream(3, "price"), np.empty(7, dtype=np.float32))
    np.testing.assert_array_equal(again, fill_normals(stream(3, "price"), np.empty(7, dtype=np.float32)))


def test_streams_are_independent_of_which_components_are_drawn():
    plain = draw_shocks(30, 64, 11)
    full = draw_shocks(30, 64, 11, signal=True, regime=True, start=True)
    np.testing.assert_array_equal(plain.price, full.price)
    assert not np.array_equal(full.price[1:], full.signal[1:-1])
    assert not np.array_equal(draw_shocks(30, 64, 12).price, plain.price)
    np.testing.assert_array_equal(draw_shocks(30, 64, [5, 1]).price, draw_shocks(30, 64, [5, 1]).price)


def test_volatile_doubles_the_step_volatility_and_trending_adds_its_drift():
    base = ExecutionProblem(sigma_daily=0.02, trend_per_day=0.05, trend_sign=-1)
    shocks = draw_shocks(base.n_steps, 4000, 1)
    rets = {r: np.diff(parametric_path(base.with_(regime=r), shocks).unaffected, axis=0) for r in REGIMES}
    np.testing.assert_allclose(rets["volatile"], 2 * rets["normal"], rtol=1e-12)
    drift = 0.05 * base.tau_s / US_EQUITY_SESSION_SECONDS
    np.testing.assert_allclose(rets["trending"] - rets["normal"], -drift, rtol=1e-9)
    assert abs(rets["normal"].std() / base.sigma_step - 1) < 0.01


def test_a_drawn_trend_goes_either_way_per_episode_from_its_own_stream():
    trending = ExecutionProblem(sigma_daily=0.02, trend_per_day=0.05, regime="trending")  # trend_sign 0: drawn
    path = draw_path(trending, 4000, 1)
    normal = draw_path(trending.with_(regime="normal"), 4000, 1)
    assert normal.trend_sign is None  # a normal episode never trends: nothing to draw
    np.testing.assert_array_equal(np.unique(path.trend_sign), [-1.0, 1.0])
    assert path.trend_sign.sum() == 0  # stratified: half of the batch each way
    drift = 0.05 * trending.tau_s / US_EQUITY_SESSION_SECONDS
    expected = np.broadcast_to(drift * path.trend_sign, (trending.n_steps, 4000))
    np.testing.assert_allclose(np.diff(path.unaffected - normal.unaffected, axis=0), expected, atol=1e-15)
    # the price shocks are the same with or without the trend (own stream), and the draw repeats
    np.testing.assert_array_equal(draw_path(trending, 4000, 1).trend_sign, path.trend_sign)
    with pytest.raises(ValueError, match="drawn per episode"):
        trending.regime_adjusted()


def test_regime_chain_switches_at_its_hazard_rate_to_either_other_regime():
    p = ExecutionProblem(regime="volatile", regime_switch_rate_per_s=1 / 600, n_steps=30, horizon_s=1800)
    words = draw_shocks(p.n_steps, 20_000, 2, regime=True).regime
    regime = regime_counter(p, words) % len(REGIMES)
    assert np.all(regime[0] == REGIMES.index("volatile"))
    switched = regime[1:] != regime[:-1]
    prob = switch_probability(p)
    assert abs(switched.mean() - prob) < 4 * np.sqrt(prob / switched.size)
    first = regime[1][switched[0]]
    assert abs((first == REGIMES.index("normal")).mean() - 0.5) < 0.05  # from volatile: normal or trending
    path = parametric_path(p, draw_shocks(p.n_steps, 20_000, 2, regime=True, trend=True))
    np.testing.assert_array_equal(path.regime, regime)
    vol_mult = np.sqrt(path.step_var) / p.sigma_step
    np.testing.assert_allclose(vol_mult, np.where(regime == REGIMES.index("volatile"), 2.0, 1.0), rtol=1e-12)


def test_signal_is_a_stationary_ou_that_predicts_the_next_return():
    p = ExecutionProblem(signal_mean_reversion_per_s=1 / 120, signal_alpha_bps_per_s=0.5, sigma_daily=0.01)
    path = draw_path(p, 20_000, 4)
    signal = path.signal
    assert abs(signal.std() - 1.0) < 0.02
    lag1 = np.corrcoef(signal[1:].ravel(), signal[:-1].ravel())[0, 1]
    assert abs(lag1 - p.signal_phi) < 0.01
    rets = np.diff(path.unaffected, axis=0).ravel()
    slope = np.polyfit(signal[:-1].ravel(), rets, 1)[0]
    se = p.sigma_step / np.sqrt(rets.size)
    assert abs(slope - p.signal_drift_per_unit) < 4 * se


def test_parametric_path_into_buffers_equals_a_fresh_one():
    p = ExecutionProblem(signal_mean_reversion_per_s=0.01, signal_alpha_bps_per_s=0.1, regime_switch_rate_per_s=0.001)
    shocks = draw_shocks(p.n_steps, 16, 9, signal=True, regime=True, trend=True)
    fresh = parametric_path(p, shocks)
    reused = parametric_path(p, draw_shocks(p.n_steps, 16, 9, signal=True, regime=True, trend=True), out=fresh)
    again = parametric_path(p, shocks)
    assert reused.unaffected is fresh.unaffected
    for name in ("unaffected", "signal", "step_var", "regime"):
        np.testing.assert_array_equal(getattr(reused, name), getattr(again, name))
    with pytest.raises(ValueError, match="shocks.signal was not drawn"):
        parametric_path(p, draw_shocks(p.n_steps, 16, 9, regime=True))


def test_replay_walks_the_recorded_mids_from_drawn_starts():
    p = ExecutionProblem(horizon_s=300, n_steps=5)
    mid = 100.0 + 0.01 * np.arange(2_000)
    path = draw_path(p, 50, 3, replay_mid=mid)
    starts = np.rint((path.arrival_price - 100.0) / 0.01).astype(int)
    expected = mid[starts[None, :] + 60 * np.arange(6)[:, None]] / mid[starts] - 1
    np.testing.assert_allclose(path.unaffected, expected, rtol=1e-12)
    assert path.signal is None and path.regime is None
    assert starts.min() >= 0 and starts.max() + 300 < mid.size
    with pytest.raises(ValueError, match="whole number of seconds"):
        replay_path(p.with_(horizon_s=301), mid, draw_shocks(5, 2, 0, start=True))
    with pytest.raises(ValueError, match="horizon needs 301"):
        draw_path(p, 2, 0, replay_mid=mid[:300])
    with pytest.raises(ValueError, match="second 7"):
        draw_path(p, 2, 0, replay_mid=np.where(np.arange(2_000) == 7, np.nan, mid))


def test_trend_directions_are_stratified_yet_each_episode_is_a_fair_coin():
    firsts = np.array([trend_signs(seed, 7)[0] for seed in range(2000)])
    assert abs(firsts.mean()) < 4 / np.sqrt(2000)  # each episode: up or down with probability 1/2
    for seed in range(20):
        assert abs(trend_signs(seed, 7).sum()) == 1 and trend_signs(seed, 200).sum() == 0
    assert not np.array_equal(trend_signs(1, 200), trend_signs(2, 200))  # the order is random
    np.testing.assert_array_equal(trend_signs(3, 200), trend_signs(3, 200))
