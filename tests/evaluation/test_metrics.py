"""Metrics of the evaluation protocol: definitions, signs, and the bootstrap's coverage."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.evaluation.metrics import (
    bootstrap_weights,
    cvar,
    holm,
    oracle_efficiency,
    paired_improvement,
    quantile,
    relative_improvement_pct,
)


def test_cvar_is_the_mean_of_the_worst_five_percent():
    costs = np.arange(1.0, 101.0)  # 1..100: the worst 5 are 96..100
    assert cvar(costs) == pytest.approx(98.0)
    assert cvar(costs[::-1]) == pytest.approx(98.0)  # order does not matter


def test_cvar_counts_the_boundary_episode_fractionally():
    costs = np.arange(1.0, 111.0)  # tail of 5.5 episodes: 106..110 and half of 105
    assert cvar(costs) == pytest.approx((106 + 107 + 108 + 109 + 110 + 0.5 * 105) / 5.5)


def test_cvar_dominates_the_quantile_and_the_mean_and_keeps_negative_costs():
    rng = np.random.default_rng(1)
    costs = rng.standard_t(3, size=(4, 1000)) * 10 - 30  # mostly negative: earning trades
    c, q = cvar(costs), quantile(costs, 0.95)
    assert c.shape == (4,)
    assert np.all(c >= q) and np.all(q >= costs.mean(axis=-1))
    assert np.all(costs.mean(axis=-1) < 0)  # signed, never clipped


def test_relative_improvement_is_signed_and_uses_the_size_of_twaps_cost():
    assert relative_improvement_pct(10.0, 8.0) == pytest.approx(20.0)
    assert relative_improvement_pct(10.0, 12.0) == pytest.approx(-20.0)
    assert relative_improvement_pct(-10.0, -12.0) == pytest.approx(20.0)  # earning more than TWAP is better
    assert np.isnan(relative_improvement_pct(0.0, 1.0))


def test_paired_improvement_of_a_known_shift_and_twap_against_itself():
    rng = np.random.default_rng(2)
    twap = rng.normal(20.0, 30.0, size=(2, 2000))
    better = twap - 2.0 + rng.normal(0.0, 1.0, size=twap.shape)
    w = bootstrap_weights(2000, 500, seed=3)
    cmp = paired_improvement(twap, np.stack([better[0], twap[1]]), w)
    assert cmp.improvement_bps[0] == pytest.approx(2.0, abs=0.1)
    assert cmp.ci95_low_bps[0] < cmp.improvement_bps[0] < cmp.ci95_high_bps[0]
    half_width = (cmp.ci95_high_bps[0] - cmp.ci95_low_bps[0]) / 2
    assert half_width == pytest.approx(1.96 * cmp.improvement_se_bps[0], rel=0.15)
    assert half_width < 0.1  # pairing removes the 30 bp path noise: se = 1 / sqrt(2000)
    assert cmp.p_value[0] < 1e-10
    assert cmp.sharpe[0] == pytest.approx(2.0, rel=0.1)
    # TWAP vs itself: no saving, p = 1, no Sharpe
    assert cmp.improvement_bps[1] == 0 and cmp.ci95_low_pct[1] == 0 and cmp.ci95_high_pct[1] == 0
    assert cmp.p_value[1] == 1.0 and np.isnan(cmp.sharpe[1])


def test_bootstrap_ci_covers_the_true_improvement_about_95_percent_of_the_time():
    """400 independent data sets with a known mean saving: the percentile CI's coverage."""
    rng = np.random.default_rng(4)
    n, reps, true_saving = 300, 400, 1.5
    twap = rng.normal(25.0, 20.0, size=(reps, n))
    strategy = twap - true_saving + rng.exponential(4.0, size=(reps, n)) - 4.0  # skewed noise
    cmp = paired_improvement(twap, strategy, bootstrap_weights(n, 1000, seed=5))
    covered = (cmp.ci95_low_bps <= true_saving) & (true_saving <= cmp.ci95_high_bps)
    assert 0.91 <= covered.mean() <= 0.98
    # the t-test rejects a false null nearly always and the relative CI brackets its estimate
    assert np.mean(cmp.p_value < 0.05) > 0.95
    assert np.all(cmp.ci95_low_pct <= cmp.improvement_pct + 1e-9)
    assert np.all(cmp.improvement_pct <= cmp.ci95_high_pct + 1e-9)


def test_paired_test_holds_its_level_under_the_null():
    rng = np.random.default_rng(6)
    twap = rng.normal(10.0, 5.0, size=(2000, 200))
    strategy = twap + rng.normal(0.0, 1.0, size=twap.shape)
    p = paired_improvement(twap, strategy, bootstrap_weights(200, 50, seed=7)).p_value
    assert 0.03 <= np.mean(p < 0.05) <= 0.07


def test_holm_matches_the_step_down_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    # sorted 0.005, 0.01, 0.03, 0.04 with m = 4: 0.02, 0.03, 0.06, max(0.06, 0.04) = 0.06
    expected = np.array([0.03, 0.06, 0.06, 0.02, np.nan])
    np.testing.assert_allclose(holm(p), expected, equal_nan=True)
    assert np.all(holm(np.array([0.5, 0.9])) == 1.0)


def test_oracle_efficiency_is_the_share_of_the_attainable_saving():
    eff = oracle_efficiency(
        twap_mean=np.array([10.0, 10.0, 10.0, 10.0]),
        strategy_mean=np.array([10.0, 6.0, 12.0, 4.0]),
        oracle_mean=np.array([6.0, 6.0, 6.0, 9.99]),
        room_se=np.array([0.1, 0.1, 0.1, 0.1]),
    )
    np.testing.assert_allclose(eff[:3], [0.0, 1.0, -0.5])
    assert np.isnan(eff[3])  # the oracle saves less than 2 standard errors: no ceiling to measure
