"""Horizon specialists: the grid trained as two policies, routed per order by the observed horizon."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from execution_assets.agents.config import resolve_config
from execution_assets.agents.policy import HorizonRouter, load_agent
from execution_assets.agents.run_folder import is_finished_run, models_dir
from execution_assets.agents.scenarios import GRID_SCOPES, family_problems, router_problems
from execution_assets.agents.validation import plan_family
from execution_assets.agents.training import train_agent
from execution_assets.evaluation.agents import latest_runs
from execution_assets.sim.vec_market import VecMarket
from execution_assets.strategies.runner import run_strategy
from tests.agents.test_training import tiny


def test_the_scopes_split_the_grid_by_horizon():
    whole, day, intraday = (family_problems(f, "train") for f in ("grid", "grid_day", "grid_intraday"))
    assert len(day) + len(intraday) == len(whole) and day and intraday
    for split in ("train", "validation", "test"):
        day, intraday = family_problems("grid_day", split), family_problems("grid_intraday", split)
        assert all(p.horizon_s == p.session_seconds for p in day) and all(p.horizon_s < p.session_seconds for p in intraday)
    # each specialist samples its own scope: the intraday one as many as the grid, the day one
    # five of each impact model x regime
    assert len(family_problems("grid_intraday", "validation")) == len(family_problems("grid", "validation"))
    day = family_problems("grid_day", "validation")
    strata = Counter((plan_family(p)[0], p.regime) for p in day)
    assert len(strata) == 9 and set(strata.values()) == {5}


def test_specialists_must_cover_the_grid_and_only_the_grid():
    with pytest.raises(ValueError, match="must split the 'grid' family"):
        resolve_config("ppo", "grid", "standard", {"training": {"specialists": ["grid_day"]}})
    with pytest.raises(ValueError, match="must split the 'grid' family"):
        resolve_config("ppo", "mixed", "standard", {"training": {"specialists": list(GRID_SCOPES)}})
    assert resolve_config("ppo", "grid_day", "standard").specialists == ()  # a scope is one policy
    assert resolve_config("ppo", "grid", "quick").specialists == ()  # make run's budget trains one


def test_a_router_trains_each_scope_and_acts_as_its_specialists(data_dir):
    overrides = tiny("ppo", timesteps=1920, n_val_episodes=60, n_test_episodes=60)
    run_dir = models_dir("ppo") / "router"
    result = train_agent("ppo", "grid", "standard", overrides=overrides, run_dir=run_dir, progress=False, log=lambda _: None)
    assert is_finished_run(run_dir) and not (run_dir / "model.zip").exists()
    assert json.loads((run_dir / "specialists.json").read_text()) == {"grid_intraday": "grid_intraday", "grid_day": "grid_day"}
    assert all(is_finished_run(run_dir / scope) for scope in GRID_SCOPES)
    assert set(result.curves["stage"].unique()) == set(GRID_SCOPES)
    assert result.timesteps == result.curves["timesteps"].max()
    # every specialist's validation problem is scored once, numbered as the router's problems
    problems = router_problems("grid", list(GRID_SCOPES), "validation")
    assert sorted(c.slot for c in result.validation) == list(range(len(problems)))
    summary = json.loads((run_dir / "summary.json").read_text())
    for scope, part in summary["specialists"].items():
        assert part["family"] == scope

    router = load_agent(run_dir)
    assert isinstance(router, HorizonRouter)
    day = family_problems("grid_day", "validation")[0]
    intraday = family_problems("grid_intraday", "validation")[0]
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
