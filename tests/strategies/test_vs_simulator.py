"""Closed forms and strategies against the production simulator (``sim.vec_market``)."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.impact import ImpactParams
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import VecMarket
from execution_assets.strategies import POV, TWAP, VWAP, AlmgrenChriss, ObizhaevaWang, Oracle
from execution_assets.strategies.almgren_chriss import (
    ac_expected_cost,
    ac_params_from_problem,
    ac_variance,
    dollars2_to_bps2,
    dollars_to_bps,
)
from execution_assets.strategies.lq_oracle import solve_lq
from execution_assets.strategies.runner import run_strategy
from execution_assets.strategies.schedule_costs import expected_is_bps, variance_is_bps2
from tests.strategies.reference_sim import simulate_is_bps, strategy_policy

TRANSIENT = ImpactParams(kappa=0.2, transient_decay_per_s=1 / 300)
SIGNAL = dict(signal_mean_reversion_per_s=1 / 300, signal_alpha_bps_per_s=0.05)
N_MC = 20_000


def run_planned(strategy, plan: ExecutionProblem, market_problem: ExecutionProblem, n: int, seed: int):
    """Strategy planned for ``plan``, executed in a market for ``market_problem``."""
    market = VecMarket(market_problem, n)
    market.reset(seed)
    strategy.reset(plan, n)
    while not market.done:
        market.step_fraction(strategy.act(market.observe()))
    return market.summary()


@pytest.mark.parametrize("risk_aversion", [0.0, 0.05, 0.5])
def test_noiseless_twap_and_ac_equal_closed_forms(risk_aversion):
    plan = ExecutionProblem(risk_aversion=risk_aversion, sigma_daily=0.03)
    quiet = plan.with_(sigma_daily=0.0)
    for strategy in (TWAP(), AlmgrenChriss()):
        out = run_planned(strategy, plan, quiet, 5, seed=1)
        closed = expected_is_bps(quiet, strategy.trades)
        np.testing.assert_allclose(out.is_bps, closed, rtol=1e-9)
    # the paper's E in $, through the unit bridge
    e_ac = dollars_to_bps(ac_expected_cost(ac_params_from_problem(plan)), plan)
    np.testing.assert_allclose(out.is_bps, e_ac, rtol=1e-9)


@pytest.mark.parametrize(
    "impact",
    [ImpactParams(beta=0.5, eta=0.01), ImpactParams(delta=0.5, gamma=0.01), TRANSIENT, TRANSIENT.with_(beta=0.5)],
    ids=["sqrt_temp", "sqrt_perm", "transient", "transient_sqrt"],
)
def test_noiseless_closed_forms_for_nonlinear_and_transient_impact(impact):
    problem = ExecutionProblem(impact=impact, sigma_daily=0.0, side=-1, drift_per_day=0.01, risk_aversion=0.1)
    for strategy in (TWAP(), ObizhaevaWang(), POV(0.2)):
        out = run_strategy(strategy, problem, 3, seed=2)
        np.testing.assert_allclose(out.is_bps, expected_is_bps(problem, strategy.trades), rtol=1e-9)


@pytest.mark.parametrize(
    "problem",
    [
        ExecutionProblem(risk_aversion=0.1),
        ExecutionProblem(risk_aversion=0.1, regime="volatile", side=-1),
        ExecutionProblem(regime="trending", trend_sign=-1, impact=TRANSIENT.with_(beta=0.5)),
        ExecutionProblem(risk_aversion=0.05, **SIGNAL),
    ],
    ids=["linear", "volatile_sell", "trending_transient_sqrt", "signal"],
)
def test_simulated_moments_match_closed_forms(problem):
    for strategy in (TWAP(), AlmgrenChriss()):
        out = run_strategy(strategy, problem, N_MC, seed=3)
        mean, var = expected_is_bps(problem, strategy.trades), variance_is_bps2(problem, strategy.trades)
        assert abs(out.is_bps.mean() - mean) < 3 * np.sqrt(var / N_MC)
        assert abs(out.is_bps.var(ddof=1) - var) < 3 * var * np.sqrt(2 / (N_MC - 1))


def test_simulated_ac_matches_the_papers_e_and_v():
    problem = ExecutionProblem(risk_aversion=0.2, sigma_daily=0.03)
    p = ac_params_from_problem(problem)
    out = run_strategy(AlmgrenChriss(), problem, N_MC, seed=4)
    mean, var = dollars_to_bps(ac_expected_cost(p), problem), dollars2_to_bps2(ac_variance(p), problem)
    assert abs(out.is_bps.mean() - mean) < 3 * np.sqrt(var / N_MC)
    assert abs(out.is_bps.var(ddof=1) - var) < 3 * var * np.sqrt(2 / (N_MC - 1))


def test_production_and_reference_simulators_agree_on_the_oracle():
    """Same dynamics, independent code: the oracle's mean IS agrees within Monte Carlo error."""
    problem = ExecutionProblem(risk_aversion=0.05, impact=TRANSIENT, **SIGNAL)
    prod = run_strategy(Oracle(), problem, N_MC, seed=5)
    ref = simulate_is_bps(problem, strategy_policy(Oracle(), problem, N_MC), N_MC, seed=5)
    se = np.sqrt(prod.is_bps.var() / N_MC + ref.var() / N_MC)
    assert abs(prod.is_bps.mean() - ref.mean()) < 3 * se
    objective = prod.is_bps + prod.risk_penalty_bps
    value = solve_lq(problem).unconstrained_value()
    assert abs(objective.mean() - value) < 3 * objective.std() / np.sqrt(N_MC)


