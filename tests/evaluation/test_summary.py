"""strategy_summary rows from episodes: identities, missing strategies, checks on bad input."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from execution_assets.evaluation.paired import EPISODE_COLUMNS
from execution_assets.evaluation.summary import (
    SUMMARY_COLUMNS,
    ceiling_gaps,
    familywise_z,
    oracle_violations,
    summarize,
    summarize_chunks,
)


def _episodes(costs: dict[tuple[str, str], np.ndarray], penalty: float = 0.0) -> pl.DataFrame:
    frames = []
    for (scenario, strategy), is_bps in costs.items():
        n = is_bps.size
        frames.append(
            pl.DataFrame(
                {
                    "scenario_id": [scenario] * n, "strategy": [strategy] * n, "episode": np.arange(n, dtype=np.int32),
                    "is_bps": is_bps, "arrival_slippage_bps": is_bps, "vwap_slippage_bps": is_bps - 1.0,
                    "filled_frac": np.ones(n), "n_child_orders": np.full(n, 3, dtype=np.int32),
                    "risk_penalty_bps": np.full(n, penalty), "invalid_actions": np.zeros(n, dtype=np.int32),
                },  # fmt: skip
                schema=EPISODE_COLUMNS,
            )
        )
    return pl.concat(frames)


@pytest.fixture
def costs():
    rng = np.random.default_rng(0)
    out = {}
    for scenario in ("a", "b", "c"):
        twap = rng.normal(20.0, 10.0, 500)
        out[(scenario, "twap")] = twap
        out[(scenario, "oracle")] = twap - 4.0 + rng.normal(0, 1, 500)
        out[(scenario, "ac")] = twap - 2.0 + rng.normal(0, 1, 500)
    del out[("c", "ac")]  # AC could not plan scenario c
    return out


def test_summary_identities_and_a_missing_strategy(costs):
    s = summarize(_episodes(costs), n_boot=300)
    assert s.schema == pl.Schema(SUMMARY_COLUMNS)
    assert s.height == 8  # 3 scenarios x 3 strategies - the missing AC row
    twap = s.filter(pl.col("strategy") == "twap")
    assert (twap["improvement_vs_twap_bps"] == 0).all() and (twap["p_value"] == 1).all()
    assert twap["sharpe_vs_twap"].null_count() == 3
    oracle = s.filter(pl.col("strategy") == "oracle")
    np.testing.assert_allclose(oracle["oracle_efficiency"].to_numpy(), 1.0)
    ac = s.filter(pl.col("strategy") == "ac").sort("scenario_id")
    assert ac["scenario_id"].to_list() == ["a", "b"]
    np.testing.assert_allclose(ac["oracle_efficiency"].to_numpy(), 0.5, atol=0.03)
    np.testing.assert_allclose(ac["improvement_vs_twap_bps"].to_numpy(), 2.0, atol=0.15)
    assert ((ac["ci95_low_bps"] < ac["improvement_vs_twap_bps"]) & (ac["improvement_vs_twap_bps"] < ac["ci95_high_bps"])).all()
    # Holm over AC's two scenarios: the adjusted p-value is at least the raw one
    assert (ac["p_value"] >= ac["p_value_raw"]).all()
    row = ac.row(0, named=True)
    mean_twap = costs[("a", "twap")].mean()
    assert row["improvement_vs_twap_pct"] == pytest.approx(100 * (mean_twap - costs[("a", "ac")].mean()) / abs(mean_twap))
    assert row["cvar95_is_bps"] >= row["p95_is_bps"] >= row["mean_is_bps"]
    assert row["mean_vwap_slippage_bps"] == pytest.approx(row["mean_is_bps"] - 1.0)


def test_risk_penalty_enters_the_objective_columns(costs):
    s = summarize(_episodes(costs, penalty=2.5), n_boot=50)
    row = s.filter(pl.col("strategy") == "ac").row(0, named=True)
    assert row["mean_objective_bps"] == pytest.approx(row["mean_is_bps"] + 2.5)
    assert row["improvement_objective_bps"] == pytest.approx(row["improvement_vs_twap_bps"])


def test_incomplete_episodes_and_a_missing_twap_are_rejected_with_the_culprit(costs):
    episodes = _episodes(costs)
    with pytest.raises(ValueError, match="scenario 'b' strategy 'ac' has 499 rows"):
        summarize(episodes.filter(~((pl.col("scenario_id") == "b") & (pl.col("strategy") == "ac") & (pl.col("episode") == 7))))
    with pytest.raises(ValueError, match="scenario 'a' has no twap"):
        summarize(episodes.filter(~((pl.col("scenario_id") == "a") & (pl.col("strategy") == "twap"))))


def test_oracle_violations_flags_a_strategy_cheaper_than_the_oracle(costs):
    assert oracle_violations(ceiling_gaps(_episodes(costs))).is_empty()
    costs[("a", "too_good")] = costs[("a", "oracle")] - 1.0
    violations = oracle_violations(ceiling_gaps(_episodes(costs)))
    assert violations["strategy"].to_list() == ["too_good"] and violations["advantage_bps"][0] == pytest.approx(1.0)


def test_the_oracle_checks_threshold_grows_with_the_number_of_pairs_compared():
    """Bonferroni at a 1% family-wise false-alarm rate: 3 standard errors for a few pairs, about
    3.1 for 10, 4.8 for the test grid's 12,000; a pair at z 4 fails alone and passes among 12,000."""
    assert familywise_z(1) == 3.0 and familywise_z(10) == pytest.approx(3.09, abs=0.01)
    assert familywise_z(12_000) == pytest.approx(4.80, abs=0.01)
    gaps = pl.DataFrame({"scenario_id": ["s0"], "strategy": ["plan"], "advantage_bps": [4.0], "se_bps": [1.0]})
    assert oracle_violations(gaps)["strategy"].to_list() == ["plan"]
    honest = pl.DataFrame({"scenario_id": [f"s{i}" for i in range(1, 12_000)], "strategy": "plan", "advantage_bps": 0.0, "se_bps": 1.0})
    assert oracle_violations(pl.concat([gaps, honest])).is_empty()


