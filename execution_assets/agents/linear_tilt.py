"""A linear policy on the recorded book's signal, trained by augmented random search.

The policy trades TWAP's fraction of the remainder scaled by ``1 + w . z``: ``z`` the
observation's book fields the signal calibration tests (side-signed, so positive leans against the order; clipped to +-3 like
the standardized fields they are), ``w`` learned. Zero weights are TWAP exactly. The tilt is
linear so that it averages to TWAP's pace over an order (the fields are centred on the train
days): a multiplicative ``exp(w . z)`` averaged 1.3x TWAP's pace, front-loaded every order, and
its test-day gains and losses followed those days' drift by side.

Training is augmented random search (ARS V1-t: Mania, Guy and Recht 2018, "Simple random search
provides a competitive approach to reinforcement learning"): each iteration perturbs ``w`` along
``directions`` random directions, both ways, on the same episodes of a few training problems
(common random numbers: the two runs of a direction share every price path, so their difference
is the perturbation's effect, not the paths'), and steps along the best directions. The objective
is the mean IS saved against TWAP as a share of TWAP's expected cost (``agents.envs.
twap_cost_scale``), so a basis point weighs as the evaluation weighs it. Every ``eval_every``
iterations the weights are judged on each validation problem (other days, fixed seeds); the
weights kept are those whose worst problem's lower bound (mean - 2 SE of the share saved) is
highest: TWAP (zero weights, bound 0) unless some beat it beyond noise on every problem. The
worst problem, not the mean: on recorded days the largest mean gain came from a tilt whose gain
followed the days' drift, all on one side of an order and none on the other (docs/decisions.md),
and a desk judges each order it sends.

Why it exists: the recorded signal's value at a 5-s decision is a few tenths of a basis point
against tens of basis points of price noise per episode; PPO trained on the same recorded days
learned a schedule shape from the train days' drifts instead, which lost on one side of every
test scenario (docs/agents.md). A policy that can only lean on the book cannot fit a drift.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from execution_assets.agents.envs import twap_cost_scale
from execution_assets.agents.scenarios import split_seed
from execution_assets.sim.observation import OBS_INDEX
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.strategies import TWAP
from execution_assets.strategies.base import StatelessPolicy
from execution_assets.strategies.runner import run_strategy

# the predictors ``calibration.signal_params`` measures (level-1 and level-5 imbalance, signed flow)
BOOK_FIELDS = ("imbalance", "imbalance_5", "signed_volume_rate")
POLICY_FILE = "policy.json"
_TWAP = OBS_INDEX["twap_fraction"]

# a problem and the recorded days it is traded on (None: the parametric market)
Task = tuple[ExecutionProblem, ReplayBook | None]


class LinearTilt(StatelessPolicy):
    """TWAP's fraction of the remainder x ``(1 + w . clip(book fields, +-3))``, within [0, 1]."""

    def __init__(self, weights: Sequence[float], fields: Sequence[str] = BOOK_FIELDS, name: str = "ars") -> None:
        if len(weights) != len(fields):
            raise ValueError(f"{len(weights)} weights for {len(fields)} fields {tuple(fields)}")
        self.weights, self.fields, self.name = np.asarray(weights, dtype=float), tuple(fields), name
        self._columns = [OBS_INDEX[f] for f in self.fields]

    def act(self, obs: np.ndarray) -> np.ndarray:
        signal = np.clip(obs[:, self._columns], -3.0, 3.0)
        return np.clip(obs[:, _TWAP] * (1.0 + signal @ self.weights), 0.0, 1.0)

    def save(self, run_dir: Path) -> Path:
        path = Path(run_dir) / POLICY_FILE
        path.write_text(json.dumps({"fields": list(self.fields), "weights": self.weights.tolist()}, indent=2))
        return path

    @classmethod
    def load(cls, run_dir: Path, name: str = "ars") -> "LinearTilt":
        raw = json.loads((Path(run_dir) / POLICY_FILE).read_text())
        return cls(raw["weights"], raw["fields"], name=name)


@dataclass(frozen=True)
class TiltSearch:
    """ARS's settings (defaults: what the replay benchmark uses, docs/agents.md)."""

    iterations: int = 60
    directions: int = 8  # random directions per iteration, each tried both ways
    top: int = 4  # directions whose better side is best, stepped along
    noise: float = 0.1  # perturbation size (weights per unit of a field)
    step: float = 0.05  # learning rate
    problems_per_iteration: int = 4
    episodes: int = 256  # per problem and run
    eval_every: int = 2
    val_episodes: int = 1000
    seed: int = 0


