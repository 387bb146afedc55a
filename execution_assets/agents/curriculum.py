"""Curriculum bookkeeping: which stage trains now and when to move on (pure logic, no SB3).

A stage ends when its validation capture reaches ``advance_at`` (the criterion), or after
``patience`` evaluations without a new best capture (it has stopped learning there), or when
its timestep budget is spent. Budget a stage leaves unused goes to the final stage, so a
curriculum run and a direct run of the same config use the same total number of timesteps.
The final stage never advances.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from execution_assets.agents.config import Stage


@dataclass
class Curriculum:
    stages: list[Stage]
    index: int = 0
    stage_start: int = 0  # timestep at which the current stage began
    best: float = float("-inf")
    since_best: int = 0
    history: list[tuple[int, str, str]] = field(default_factory=list)  # (timestep, family, reason)

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("a curriculum needs at least one stage")

    @property
    def stage(self) -> Stage:
        return self.stages[self.index]

    @property
    def final(self) -> bool:
        return self.index == len(self.stages) - 1

    def update(self, timestep: int, capture: float) -> str | None:
        """Record a validation capture at ``timestep``; returns why the stage ended, or None."""
        if self.final:
            return None
        if capture > self.best:
            self.best, self.since_best = capture, 0
        else:
            self.since_best += 1
        stage = self.stage
        if capture >= stage.advance_at:
            reason = f"capture {capture:.3f} >= {stage.advance_at}"
        elif self.since_best >= stage.patience:
            reason = f"no new best capture in {stage.patience} evaluations (best {self.best:.3f})"
        elif timestep - self.stage_start >= stage.max_timesteps:
            reason = f"budget of {stage.max_timesteps} timesteps spent"
        else:
            return None
        self.history.append((timestep, stage.family, reason))
        self.index += 1
        self.stage_start = timestep
        self.best, self.since_best = float("-inf"), 0
        return reason
