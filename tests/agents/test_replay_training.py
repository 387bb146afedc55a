"""Training on recorded days: env groups on the replay market beside the parametric ones."""

import numpy as np
import pytest

from execution_assets.agents.config import resolve_config
from execution_assets.agents.envs import ReplayTraining, make_training_env, replay_group_count
from execution_assets.agents.scenarios import family_problems, replay_problems
from execution_assets.sim.replay_book import book_from_frame
from execution_assets.sim.replay_market import ReplayMarket
from execution_assets.sim.vec_market import VecMarket
from tests.sim.test_replay_market import random_book_frame


def test_both_markets_put_the_last_groups_on_recorded_days_and_curriculum_leaves_them():
    config = resolve_config("ppo", "grid", "smoke")
    assert config.env["market"] == "both"
    book = book_from_frame("SYNTH_LIQ", random_book_frame(np.random.default_rng(1), 4_000))
    problems = replay_problems("grid", "SYNTH_LIQ", 4_000)
    assert problems and all(p.horizon_s < 4_000 for p in problems)
    env = make_training_env(family_problems("grid"), {**config.env, "n_envs": 64}, 0, [ReplayTraining(book, problems)])
    assert env.replay_groups == (6, 7)
    env.venv.reset()
    for _ in range(3):
        env.venv.step(np.zeros((64, 1), dtype=np.float32))
    markets = [g.venv.market for g in env.groups]
    assert all(type(m) is VecMarket for m in markets[:6]) and all(isinstance(m, ReplayMarket) for m in markets[6:])
    before = env.groups[7].venv._sampler
    env.set_problems(family_problems("easy"))
    assert env.groups[7].venv._sampler is before and env.groups[0].venv._sampler is not before


def test_market_settings_are_checked():
    assert replay_group_count({"market": "parametric"}, 8) == 0
    assert replay_group_count({"market": "replay"}, 8) == 8
    assert replay_group_count({"market": "both", "replay_share": 0.25}, 8) == 2
    with pytest.raises(ValueError, match="n_groups >= 2"):
        replay_group_count({"market": "both"}, 1)
    with pytest.raises(ValueError, match="env.market must be one of"):
        replay_group_count({"market": "recorded"}, 4)
    with pytest.raises(ValueError, match="needs a grid family"):
        replay_problems("mixed", "SYNTH_LIQ", 23_400)