@dataclass
class TiltRun:
    policy: LinearTilt
    selected_iteration: int
    curves: list[dict] = field(default_factory=list)
    wall_s: float = 0.0


def _scaled_costs(policy: StatelessPolicy, tasks: Sequence[Task], episodes: int, seeds: Sequence[int]) -> np.ndarray:
    """(tasks, episodes): each episode's IS over its problem's TWAP expected cost."""
    return np.array(
        [run_strategy(policy, problem, episodes, seed, book=book).is_bps / twap_cost_scale(problem) for (problem, book), seed in zip(tasks, seeds)]
    )


def _validation_seeds(tasks: Sequence[Task]) -> list[int]:
    return [split_seed("validation", slot) for slot in range(len(tasks))]


def validation_score(policy: LinearTilt, tasks: Sequence[Task], episodes: int, twap: np.ndarray) -> tuple[float, float, float]:
    """(mean share of TWAP's cost saved over the validation tasks, its standard error, the least
    over tasks of a task's mean - 2 SE); ``twap``: TWAP's ``_scaled_costs`` on the same episodes."""
    saved = twap - _scaled_costs(policy, tasks, episodes, _validation_seeds(tasks))
    per_task_se = saved.std(axis=1, ddof=1) / np.sqrt(episodes)
    worst = float((saved.mean(axis=1) - 2 * per_task_se).min())
    return float(saved.mean()), float(np.sqrt((per_task_se**2).sum()) / len(tasks)), worst


def train_linear_tilt(
    train: Sequence[Task],
    validation: Sequence[Task],
    search: TiltSearch = TiltSearch(),
    fields: Sequence[str] = BOOK_FIELDS,
    log: Callable[[str], None] = print,
) -> TiltRun:
    """ARS on ``train`` (module docstring), the weights selected on ``validation``."""
    if not train or not validation:
        raise ValueError(f"ARS needs training and validation problems, got {len(train)} and {len(validation)}")
    started = time.perf_counter()
    rng = np.random.default_rng(search.seed)
    weights = np.zeros(len(fields))
    best = (0.0, 0, weights.copy())  # (score, iteration, weights): TWAP until beaten beyond noise
    curves: list[dict] = []
    twap = _scaled_costs(TWAP(), validation, search.val_episodes, _validation_seeds(validation))  # the same at every evaluation
    for iteration in range(search.iterations + 1):
        if iteration % search.eval_every == 0 or iteration == search.iterations:
            mean, se, worst = validation_score(LinearTilt(weights, fields), validation, search.val_episodes, twap)
            kept = iteration > 0 and worst > best[0]
            if kept:
                best = (worst, iteration, weights.copy())
            curves.append({"iteration": iteration, "val_saved_pct": 100 * mean, "val_se_pct": 100 * se, "val_worst_low_pct": 100 * worst,
                               "selected": kept, **{f"w_{f}": w for f, w in zip(fields, weights)}})  # fmt: skip
            log(f"[ars] iteration {iteration}: validation saves {100 * mean:+.2f}% of TWAP's cost (SE {100 * se:.2f}; worst "
                f"problem's lower bound {100 * worst:+.2f}%), weights {np.round(weights, 3).tolist()}" + (" [selected]" if kept else ""))  # fmt: skip
        if iteration == search.iterations:
            break
        picks = rng.choice(len(train), size=min(search.problems_per_iteration, len(train)), replace=False)
        tasks = [train[i] for i in picks]
        seeds = rng.integers(0, 1_000_000, size=len(tasks)).tolist()  # the train split's seed range
        deltas = rng.standard_normal((search.directions, len(fields)))
        plus, minus = (
            np.array([-_scaled_costs(LinearTilt(weights + sign * search.noise * d, fields), tasks, search.episodes, seeds).mean() for d in deltas])
            for sign in (1.0, -1.0)
        )
        order = np.argsort(-np.maximum(plus, minus))[: search.top]
        spread = float(np.concatenate([plus[order], minus[order]]).std()) or 1.0
        weights = weights + search.step / (search.top * spread) * ((plus[order] - minus[order]) @ deltas[order])
    return TiltRun(LinearTilt(best[2], fields), best[1], curves, time.perf_counter() - started)
