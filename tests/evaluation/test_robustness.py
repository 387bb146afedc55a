"""Robustness variants: stress, mis-calibration and replay, paired within each variant."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from execution_assets.evaluation.robustness import IMPACT_SCALES, VOL_STRESS, model_variants, replay_variants, run_robustness
from execution_assets.scenarios import calibration_by_instrument, default_calibration, scenario_grid, stored_problem

CAL = default_calibration("SYNTH_ILQ")
GRID = scenario_grid([CAL], ["test"]).filter(pl.col("impact_model") == "linear")


def _day(seed: int, n: int = 23_400) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 25.0 * np.exp(np.cumsum(rng.normal(0.0, 1.5e-4, n)))


def test_model_variants_scale_what_they_say():
    problem = stored_problem(GRID.row(0, named=True))
    variants = {v.variant: v.market for v in model_variants(problem)}
    assert variants["as planned"] == problem
    for m in VOL_STRESS:
        assert variants[f"sigma x{m:g}"].sigma_daily == problem.sigma_daily * m
    for s in IMPACT_SCALES:
        imp = variants[f"impact x{s:g}"].impact
        assert (imp.eta, imp.gamma) == (problem.impact.eta * s, problem.impact.gamma * s)


def test_replay_days_are_labelled_against_the_calibration_window_and_short_days_skipped():
    problem = stored_problem(GRID.row(0, named=True))
    days = [(dt.date(2024, 1, 2), _day(1)), (dt.date(2024, 1, 3), _day(2)), (dt.date(2024, 1, 4), _day(3, n=100))]
    labels = [v.variant for v in replay_variants(problem, days, as_of=dt.date(2024, 1, 2))]
    assert labels == ["2024-01-02 (in-sample)", "2024-01-03 (out-of-sample)"]


def test_run_robustness_pairs_every_strategy_within_each_variant():
    days = {"SYNTH_ILQ": [(dt.date(2024, 1, 2), _day(4))]}
    episodes, summary = run_robustness(GRID, calibration_by_instrument([CAL]), 300, replay_days=days)
    assert set(summary["test"]) == {"nominal", "vol_stress", "impact_miscalibration", "replay"}
    assert summary["base_scenario_id"].n_unique() == 1
    counts = episodes.group_by("scenario_id", "strategy").len()["len"].unique().to_list()
    assert counts == [300]
    twap = summary.filter(pl.col("strategy") == "twap").sort("variant")
    std = dict(zip(twap["variant"], twap["std_is_bps"]))
    assert std["sigma x4"] > 3 * std["as planned"]  # the stress is real
    assert (twap["improvement_vs_twap_bps"] == 0).all()
    replay = summary.filter(pl.col("test") == "replay")
    assert replay["variant"].unique().to_list() == ["2024-01-02 (no calibration)"]