def test_chunked_summary_equals_the_whole(costs):
    episodes = _episodes(costs)
    whole = summarize(episodes, n_boot=200)
    chunks = [episodes.filter(pl.col("scenario_id") == s) for s in ("a", "b", "c")]
    chunked = summarize_chunks(chunks, n_boot=200)
    assert_frame_equal(chunked, whole, rel_tol=1e-12)  # equal up to BLAS summation order
    assert (chunked.filter(pl.col("strategy") == "ac")["p_value"] >= chunked.filter(pl.col("strategy") == "ac")["p_value_raw"]).all()


def test_holm_is_applied_within_each_strategy():
    from execution_assets.evaluation.summary import with_holm

    frame = pl.DataFrame(
        {
            "scenario_id": ["a", "b", "c", "a", "b", "c"],
            "strategy": ["x", "x", "x", "y", "y", "y"],
            "p_value_raw": [0.01, 0.04, 0.03, 0.2, 0.001, 0.5],
            "p_value": [0.0] * 6,
        }
    )
    out = with_holm(frame)
    assert out.filter(pl.col("strategy") == "x")["p_value"].to_list() == pytest.approx([0.03, 0.06, 0.06])
    assert out.filter(pl.col("strategy") == "y")["p_value"].to_list() == pytest.approx([0.4, 0.003, 0.5])


def test_prior_mixture_violations_average_over_the_regimes_and_allow_the_grid_error():
    from execution_assets.evaluation.summary import prior_mixture_violations

    scenarios = pl.DataFrame(
        {"scenario_id": ["a-normal", "a-volatile", "a-trending"], "regime": ["normal", "volatile", "trending"], "regime_group": ["a"] * 3}
    )
    prior = {"normal": 1 / 3, "volatile": 1 / 3, "trending": 1 / 3}

    def gaps(advantages):
        return pl.DataFrame(
            {"scenario_id": scenarios["scenario_id"], "strategy": ["ppo"] * 3, "advantage_bps": advantages, "se_bps": [0.01] * 3}
        )

    # ahead in the normal regime, behind in the volatile one: no violation over the prior's mix
    assert prior_mixture_violations(gaps([2.0, -3.0, 0.5]), scenarios, prior).is_empty()
    # ahead everywhere, beyond noise and beyond the grid's error: a violation
    assert prior_mixture_violations(gaps([0.5, 0.6, 0.7]), scenarios, prior)["strategy"].to_list() == ["ppo"]
    # ahead by 0.05 bps, 10 standard errors: the observable oracle's grid error, not a violation
    assert prior_mixture_violations(gaps([0.05, 0.05, 0.05]), scenarios, prior).is_empty()
