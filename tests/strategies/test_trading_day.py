"""A trading day longer than 23,400 s (CME Globex, 82,800 s): the same market per second on a
longer day, with ADV, sigma_daily and the daily drifts restated per that day, costs the same
under the simulator, the closed forms, the strategies and the oracle; closed forms still match
simulation on the long day."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams, participation
from execution_assets.sim.observation import context_fields, participation_scale
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import CostConstants, simulate
from execution_assets.strategies import AlmgrenChriss, ObizhaevaWang, Oracle, TWAP
from execution_assets.strategies.runner import run_strategy
from execution_assets.strategies.schedule_costs import expected_is_bps, variance_is_bps2
from tests.strategies.reference_sim import schedule_policy, simulate_is_bps

GLOBEX = 82_800.0
EQUITY = ExecutionProblem(
    size_frac_adv=0.05, horizon_s=1800.0, n_steps=30, sigma_daily=0.02, drift_per_day=0.01, risk_aversion=0.01,
    impact=ImpactParams(eta=0.002, gamma=0.05, kappa=0.3, transient_decay_per_s=0.01),
    signal_mean_reversion_per_s=0.1, signal_alpha_bps_per_s=0.05, regime="trending", trend_sign=1,
)  # fmt: skip


def on_a_day_of(problem: ExecutionProblem, day: float) -> ExecutionProblem:
    """The same market per second and the same order in shares, stated per a day of ``day`` s:
    ADV r times larger (the same volume rate), the order r times smaller a fraction of it, sigma
    sqrt(r) and the drifts r times larger per day, gamma and kappa per r-times-larger ADV."""
    r = day / problem.session_seconds
    imp = problem.impact
    return problem.with_(
        session_seconds=day,
        adv_shares=problem.adv_shares * r,
        size_frac_adv=problem.size_frac_adv / r,
        sigma_daily=problem.sigma_daily * np.sqrt(r),
        drift_per_day=problem.drift_per_day * r,
        trend_per_day=problem.trend_per_day * r,
        impact=imp.with_(gamma=imp.gamma * r**imp.delta, kappa=imp.kappa * r),
    )


LONG = on_a_day_of(EQUITY, GLOBEX)


def front_loaded(n: int) -> np.ndarray:
    w = np.linspace(2.0, 0.5, n)
    return w / w.sum()


def test_the_problem_carries_its_trading_day():
    assert EQUITY.session_seconds == US_EQUITY_SESSION_SECONDS and LONG.session_seconds == GLOBEX
    assert LONG.total_shares == pytest.approx(EQUITY.total_shares, rel=1e-12)
    assert LONG.sigma_step == pytest.approx(EQUITY.sigma_step, rel=1e-12)  # per step, not per day
    with pytest.raises(ValueError, match="session_seconds"):
        ExecutionProblem(session_seconds=0.0)


def test_participation_is_against_adv_over_the_trading_day():
    shares = np.array([1_000.0, -2_500.0])
    np.testing.assert_allclose(participation(shares, 60.0, 3e6, GLOBEX), shares / 60.0 / (3e6 / GLOBEX), rtol=1e-15)
    # the same volume rate per second (ADV / day) gives the same participation on either day
    np.testing.assert_allclose(
        participation(shares, 60.0, LONG.adv_shares, GLOBEX),
        participation(shares, 60.0, EQUITY.adv_shares, US_EQUITY_SESSION_SECONDS),
        rtol=1e-12,
    )
    short, long = CostConstants.of(EQUITY), CostConstants.of(LONG)
    for name in ("temp_coef", "perm_coef", "trans_coef", "decay", "risk_scale", "total_shares"):
        assert getattr(long, name) == pytest.approx(getattr(short, name), rel=1e-12), name
    np.testing.assert_allclose(participation_scale(LONG), participation_scale(EQUITY), rtol=1e-12)
    # the episode's context: sigma over the horizon and risk aversion match; size is a share of a larger ADV
    short_ctx, long_ctx = context_fields(EQUITY), context_fields(LONG)
    assert long_ctx["sigma"] == pytest.approx(short_ctx["sigma"], rel=1e-12)
    assert long_ctx["risk_aversion"] == pytest.approx(short_ctx["risk_aversion"], rel=1e-12)
    assert long_ctx["size"] == pytest.approx(short_ctx["size"] * US_EQUITY_SESSION_SECONDS / GLOBEX, rel=1e-12)


@pytest.mark.parametrize("switching", [False, True])
def test_simulated_costs_are_the_same_on_either_day(switching):
    short, long = (p.with_(regime_switch_rate_per_s=1 / 600 if switching else 0.0) for p in (EQUITY, LONG))
    trades = front_loaded(short.n_steps)
    a = simulate(short, trades * short.total_shares, 200, seed=7)
    b = simulate(long, trades * long.total_shares, 200, seed=7)
    np.testing.assert_allclose(b.is_bps, a.is_bps, rtol=1e-9, atol=1e-9)


def test_closed_forms_and_strategies_are_the_same_on_either_day():
    trades = front_loaded(EQUITY.n_steps)
    assert expected_is_bps(LONG, trades) == pytest.approx(expected_is_bps(EQUITY, trades), rel=1e-10)
    assert variance_is_bps2(LONG, trades) == pytest.approx(variance_is_bps2(EQUITY, trades), rel=1e-10)
    for strategy in (TWAP(), AlmgrenChriss(), ObizhaevaWang(), Oracle()):
        a = run_strategy(strategy, EQUITY, 100, seed=3)
        b = run_strategy(strategy, LONG, 100, seed=3)
        np.testing.assert_allclose(b.is_bps, a.is_bps, rtol=1e-7, atol=1e-7, err_msg=strategy.name)


def test_closed_forms_match_simulation_on_the_long_day():
    trades = front_loaded(LONG.n_steps)
    quiet = LONG.with_(sigma_daily=0.0, signal_alpha_bps_per_s=0.0)
    sim = simulate(quiet, trades * quiet.total_shares, 3, seed=0).is_bps
    np.testing.assert_allclose(sim, expected_is_bps(quiet, trades), rtol=1e-12)
    np.testing.assert_allclose(simulate_is_bps(quiet, schedule_policy(trades), 3, seed=0), expected_is_bps(quiet, trades), rtol=1e-12)
    n = 40_000
    sim = simulate(LONG, trades * LONG.total_shares, n, seed=1).is_bps
    mean, var = expected_is_bps(LONG, trades), variance_is_bps2(LONG, trades)
    assert abs(sim.mean() - mean) < 4 * np.sqrt(var / n)
    assert abs(sim.var(ddof=1) - var) < 4 * var * np.sqrt(2 / (n - 1))
