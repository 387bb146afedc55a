"""The training environment: groups of ``ExecutionVecEnv`` side by side, actions, normalization.

``ExecutionVecEnv`` runs one problem per batch (its episodes start and end together), so a
rollout of a single one sees one problem. For a family of several problems the training env
concatenates ``n_groups`` of them, each drawing its own problem per batch from the family:
every rollout then mixes problems. Stack, outermost first:

    VecNormalize (observation and reward normalization, saved with the model)
      FractionActions (the policy's action -> fraction of the remainder, see ``actions``)
        ConcatVecEnv (n_groups x ExecutionVecEnv, n_envs episodes in all)
          [ReferenceRelativeReward around each group, with ``reward_baseline: plan | twap``]

``reward_baseline: plan`` (or ``twap``) pays the agent its reward minus the reward the
scenario's static optimal plan (or TWAP) earns on the same price path (a twin
``ExecutionVecEnv`` with the same seed and problems runs the reference in lockstep). The
reference's trades do not depend on the agent's, so this subtracts a quantity whose conditional
expectation depends on the market state only: the optimal policy is unchanged, while most of
the price noise in the reward cancels (the agent is charged (x_agent - x_ref) sigma z per step
instead of x_agent sigma z), which is what TD learning (SAC, DQN) needs most. Against the plan,
an agent that acts at the plan (action 0) earns exactly 0: the reward is what it adds.

``market: replay`` or ``both`` (``make_training_env``'s ``replay``) puts all or the last groups
on recorded days (``sim.replay_market``: one instrument's train-split book per group, with the
grid problems of that instrument its days can hold); the parametric groups keep the family.

``reward_scale: twap_cost`` (the default with a baseline) divides each batch's relative reward by
TWAP's expected risk-adjusted cost on that batch's problem (closed form, nominal regime), so a
basis point on a 5-minute order and on a 1-day order weigh as the evaluation weighs them (as a
share of TWAP's cost): with raw basis points the 1-day orders' trend P&L dominated the gradient,
and PPO bought 2 points on 1-day families with 1-2 points lost on every shorter one.
``reward_scale: family_twap_cost`` divides by the mean of that cost over the problem's family
(impact model x horizon) instead: within a family a basis point then weighs the same on every
order, as in the evaluation's family rows (their bps over their mean TWAP cost), where the
per-problem scale made a 1% order's basis point count ten times a 10% order's (the whole-day
specialist bought trend gains on small orders with larger losses on big ones: docs/agents.md).
Checkpoint selection measures gains over the plan on the same scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper, VecNormalize
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices

from execution_assets.agents.actions import PLAN_FIELD, TWAP_FIELD, ActionMap, FractionActions
from execution_assets.agents.validation import plan_family
from execution_assets.env import ExecutionVecEnv
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.strategies.base import nominal_problem
from execution_assets.strategies.schedule_costs import expected_is_bps, variance_is_bps2


def group_seed(seed: int, group: int) -> int:
    """A distinct, reproducible base seed per env group (groups must not share price paths)."""
    return int(np.random.SeedSequence([seed, group]).generate_state(1, dtype=np.uint32)[0])


class ConcatVecEnv(VecEnv):
    """Several VecEnvs with the same spaces stepped as one (episodes laid end to end)."""

    def __init__(self, envs: Sequence[VecEnv]) -> None:
        if not envs:
            raise ValueError("ConcatVecEnv needs at least one env")
        first = envs[0]
        for env in envs[1:]:
            if env.observation_space != first.observation_space or env.action_space != first.action_space:
                raise ValueError("ConcatVecEnv: all envs must have the same observation and action spaces")
        self.envs = list(envs)
        self._bounds = np.cumsum([0] + [e.num_envs for e in envs])
        super().__init__(int(self._bounds[-1]), first.observation_space, first.action_space)

    def _split(self, array: np.ndarray) -> list[np.ndarray]:
        return [array[a:b] for a, b in zip(self._bounds[:-1], self._bounds[1:])]

    def reset(self) -> np.ndarray:
        return np.concatenate([env.reset() for env in self.envs])

    def step_async(self, actions: np.ndarray) -> None:
        for env, part in zip(self.envs, self._split(np.asarray(actions))):
            env.step_async(part)

    def step_wait(self):
        results = [env.step_wait() for env in self.envs]
        obs = np.concatenate([r[0] for r in results])
        rewards = np.concatenate([r[1] for r in results])
        dones = np.concatenate([r[2] for r in results])
        infos = [info for r in results for info in r[3]]
        return obs, rewards, dones, infos

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Seeds each group with ``group_seed(seed, g)`` (used from its next reset)."""
        if seed is None:
            return [s for env in self.envs for s in env.seed(None)]
        return [s for g, env in enumerate(self.envs) for s in env.seed(group_seed(seed, g))]

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def _env_slices(self, indices: VecEnvIndices) -> list[tuple[VecEnv, list[int]]]:
        wanted = set(self._get_indices(indices))
        out = []
        for env, a, b in zip(self.envs, self._bounds[:-1], self._bounds[1:]):
            local = [i - a for i in range(a, b) if i in wanted]
            if local:
                out.append((env, local))
        return out

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [v for env, local in self._env_slices(indices) for v in env.get_attr(attr_name, local)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        for env, local in self._env_slices(indices):
            env.set_attr(attr_name, value, local)

    def env_method(self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs) -> list[Any]:
        return [
            v
            for env, local in self._env_slices(indices)
            for v in env.env_method(method_name, *method_args, indices=local, **method_kwargs)
        ]

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        return [v for env, local in self._env_slices(indices) for v in env.env_is_wrapped(wrapper_class, local)]


REWARD_BASELINES = {"twap": TWAP_FIELD, "plan": PLAN_FIELD}  # the observed fraction the twin trades
REWARD_SCALES = ("none", "twap_cost", "family_twap_cost")


def family_twap_cost_scales(problems: Sequence[ExecutionProblem]) -> dict[ExecutionProblem, float]:
    """Each problem's family's mean ``twap_cost_scale`` (family: ``plan_family``, impact model x horizon)."""
    by_family: dict[tuple, list[float]] = {}
    for p in problems:
        by_family.setdefault(plan_family(p), []).append(twap_cost_scale(p))
    return {p: float(np.mean(by_family[plan_family(p)])) for p in problems}


@lru_cache(maxsize=4096)
def twap_cost_scale(problem: ExecutionProblem) -> float:
    """TWAP's expected IS + lambda Var (bps) on the problem's nominal regime, at least 1 bp."""
    nominal = nominal_problem(problem).with_(trend_sign=0)
    twap = np.full(problem.n_steps, 1.0 / problem.n_steps)
    cost = expected_is_bps(nominal, twap) + problem.risk_aversion * variance_is_bps2(nominal, twap)
    return max(abs(cost), 1.0)


class ReferenceRelativeReward(VecEnvWrapper):
    """The agent's reward minus the reference schedule's on the same paths (module docstring)."""

    def __init__(
        self,
        venv: ExecutionVecEnv,
        twin: ExecutionVecEnv,
        reference: str = "plan",
        scale: str = "none",
        family_scales: dict[ExecutionProblem, float] | None = None,
    ) -> None:
        super().__init__(venv)
        self.twin = twin
        self.reference_field = REWARD_BASELINES[reference]
        if scale not in REWARD_SCALES:
            raise ValueError(f"env.reward_scale must be one of {REWARD_SCALES}, got {scale!r}")
        if scale == "family_twap_cost" and family_scales is None:
            raise ValueError("env.reward_scale family_twap_cost needs the family scales of the problems")
        self.scale = scale
        self.family_scales = family_scales
        self._divisor = 1.0
        self._twin_obs: np.ndarray | None = None
        self.raw_rewards = np.zeros(venv.num_envs, dtype=np.float32)

    def set_problems(self, problems: Sequence[ExecutionProblem]) -> None:
        self.venv.set_problems(list(problems))
        self.twin.set_problems(list(problems))

    def seed(self, seed: int | None = None) -> list[int | None]:
        self.twin.seed(seed)
        return self.venv.seed(seed)

    def reset(self) -> np.ndarray:
        self._twin_obs = self.twin.reset()
        return self.venv.reset()

    def step_async(self, actions: np.ndarray) -> None:
        if self.scale == "twap_cost":  # the batch's problem, before a terminal step starts the next
            self._divisor = twap_cost_scale(self.venv.market.problem)
        elif self.scale == "family_twap_cost":
            self._divisor = self.family_scales[self.venv.market.problem]
        self.venv.step_async(actions)
        self.twin.step_async(self._twin_obs[:, self.reference_field].astype(float))

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        self._twin_obs, twin_rewards, twin_dones, _ = self.twin.step_wait()
        if not np.array_equal(dones, twin_dones):
            raise RuntimeError("ReferenceRelativeReward: the reference twin fell out of step with the agent's env")
        self.raw_rewards = rewards
        return obs, (rewards - twin_rewards) / self._divisor, dones, infos


@dataclass
class TrainingEnv:
    """The wrapped env handed to SB3 and direct handles on its layers."""

    venv: VecEnv  # outermost (VecNormalize, or FractionActions when nothing is normalized)
    groups: list[ExecutionVecEnv | ReferenceRelativeReward]
    normalizer: VecNormalize | None
    replay_groups: tuple[int, ...] = ()  # groups trading recorded days (their problems are fixed)

    @property
    def baseline(self) -> bool:
        return isinstance(self.groups[0], ReferenceRelativeReward)

    def raw_rewards(self) -> np.ndarray:
        """The last step's rewards as the env paid them (before baseline and normalization)."""
        if self.baseline:
            return np.concatenate([g.raw_rewards for g in self.groups])
        if self.normalizer is not None:
            return self.normalizer.get_original_reward()
        raise RuntimeError("TrainingEnv.raw_rewards: read the rewards SB3 saw instead")

    def set_problems(self, problems: Sequence[ExecutionProblem]) -> None:
        """Later batches of every parametric group draw from ``problems`` (curriculum stage change)."""
        for g, env in enumerate(self.groups):
            if g not in self.replay_groups:
                env.set_problems(list(problems))


MARKETS = ("parametric", "replay", "both")


@dataclass(frozen=True)
class ReplayTraining:
    """Recorded days to train on: one instrument's book and the problems its days can hold."""

    book: ReplayBook
    problems: tuple[ExecutionProblem, ...]


def replay_group_count(env_config: dict[str, Any], n_groups: int) -> int:
    """How many of the ``n_groups`` groups trade recorded days (``env.market``, ``env.replay_share``)."""
    market = env_config.get("market", "parametric")
    if market not in MARKETS:
        raise ValueError(f"env.market must be one of {MARKETS}, got {market!r}")
    if market == "parametric":
        return 0
    if market == "replay":
        return n_groups
    if n_groups < 2:
        raise ValueError("env.market: both needs env.n_groups >= 2 (one group per market at least)")
    share = float(env_config.get("replay_share", 0.5))
    return min(n_groups - 1, max(1, int(round(share * n_groups))))


def make_training_env(
    problems: Sequence[ExecutionProblem],
    env_config: dict[str, Any],
    seed: int,
    replay: Sequence[ReplayTraining] = (),
) -> TrainingEnv:
    """The training env of ``env_config`` (n_envs, n_groups, reward, action..., normalization).

    With ``env.market: replay`` or ``both`` the last groups trade the ``replay`` books (one book
    per group, taken in turn) on their own problems; ``both`` keeps the first groups parametric.
    """
    n_envs, n_groups = int(env_config["n_envs"]), int(env_config.get("n_groups", 1))
    if n_groups < 1 or n_envs % n_groups:
        raise ValueError(f"env.n_envs={n_envs} must be a positive multiple of env.n_groups={n_groups}")
    baseline = env_config.get("reward_baseline", "none")
    if baseline != "none" and baseline not in REWARD_BASELINES:
        raise ValueError(f"env.reward_baseline must be none, {' or '.join(REWARD_BASELINES)}, got {baseline!r}")
    n_replay = replay_group_count(env_config, n_groups) if replay else 0
    if env_config.get("market", "parametric") == "replay" and not replay:
        raise ValueError("env.market: replay needs recorded days (no replay book was given)")
    replay_groups = tuple(range(n_groups - n_replay, n_groups))
    usable = [r for r in replay if r.problems]
    if n_replay and not usable:
        raise ValueError("env.market: no recorded day can hold any of the family's horizons")

    def group(g: int) -> ExecutionVecEnv:
        own, book = list(problems), None
        if g in replay_groups:
            pick = usable[(g - replay_groups[0]) % len(usable)]
            own, book = list(pick.problems), pick.book
        return ExecutionVecEnv(own, n_envs // n_groups, reward=env_config["reward"], replay=book, seed=group_seed(seed, g))

    scale = env_config.get("reward_scale", "none")
    family_scales = None
    if scale == "family_twap_cost":
        family_scales = family_twap_cost_scales([*problems, *(p for r in usable for p in r.problems)])
    groups = [
        ReferenceRelativeReward(group(g), group(g), baseline, scale, family_scales) if baseline != "none" else group(g)
        for g in range(n_groups)
    ]
    venv: VecEnv = FractionActions(ConcatVecEnv(groups), ActionMap.from_env_config(env_config))
    normalizer = None
    if env_config["normalize_obs"] or env_config["normalize_reward"]:
        normalizer = VecNormalize(
            venv,
            norm_obs=bool(env_config["normalize_obs"]),
            norm_reward=bool(env_config["normalize_reward"]),
            clip_obs=float(env_config.get("clip_obs", 10.0)),
            clip_reward=float(env_config.get("clip_reward", 10.0)),
            gamma=float(env_config.get("reward_gamma", 1.0)),
        )
        venv = normalizer
    return TrainingEnv(venv=venv, groups=groups, normalizer=normalizer, replay_groups=replay_groups)
