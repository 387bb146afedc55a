"""The regime filter behind the ``trend`` observation and the observable oracle's posterior."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from execution_assets.sim.observation import OBS_INDEX
from execution_assets.sim.problem import REGIME_VOL_MULTIPLIER, ExecutionProblem
from execution_assets.sim.regime_filter import RegimeFilter, hypotheses
from execution_assets.sim.vec_market import VecMarket

DAY = ExecutionProblem(horizon_s=23_400.0, n_steps=60, trend_per_day=0.02, risk_aversion=1e-4)
TREND, VOLATILE = OBS_INDEX["trend_belief"], OBS_INDEX["volatile_belief"]


def test_posterior_from_sums_is_the_step_by_step_bayes_update():
    f = RegimeFilter(DAY)
    rng = np.random.default_rng(0)
    residuals = rng.normal(0.0, 2 * DAY.sigma_step, size=(25, 3))
    hyps = hypotheses(DAY)
    step = DAY.tau_s / DAY.session_seconds
    brute = np.array([[h.prior for h in hyps]] * 3).T
    for r in residuals:
        for i, h in enumerate(hyps):
            mean = DAY.with_(trend_sign=h.trend_sign).regime_drift_per_day(h.regime) * step
            brute[i] *= norm.pdf(r, mean, DAY.sigma_step * REGIME_VOL_MULTIPLIER[h.regime])
    brute /= brute.sum(axis=0)
    got = f.posterior(residuals.sum(axis=0), (residuals**2).sum(axis=0), len(residuals))
    np.testing.assert_allclose(got, brute, rtol=1e-9)


@pytest.mark.parametrize("side", [1, -1])
@pytest.mark.parametrize("drift_per_day", [0.0, 0.01])
def test_closed_form_beliefs_equal_the_general_posterior_means(side, drift_per_day):
    problem = DAY.with_(side=side, drift_per_day=drift_per_day)
    f = RegimeFilter(problem)
    assert f._closed_form is not None
    rng = np.random.default_rng(1)
    n = 400
    scale = problem.sigma_step * rng.choice([1.0, 2.0], size=n)
    shift = side * rng.choice([-3, 0, 3], size=n) * f.trend_step
    residuals = rng.normal(0.0, scale, size=(59, n)) + shift
    fast, general = np.empty((2, n)), np.empty((2, n))
    for k in (0, 1, 20, 59):
        s1, s2 = residuals[:k].sum(axis=0), (residuals[:k] ** 2).sum(axis=0)
        f.beliefs(s1, s2, k, fast)
        post = f.posterior(s1, s2, k)
        general[0] = (post * f._trend_units).sum(axis=0)
        general[1] = (post * f._volatile).sum(axis=0)
        np.testing.assert_allclose(fast, general, rtol=0, atol=1e-12)
    # a trend of 500 sigmas a day leaves floating point in the closed form: the general posterior answers
    absurd = RegimeFilter(problem.with_(trend_per_day=10.0, sigma_daily=0.02 / 500))
    k, r = 59, absurd.trend_step  # every residual exactly the trend against the order
    out = np.empty((2, 1))
    assert not absurd._closed_form_beliefs(np.array([k * r]), np.array([k * r * r]), k, out)
    absurd.beliefs(np.array([k * r]), np.array([k * r * r]), k, out)
    np.testing.assert_allclose(out[:, 0], [1.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("side", [1, -1])
def test_trend_belief_finds_a_trend_against_the_order_and_mirrors_with_the_side(side):
    """A whole day drifting up at six times the trend's rate (no noise): all but surely adverse
    for a buy, favourable for a sell; before anything is seen, the prior's mean, 0. (At twice
    the trend's rate the likelihood ratio over a day is only e^1.5: a trend is slow to detect.)"""
    problem = DAY.with_(side=side)
    f = RegimeFilter(problem)
    k = problem.n_steps
    r = side * np.full(k, 6 * f.trend_step)  # side-signed residuals of an up-move
    out = np.empty((2, 1))
    f.beliefs(np.zeros(1), np.zeros(1), 0, out)
    assert out[0, 0] == pytest.approx(0.0, abs=1e-12) and out[1, 0] == pytest.approx(1 / 3)
    f.beliefs(np.array([r.sum()]), np.array([(r**2).sum()]), k, out)
    assert side * out[0, 0] > 0.99 and out[1, 0] < 0.01


def _last_observation(problem: ExecutionProblem, n: int, seed: int) -> np.ndarray:
    market = VecMarket(problem, n)
    market.reset(seed)
    while market.k < market.n_steps - 1:
        market.step_fraction(0.0)
    return market, market.observe()


def test_beliefs_infer_the_volatility_without_a_trend_and_never_read_the_regime_label():
    _, obs = _last_observation(DAY.with_(trend_per_day=0.0, regime="volatile", regime_hidden=True), 500, 3)
    assert not obs[:, TREND].any() and np.mean(obs[:, VOLATILE] > 0.9) > 0.95
    # a stated regime is the scenario's premise, not something to infer: both fields stay 0,
    # whatever the regime (the label itself is never an observation)
    for regime in ("normal", "volatile", "trending"):
        _, stated = _last_observation(DAY.with_(regime=regime), 200, 3)
        assert not stated[:, [TREND, VOLATILE]].any()


def test_beliefs_lean_the_true_way_on_simulated_days():
    market, obs = _last_observation(DAY.with_(regime="trending", regime_hidden=True), 2000, 5)
    assert np.all(np.abs(obs[:, TREND]) <= 1.0)
    # the trend's direction is drawn per episode: by the day's end the belief leans its way in most
    against = market.path.trend_sign * market.side
    assert np.mean(np.sign(obs[:, TREND]) == against) > 0.8
    # a volatile day (twice the volatility) is told from a normal one in nearly every episode
    _, volatile = _last_observation(DAY.with_(regime="volatile", regime_hidden=True), 2000, 6)
    _, normal = _last_observation(DAY.with_(regime="normal", regime_hidden=True), 2000, 6)
    assert np.mean(volatile[:, VOLATILE] > 0.9) > 0.95 and np.mean(normal[:, VOLATILE] < 0.1) > 0.95
