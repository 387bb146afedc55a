"""The observable oracle: exact where the hidden regime does not change the decision, a Bayes
posterior over the regime elsewhere, and never better informed than an agent."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.impact import ImpactParams
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies import AlmgrenChriss, Oracle
from execution_assets.strategies.observable_oracle import ObservableOracle, hypotheses, is_exact
from execution_assets.strategies.runner import run_strategy
from execution_assets.strategies.static_optimal import optimal_static_schedule

LINEAR = ExecutionProblem(risk_aversion=0.05, trend_per_day=0.0, sigma_daily=0.02)
TRANSIENT = LINEAR.with_(impact=ImpactParams(kappa=1.0, transient_decay_per_s=1 / 900))
SIGNAL = dict(signal_mean_reversion_per_s=1 / 300, signal_alpha_bps_per_s=0.1)


def _schedule(strategy, problem, n=8, seed=3) -> np.ndarray:
    """The trades (fractions of the order) a strategy made in each of n episodes, (N, n)."""
    return run_strategy(strategy, problem, n, seed).shares / problem.total_shares


def test_without_signal_or_trend_it_is_almgren_chriss_for_linear_impact():
    oracle = ObservableOracle(prior={"normal": 1.0})
    trades = _schedule(oracle, LINEAR)
    assert oracle.exact
    ac = AlmgrenChriss()
    ac.reset(LINEAR, 1)
    np.testing.assert_allclose(trades, np.repeat(ac.trades[:, None], trades.shape[1], axis=1), atol=1e-6)
    assert not np.allclose(ac.trades, 1 / LINEAR.n_steps, atol=1e-3)  # a front-loaded schedule, not TWAP


def test_without_signal_or_trend_it_is_the_static_optimum_with_transient_impact():
    oracle = ObservableOracle(prior={"normal": 1.0})
    trades = _schedule(oracle, TRANSIENT)
    plan = optimal_static_schedule(TRANSIENT)
    np.testing.assert_allclose(trades, np.repeat(plan[:, None], trades.shape[1], axis=1), atol=1e-6)


def test_regimes_that_price_nothing_leave_it_exact():
    """Risk-neutral without a trend: volatile and normal differ only in volatility, which the
    objective does not price, so the training mix collapses to one decision: exact (OW here)."""
    neutral = TRANSIENT.with_(risk_aversion=0.0)
    oracle = ObservableOracle()
    assert is_exact(neutral) and not is_exact(TRANSIENT) and not is_exact(neutral.with_(trend_per_day=0.02))
    trades = _schedule(oracle, neutral)
    plan = optimal_static_schedule(neutral)
    np.testing.assert_allclose(trades[:, 0], plan, atol=1e-6)


def test_the_training_mix_prior_splits_the_trend_by_direction():
    hyps = hypotheses(LINEAR.with_(trend_per_day=0.02))
    assert [(h.regime, h.trend_sign) for h in hyps] == [("normal", 1), ("volatile", 1), ("trending", 1), ("trending", -1)]
    np.testing.assert_allclose([h.prior for h in hyps], [1 / 3, 1 / 3, 1 / 6, 1 / 6])
    with pytest.raises(ValueError, match="prior must weigh"):
        hypotheses(LINEAR, {"sideways": 1.0})


def test_posterior_learns_the_volatile_regime_from_prices_alone():
    problem = LINEAR.with_(regime="volatile", trend_per_day=0.02, horizon_s=3600.0, n_steps=60, **SIGNAL)
    oracle = ObservableOracle()
    run_strategy(oracle, problem, 200, 11)
    posterior = oracle.posterior()  # after the last step's update
    assert posterior.shape == (200, 4)
    assert np.median(posterior[:, 1]) > 0.99  # volatile


def test_it_sits_between_the_plan_and_the_clairvoyant_oracle_over_the_regime_mix():
    """Averaged over the prior's regimes (its objective), the observable oracle beats the static
    plan (it learns the regime) and the clairvoyant oracle beats it (it knows the regime)."""
    base = LINEAR.with_(size_frac_adv=0.05, horizon_s=3600.0, n_steps=30, trend_per_day=0.02, **SIGNAL)
    n = 2000
    costs = {"ac": [], "observable": [], "oracle": []}
    for seed, regime in enumerate(("normal", "volatile", "trending")):
        problem = base.with_(regime=regime)
        for name, strategy in (("ac", AlmgrenChriss()), ("observable", ObservableOracle()), ("oracle", Oracle())):
            s = run_strategy(strategy, problem, n, 100 + seed)
            costs[name].append(s.is_bps + s.risk_penalty_bps)
    mean = {k: np.mean([c.mean() for c in v]) for k, v in costs.items()}
    se = {
        k: np.sqrt(sum(np.var(c - o) / n for c, o in zip(costs[k], costs["observable"]))) / 3 for k in ("ac", "oracle")
    }
    assert mean["ac"] - mean["observable"] > 3 * se["ac"]
    assert mean["observable"] - mean["oracle"] > 3 * se["oracle"]
