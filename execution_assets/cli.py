"""Command line of the code location: ``python -m execution_assets.cli run | ingest PATH...``.

Runs go through the persistent Dagster instance in ``$DAGSTER_HOME`` (default
``.dagster_home``), so everything materialized here shows up in the UI (``make ui``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import multiprocessing
import os
import shutil
import sys
from pathlib import Path

import dagster as dg
from tqdm import tqdm

from execution_assets.agents.config import ALGORITHMS
from execution_assets.market.calendar import SYNTHETIC_START, business_days
from execution_assets.paths import PROJECT_ROOT, raw_dir, warehouse_path

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def instance() -> dg.DagsterInstance:
    """The persistent instance; creates ``.dagster_home`` with the project's dagster.yaml if unset."""
    if "DAGSTER_HOME" not in os.environ:
        home = PROJECT_ROOT / ".dagster_home"
        home.mkdir(exist_ok=True)
        if not (home / "dagster.yaml").exists():
            shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
        os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


@functools.cache
def _definitions() -> dg.Definitions:
    from execution_assets.definitions import defs

    return defs()


def ingest_days(days: list[tuple[str, dt.date]], dagster_instance: dg.DagsterInstance) -> None:
    """Register the instrument-days as partitions and run ingest + features over them in as few
    runs as a backfill from the UI makes (up to MAX_DAYS_PER_RUN days of an instrument a run)."""
    from execution_assets.defs.partitions import range_tags, register_partitions, run_ranges

    register_partitions(dagster_instance, days)
    job = _definitions().resolve_job_def("ingest_job")
    for key_range in tqdm(run_ranges(dagster_instance, days), desc="ingest + features", unit="run"):
        result = job.execute_in_process(instance=dagster_instance, run_config=QUIET_LOGS, tags=range_tags(key_range))
        if not result.success:
            raise RuntimeError(f"ingest of {key_range.start} .. {key_range.end} failed (run {result.run_id})")


def calibrate(instruments: list[str], dagster_instance: dg.DagsterInstance) -> None:
    """Recalibrate daily volume, ADV, volume curve and impact parameters per instrument."""
    job = _definitions().resolve_job_def("calibration_job")
    for instrument in tqdm(instruments, desc="calibration", unit="instrument"):
        job.execute_in_process(partition_key=instrument, instance=dagster_instance, run_config=QUIET_LOGS)


def training_run_config(profile: str) -> dict:
    return {**QUIET_LOGS, **shared_warehouse(), "ops": {"trained_agent": {"config": {"profile": profile}}}}


def train_agents(dagster_instance: dg.DagsterInstance, profile: str, algorithms: tuple[str, ...]) -> None:
    """Train ``algorithms`` (one trained_agent partition each) with the given budget profile,
    beside the benchmarks' process (``run_all``)."""
    job = _definitions().resolve_job_def("retrain_job")
    for algo in algorithms:
        job.execute_in_process(partition_key=algo, instance=dagster_instance, run_config=training_run_config(profile))


BENCHMARK_ASSETS = (dg.AssetKey("execution_scenarios"), dg.AssetKey("benchmark_results"))


def shared_warehouse() -> dict:
    """Run config for `run`, which opens the warehouse from two processes on purpose (benchmarks
    beside training): their connections wait for each other instead of failing."""
    return {"resources": {"duckdb": {"config": {"database": str(warehouse_path()), "lock_wait_s": 600.0}}}}


def benchmarks_run_config(n_episodes: int) -> dict:
    return {**QUIET_LOGS, **shared_warehouse(), "ops": {"benchmark_results": {"config": {"n_episodes": n_episodes}}}}


def evaluate_benchmarks(n_episodes: int) -> None:
    """The scenario grid and every strategy that needs no trained agent (baselines, both oracles):
    `run` does this in a second process while the agents train."""
    _definitions().resolve_job_def("evaluate_job").execute_in_process(
        instance=instance(), run_config=benchmarks_run_config(n_episodes), asset_selection=list(BENCHMARK_ASSETS)
    )