def test_risk_neutral_ac_is_twap_in_the_simulator():
    problem = ExecutionProblem(risk_aversion=0.0, sigma_daily=0.03)
    twap = run_strategy(TWAP(), problem, 2_000, seed=6)
    ac = run_strategy(AlmgrenChriss(), problem, 2_000, seed=6)
    np.testing.assert_allclose(ac.is_bps, twap.is_bps, rtol=1e-12, atol=1e-12)


def test_no_static_strategy_beats_twap_when_risk_neutral_and_linear():
    problem = ExecutionProblem(risk_aversion=0.0)
    twap = run_strategy(TWAP(), problem, N_MC, seed=8).is_bps
    curve = np.array([2.0, 1.5, 1.0, 1.0, 1.2, 1.8])
    for strategy in (AlmgrenChriss(), ObizhaevaWang(), VWAP(curve, start_s=3600.0), POV(0.3)):
        diff = run_strategy(strategy, problem, N_MC, seed=8).is_bps - twap
        assert diff.mean() > -3 * diff.std() / np.sqrt(N_MC) - 1e-9, strategy.name


@pytest.mark.parametrize(
    "problem",
    [
        ExecutionProblem(risk_aversion=0.05, impact=TRANSIENT, **SIGNAL),
        ExecutionProblem(risk_aversion=0.0, side=-1, **SIGNAL),
        ExecutionProblem(risk_aversion=0.1, impact=TRANSIENT, regime="trending", trend_sign=1),
    ],
    ids=["transient_signal", "signal_sell", "trending_no_signal"],
)
def test_no_baseline_beats_the_oracle(problem):
    """Paired on the same paths; objective = IS + the per-step risk penalty the env charges."""
    def objective(strategy):
        out = run_strategy(strategy, problem, N_MC, seed=9)
        return out.is_bps + out.risk_penalty_bps

    oracle = objective(Oracle())
    for strategy in (TWAP(), AlmgrenChriss(), ObizhaevaWang(), POV(0.3)):
        diff = objective(strategy) - oracle
        assert diff.mean() > -3 * diff.std() / np.sqrt(N_MC) - 1e-9, strategy.name
