"""The trained RL agents (``trained_agent`` outputs) as strategies for the evaluation.

A training run folder is ``artifacts/models/<algo>/<run_id>/`` (see ``agents.run_folder``);
run ids start with a UTC timestamp, so the newest run with a model is the one evaluated.
"""

from __future__ import annotations

from pathlib import Path

from execution_assets.agents.config import ALGORITHMS
from execution_assets.agents.run_folder import CONFIG_FILE, MODEL_FILE, models_dir
from execution_assets.strategies.base import Strategy


def latest_runs(algorithms: tuple[str, ...] = ALGORITHMS) -> dict[str, Path]:
    """The newest complete run folder (model and config present) of each trained algorithm."""
    runs = {}
    for algo in algorithms:
        complete = [p for p in models_dir(algo).glob("*") if (p / MODEL_FILE).is_file() and (p / CONFIG_FILE).is_file()]
        if complete:
            runs[algo] = max(complete, key=lambda p: p.name)
    return runs


def load_agents(runs: dict[str, Path]) -> list[Strategy]:
    """Each run's selected checkpoint as a deterministic ``Strategy`` named after its algorithm."""
    from execution_assets.agents.policy import load_agent  # torch and SB3: only when agents exist

    return [load_agent(path) for _, path in sorted(runs.items())]
