"""VecMarket: hand-computed costs, impact laws, completion, common random numbers, observation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams, participation, permanent_impact, temporary_impact
from execution_assets.sim.observation import OBS_FIELDS, OBS_HIGH, OBS_INDEX, OBS_LOW
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import VecMarket, simulate

QUIET = ExecutionProblem(sigma_daily=0.0)  # linear impact, eta=0.002, gamma=0.05, 5% ADV, 30 x 60 s


def twap_cost_bps(p: ExecutionProblem) -> float:
    """Hand-computed TWAP IS: half spread + eta * participation + gamma * a * (N-1) / (2N)."""
    a, imp = p.size_frac_adv, p.impact
    return p.half_spread_bps + 1e4 * (imp.eta * a * US_EQUITY_SESSION_SECONDS / p.horizon_s + imp.gamma * a * (p.n_steps - 1) / (2 * p.n_steps))


@pytest.mark.parametrize("side", [1, -1])
def test_twap_with_no_volatility_costs_exactly_the_hand_computed_amount(side):
    p = QUIET.with_(side=side)
    out = simulate(p, np.full(p.n_steps, p.total_shares / p.n_steps), 3, seed=0)
    assert twap_cost_bps(p) == pytest.approx(26.083333333333336, rel=1e-15)
    np.testing.assert_allclose(out.is_bps, twap_cost_bps(p), rtol=1e-12)
    # market VWAP is the mean pre-trade mid, which carries only the permanent impact here
    np.testing.assert_allclose(out.vwap_slippage_bps, p.half_spread_bps + 13.0, rtol=1e-12)
    np.testing.assert_array_equal(out.n_child_orders, p.n_steps)
    np.testing.assert_array_equal(out.filled_frac, 1.0)


def test_transient_impact_follows_the_discrete_obizhaeva_wang_recursion():
    imp = ImpactParams(eta=0.002, gamma=0.0, kappa=0.5, transient_decay_per_s=1 / 60)
    p = ExecutionProblem(sigma_daily=0.0, n_steps=3, horizon_s=180, impact=imp)
    u = [0.5, 0.25, 0.25]
    market = VecMarket(p, 2)
    market.reset(0)
    a, r = p.size_frac_adv, math.exp(-1.0)
    j = [0.0, 0.5 * a * u[0] * r]
    j.append((j[1] + 0.5 * a * u[1]) * r)
    expected = 0.0
    for k, uk in enumerate(u):
        np.testing.assert_allclose(market.transient, j[k], rtol=1e-12, atol=1e-18)
        market.step(np.full(2, uk * p.total_shares))
        temp = 0.002 * a * uk * US_EQUITY_SESSION_SECONDS / 60
        expected += uk * (1e-4 + temp + j[k]) * 1e4
    np.testing.assert_allclose(market.is_bps, expected, rtol=1e-12)


def test_power_law_impact_matches_the_shared_impact_model():
    imp = ImpactParams(eta=0.003, beta=0.5, gamma=0.04, delta=0.5)
    p = ExecutionProblem(sigma_daily=0.0, impact=imp, side=-1)
    rng = np.random.default_rng(1)
    trades = rng.dirichlet(np.ones(p.n_steps)) * p.total_shares
    out = simulate(p, trades, 1, seed=0)
    temp = temporary_impact(participation(trades, p.tau_s, p.adv_shares, p.session_seconds), imp)
    perm = np.concatenate([[0.0], np.cumsum(permanent_impact(trades / p.adv_shares, imp))[:-1]])
    expected = 1e4 * np.sum(trades / p.total_shares * (p.half_spread_bps / 1e4 + temp + perm))
    np.testing.assert_allclose(out.is_bps, expected, rtol=1e-12)


def test_bad_shares_are_clipped_counted_and_the_order_still_completes():
    p = ExecutionProblem(n_steps=4, horizon_s=240)
    market = VecMarket(p, 5)
    market.reset(3)
    bad = np.array([np.nan, np.inf, -np.inf, -10.0, 2 * p.total_shares])
    before = market.remaining.copy()
    res = market.step(bad)
    np.testing.assert_array_equal(res.shares, [0.0, before[1], 0.0, 0.0, before[4]])
    np.testing.assert_array_equal(market.invalid_actions, [1, 0, 0, 0, 0])
    for _ in range(3):
        before = market.remaining.copy()
        res = market.step_fraction(np.array([np.nan, 0.5, 2.0, -1.0, np.inf]))
        assert np.all(res.shares <= before) and np.all(res.shares >= 0)
    np.testing.assert_array_equal(market.remaining, 0.0)
    np.testing.assert_array_equal(market.invalid_actions, [4, 0, 0, 0, 0])
    assert np.all(np.isfinite(market.is_bps))
    with pytest.raises(RuntimeError, match="episodes are over"):
        market.step(np.zeros(5))


def test_mark_to_market_costs_sum_to_the_shortfall():
    p = ExecutionProblem(
        impact=ImpactParams(kappa=0.2, transient_decay_per_s=1 / 120),
        signal_mean_reversion_per_s=1 / 60,
        signal_alpha_bps_per_s=0.1,
        side=-1,
    )
    market = VecMarket(p, 64, mark_to_market=True)
    market.reset(5)
    total = np.zeros(64)
    rng = np.random.default_rng(0)
    while not market.done:
        total += market.step_fraction(rng.random(64)).mtm_cost_bps
    np.testing.assert_allclose(total, market.is_bps, rtol=1e-10, atol=1e-10)


def test_twap_variance_and_risk_penalty_match_the_diffusion_formula():
    p = ExecutionProblem(risk_aversion=0.01)
    n = 20_000
    out = simulate(p, np.full(p.n_steps, p.total_shares / p.n_steps), n, seed=7)
    x_after = 1 - np.arange(1, p.n_steps + 1) / p.n_steps
    var = 1e8 * p.sigma_step**2 * np.sum(x_after**2)
    np.testing.assert_allclose(out.risk_penalty_bps, p.risk_aversion * var, rtol=1e-12)
    assert abs(out.is_bps.var(ddof=1) / var - 1) < 4 * math.sqrt(2 / n)
    assert abs(out.is_bps.mean() - twap_cost_bps(p)) < 4 * math.sqrt(var / n)


def test_common_random_numbers_give_every_policy_the_same_unaffected_path():
    p = ExecutionProblem(signal_mean_reversion_per_s=0.01, signal_alpha_bps_per_s=0.2, regime_switch_rate_per_s=1 / 600)
    a, b = VecMarket(p, 32), VecMarket(p, 32)
    a.reset(42)
    b.reset(42)
    rng = np.random.default_rng(0)
    while not a.done:
        a.step_fraction(rng.random(32))
        b.step_fraction(np.full(32, 1.0 / (p.n_steps - b.k)))
        np.testing.assert_array_equal(a.unaffected_return, b.unaffected_return)
        np.testing.assert_array_equal(a.signal, b.signal)
        impact_gap = (a.permanent + a.transient) - (b.permanent + b.transient)
        np.testing.assert_allclose(a.mid - b.mid, p.side * p.arrival_price * impact_gap, atol=1e-9)
    np.testing.assert_array_equal(a.path.regime, b.path.regime)


def test_observation_fields_at_the_start_and_after_a_step():
    p = ExecutionProblem(risk_aversion=0.001, half_spread_bps=2.0, size_frac_adv=0.1)
    market = VecMarket(p, 4)
    market.reset(0)
    obs = market.observe()
    assert obs.shape == (4, len(OBS_FIELDS)) and obs.dtype == np.float32
    col = {name: obs[:, i] for name, i in OBS_INDEX.items()}
    np.testing.assert_array_equal(col["remaining_frac"], 1.0)
    np.testing.assert_array_equal(col["time_frac"], 0.0)
    np.testing.assert_array_equal(col["volatility"], 1.0)
    np.testing.assert_allclose(col["twap_fraction"], 1 / 30)
    np.testing.assert_allclose(col["spread"], 0.4)
    np.testing.assert_allclose(col["size"], 1.0)
    sigma_h_bps = 0.02 * math.sqrt(1800 / US_EQUITY_SESSION_SECONDS) * 1e4
    np.testing.assert_allclose(col["sigma"], sigma_h_bps / 100, rtol=1e-6)
    np.testing.assert_allclose(col["risk_aversion"], 0.001 * sigma_h_bps**2 / 100, rtol=1e-6)
    res = market.step_fraction(np.full(4, 0.5))
    obs = market.observe()
    col = {name: obs[:, i] for name, i in OBS_INDEX.items()}
    np.testing.assert_allclose(col["remaining_frac"], 0.5)
    np.testing.assert_allclose(col["participation"], 0.5 * 0.1 * US_EQUITY_SESSION_SECONDS / 60 / 10, rtol=1e-6)
    np.testing.assert_allclose(col["last_fill"], res.fill_return * 100, rtol=1e-6)
    mid_move = (market.mid / p.arrival_price - 1) * 1e4 / 100
    np.testing.assert_allclose(col["price_move"], mid_move, rtol=1e-5)
    assert np.all((obs >= OBS_LOW) & (obs <= OBS_HIGH))


def test_observations_are_clipped_into_their_bounds():
    p = ExecutionProblem(sigma_daily=0.0001, drift_per_day=10.0, n_steps=5, horizon_s=300)  # absurd trend
    market = VecMarket(p, 3)
    market.reset(0)
    while not market.done:
        market.step_fraction(np.zeros(3))
        obs = market.observe()
        assert np.all((obs >= OBS_LOW) & (obs <= OBS_HIGH))
    assert obs[0, OBS_INDEX["momentum"]] == 10.0 and obs[0, OBS_INDEX["price_move"]] == 10.0


def test_callable_policies_see_the_market_and_paths_can_be_injected():
    p = ExecutionProblem(n_steps=6, horizon_s=360)
    seen = []

    def policy(market):
        seen.append(market.k)
        return market.remaining / (market.n_steps - market.k)

    out = simulate(p, policy, 8, seed=1)
    assert seen == list(range(6))
    twap = simulate(p, np.full(6, p.total_shares / 6), 8, seed=1)
    np.testing.assert_allclose(out.is_bps, twap.is_bps, rtol=1e-12)
    market = VecMarket(p, 8)
    market.reset(1)
    replayed = simulate(p, np.full(6, p.total_shares / 6), 8, seed=None, path=market.path)
    np.testing.assert_allclose(replayed.is_bps, twap.is_bps, rtol=1e-12)
    with pytest.raises(ValueError, match="does not fit"):
        VecMarket(p, 4).reset(path=market.path)
    with pytest.raises(RuntimeError, match="call reset"):
        VecMarket(p, 4).step(np.zeros(4))
