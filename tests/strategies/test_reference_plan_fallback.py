"""The reference plan of a problem without a static optimum is TWAP (the simulator must run it)."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.impact import ImpactParams
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import VecMarket
from execution_assets.strategies.reference_plan import reference_plan
from execution_assets.strategies.static_optimal import optimal_static_schedule

# GOOG 2012-06-21's calibration on the grid's square-root, 1% ADV, 5-minute, high-urgency cell:
# almost no temporary impact beyond the touch, steep permanent impact (eta~ < 0)
GOOG_SQRT = ExecutionProblem(
    size_frac_adv=0.01, horizon_s=300.0, n_steps=60, sigma_daily=0.0080452, half_spread_bps=2.39,
    impact=ImpactParams(eta=9.344e-06, beta=0.5, gamma=0.71087, delta=1.0, kappa=0.0, transient_decay_per_s=0.0),
    risk_aversion=0.024863, adv_shares=2_423_907.5,
)  # fmt: skip


@pytest.mark.parametrize("kappa", [0.0, 0.3])
def test_a_problem_without_a_static_optimum_plans_twap_and_simulates(kappa):
    problem = GOOG_SQRT.with_(impact=GOOG_SQRT.impact.with_(kappa=kappa, transient_decay_per_s=0.1 if kappa else 0.0))
    with pytest.raises(RuntimeError, match="did not converge"):
        optimal_static_schedule(problem)
    np.testing.assert_allclose(reference_plan(problem), np.full(60, 1 / 60))
    market = VecMarket(problem, 4)
    market.reset(0)
    while not market.done:
        market.step_fraction(np.full(4, 0.5))
    assert np.isfinite(market.summary().is_bps).all()
