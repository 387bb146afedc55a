"""A fresh clone's `make run` (or `cli run --days N`) end to end, as a new user runs it.

Run ``python -m benchmarks.bench_end_to_end`` (`make run`: 5 synthetic days per instrument) or
``python -m benchmarks.bench_end_to_end --days 126`` (`make install`, then
``cli run --days 126``). The committed HEAD is cloned into a temporary folder beside a link to
``../shared``; the virtual environment is created there, so the install is part of the time
(pip's download cache is whatever the machine has). Each phase's end is read from the clone's
Dagster instance. Targets (2 cores): `make run` under 12 minutes (issue 11), `cli run --days
126` under 30 (issue 12).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import dagster as dg

from benchmarks.results import Load, write_section
from execution_assets.paths import PROJECT_ROOT

# the newest materialization of any of the assets marks a phase's end
PHASES = (
    ("install, ingest, features, calibration", ("daily_volume", "adv", "volume_curve", "impact_params", "signal_params")),
    ("benchmarks (beside training)", ("benchmark_results",)),
    ("training DQN, PPO, SAC", ("trained_agent",)),
    ("agents on the benchmarks' paths", ("episode_results",)),
)
LOAD_SAMPLE_S = 15


def _clone(root: Path) -> Path:
    project = root / "project"
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(project)], check=True)
    (root / "shared").symlink_to((PROJECT_ROOT.parent / "shared").resolve())
    return project


def _commands(project: Path, days: int) -> list[list[str]]:
    if days == 5:
        return [["make", "run"]]
    return [["make", "install"], [str(project / ".venv/bin/python"), "-m", "execution_assets.cli", "run", "--days", str(days)]]


def _phase_ends(project: Path) -> dict[str, float]:
    """The newest materialization time of each phase's asset in the clone's instance."""
    os.environ["DAGSTER_HOME"] = str(project / ".dagster_home")
    instance = dg.DagsterInstance.get()
    ends = {}
    for label, keys in PHASES:
        times = [r.timestamp for key in keys for r in instance.fetch_materializations(dg.AssetKey(key), limit=10).records]
        if times:
            ends[label] = max(times)
    return ends


def _sample_until(load: Load, done: threading.Event) -> None:
    while not done.wait(LOAD_SAMPLE_S):
        load.sample()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=5, help="synthetic days per instrument (5: `make run` itself)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="e2e_") as tmp:
        project = _clone(Path(tmp))
        env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "EXECUTION_DATA_DIR", "VIRTUAL_ENV")}
        load, done = Load(), threading.Event()
        threading.Thread(target=_sample_until, args=(load, done), daemon=True).start()
        started = time.time()
        for command in _commands(project, args.days):
            with open(Path(tmp) / "log.txt", "a") as log:
                subprocess.run(command, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
        total = time.time() - started
        done.set()
        ends = _phase_ends(project)
    command = "make run" if args.days == 5 else f"make install && .venv/bin/python -m execution_assets.cli run --days {args.days}"
    rows = [
        f"| {label} | {dt.datetime.fromtimestamp(ends[label], dt.timezone.utc):%H:%M:%S} | {ends[label] - started:.0f} |"
        for label, _ in PHASES
        if label in ends
    ]
    target = 12 * 60 if args.days == 5 else 30 * 60
    body = f"""
`{command}` in a fresh clone of HEAD (virtual environment created by it), started
{dt.datetime.fromtimestamp(started, dt.timezone.utc):%H:%M:%S} UTC; mean 1-minute load average {load.mean:.1f}
(2 cores: above 2 means other work shared them).

| phase ends (newest materialization of) | time (UTC) | seconds from start |
|---|---|---:|
{chr(10).join(rows)}
| everything (reports, headline printed) | | {total:.0f} |

End to end: {total / 60:.1f} min; target under {target // 60} min -> {"met" if total < target else "not met"}.
The benchmarks (baselines and both oracles) run in a second process while the agents train, so
their end can come before the training's.
"""
    write_section(f"end_to_end_{args.days}_days", body)
    print(body)


if __name__ == "__main__":
    main()
