"""SB3 ``VecEnv`` over ``VecMarket``: n episodes of one problem stepped at once, with auto-reset.

Episodes of a batch share the problem (drawn from the sampler once per batch, so a curriculum
mixes problems across batches, not within one), so they start and end together; at the end of
a batch the infos carry ``terminal_observation`` (SB3's convention) and ``is_bps``, and a new
batch starts. Batch 0 uses the base seed (so
``ExecutionVecEnv(p, 1, seed=s)`` replays ``ExecutionEnv(p).reset(seed=s)``); batch r > 0 uses
the seed sequence ``[base, r]``. Observations, rewards and designs are those of ``ExecutionEnv``.
With ``replay`` (a ``ReplayBook``) every batch runs on the replay market (``sim.replay_market``):
recorded days, the same observation layout.

Infos of non-terminal steps are one shared read-only empty mapping (building n dicts per step
would cost more than the step); terminal infos are fresh dicts with ``terminal_observation``
and ``is_bps`` (``TimeLimit.truncated`` is absent, i.e. False: episodes end by completing the
order). ``last_summary()`` gives the finished batch's ``EpisodeSummary`` (every metric).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices

from execution_assets.env.problems import ProblemSpec, check_reward, make_sampler
from execution_assets.sim.observation import OBS_HIGH, OBS_LOW
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.sim.replay_market import ReplayMarket
from execution_assets.sim.vec_market import EpisodeSummary, FinishedBatch, VecMarket

N_DISCRETE = 11
_EMPTY_INFO = MappingProxyType({})


class ExecutionVecEnv(VecEnv):
    """``n_envs`` execution episodes in numpy (continuous actions, or ``discrete`` 0..10)."""

    def __init__(
        self,
        problem: ProblemSpec = None,
        n_envs: int = 16,
        *,
        reward: str = "per_step",
        discrete: bool = False,
        replay: ReplayBook | None = None,
        seed: int | None = None,
    ) -> None:
        self.render_mode = None
        self.reward_design = check_reward(reward)
        self.discrete = discrete
        self.replay = replay
        self._sampler = make_sampler(problem)
        self._base_seed = seed
        self._problem_rng = np.random.default_rng(seed)
        self._batch = 0
        self.market: VecMarket | None = None
        self._finished: FinishedBatch | None = None
        self._actions: np.ndarray | None = None
        action_space = spaces.Discrete(N_DISCRETE) if discrete else spaces.Box(0.0, 1.0, (1,), np.float32)
        super().__init__(n_envs, spaces.Box(OBS_LOW, OBS_HIGH, dtype=np.float32), action_space)

    def set_problems(self, problem: ProblemSpec) -> None:
        """Change what later batches are drawn from (curriculum); the current batch is untouched."""
        self._sampler = make_sampler(problem)

    # ------------------------------------------------------------------ VecEnv API
    def reset(self) -> np.ndarray:
        if self._seeds[0] is not None:
            self._base_seed, self._batch = self._seeds[0], 0
            self._problem_rng = np.random.default_rng(self._base_seed)
        elif self._base_seed is None:
            self._base_seed = int(np.random.SeedSequence().entropy)
        forced = self._options[0].get("problem")
        self._start_batch(forced)
        self._reset_seeds()
        self._reset_options()
        self.reset_infos = [{"batch": self._batch - 1} for _ in range(self.num_envs)]
        return self.market.observe()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self):
        if self.market is None:
            raise RuntimeError("ExecutionVecEnv: call reset() before step()")
        n = self.num_envs
        if self.discrete:  # i -> i / 10 as in ExecutionEnvDiscrete (NaN passes through and is counted)
            frac = np.floor(np.clip(self._actions.reshape(n), 0, N_DISCRETE - 1)) / (N_DISCRETE - 1)
        else:
            frac = self._actions.reshape(n)
        market = self.market
        res = market.step_fraction(frac)
        rewards = np.empty(n, dtype=np.float32)
        if self.reward_design == "per_step":
            np.add(res.cost_bps, res.risk_bps, out=rewards)
            np.negative(rewards, out=rewards)
        elif self.reward_design == "ac_utility":
            np.add(res.mtm_cost_bps, res.risk_bps, out=rewards)
            np.negative(rewards, out=rewards)
        elif res.done:
            np.add(market.is_bps, market.risk_penalty_bps, out=rewards)
            np.negative(rewards, out=rewards)
        else:
            rewards.fill(0.0)
        obs = market.observe()
        if not res.done:
            return obs, rewards, np.zeros(n, dtype=bool), [_EMPTY_INFO] * n
        infos = self._terminal_infos(market, obs)
        self._start_batch(None)
        return self.market.observe(), rewards, np.ones(n, dtype=bool), infos

    def close(self) -> None:
        self.market = self._finished = None

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self, attr_name)] * len(list(self._get_indices(indices)))

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        if len(list(self._get_indices(indices))) != self.num_envs:
            raise ValueError("ExecutionVecEnv: attributes are shared by all episodes; set them for all indices")
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs) -> list[Any]:
        result = getattr(self, method_name)(*method_args, **method_kwargs)
        return [result] * len(list(self._get_indices(indices)))

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        return [False] * len(list(self._get_indices(indices)))

    # ------------------------------------------------------------------ batches
    @property
    def problem(self) -> ExecutionProblem | None:
        return None if self.market is None else self.market.problem

    def last_summary(self) -> EpisodeSummary:
        """Results of the last finished batch."""
        if self._finished is None:
            raise RuntimeError("ExecutionVecEnv: no batch has finished yet")
        return self._finished.summary()

    def _batch_seed(self) -> int | Sequence[int]:
        return self._base_seed if self._batch == 0 else [self._base_seed, self._batch]

    def _start_batch(self, forced: ExecutionProblem | None) -> None:
        """Reset the market for the next batch, keeping the finished one's history for
        ``last_summary`` (one market: its path buffers are reused, only the history alternates)."""
        problem = forced or self._sampler(self._problem_rng)
        market = self.market
        if market is not None and market.done:
            self._finished = market.finish(spare=self._finished)
        if market is None or market.problem != problem:
            mark_to_market = self.reward_design == "ac_utility"
            if self.replay is None:
                market = VecMarket(problem, self.num_envs, mark_to_market=mark_to_market)
            else:
                market = ReplayMarket(problem, self.num_envs, self.replay, mark_to_market=mark_to_market)
        market.reset(self._batch_seed())
        self._batch += 1
        self.market = market

    @staticmethod
    def _terminal_infos(market: VecMarket, obs: np.ndarray) -> list[dict[str, Any]]:
        """SB3's ``terminal_observation`` and the signed IS; the rest is in ``last_summary()``.

        Two keys only: each key costs about 85 ns per episode, as much as the step itself.
        """
        return [{"terminal_observation": o, "is_bps": v} for o, v in zip(list(obs), market.is_bps.tolist())]
