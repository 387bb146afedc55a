"""Closed-form moments of static schedules vs a plain transcription of the dynamics."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.impact import ImpactParams
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies.schedule_costs import (
    diffusion_variance_is_bps2,
    expected_is_bps,
    linear_cost_model,
    remaining_after,
    validate_trades,
    variance_is_bps2,
)
from tests.strategies.reference_sim import schedule_policy, simulate_is_bps

TRANSIENT = ImpactParams(kappa=0.2, transient_decay_per_s=1 / 300)
CASES = {
    "linear": ExecutionProblem(),
    "sqrt_temp": ExecutionProblem(impact=ImpactParams(beta=0.5, eta=0.01)),
    "sqrt_perm": ExecutionProblem(impact=ImpactParams(delta=0.5, gamma=0.01)),
    "transient": ExecutionProblem(impact=TRANSIENT),
    "sell_drift": ExecutionProblem(side=-1, drift_per_day=0.03, n_steps=12, horizon_s=3600),
    "trending": ExecutionProblem(regime="trending", trend_sign=1, impact=TRANSIENT.with_(beta=0.6)),
    "volatile_signal": ExecutionProblem(
        regime="volatile", signal_mean_reversion_per_s=1 / 120, signal_alpha_bps_per_s=0.05
    ),
}


def front_loaded(n: int) -> np.ndarray:
    w = np.linspace(2.0, 0.5, n)
    w[n // 2] = 0.0  # a skipped step exercises zero trades
    return w / w.sum()


@pytest.mark.parametrize("name", sorted(CASES))
def test_mean_is_exact_without_noise(name):
    problem = CASES[name].with_(sigma_daily=0.0, signal_alpha_bps_per_s=0.0)
    for trades in (np.full(problem.n_steps, 1 / problem.n_steps), front_loaded(problem.n_steps)):
        sim = simulate_is_bps(problem, schedule_policy(trades), n_episodes=3, seed=0)
        np.testing.assert_allclose(sim, expected_is_bps(problem, trades), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_mean_and_variance_match_monte_carlo(name):
    problem = CASES[name]
    trades = front_loaded(problem.n_steps)
    n = 40_000
    sim = simulate_is_bps(problem, schedule_policy(trades), n_episodes=n, seed=1)
    mean, var = expected_is_bps(problem, trades), variance_is_bps2(problem, trades)
    assert abs(sim.mean() - mean) < 4 * np.sqrt(var / n)
    # the IS is Gaussian for static schedules: Var of the sample variance is 2 var^2 / (n - 1)
    assert abs(sim.var(ddof=1) - var) < 4 * var * np.sqrt(2 / (n - 1))


def test_linear_cost_model_is_the_same_quadratic():
    for name in ("linear", "transient", "sell_drift", "volatile_signal"):
        problem = CASES[name]
        model = linear_cost_model(problem)
        for u in (np.full(problem.n_steps, 1 / problem.n_steps), front_loaded(problem.n_steps)):
            assert model.mean(u) == pytest.approx(expected_is_bps(problem, u), rel=1e-12)
            assert model.variance(u) == pytest.approx(variance_is_bps2(problem, u), rel=1e-12)


def test_variance_without_signal_is_the_diffusion_sum():
    problem = ExecutionProblem(sigma_daily=0.03, regime="volatile")
    u = front_loaded(problem.n_steps)
    x = remaining_after(u)
    expected = 1e8 * (2 * 0.03) ** 2 * problem.tau_s / 23_400 * (x**2).sum()
    assert diffusion_variance_is_bps2(problem, u) == pytest.approx(expected, rel=1e-12)
    assert variance_is_bps2(problem, u) == pytest.approx(expected, rel=1e-12)


def test_bad_schedules_are_rejected_with_the_rule():
    problem = ExecutionProblem(n_steps=4)
    with pytest.raises(ValueError, match="n_steps=4"):
        validate_trades(problem, np.ones(3) / 3)
    with pytest.raises(ValueError, match="sum to 1"):
        validate_trades(problem, np.full(4, 0.2))
    with pytest.raises(ValueError, match=">= 0"):
        validate_trades(problem, np.array([0.5, -0.1, 0.3, 0.3]))
    with pytest.raises(ValueError, match="switches"):
        expected_is_bps(problem.with_(regime_switch_rate_per_s=0.01), np.full(4, 0.25))
    with pytest.raises(ValueError, match="beta"):
        linear_cost_model(problem.with_(impact=ImpactParams(beta=0.5)))
