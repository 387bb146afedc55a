"""Paired comparison against the yardsticks: objective, delta-method intervals, capture."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.agents.scenarios import family_problems, split_seed
from execution_assets.agents.validation import (
    Benchmark,
    ac_closed_form_objective,
    influence,
    mean_capture,
    objective,
    ratio_ci,
)
from execution_assets.strategies import TWAP, AlmgrenChriss, Oracle
from execution_assets.strategies.almgren_chriss import (
    ac_expected_cost,
    ac_params_from_problem,
    ac_variance,
    dollars2_to_bps2,
    dollars_to_bps,
)


def test_objective_and_its_influence():
    x = np.random.default_rng(0).normal(10.0, 3.0, 200_000)
    assert abs(objective(x, 0.5) - (10.0 + 0.5 * 9.0)) < 0.1
    psi = influence(x, 0.5)
    assert abs(psi.mean()) < 1e-9
    # Var of m + lam v for a normal: s^2 + lam^2 2 s^4 per episode
    assert abs(psi.var() / (9.0 + 0.25 * 2 * 81.0) - 1) < 0.02


def test_ratio_ci_covers_the_truth_at_about_95_percent():
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(2000):
        a, b = rng.normal(1.0, 1.0, 500), rng.normal(4.0, 1.0, 500)
        _, lo, hi = ratio_ci(a.mean(), a - a.mean(), b.mean(), b - b.mean())
        hits += lo <= 0.25 <= hi
    assert 0.935 <= hits / 2000 <= 0.965  # 95% +- 3 binomial standard errors


def test_ac_closed_form_objective_is_the_papers_and_only_where_ac_is_exact():
    ac = family_problems("almgren_chriss")[0]
    params = ac_params_from_problem(ac)
    paper = dollars_to_bps(ac_expected_cost(params), ac) + ac.risk_aversion * dollars2_to_bps2(ac_variance(params), ac)
    assert abs(ac_closed_form_objective(ac) / paper - 1) < 1e-9
    assert ac_closed_form_objective(family_problems("transient")[0]) is None
    assert ac_closed_form_objective(family_problems("signal")[0]) is None


def test_yardsticks_score_as_they_should():
    problems = family_problems("almgren_chriss") + family_problems("risk_neutral")
    bench = Benchmark(problems, "validation", 4000)
    assert bench.seeds == [split_seed("validation", 0), split_seed("validation", 1)]
    as_twap = bench.compare(TWAP())
    assert all(c.improvement_vs_twap == 0 and c.capture == 0 for c in as_twap)
    as_oracle = bench.compare(Oracle())
    assert as_oracle[0].efficiency == 1.0 and as_oracle[0].efficiency_ci == pytest.approx((1.0, 1.0))  # paired: no noise
    assert as_oracle[1].efficiency is None  # the oracle is TWAP where TWAP is optimal
    assert as_oracle[0].penalized_regret_ci == (0.0, 0.0)
    assert as_twap[0].penalized_regret_ci[0] > 0  # TWAP loses to the oracle at its own objective
    assert as_twap[0].agent_penalized == pytest.approx(as_twap[0].twap, rel=0.02)  # static: E[P] ~ Var
    ac = bench.compare(AlmgrenChriss())[0]
    assert 0.2 < ac.improvement_vs_twap < 0.3 and ac.improvement_ci[0] < ac.improvement_vs_twap < ac.improvement_ci[1]
    assert abs(ac.vs_ac_closed_form) < 0.02  # sample objective vs closed form on 4000 paths
    assert mean_capture(as_twap) == 0.0


def test_a_second_benchmark_on_the_same_paths_reuses_the_yardsticks():
    """`make run` validates three agents on the same problems in one process: the yardsticks
    (TWAP, the plan, the oracle, AC) are computed once and score every agent the same."""
    from execution_assets.agents.validation import _model_yardsticks

    problems = family_problems("almgren_chriss")
    first = Benchmark(problems, "validation", 500).compare(AlmgrenChriss())
    misses = _model_yardsticks.cache_info().misses
    second = Benchmark(problems, "validation", 500).compare(AlmgrenChriss())
    assert _model_yardsticks.cache_info().misses == misses  # nothing recomputed
    assert [c.as_dict() for c in second] == [c.as_dict() for c in first]


def test_splits_never_share_seeds():
    seeds = {split_seed(s, slot) for s in ("validation", "test") for slot in range(20)}
    assert len(seeds) == 40


def test_plan_gain_bound_flags_a_family_worse_than_the_plan():
    from dataclasses import replace

    from execution_assets.agents.validation import Comparison, plan_gain_bound

    base = Comparison(
        slot=0, split="validation", n_episodes=1000, risk_aversion=0.0, agent=10.0, twap=20.0, oracle=5.0,
        almgren_chriss=None, agent_mean_is=10.0, agent_std_is=1.0, ac_closed_form=None, improvement_vs_twap=0.5,
        improvement_ci=(0.4, 0.6), oracle_improvement_vs_twap=0.75, efficiency=None, efficiency_ci=None, capture=0.6,
        agent_penalized=10.0, oracle_penalized=5.0, penalized_regret_ci=(4.0, 6.0), twap_penalized=20.0,
        plan_penalized=12.0, plan_gain_se=0.1,
    )  # fmt: skip
    worse = replace(base, slot=1, agent_penalized=13.0)  # 1 bp worse than its plan, 10 standard errors
    mean, low, worst = plan_gain_bound([base, worse], families=["1 day", "5 min"])
    assert mean == pytest.approx((2.0 - 1.0) / 20 / 2)
    assert low < mean and worst < 0
    _, _, pooled = plan_gain_bound([base, worse], families=["1 day", "1 day"])
    assert pooled > 0  # within one family the gain outweighs the loss


def test_rewards_scale_by_each_problems_twap_cost():
    from execution_assets.agents.envs import twap_cost_scale
    from execution_assets.strategies.schedule_costs import expected_is_bps, variance_is_bps2

    problem = family_problems("almgren_chriss")[0]
    twap = np.full(problem.n_steps, 1 / problem.n_steps)

    expected = expected_is_bps(problem, twap) + problem.risk_aversion * variance_is_bps2(problem, twap)
    assert twap_cost_scale(problem) == pytest.approx(expected)
    assert twap_cost_scale(problem.with_(regime="trending")) == pytest.approx(expected)  # nominal regime
