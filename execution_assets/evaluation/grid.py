"""Evaluate every strategy on every scenario of a grid (the ``episode_results`` computation)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from execution_assets.evaluation.agents import one_torch_thread
from execution_assets.evaluation.paired import (
    BASELINES,
    CEILINGS,
    StrategyFailure,
    baseline_strategies,
    episode_frame,
    evaluate_problem,
    run_stateless_together,
)
from execution_assets.scenarios import MarketCalibration, calibration_for, stored_problem
from execution_assets.sim.market_path import MarketPath, draw_path
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import EpisodeSummary
from execution_assets.strategies import Oracle
from execution_assets.strategies.base import StatelessPolicy, Strategy
from execution_assets.strategies.observable_oracle import ObservableOracle

FAILURE_COLUMNS = {"scenario_id": pl.String(), "strategy": pl.String(), "error": pl.String()}

Progress = Callable[[int, int], None]
POLICY_BATCH = 32  # scenarios a stateless policy (an agent) works at once: one forward pass per step for all


@dataclass(frozen=True)
class GridEvaluation:
    frames: list[pl.DataFrame]  # evaluation.episode_results rows, one frame per scenario
    failures: pl.DataFrame  # strategies that could not plan a scenario: scenario_id, strategy, error
    seconds: float

    @property
    def episodes(self) -> pl.DataFrame:
        """All rows in one frame (a copy: for millions of rows, write ``frames`` in chunks)."""
        return pl.concat(self.frames) if self.frames else episode_frame("", {})


def evaluate_scenarios(
    scenarios: pl.DataFrame,
    calibrations: Mapping[str, MarketCalibration],
    n_episodes: int,
    *,
    agents: Sequence[Strategy] = (),
    include_oracle: bool = True,
    include_baselines: bool = True,
    progress: Progress | None = None,
) -> GridEvaluation:
    """Baselines, the two oracles and ``agents`` on each scenario row, all on the scenario's seed.

    Problems are rebuilt from the rows (``stored_problem``); ``calibrations`` only supplies the
    intraday volume curve VWAP and POV trade on (the built-in default when absent).
    """
    if n_episodes < 2:
        raise ValueError(f"n_episodes must be >= 2 for a standard error, got {n_episodes}")
    names = [a.name for a in agents]
    if len(set(names)) < len(names) or set(names) & {*BASELINES, *CEILINGS}:
        raise ValueError(f"agent names must be distinct and differ from the baselines' and the oracles': {names}")
    start = time.perf_counter()
    oracles = [Oracle(), ObservableOracle()]  # one instance each: they reuse solutions across identical problems
    together = [a for a in agents if isinstance(a, StatelessPolicy)]
    one_by_one = [a for a in agents if not isinstance(a, StatelessPolicy)]
    frames, failures = [], []
    rows = list(scenarios.iter_rows(named=True))
    with one_torch_thread():
        for first in range(0, len(rows), POLICY_BATCH):
            chunk = rows[first : first + POLICY_BATCH]
            problems = [stored_problem(row) for row in chunk]
            paths = [draw_path(problem, n_episodes, int(row["seed"])) for problem, row in zip(problems, chunk)]
            batched, batch_failures = _run_together(together, problems, paths)
            for i, (row, problem) in enumerate(zip(chunk, problems)):
                curve = calibration_for(calibrations, row["instrument"]).volume_curve
                baselines = baseline_strategies(problem, curve, row["start_s"]) if include_baselines else []
                strategies = [*baselines, *(oracles if include_oracle else []), *one_by_one]
                results, failed = evaluate_problem(problem, strategies, n_episodes, int(row["seed"]), path=paths[i])
                results |= {name: summaries[i] for name, summaries in batched.items()}
                frames.append(episode_frame(row["scenario_id"], results))
                failures += [(row["scenario_id"], f.strategy, f.error) for f in [*failed, *batch_failures]]
                if progress is not None:
                    progress(first + i + 1, len(rows))
    return GridEvaluation(
        frames=frames,
        failures=pl.DataFrame(failures, schema=FAILURE_COLUMNS, orient="row"),
        seconds=time.perf_counter() - start,
    )


def _run_together(
    policies: Sequence[StatelessPolicy], problems: Sequence[ExecutionProblem], paths: Sequence[MarketPath]
) -> tuple[dict[str, list[EpisodeSummary]], list[StrategyFailure]]:
    """Each stateless policy over a chunk of scenarios at once; a policy that fails is listed once
    per scenario of the chunk instead of stopping the evaluation."""
    batched, failures = {}, []
    for policy in policies:
        try:
            batched[policy.name] = run_stateless_together(policy, problems, paths)
        except (ValueError, RuntimeError) as exc:
            failures.append(StrategyFailure(policy.name, f"{type(exc).__name__}: {exc}"))
    return batched, failures


def select_evenly(scenarios: pl.DataFrame, max_scenarios: int) -> pl.DataFrame:
    """``max_scenarios`` rows spread evenly over ``scenarios`` (all of them when 0 or more than there are)."""
    if max_scenarios <= 0 or max_scenarios >= scenarios.height:
        return scenarios
    index = np.linspace(0, scenarios.height - 1, max_scenarios).round().astype(np.int64)
    return scenarios[np.unique(index)]


def evaluate_scenarios_in_parallel(
    scenarios: pl.DataFrame,
    calibrations: Mapping[str, MarketCalibration],
    n_episodes: int,
    *,
    agent_runs: Mapping[str, Path] | None = None,
    include_oracle: bool = True,
    include_baselines: bool = True,
    workers: int = 2,
    progress: Progress | None = None,
) -> GridEvaluation:
    """``evaluate_scenarios`` split into ``workers`` contiguous parts, each in its own process.

    Every scenario draws its paths from its own seed, so the rows are the same as one process
    gives (a test asserts it). Workers are spawned, not forked (a forked torch can hang), and
    load the agents themselves from their run folders; ``progress`` hears of whole parts.
    """
    runs = dict(agent_runs or {})
    if workers <= 1 or scenarios.height < 2 * workers:
        return evaluate_scenarios(
            scenarios, calibrations, n_episodes, agents=_load(runs),
            include_oracle=include_oracle, include_baselines=include_baselines, progress=progress,
        )  # fmt: skip
    start = time.perf_counter()
    bounds = np.linspace(0, scenarios.height, workers + 1).round().astype(int)
    parts = [scenarios[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [
            pool.submit(_evaluate_part, part, dict(calibrations), n_episodes, runs, include_oracle, include_baselines)
            for part in parts
        ]
        results = []
        for future, b in zip(futures, bounds[1:]):
            results.append(future.result())
            if progress is not None:
                progress(int(b), scenarios.height)
    return GridEvaluation(
        frames=[frame for r in results for frame in r.frames],
        failures=pl.concat([r.failures for r in results]),
        seconds=time.perf_counter() - start,
    )


def _load(runs: Mapping[str, Path]) -> list[Strategy]:
    from execution_assets.evaluation.agents import load_agents  # torch: only where agents exist

    return load_agents(dict(runs)) if runs else []


def _evaluate_part(
    scenarios: pl.DataFrame, calibrations: dict, n_episodes: int, runs: dict, include_oracle: bool, include_baselines: bool
) -> GridEvaluation:
    """One worker's share (module level, so a spawned process can import it)."""
    return evaluate_scenarios(
        scenarios, calibrations, n_episodes, agents=_load(runs), include_oracle=include_oracle, include_baselines=include_baselines
    )
