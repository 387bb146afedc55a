"""Where the regime is hidden, the plan is the best static schedule in expectation over the prior."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.agents.scenarios import grid_problems
from execution_assets.sim.problem import REGIMES, TRAINING_REGIME_MIX, ExecutionProblem, prior_vol_multiplier
from execution_assets.strategies.baselines import AlmgrenChriss, ObizhaevaWang
from execution_assets.strategies.reference_plan import reference_plan
from execution_assets.strategies.static_optimal import static_objective


def prior_objective(problem: ExecutionProblem, trades: np.ndarray) -> float:
    """E[IS + lambda Var] of a static schedule over the regime prior (a trend up or down equally likely)."""
    total = 0.0
    for regime in REGIMES:
        worlds = [problem.with_(regime=regime, trend_sign=s) for s in ((1, -1) if regime == "trending" else (0,))]
        total += TRAINING_REGIME_MIX[regime] * np.mean([static_objective(w.regime_adjusted(), trades) for w in worlds])
    return total


def test_the_prior_volatility_of_the_grid_mix_is_sqrt_two():
    assert prior_vol_multiplier() == pytest.approx(np.sqrt(2.0), rel=1e-12)
    assert prior_vol_multiplier({"normal": 1.0}) == 1.0


@pytest.mark.parametrize("impact_model", ["linear", "transient", "square_root"])
def test_the_plan_of_a_hidden_regime_beats_the_textbook_baselines_over_the_prior(impact_model):
    problems = [p for p in grid_problems("train") if p.risk_aversion > 0 and p.horizon_s == 1800.0]
    kinds = {"linear": lambda p: p.impact.beta == 1.0 and p.impact.kappa == 0,
             "transient": lambda p: p.impact.kappa > 0,
             "square_root": lambda p: p.impact.beta != 1.0}  # fmt: skip
    problem = next(p for p in problems if kinds[impact_model](p))
    assert problem.regime_hidden
    plan = np.asarray(reference_plan(problem))
    for baseline in (AlmgrenChriss(), ObizhaevaWang()):
        baseline.reset(problem, 1)
        # strictly better: the baselines price risk at the normal regime's volatility
        assert prior_objective(problem, plan) < prior_objective(problem, baseline.trades) - 1e-6


def test_the_plan_of_a_hidden_regime_is_the_baseline_at_the_prior_volatility():
    problem = next(p for p in grid_problems("train") if p.impact.beta == 1.0 and p.impact.kappa == 0 and p.risk_aversion > 0)
    textbook = problem.with_(sigma_daily=problem.sigma_daily * np.sqrt(2.0), regime_hidden=False)
    ac = AlmgrenChriss()
    ac.reset(textbook, 1)
    np.testing.assert_allclose(reference_plan(problem), ac.trades, rtol=1e-9, atol=1e-12)
    known = problem.with_(regime_hidden=False)  # a known (normal) regime: the textbook schedule itself
    ac.reset(known, 1)
    np.testing.assert_allclose(reference_plan(known), ac.trades, rtol=1e-9, atol=1e-12)


def test_on_a_recorded_day_the_plan_prices_risk_at_the_calibrated_volatility():
    from execution_assets.agents.scenarios import replay_problems

    problems = replay_problems("grid", "SYNTH_LIQ", 23_400)
    assert problems and not any(p.regime_hidden for p in problems)
    linear = next(p for p in problems if p.impact.beta == 1.0 and p.impact.kappa == 0 and p.risk_aversion > 0)
    ac = AlmgrenChriss()
    ac.reset(linear, 1)
    np.testing.assert_allclose(reference_plan(linear), ac.trades, rtol=1e-9, atol=1e-12)
