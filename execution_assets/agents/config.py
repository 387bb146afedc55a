"""Hyperparameters: one YAML per algorithm, resolved for a scenario family and a budget profile.

Each ``hyperparams/<algo>.yml`` has up to three top-level blocks:

    default:   the full configuration (sections env, model, training)
    families:  per scenario family, a partial configuration merged over ``default``
    profiles:  per budget profile (smoke, quick, standard, full), merged last; profiles set
               ``training.timestep_scale``, which multiplies every timestep budget and the
               validation interval, and may set ``training.eval_interval_scale``, which
               multiplies the validation interval alone. ``hyperparams/profiles.yml`` holds the
               profiles every algorithm shares; an algorithm's own block is merged over it.

Merging is recursive for mappings; any other value (lists included) replaces the one below.
``resolve_config(algo, family, profile, overrides)`` applies default <- family <- profile <-
overrides and checks the result, naming the file and key of anything wrong.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from execution_assets.agents.scenarios import FAMILY_NAMES, GRID, GRID_SCOPES

HYPERPARAMS_DIR = Path(__file__).with_name("hyperparams")
ALGORITHMS = ("dqn", "ppo", "sac")
SECTIONS = ("env", "model", "training")
ACTIONS = {
    "dqn": ("plan_grid", "twap_grid", "remaining_grid"),
    "ppo": ("plan_ratio", "plan_log_ratio", "twap_log_ratio"),
    "sac": ("plan_ratio", "plan_log_ratio", "twap_log_ratio"),
}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` merged into a copy of ``base``: mappings recursively, other values replaced."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_hyperparams(algo: str) -> dict[str, Any]:
    """The raw YAML of ``algo`` (checked: the three blocks and known section names)."""
    if algo not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algo!r}")
    path = HYPERPARAMS_DIR / f"{algo}.yml"
    raw = yaml.safe_load(path.read_text()) or {}
    unknown = set(raw) - {"default", "families", "profiles"}
    if unknown or "default" not in raw:
        raise ValueError(f"{path}: top level must be default/families/profiles (default required), got {sorted(raw)}")
    for block in ("families", "profiles"):
        for name, partial in (raw.get(block) or {}).items():
            bad = set(partial or {}) - set(SECTIONS)
            if bad:
                raise ValueError(f"{path}: {block}.{name} has unknown sections {sorted(bad)}; allowed {SECTIONS}")
    shared = yaml.safe_load((HYPERPARAMS_DIR / "profiles.yml").read_text())["profiles"]
    raw["profiles"] = deep_merge(shared, raw.get("profiles") or {})
    for name in raw.get("families") or {}:
        if name not in FAMILY_NAMES:
            raise ValueError(f"{path}: families.{name} is not a scenario family; known: {', '.join(FAMILY_NAMES)}")
    return raw


@dataclass(frozen=True)
class Stage:
    """One curriculum stage: train on ``family`` until its validation criterion or its budget."""

    family: str
    max_timesteps: int  # the final stage takes whatever budget is left
    advance_at: float  # advance when the validation capture reaches this (see validation.capture)
    patience: int  # ... or after this many evaluations without a new best capture

    def __post_init__(self) -> None:
        if self.family not in FAMILY_NAMES:
            raise ValueError(f"curriculum stage: unknown family {self.family!r}; known: {', '.join(FAMILY_NAMES)}")
        if self.max_timesteps <= 0 or self.patience < 1:
            raise ValueError(f"curriculum stage {self.family}: need max_timesteps > 0 and patience >= 1")


@dataclass(frozen=True)
class AgentConfig:
    algo: str
    family: str
    profile: str
    env: dict[str, Any]
    model: dict[str, Any]
    training: dict[str, Any]

    @property
    def total_timesteps(self) -> int:
        return int(round(self.training["total_timesteps"] * self.training.get("timestep_scale", 1.0)))

    @property
    def eval_every(self) -> int:
        """Validation interval, scaled like the budget (so every profile validates as often) and
        by ``eval_interval_scale`` (the quick profile validates less often: validation was 70% of
        `make run`'s training time)."""
        scale = self.training.get("timestep_scale", 1.0) * self.training.get("eval_interval_scale", 1.0)
        return max(1, int(round(self.training["eval_every"] * scale)))

    @property
    def seed(self) -> int:
        return int(self.training["seed"])

    @property
    def n_seeds(self) -> int:
        """How many seeds (``seed``, ``seed + 1``, ...) one ``trained_agent`` run trains."""
        n = int(self.training.get("n_seeds", 1))
        if n < 1:
            raise ValueError(f"{self.algo}: training.n_seeds must be >= 1, got {n}")
        return n

    @property
    def specialists(self) -> tuple[str, ...]:
        """The grid's horizon scopes trained as separate policies (``training.specialists``),
        routed per order by the observed horizon; empty: one policy for the whole family."""
        names = tuple(self.training.get("specialists") or ())
        if names and (self.family != GRID or sorted(names) != sorted(GRID_SCOPES)):
            raise ValueError(
                f"{self.algo}/{self.family}: training.specialists must split the {GRID!r} family into "
                f"every one of {', '.join(GRID_SCOPES)}, got {list(names)}"
            )
        return names

    def stages(self) -> list[Stage]:
        """The curriculum, ending on the target family (a single stage when there is none)."""
        scale = self.training.get("timestep_scale", 1.0)
        stages = [
            Stage(
                family=s["family"],
                max_timesteps=int(round(s["max_timesteps"] * scale)),
                advance_at=float(s.get("advance_at", 0.8)),
                patience=int(s.get("patience", 3)),
            )
            for s in self.training.get("curriculum") or []
        ]
        if not stages or stages[-1].family != self.family:
            stages.append(Stage(self.family, self.total_timesteps, 1.0, 10**9))
        if sum(s.max_timesteps for s in stages[:-1]) >= self.total_timesteps:
            raise ValueError(f"{self.algo}/{self.family}: curriculum stages use the whole budget of {self.total_timesteps}")
        return stages

    def as_dict(self) -> dict[str, Any]:
        return {
            "algo": self.algo,
            "family": self.family,
            "profile": self.profile,
            "env": self.env,
            "model": self.model,
            "training": self.training,
        }


_REQUIRED = {
    "env": ("n_envs", "reward", "action", "normalize_obs", "normalize_reward"),
    "training": ("total_timesteps", "eval_every", "n_val_episodes", "n_test_episodes", "seed", "device"),
}


def resolve_config(
    algo: str, family: str, profile: str = "standard", overrides: dict[str, Any] | None = None
) -> AgentConfig:
    """The configuration of one training run (default <- family <- profile <- overrides)."""
    raw = load_hyperparams(algo)
    if family not in FAMILY_NAMES:
        raise KeyError(f"unknown scenario family {family!r}; known: {', '.join(FAMILY_NAMES)}")
    profiles = raw.get("profiles") or {}
    if profile not in profiles:
        raise KeyError(f"{algo}.yml: unknown profile {profile!r}; known: {', '.join(profiles)}")
    families = raw.get("families") or {}
    merged = raw["default"]
    for name in (GRID, family) if family in GRID_SCOPES else (family,):  # a horizon scope inherits the grid's block
        merged = deep_merge(merged, families.get(name) or {})
    merged = deep_merge(merged, profiles[profile] or {})
    merged = deep_merge(merged, overrides or {})
    if family in GRID_SCOPES:
        merged["training"]["specialists"] = None  # a scope is one policy
    for section, keys in _REQUIRED.items():
        missing = [k for k in keys if k not in (merged.get(section) or {})]
        if missing:
            raise ValueError(f"{algo}.yml ({family}, {profile}): missing {section}.{', '.join(missing)}")
    if merged["env"]["action"] not in ACTIONS[algo]:
        raise ValueError(f"{algo}: env.action must be one of {ACTIONS[algo]}, got {merged['env']['action']!r}")
    config = AgentConfig(algo, family, profile, merged["env"], merged.get("model") or {}, merged["training"])
    config.stages()  # validates the curriculum
    config.specialists  # and the horizon specialists
    return config
