"""Horizon specialists: the grid trained as two policies, routed per order by the observed horizon."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from execution_assets.agents.config import resolve_config
from execution_assets.agents.policy import HorizonRouter, load_agent
from execution_assets.agents.run_folder import is_finished_run, models_dir
from execution_assets.agents.scenarios import (
    GRID_SCOPES,
    STRATIFIED_EVAL_PROBLEMS,
    _grid,
    family_problems,
    grid_calibrations,
    router_problems,
)
from execution_assets.agents.validation import plan_family
from execution_assets.agents.training import train_agent
from execution_assets.evaluation.agents import latest_runs
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.scenarios import default_calibration
from execution_assets.sim.vec_market import VecMarket
from execution_assets.strategies.runner import run_strategy
from execution_assets import warehouse
from tests.agents.test_training import tiny


@pytest.fixture
def one_day_problem_per_stratum(monkeypatch):
    """The whole-day specialist validated on 9 problems instead of its 324: their oracles' dynamic
    programs would take most of a training test's time."""
    monkeypatch.setitem(STRATIFIED_EVAL_PROBLEMS, "grid_day", {"validation": 1, "test": 1})
    _grid.cache_clear()
    yield
    _grid.cache_clear()


def test_the_scopes_split_the_grid_by_horizon():
    whole, day, intraday = (family_problems(f, "train") for f in ("grid", "grid_day", "grid_intraday"))
    assert len(day) + len(intraday) == len(whole) and day and intraday
    for split in ("train", "validation", "test"):
        day, intraday = family_problems("grid_day", split), family_problems("grid_intraday", split)
        assert all(p.horizon_s == p.session_seconds for p in day) and all(p.horizon_s < p.session_seconds for p in intraday)
    # each specialist samples its own scope: the intraday one as many as the grid, the day one
    # every whole-day validation problem (36 of each impact model x regime), one of each on test
    assert len(family_problems("grid_intraday", "validation")) == len(family_problems("grid", "validation"))
    for split, per_stratum in (("validation", 36), ("test", 1)):
        strata = Counter((plan_family(p)[0], p.regime) for p in family_problems("grid_day", split))
        assert len(strata) == 9 and set(strata.values()) == {per_stratum}


def test_the_grid_is_built_on_the_calibration_it_is_given(tmp_path):
    # an empty warehouse: the built-in instruments' true parameters, the grid of no calibration
    with warehouse.connect(tmp_path / "w.duckdb") as con:
        stored = grid_calibrations(con)
    assert stored == tuple(default_calibration(name) for name in sorted(DEFAULT_INSTRUMENTS))
    assert family_problems("grid_day", "validation", stored) == family_problems("grid_day", "validation")
    # a calibration moves every problem built on it, and only the grid families'
    shifted = tuple(replace(c, impact=replace(c.impact, gamma=0.05), sigma_daily=0.03) for c in stored)
    for split in ("train", "validation", "test"):
        problems = family_problems("grid", split, shifted)
        assert len(problems) == len(family_problems("grid", split))
        assert {p.impact.gamma for p in problems} == {0.05} and {p.sigma_daily for p in problems} == {0.03}
    assert family_problems("almgren_chriss", "train", shifted) == family_problems("almgren_chriss")


def test_specialists_must_cover_the_grid_and_only_the_grid():
    with pytest.raises(ValueError, match="must split the 'grid' family"):
        resolve_config("ppo", "grid", "standard", {"training": {"specialists": ["grid_day"]}})
    with pytest.raises(ValueError, match="must split the 'grid' family"):
        resolve_config("ppo", "mixed", "standard", {"training": {"specialists": list(GRID_SCOPES)}})
    assert resolve_config("ppo", "grid_day", "standard").specialists == ()  # a scope is one policy
    assert resolve_config("ppo", "grid", "quick").specialists == ()  # make run's budget trains one


def test_a_router_trains_each_scope_and_acts_as_its_specialists(data_dir, one_day_problem_per_stratum):
    overrides = tiny("ppo", timesteps=1920, n_val_episodes=60, n_test_episodes=60)
    run_dir = models_dir("ppo") / "router"
    calibrations = tuple(replace(default_calibration(name), sigma_daily=0.03) for name in sorted(DEFAULT_INSTRUMENTS))
    result = train_agent(
        "ppo", "grid", "standard", overrides=overrides, run_dir=run_dir, progress=False, log=lambda _: None,
        calibrations=calibrations,
    )  # fmt: skip
    assert is_finished_run(run_dir) and not (run_dir / "model.zip").exists()
    assert json.loads((run_dir / "specialists.json").read_text()) == {"grid_intraday": "grid_intraday", "grid_day": "grid_day"}
    assert all(is_finished_run(run_dir / scope) for scope in GRID_SCOPES)
    assert set(result.curves["stage"].unique()) == set(GRID_SCOPES)
    assert result.timesteps == result.curves["timesteps"].max()
    # every specialist's validation problem is scored once, numbered as the router's problems
    problems = router_problems("grid", list(GRID_SCOPES), "validation", calibrations)
    assert sorted(c.slot for c in result.validation) == list(range(len(problems)))
    summary = json.loads((run_dir / "summary.json").read_text())
    for scope, part in summary["specialists"].items():
        assert part["family"] == scope
        assert {c["sigma_daily"] for c in part["market_parameters"].values()} == {0.03}  # the market it trained on

    router = load_agent(run_dir)
    assert isinstance(router, HorizonRouter)
    day = family_problems("grid_day", "validation", calibrations)[0]
    intraday = family_problems("grid_intraday", "validation", calibrations)[0]
    obs = []
    for problem in (day, intraday):
        market = VecMarket(problem, 8)
        market.reset(3)
        obs.append(market.observe())
    rows = np.concatenate(obs)
    acted = router.act(rows)
    np.testing.assert_array_equal(acted[:8], router.specialists["grid_day"].act(obs[0]))
    np.testing.assert_array_equal(acted[8:], router.specialists["grid_intraday"].act(obs[1]))
    alone = run_strategy(load_agent(run_dir / "grid_day"), day, 16, seed=4)
    routed = run_strategy(router, day, 16, seed=4)
    np.testing.assert_array_equal(routed.is_bps, alone.is_bps)
    assert latest_runs(("ppo",)) == {"ppo": run_dir}
