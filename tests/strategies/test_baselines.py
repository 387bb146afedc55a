"""The static baselines behind the Strategy interface."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams
from execution_assets.sim.observation import N_OBS
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies import POV, TWAP, VWAP, AlmgrenChriss, ObizhaevaWang
from execution_assets.strategies.almgren_chriss import ac_problem_trades
from execution_assets.strategies.baselines import volume_fractions
from execution_assets.strategies.base import fractions_of_remaining


def executed_trades(strategy, problem: ExecutionProblem, n: int = 3) -> np.ndarray:
    """Run the strategy's actions through 'trade frac * remaining' and return trades per step."""
    strategy.reset(problem, n)
    x = np.ones(n)
    out = []
    for k in range(problem.n_steps):
        frac = strategy.act(np.zeros((n, N_OBS), dtype=np.float32))
        assert frac.shape == (n,) and np.all((frac >= 0) & (frac <= 1))
        u = (np.ones(n) if k == problem.n_steps - 1 else frac) * x
        out.append(u)
        x = x - u
    trades = np.array(out).T
    np.testing.assert_allclose(trades, trades[:1].repeat(n, 0))  # identical across the batch
    return trades[0]


def test_twap_and_flat_vwap():
    problem = ExecutionProblem(n_steps=7)
    np.testing.assert_allclose(executed_trades(TWAP(), problem), np.full(7, 1 / 7), atol=1e-15)
    np.testing.assert_allclose(executed_trades(VWAP(), problem), np.full(7, 1 / 7), atol=1e-15)


def test_vwap_follows_the_volume_curve():
    curve = np.array([3.0, 1.0, 1.0, 2.0])  # four buckets of 5850 s
    problem = ExecutionProblem(n_steps=4, horizon_s=2 * 5850.0)  # steps of 2925 s, starting at 4387.5 s
    trades = executed_trades(VWAP(curve, start_s=4387.5), problem)
    # step 0 = [4387.5, 7312.5] s covers 1462.5 s of bucket 0 and 1462.5 s of bucket 1, and so on
    per_s = curve / curve.sum() / 5850.0
    expected = np.array([1462.5 * (per_s[0] + per_s[1]), 2925 * per_s[1], 1462.5 * (per_s[1] + per_s[2]), 2925 * per_s[2]])
    np.testing.assert_allclose(trades, expected / expected.sum(), rtol=1e-12)


def test_volume_fractions_reject_bad_input():
    with pytest.raises(ValueError, match="within the session"):
        volume_fractions(None, 23_000.0, 60.0, 30, US_EQUITY_SESSION_SECONDS)
    with pytest.raises(ValueError, match="volume_curve"):
        volume_fractions(np.array([1.0, -1.0]), 0.0, 60.0, 10, US_EQUITY_SESSION_SECONDS)


def test_pov_trades_its_rate_and_completes():
    problem = ExecutionProblem(size_frac_adv=0.01, n_steps=10, horizon_s=600)
    # 5% of a flat market: 0.05 * ADV * 60 / 23400 per step = 1.28% of the order; the rest at the end
    per_step = 0.05 * 60 / US_EQUITY_SESSION_SECONDS / 0.01
    trades = executed_trades(POV(0.05), problem)
    np.testing.assert_allclose(trades[:-1], per_step, rtol=1e-12)
    assert trades.sum() == pytest.approx(1.0)
    fast = executed_trades(POV(0.5), problem)  # enough volume to finish early
    assert fast.sum() == pytest.approx(1.0) and fast[-1] == 0.0 and np.all(fast >= 0)
    with pytest.raises(ValueError, match="rate"):
        POV(0.0)


def test_almgren_chriss_strategy_and_risk_neutral_twap():
    problem = ExecutionProblem(risk_aversion=0.1)
    np.testing.assert_allclose(executed_trades(AlmgrenChriss(), problem), ac_problem_trades(problem), atol=1e-14)
    neutral = problem.with_(risk_aversion=0.0)
    np.testing.assert_allclose(executed_trades(AlmgrenChriss(), neutral), np.full(30, 1 / 30), atol=1e-14)


def test_baselines_ignore_the_hidden_regime():
    calm = ExecutionProblem(risk_aversion=0.1)
    wild = calm.with_(regime="volatile", regime_switch_rate_per_s=0.001)
    for strategy in (AlmgrenChriss(), ObizhaevaWang()):
        np.testing.assert_allclose(executed_trades(strategy, wild), executed_trades(strategy, calm), atol=0)


def test_obizhaeva_wang_reduces_to_ac_without_transient_and_front_back_loads_with_it():
    problem = ExecutionProblem(risk_aversion=0.1)
    np.testing.assert_allclose(executed_trades(ObizhaevaWang(), problem), ac_problem_trades(problem), atol=1e-12)
    ow = executed_trades(ObizhaevaWang(), ExecutionProblem(impact=ImpactParams(kappa=0.5, transient_decay_per_s=0.01)))
    assert ow[0] > ow[15] and ow[-1] > ow[15]  # blocks at both ends, like OW


def test_fractions_of_remaining_and_act_contract():
    np.testing.assert_allclose(fractions_of_remaining(np.array([0.5, 0.25, 0.0, 0.25])), [0.5, 0.5, 0.0, 1.0])
    strategy = TWAP()
    strategy.reset(ExecutionProblem(n_steps=2), 2)
    strategy.act(np.zeros((2, N_OBS)))
    strategy.act(np.zeros((2, N_OBS)))
    with pytest.raises(RuntimeError, match="more than n_steps"):
        strategy.act(np.zeros((2, N_OBS)))