def agents_run_config(n_episodes: int) -> dict:
    return {**QUIET_LOGS, "ops": {"robustness_results": {"config": {"n_episodes": n_episodes}}}}


def evaluate_agents(dagster_instance: dg.DagsterInstance, n_episodes: int) -> None:
    """The rest of the evaluation once the benchmarks are stored: the agents on the same paths,
    summaries, robustness, replay, reports."""
    from execution_assets.defs.ops.retrain import EVALUATE

    keys = EVALUATE.resolve(_definitions().get_repository_def().asset_graph) - set(BENCHMARK_ASSETS)
    _definitions().resolve_job_def("evaluate_job").execute_in_process(
        instance=dagster_instance, run_config=agents_run_config(n_episodes), asset_selection=sorted(keys)
    )


def run_all(days_per_instrument: int, profile: str, n_episodes: int, algorithms: tuple[str, ...]) -> None:
    """Materialize the whole asset graph on the built-in synthetic market.

    Training uses one core (``training.torch_threads``), so the benchmarks (baselines and oracles
    on the whole test grid, most of the evaluation's work) run beside it in a spawned process;
    the agents are then evaluated on the same paths."""
    from execution_assets.market.instruments import DEFAULT_INSTRUMENTS

    dagster_instance = instance()
    dates = business_days(SYNTHETIC_START, days_per_instrument)
    ingest_days([(name, date) for name in DEFAULT_INSTRUMENTS for date in dates], dagster_instance)
    calibrate(list(DEFAULT_INSTRUMENTS), dagster_instance)
    benchmarks = multiprocessing.get_context("spawn").Process(
        target=evaluate_benchmarks, args=(n_episodes,), name="benchmarks"
    )
    benchmarks.start()
    try:
        train_agents(dagster_instance, profile, algorithms)
    finally:
        benchmarks.join()
    if benchmarks.exitcode != 0:
        raise SystemExit(
            f"the benchmark evaluation (scenario grid, baselines, oracles) failed with exit code {benchmarks.exitcode}: "
            "its log is above"
        )
    evaluate_agents(dagster_instance, n_episodes)
    print_headline()


def print_headline() -> None:
    """The improvement-vs-TWAP tables of the evaluation just materialized."""
    from execution_assets.evaluation.headline import main as headline

    print("\nHeadline (write it into README.md with: .venv/bin/python -m execution_assets.evaluation.headline --readme README.md)\n")
    headline([])


def ingest(paths: list[Path]) -> None:
    """Link raw files (e.g. ../shared/data/lobster) into data/raw/, ingest and calibrate their days."""
    from execution_assets.market.landing import discover_landing_days, link_into_landing

    linked = set(link_into_landing(paths, raw_dir()))
    days = [key for key, day in discover_landing_days(raw_dir()).items() if linked & set(day.files)]
    if not days:
        raise SystemExit(f"no complete instrument-day found in {', '.join(map(str, paths))}")
    dagster_instance = instance()
    ingest_days(sorted(days), dagster_instance)
    calibrate(sorted({instrument for instrument, _ in days}), dagster_instance)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="execution_assets.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="materialize every asset on the built-in synthetic market")
    run.add_argument("--days", type=int, default=5, help="synthetic days per instrument (default 5)")
    run.add_argument("--profile", default="quick", help="training budget: quick (default), standard or full")
    run.add_argument("--episodes", type=int, default=200, help="evaluation paths per scenario (default 200)")
    run.add_argument(
        "--algorithms", nargs="+", choices=ALGORITHMS, default=list(ALGORITHMS), help="agents to train (default: all three)"
    )
    ingest_parser = commands.add_parser("ingest", help="ingest raw files or folders (LOBSTER, parquet, CSV)")
    ingest_parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "run":
        run_all(args.days, args.profile, args.episodes, tuple(args.algorithms))
    else:
        ingest(args.paths)


if __name__ == "__main__":
    main(sys.argv[1:])
    # duckdb 2.0's nanobind bindings print pages of "leaked instance" noise during interpreter
    # teardown after a long run; everything is written and closed by now, so skip the teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
