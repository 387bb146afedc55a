"""The trained RL agents (``trained_agent`` outputs) as strategies for the evaluation.

A training run folder is ``artifacts/models/<algo>/<batch>-<family>-<profile>-s<seed>/`` (see
``agents.run_folder``); the batch is the UTC timestamp of the ``trained_agent`` run, shared by
the seeds it trained, so the newest batch of each algorithm is the one evaluated. Its first
seed is the strategy named after the algorithm (``ppo``), the others ``ppo-s1``, ``ppo-s2``...;
reports and the headline average them (``algorithm_of``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from execution_assets.agents.config import ALGORITHMS
from execution_assets.agents.run_folder import is_finished_run, models_dir, read_config
from execution_assets.strategies.base import Strategy

_SEED_NAME = re.compile(r"^(?P<algo>[a-z0-9_]+)-s(?P<seed>\d+)$")


def batch_id(run_dir: Path) -> str:
    """The training batch a run folder belongs to (its leading timestamp)."""
    return run_dir.name.split("-", 1)[0]


def run_seed(run_dir: Path) -> int:
    """The run's training seed (0 for a config that does not say)."""
    return int((read_config(run_dir).get("training") or {}).get("seed", 0))


def latest_batches(algorithms: tuple[str, ...] = ALGORITHMS) -> dict[str, list[Path]]:
    """The complete run folders (model and config present) of each algorithm's newest batch, by seed."""
    batches = {}
    for algo in algorithms:
        complete = [p for p in models_dir(algo).glob("*") if is_finished_run(p)]
        if complete:
            newest = max(batch_id(p) for p in complete)
            batches[algo] = sorted((p for p in complete if batch_id(p) == newest), key=run_seed)
    return batches


def latest_runs(algorithms: tuple[str, ...] = ALGORITHMS) -> dict[str, Path]:
    """The first seed of each algorithm's newest batch (the run its report describes)."""
    return {algo: runs[0] for algo, runs in latest_batches(algorithms).items()}


def seed_runs(algorithms: tuple[str, ...] = ALGORITHMS) -> dict[str, Path]:
    """Every seed of the newest batches by strategy name: ``ppo`` for the first, ``ppo-s<seed>`` after."""
    out = {}
    for algo, runs in latest_batches(algorithms).items():
        out[algo] = runs[0]
        out |= {f"{algo}-s{run_seed(p)}": p for p in runs[1:]}
    return out


def algorithm_of(strategy: str) -> str:
    """The algorithm behind a strategy name (``ppo-s2`` -> ``ppo``); other names unchanged."""
    match = _SEED_NAME.match(strategy)
    return match["algo"] if match and match["algo"] in ALGORITHMS else strategy


def load_agents(runs: dict[str, Path]) -> list[Strategy]:
    """Each run's selected checkpoint as a deterministic ``Strategy`` named by its key."""
    from execution_assets.agents.policy import load_agent  # torch and SB3: only when agents exist

    agents = []
    for name, path in sorted(runs.items()):
        agent = load_agent(path)
        agent.name = name
        agents.append(agent)
    return agents


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Torch on one intra-op thread while agents act (when torch is loaded at all): the policies
    are small MLPs, and on a busy machine torch's spinning worker threads made each forward pass
    ~30x slower (measured: 44 s vs 6 s for one instrument's replay under a load of 6 on 2 cores;
    the grid's agents in two evaluation workers of `make run`: 93 s for what one process does in 38)."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
