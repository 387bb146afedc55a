"""Training speed of the agents, and PPO's wall time to the Almgren-Chriss 2% bar.

    python -m benchmarks.bench_training [--seeds 3]

1. Timesteps per second of training (environment + learning; validation excluded) for DQN, PPO
   and SAC with their standard configuration on the Almgren-Chriss scenario.
2. PPO on the Almgren-Chriss scenario, validated after every rollout: the training wall time
   (validation excluded) until the validation objective first comes within 2% of the AC
   closed form, per seed; then the selected checkpoint's objective on the test seeds.

Runs go to a temporary folder. On a shared machine the timings vary with the load.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.results import write_section
from execution_assets.agents.training import train_agent

BAR_PCT = 2.0
ROLLOUT = 256 * 30  # PPO's default rollout: one evaluation per policy update


def throughput(root: Path) -> pl.DataFrame:
    rows = []
    for algo in ("dqn", "ppo", "sac"):
        result = train_agent(algo, "almgren_chriss", "standard", run_dir=root / f"speed-{algo}", progress=True, log=lambda _: None)
        test = result.test[0]
        rows.append(
            {
                "algorithm": algo,
                "timesteps": result.timesteps,
                "train_timesteps_per_s": round(result.train_timesteps_per_s),
                "wall_s": round(result.wall_s, 1),
                "test_vs_ac_closed_form_pct": round(100 * test.vs_ac_closed_form, 2),
            }
        )
    return pl.DataFrame(rows)


def time_to_bar(root: Path, seeds: int) -> pl.DataFrame:
    rows = []
    for seed in range(seeds):
        result = train_agent(
            "ppo",
            "almgren_chriss",
            "standard",
            overrides={"training": {"seed": seed, "eval_every": ROLLOUT}},
            run_dir=root / f"bar-{seed}",
            progress=True,
            log=lambda _: None,
        )
        reached = result.curves.filter(pl.col("val_vs_ac_closed_form_pct") <= BAR_PCT)
        first = reached.row(0, named=True) if reached.height else None
        rows.append(
            {
                "seed": seed,
                "timesteps_to_bar": first["timesteps"] if first else None,
                "train_wall_s_to_bar": round(first["train_wall_s"], 1) if first else None,
                "wall_s_to_bar_incl_validation": round(first["wall_s"], 1) if first else None,
                "selected_test_vs_ac_closed_form_pct": round(100 * result.test[0].vs_ac_closed_form, 2),
                "train_timesteps_per_s": round(result.train_timesteps_per_s),
            }
        )
    return pl.DataFrame(rows)


def markdown(frame: pl.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3, help="PPO seeds for the time to the 2% bar")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        speed = throughput(Path(tmp))
        bar = time_to_bar(Path(tmp), args.seeds)
    load_after = os.getloadavg()[0]
    times = bar["train_wall_s_to_bar"].drop_nulls().to_numpy()
    median = f"{np.median(times):.1f} s" if times.size else "not reached"
    body = f"""
Scenario: Almgren-Chriss (5% ADV over 30 min in 30 steps, linear impact, lambda = 0.05 /bp, no
signal); standard configurations of `execution_assets/agents/hyperparams/*.yml`, torch on 1 CPU
thread. Timesteps are agent decisions (one step of one episode). 1-minute load average
{load_before:.1f} at the start and {load_after:.1f} at the end on {os.cpu_count()} cores: other
work was running, so these are lower bounds on what an idle machine gives.

### Training throughput (validation excluded)

{markdown(speed)}

### PPO: wall time to the 2% bar

Validation (20,000 episodes on the validation seeds) after every rollout of {ROLLOUT:,}
timesteps; the bar is the first validation objective within {BAR_PCT}% of the AC closed form.
Median training time to the bar: **{median}** (target: under 3 minutes on 2 cores).

{markdown(bar)}
"""
    write_section("training", body)
    print(body)


if __name__ == "__main__":
    main()
