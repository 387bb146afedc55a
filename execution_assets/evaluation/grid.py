"""Evaluate every strategy on every scenario of a grid (the ``episode_results`` computation)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from execution_assets.evaluation.paired import baseline_strategies, episode_frame, evaluate_problem
from execution_assets.scenarios import MarketCalibration, default_calibration, stored_problem
from execution_assets.strategies import Oracle
from execution_assets.strategies.base import Strategy

FAILURE_COLUMNS = {"scenario_id": pl.String(), "strategy": pl.String(), "error": pl.String()}

Progress = Callable[[int, int], None]


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
    """Baselines, the oracle and ``agents`` on each scenario row, all on the scenario's seed.

    Problems are rebuilt from the rows (``stored_problem``); ``calibrations`` only supplies the
    intraday volume curve VWAP and POV trade on (the built-in default when absent).
    """
    if n_episodes < 2:
        raise ValueError(f"n_episodes must be >= 2 for a standard error, got {n_episodes}")
    start = time.perf_counter()
    oracle = Oracle()  # one instance: it reuses its solution across identical planning problems
    frames, failures = [], []
    for i, row in enumerate(scenarios.iter_rows(named=True)):
        problem = stored_problem(row)
        instrument = row["instrument"]
        curve = (calibrations.get(instrument) or default_calibration(instrument)).volume_curve
        baselines = baseline_strategies(problem, curve, row["start_s"]) if include_baselines else []
        strategies = [*baselines, *([oracle] if include_oracle else []), *agents]
        results, failed = evaluate_problem(problem, strategies, n_episodes, int(row["seed"]))
        frames.append(episode_frame(row["scenario_id"], results))
        failures += [(row["scenario_id"], f.strategy, f.error) for f in failed]
        if progress is not None:
            progress(i + 1, scenarios.height)
    return GridEvaluation(
        frames=frames,
        failures=pl.DataFrame(failures, schema=FAILURE_COLUMNS, orient="row"),
        seconds=time.perf_counter() - start,
    )


def select_evenly(scenarios: pl.DataFrame, max_scenarios: int) -> pl.DataFrame:
    """``max_scenarios`` rows spread evenly over ``scenarios`` (all of them when 0 or more than there are)."""
    if max_scenarios <= 0 or max_scenarios >= scenarios.height:
        return scenarios
    index = np.linspace(0, scenarios.height - 1, max_scenarios).round().astype(np.int64)
    return scenarios[np.unique(index)]
