"""Curriculum advancement: on the validation criterion, on a plateau, on the stage budget."""

from __future__ import annotations

from execution_assets.agents.config import Stage
from execution_assets.agents.curriculum import Curriculum


def _curriculum() -> Curriculum:
    return Curriculum(
        [
            Stage("easy", max_timesteps=1000, advance_at=0.8, patience=2),
            Stage("medium", max_timesteps=1000, advance_at=0.7, patience=2),
            Stage("hard", max_timesteps=10**6, advance_at=1.0, patience=10**9),
        ]
    )


def test_advances_when_validation_capture_reaches_the_threshold():
    c = _curriculum()
    assert c.update(100, 0.5) is None
    assert c.update(200, 0.79) is None
    reason = c.update(300, 0.81)
    assert reason is not None and "capture 0.810 >= 0.8" in reason
    assert c.stage.family == "medium" and c.stage_start == 300
    assert c.history == [(300, "easy", reason)]


def test_advances_after_patience_evaluations_without_a_new_best():
    c = _curriculum()
    c.update(100, 0.5)
    assert c.update(200, 0.4) is None  # 1 without a new best
    reason = c.update(300, 0.45)  # 2: patience spent
    assert "no new best capture in 2 evaluations" in reason
    assert c.stage.family == "medium"


def test_advances_when_the_stage_budget_is_spent_and_counts_from_the_stage_start():
    c = _curriculum()
    c.update(100, 0.1)
    c.update(200, 0.2)
    assert "budget of 1000 timesteps spent" in c.update(1000, 0.3)
    assert c.update(1500, 0.1) is None  # medium started at 1000: new best
    assert c.update(1900, 0.2) is None
    assert c.stage.family == "medium"
    assert "budget" in c.update(2000, 0.3)
    assert c.final


def test_the_final_stage_never_advances():
    c = _curriculum()
    c.index = 2
    for t in range(10):
        assert c.update(t * 10**6, 1.5) is None
    assert c.final and c.history == []
