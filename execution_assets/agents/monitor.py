"""The SB3 callback of a training run: progress bar, validation, curriculum, checkpoint selection.

Every ``eval_every`` timesteps the current policy is compared with TWAP and the oracle on the
validation seeds of the current stage's family; the curriculum advances on that comparison and,
in the final stage, a new best validation score saves the checkpoint (model + VecNormalize
stats). The score is ``training.select_on``: ``plan_gain`` (default), the lower 2-standard-error
bound of the mean gain over the scenario's static optimal plan on the risk-adjusted cost
E[IS + lambda P] (what the rewards pay and the headline's risk-adjusted table averages), as a
share of TWAP's, or ``capture``, the mean share of the oracle's gain on the sample mean-variance
objective. When training starts in its final stage the untrained policy is validated too
(timestep 0): for plan-relative agents it is the plan exactly (bound 0), so a trained checkpoint
replaces it only where it beats the plan beyond noise on the validation seeds, and only if no
family of validation problems (impact model x horizon, the headline's rows) is worse than the plan
beyond noise: a gain on 1-day orders does not buy a loss on 5-minute ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm import tqdm

from execution_assets.agents.actions import ActionMap
from execution_assets.agents.config import AgentConfig
from execution_assets.agents.curriculum import Curriculum
from execution_assets.agents.envs import TrainingEnv, family_twap_cost_scales, twap_cost_scale
from execution_assets.agents.policy import AgentPolicy, load_checkpoint
from execution_assets.agents.run_folder import MODEL_FILE, NORMALIZER_FILE
from execution_assets.agents.scenarios import Calibrations, family_problems
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.agents.validation import (
    Benchmark,
    Comparison,
    mean_capture,
    mean_penalized_improvement,
    plan_family,
    plan_gain_bound,
)

Logger = Callable[[str], None]
INITIAL_PREFIX = "initial_policy"  # subfolder of a curriculum run holding its step-0 policy until the end


class TrainingMonitor(BaseCallback):
    """Progress bar, validation, curriculum and checkpoint selection during ``learn``."""

    def __init__(
        self,
        config: AgentConfig,
        env: TrainingEnv,
        curriculum: Curriculum,
        run_dir: Path,
        log: Logger,
        progress: bool,
        replay_validation: Sequence[tuple[ExecutionProblem, ReplayBook]] = (),
        calibrations: Calibrations | None = None,
    ) -> None:
        super().__init__()
        self.replay_validation = list(replay_validation)
        self.calibrations = calibrations  # the grid families' market (agents.scenarios.grid_calibrations)
        self.config = config
        self.env = env
        self.curriculum = curriculum
        self.run_dir = run_dir
        self.log = log
        self.progress = progress
        self.action_map = ActionMap.from_env_config(config.env)
        self.n_val = int(config.training["n_val_episodes"])
        self._benchmarks: dict[str, Benchmark] = {}
        self.rows: list[dict[str, Any]] = []
        self.select_on = str(config.training.get("select_on", "plan_gain"))
        if self.select_on not in ("plan_gain", "capture"):
            raise ValueError(f"{config.algo}: training.select_on must be plan_gain or capture, got {self.select_on!r}")
        self.best_score = float("-inf")
        self.selected_timestep = 0
        self.selected_validation: list[Comparison] = []
        self.eval_seconds = 0.0
        self._next_eval = config.eval_every
        self._episode_costs: list[float] = []
        self._returns = np.zeros(env.venv.num_envs)
        self._bar: tqdm | None = None
        self._t0 = time.perf_counter()

    def benchmark(self, family: str) -> Benchmark:
        """The family's validation problems; on the target family also the recorded validation
        days the agent trains for (``env.market: replay`` validates on those alone)."""
        if family not in self._benchmarks:
            replay = self.replay_validation if family == self.config.family else []
            only_replay = bool(replay) and self.config.env.get("market") == "replay"
            problems = [] if only_replay else list(family_problems(family, "validation", self.calibrations))
            books = [None] * len(problems) + [book for _, book in replay]
            self._benchmarks[family] = Benchmark(problems + [p for p, _ in replay], "validation", self.n_val, books)
        return self._benchmarks[family]

    def _on_training_start(self) -> None:
        self._t0 = time.perf_counter()
        if self.curriculum.final:
            self._validate()  # the initial policy (the reference schedule) is a candidate too
        else:  # kept aside in case no checkpoint of the final stage is eligible (_keep_initial_policy)
            self.model.save(self.run_dir / INITIAL_PREFIX / MODEL_FILE)
            if self.env.normalizer is not None:
                self.env.normalizer.save(self.run_dir / INITIAL_PREFIX / NORMALIZER_FILE)
        self._bar = tqdm(
            total=self.config.total_timesteps,
            desc=f"{self.config.algo} {self.config.family}",
            unit="step",
            unit_scale=True,
            disable=not self.progress,
            dynamic_ncols=True,
        )

    def _on_step(self) -> bool:
        if self._bar is not None:
            self._bar.update(self.training_env.num_envs)
        if self.env.normalizer is None and not self.env.baseline:
            self._returns += self.locals["rewards"]
        else:
            self._returns += self.env.raw_rewards()
        dones = self.locals["dones"]
        if dones.any():  # every reward design sums to -(IS + lambda * risk penalty) over an episode
            self._episode_costs.extend((-self._returns[dones]).tolist())
            self._returns[dones] = 0.0
        if self.num_timesteps >= self._next_eval:
            self._next_eval += self.config.eval_every
            self._validate()
        return True

    def _on_training_end(self) -> None:
        if not self.rows or self.rows[-1]["timesteps"] < self.num_timesteps or not self.curriculum.final:
            self._validate(force_final=True)
        if not self.selected_validation:
            self._keep_initial_policy()
        if self._bar is not None:
            self._bar.close()

    def _keep_initial_policy(self) -> None:
        """No checkpoint of the final stage was eligible (each worse than the plan beyond noise in
        some family): the run keeps the policy it started from (the reference schedule, with
        ``init_at_reference``), validated on the final stage's problems, and says so."""
        initial = self.run_dir / INITIAL_PREFIX
        if not (initial / MODEL_FILE).exists():
            raise RuntimeError(f"{self.config.algo}: no checkpoint selected and no initial policy kept in {initial}")
        for name in (MODEL_FILE, NORMALIZER_FILE):
            if (initial / name).exists():
                (initial / name).replace(self.run_dir / name)
        initial.rmdir()
        policy = load_checkpoint(self.run_dir, self.config.algo, self.config.env)
        self.selected_validation = self.benchmark(self.curriculum.stage.family).compare(policy)
        self.selected_timestep = 0
        self.log(
            f"[{self.config.algo} {self.config.family}] no checkpoint of the final stage "
            f"{self.curriculum.stage.family} was within noise of the plan on every family: keeping the initial policy"
        )

    def _validate(self, force_final: bool = False) -> None:
        start = time.perf_counter()
        if force_final and not self.curriculum.final:  # budget ran out before the last stage
            self._switch_stage(len(self.curriculum.stages) - 1, "training budget spent")
        stage = self.curriculum.stage
        policy = AgentPolicy(self.model, self.action_map, self.env.normalizer, name=self.config.algo)
        comparisons = self.benchmark(stage.family).compare(policy)
        capture = mean_capture(comparisons)
        improvement = mean_penalized_improvement(comparisons)
        bench = self.benchmark(stage.family)
        families = [plan_family(p) + (("replay",) if b is not None else ()) for p, b in zip(bench.problems, bench.books)]
        scales = [None if b is None else twap_cost_scale(p) for p, b in zip(bench.problems, bench.books)]
        if self.config.env.get("reward_scale") == "family_twap_cost":  # gains weighed as the rewards weigh them
            family = family_twap_cost_scales(bench.problems)
            scales = [family[p] if s is None else s for p, s in zip(bench.problems, scales)]
        plan_gain, plan_gain_low, worst_family = plan_gain_bound(comparisons, families, scales=scales)
        eligible = self.select_on == "capture" or worst_family >= 0 or self.num_timesteps == 0
        score = capture if self.select_on == "capture" else plan_gain_low
        selected = False
        if self.curriculum.final and eligible and score > self.best_score:
            self.best_score, self.selected_timestep, selected = score, self.num_timesteps, True
            self.selected_validation = comparisons
            self.model.save(self.run_dir / MODEL_FILE)
            if self.env.normalizer is not None:
                self.env.normalizer.save(self.run_dir / NORMALIZER_FILE)
        train_cost = float(np.mean(self._episode_costs)) if self._episode_costs else float("nan")
        self._episode_costs.clear()
        closed = [c.vs_ac_closed_form for c in comparisons if c.vs_ac_closed_form is not None]
        wall = time.perf_counter() - self._t0
        self.rows.append(
            {
                "timesteps": self.num_timesteps,
                "wall_s": wall,
                "train_wall_s": wall - self.eval_seconds - (time.perf_counter() - start),
                "stage": stage.family,
                "train_objective_bps": train_cost,
                "val_agent_bps": float(np.mean([c.agent for c in comparisons])),
                "val_twap_bps": float(np.mean([c.twap for c in comparisons])),
                "val_oracle_bps": float(np.mean([c.oracle for c in comparisons])),
                "val_improvement_vs_twap_pct": 100 * float(np.mean([c.improvement_vs_twap for c in comparisons])),
                "val_penalized_improvement_pct": 100 * improvement,
                "val_plan_gain_pct": 100 * plan_gain,
                "val_plan_gain_low_pct": 100 * plan_gain_low,
                "val_worst_family_high_pct": 100 * worst_family,
                "val_capture": capture,
                "val_vs_ac_closed_form_pct": 100 * float(np.mean(closed)) if closed else float("nan"),
                "selected": selected,
            }
        )
        self.log(
            f"[{self.config.algo} {self.config.family}] step {self.num_timesteps:,} stage {stage.family}: "
            f"validation objective {self.rows[-1]['val_agent_bps']:.2f} bps (TWAP {self.rows[-1]['val_twap_bps']:.2f}, "
            f"oracle {self.rows[-1]['val_oracle_bps']:.2f}), capture {capture:.3f}, "
            f"risk-adjusted improvement vs TWAP {100 * improvement:.2f}%, gain over the plan "
            f"{100 * plan_gain:+.2f}% (lower bound {100 * plan_gain_low:+.2f}%, worst family's upper bound "
            f"{100 * worst_family:+.2f}%)"
            + (" [selected]" if selected else "")
        )
        reason = self.curriculum.update(self.num_timesteps, capture)
        if reason is not None:
            self._announce(reason)
        self.eval_seconds += time.perf_counter() - start

    def _switch_stage(self, index: int, reason: str) -> None:
        self.curriculum.history.append((self.num_timesteps, self.curriculum.stage.family, reason))
        self.curriculum.index = index
        self.curriculum.stage_start = self.num_timesteps
        self._announce(reason)

    def _announce(self, reason: str) -> None:
        family = self.curriculum.stage.family
        self.env.set_problems(family_problems(family, "train", self.calibrations))
        self.log(f"[{self.config.algo}] curriculum: {reason}; now training on {family}")
