"""Hyperparameter files: merge order, validation, and the curriculum they describe."""

from __future__ import annotations

import pytest

from execution_assets.agents.config import ALGORITHMS, deep_merge, load_hyperparams, resolve_config
from execution_assets.agents.scenarios import FAMILY_NAMES, family_problems


def test_deep_merge_recurses_into_mappings_and_replaces_everything_else():
    base = {"env": {"n_envs": 8, "multiples": [1, 2]}, "model": {"policy_kwargs": {"net_arch": [64, 64], "x": 1}}}
    over = {"env": {"multiples": [3]}, "model": {"policy_kwargs": {"net_arch": [32]}}}
    merged = deep_merge(base, over)
    assert merged == {"env": {"n_envs": 8, "multiples": [3]}, "model": {"policy_kwargs": {"net_arch": [32], "x": 1}}}
    assert base["env"]["multiples"] == [1, 2]  # inputs untouched


@pytest.mark.parametrize("algo", ALGORITHMS)
def test_every_family_and_profile_resolves(algo):
    raw = load_hyperparams(algo)
    for family in FAMILY_NAMES:
        for profile in raw["profiles"]:
            config = resolve_config(algo, family, profile)
            stages = config.stages()
            assert stages[-1].family == family
            assert config.total_timesteps > sum(s.max_timesteps for s in stages[:-1])


def test_merge_order_is_default_family_profile_overrides():
    raw = load_hyperparams("ppo")
    default = resolve_config("ppo", "almgren_chriss", "standard")
    assert default.training["total_timesteps"] == raw["default"]["training"]["total_timesteps"]
    family = resolve_config("ppo", "signal", "standard")
    assert family.training["total_timesteps"] == raw["families"]["signal"]["training"]["total_timesteps"]
    quick = resolve_config("ppo", "signal", "quick")
    scale = raw["profiles"]["quick"]["training"]["timestep_scale"]
    assert quick.total_timesteps == round(family.training["total_timesteps"] * scale)
    assert quick.training["eval_interval_scale"] == 4.0  # PPO's quick block over profiles.yml's 2.0
    assert quick.total_timesteps // quick.eval_every == family.total_timesteps // family.eval_every // 4
    assert resolve_config("dqn", "grid", "quick").training["eval_interval_scale"] == 2.0
    over = resolve_config("ppo", "signal", "quick", {"training": {"timestep_scale": 2.0}, "env": {"n_envs": 8}})
    assert over.total_timesteps == 2 * family.training["total_timesteps"]
    assert over.env["n_envs"] == 8 and over.env["reward"] == family.env["reward"]


def test_curriculum_budgets_scale_with_the_profile():
    standard = resolve_config("ppo", "hard", "standard").stages()
    quick = resolve_config("ppo", "hard", "quick").stages()
    assert [s.family for s in standard] == ["easy", "medium", "hard"]
    scale = load_hyperparams("ppo")["profiles"]["quick"]["training"]["timestep_scale"]
    assert quick[0].max_timesteps == round(standard[0].max_timesteps * scale)


def test_errors_name_what_is_wrong():
    with pytest.raises(KeyError, match="unknown scenario family 'nope'"):
        resolve_config("ppo", "nope")
    with pytest.raises(KeyError, match="unknown profile 'huge'"):
        resolve_config("ppo", "almgren_chriss", "huge")
    with pytest.raises(ValueError, match="algorithm must be one of"):
        resolve_config("a2c", "almgren_chriss")
    with pytest.raises(ValueError, match="env.action must be one of"):
        resolve_config("ppo", "almgren_chriss", overrides={"env": {"action": "twap_grid"}})
    with pytest.raises(ValueError, match="use the whole budget"):
        resolve_config(
            "ppo",
            "medium",
            overrides={"training": {"total_timesteps": 100, "curriculum": [{"family": "easy", "max_timesteps": 100}]}},
        )
    with pytest.raises(ValueError, match="unknown family 'nowhere'"):
        resolve_config("ppo", "medium", overrides={"training": {"curriculum": [{"family": "nowhere", "max_timesteps": 1}]}})


def test_grid_family_trains_on_the_grid_and_scores_on_fixed_samples_of_the_other_splits():
    train, val, test = (family_problems("grid", split) for split in ("train", "validation", "test"))
    assert len(train) == 1296 and len(val) == 32 and len(test) == 8
    assert family_problems("grid", "validation") == val  # the same sample every time
    assert len({p.horizon_s for p in train}) == 4 and len({p.impact.beta for p in train}) == 2
