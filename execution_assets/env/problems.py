"""Which ``ExecutionProblem`` the next episode gets: one, a list, or a sampler (curriculum)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from execution_assets.sim.problem import ExecutionProblem

ProblemSampler = Callable[[np.random.Generator], ExecutionProblem]
ProblemSpec = ExecutionProblem | Sequence[ExecutionProblem] | ProblemSampler | None

REWARDS = ("per_step", "terminal", "ac_utility")


def make_sampler(spec: ProblemSpec) -> ProblemSampler:
    """A sampler for ``spec``: None -> the default problem; a list -> uniform choice."""
    if spec is None:
        spec = ExecutionProblem()
    if isinstance(spec, ExecutionProblem):
        problem = spec
        return lambda rng: problem
    if callable(spec):
        return lambda rng: _checked(spec(rng))
    problems = tuple(spec)
    if not problems or not all(isinstance(p, ExecutionProblem) for p in problems):
        raise TypeError("problem must be an ExecutionProblem, a non-empty list of them, or a callable(rng)")
    if len(problems) == 1:
        return lambda rng: problems[0]
    return lambda rng: problems[int(rng.integers(len(problems)))]


def _checked(problem: object) -> ExecutionProblem:
    if not isinstance(problem, ExecutionProblem):
        raise TypeError(f"the problem sampler returned {type(problem).__name__}, not an ExecutionProblem")
    return problem


def check_reward(reward: str) -> str:
    if reward not in REWARDS:
        raise ValueError(f"reward must be one of {REWARDS}, got {reward!r}")
    return reward
