"""Vectorized evaluation speed: every baseline on every test scenario, 1,000 episodes each.

Run ``python -m benchmarks.bench_evaluation``. Times (wall clock, this process):
1. the five baselines (TWAP, VWAP, POV, AC, OW) on all test scenarios of the built-in
   instruments' default calibration, 1,000 shared paths per scenario (target < 60 s on 2 cores);
2. the summary statistics of those episodes (bootstrap CIs, tests);
3. the oracle: all scenarios it solves in closed form (static / Riccati) or by its constrained
   DP where a known trend makes Riccati round-trip, and a sample of the square-root scenarios
   (always the DP), extrapolated.
"""

from __future__ import annotations

import os
import time

import polars as pl

from benchmarks.results import write_section
from execution_assets.evaluation.grid import evaluate_scenarios
from execution_assets.evaluation.summary import summarize_chunks
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.scenarios import calibration_by_instrument, default_calibration, scenario_grid, stored_problem
from execution_assets.strategies.oracle import choose_solver, planning_problems

N_EPISODES = 1000
DP_SAMPLE = 8


def main() -> None:
    calibrations = [default_calibration(name) for name in sorted(DEFAULT_INSTRUMENTS)]
    by_instrument = calibration_by_instrument(calibrations)
    test = scenario_grid(calibrations, ["test"])
    load_start = os.getloadavg()[0]
    baselines = evaluate_scenarios(test, by_instrument, N_EPISODES, include_oracle=False)
    steps = int((test["n_steps"] * N_EPISODES).sum()) * 5
    started = time.perf_counter()
    frames = baselines.frames
    summary = summarize_chunks(pl.concat(frames[i : i + 100]) for i in range(0, len(frames), 100))
    summary_s = time.perf_counter() - started
    exact = test.filter(pl.col("impact_model") != "square_root")
    dp = test.filter(pl.col("impact_model") == "square_root")
    dp_sample = dp[:: max(dp.height // DP_SAMPLE, 1)][:DP_SAMPLE]
    solvers = pl.Series([choose_solver(planning_problems(stored_problem(r))[0])[0] for r in exact.iter_rows(named=True)])
    oracle_exact = _oracle_seconds(exact, by_instrument)
    oracle_dp = _oracle_seconds(dp_sample, by_instrument)
    dp_total = oracle_dp / dp_sample.height * dp.height
    load_end = os.getloadavg()[0]
    failures = baselines.failures.group_by("strategy").len().sort("strategy")
    body = f"""
Five baselines (TWAP, VWAP, POV, Almgren-Chriss, Obizhaeva-Wang) on all {test.height:,} test
scenarios of the two built-in instruments (default calibration), {N_EPISODES:,} shared paths per
scenario, {steps / 1e6:,.0f} M agent-steps in all. 1-minute load average {load_start:.1f} at the
start, {load_end:.1f} at the end (2 cores; above 2 means other work shared them).

| stage | scenarios | wall (s) | per scenario (ms) |
|---|---:|---:|---:|
| baselines, simulate ({N_EPISODES:,} episodes each) | {test.height:,} | {baselines.seconds:.1f} | {1e3 * baselines.seconds / test.height:.1f} |
| summary (bootstrap CIs, paired tests, Holm) | {test.height:,} | {summary_s:.1f} | {1e3 * summary_s / test.height:.1f} |
| oracle, linear and transient impact: {(solvers != "dp").sum()} Riccati, {(solvers == "dp").sum()} constrained DP (trend) | {exact.height:,} | {oracle_exact:.1f} | {1e3 * oracle_exact / exact.height:.1f} |
| oracle, dynamic program (square root), sample | {dp_sample.height} | {oracle_dp:.1f} | {1e3 * oracle_dp / max(dp_sample.height, 1):.0f} |
| oracle, dynamic program, all {dp.height} (extrapolated) | {dp.height} | {dp_total:.0f} | |

Baseline throughput: {steps / baselines.seconds / 1e6:.1f} M agent-steps/s. Target (baselines,
every scenario, 1,000 episodes): under 60 s -> {"met" if baselines.seconds < 60 else "NOT met"}.

Strategy-scenario pairs a baseline could not plan (ill-posed closed form), of {test.height:,}:
{", ".join(f"{r['strategy']} {r['len']}" for r in failures.iter_rows(named=True)) or "none"}.
Summary rows: {summary.height:,}.
"""
    print(body)
    write_section("evaluation", body)


def _oracle_seconds(scenarios: pl.DataFrame, by_instrument) -> float:
    """Seconds of the oracle alone on ``scenarios`` (solving and simulating)."""
    return evaluate_scenarios(scenarios, by_instrument, N_EPISODES, include_baselines=False).seconds


if __name__ == "__main__":
    main()
