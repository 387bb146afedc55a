"""Agents trained on recorded days against the same algorithm trained on the parametric market only.

Run after a multi-month synthetic run (issue 12's acceptance uses six months)::

    .venv/bin/python -m execution_assets.cli run --days 126
    .venv/bin/python -m benchmarks.replay_agents [--algo ppo] [--profile quick] [--episodes 1000]

Both agents train on the grid family built on the warehouse's calibration (as ``trained_agent``
does) with the same seed and budget: one with ``env.market: replay`` (the synthetic instruments'
first 60% of days, checkpoints selected on the next 20%), one with ``env.market: parametric``
(the calibrated model only). Both are judged on the last 20% of
days, which neither saw, by replay (``sim.replay_market``): sizes 1% and 5% of ADV over 30 and
60 minutes, both sides, low urgency, linear impact, each scenario on ``--episodes`` recorded
episodes shared by every strategy. The score is mean IS against TWAP on the same episodes
(positive = cheaper), with a paired 95% CI, beside the hindsight bound of the same paths and the
calibrated signal's significance (``calibration.signal_params``). Written to
``benchmarks/RESULTS.md`` (section ``replay_agents``) with the machine and the command.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from benchmarks.results import write_section
from execution_assets.agents.policy import load_agent
from execution_assets.agents.scenarios import grid_calibrations
from execution_assets.agents.training import train_agent
from execution_assets.markdown import markdown_table
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.scenarios import scenario_grid, scenario_problem
from execution_assets.sim.replay import load_split_books
from execution_assets.strategies import TWAP
from execution_assets.strategies.runner import run_strategy
from execution_assets.warehouse import connect, run_sql_file

Z95 = 1.959963984540054
SIZES, HORIZONS = (1.0, 5.0), (1800.0, 3600.0)


def paired(base: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """Mean of base - other (bps) with its 95% CI (paired by episode)."""
    diff = base - other
    se = float(diff.std(ddof=1) / np.sqrt(diff.size))
    mean = float(diff.mean())
    return mean, mean - Z95 * se, mean + Z95 * se


def replay_scenarios(calibrations) -> list[tuple[dict, object]]:
    rows = scenario_grid(calibrations, splits=("test",))
    rows = rows.filter(
        rows["size_pct_adv"].is_in(SIZES)
        & rows["horizon_s"].is_in(HORIZONS)
        & (rows["urgency"] == "low")
        & (rows["impact_model"] == "linear")
        & (rows["regime"] == "normal")
    )
    by_name = {c.instrument: c for c in calibrations}
    return [(row, scenario_problem(row, by_name[row["instrument"]])) for row in rows.iter_rows(named=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algo", default="ppo", choices=("ppo", "sac", "dqn"))
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--episodes", type=int, default=1000, help="recorded episodes per scenario")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    instruments = list(DEFAULT_INSTRUMENTS)
    with connect(read_only=True) as con:
        books = {split: load_split_books(con, instruments, split) for split in ("train", "validation", "test")}
        calibrations = grid_calibrations(con)
        signal = run_sql_file(con, "scenarios/latest_signal_params", {})
    days = {name: {split: len(books[split][name].dates) if name in books[split] else 0 for split in books} for name in instruments}
    print("days per split:", days, flush=True)
    agents = {}
    for market in ("replay", "parametric"):
        result = train_agent(
            args.algo,
            "grid",
            args.profile,
            overrides={"env": {"market": market}},
            replay_books=books["train"] if market == "replay" else None,
            replay_validation_books=books["validation"] if market == "replay" else None,
            calibrations=calibrations,
            progress=False,
            evaluate_test=False,
            log=lambda line: None,
        )
        agents[market] = load_agent(result.run_dir)
        print(f"{market}: trained in {result.wall_s:.0f} s, selected at step {result.selected_timestep:,}", flush=True)
    significant = {row["instrument"]: (row["significant"], row["reason"]) for row in signal.iter_rows(named=True)}
    table = []
    for row, problem in replay_scenarios(list(calibrations)):
        book = books["test"].get(row["instrument"])
        if book is None:
            continue
        seed = int(row["seed"])
        twap = run_strategy(TWAP(), problem, args.episodes, seed, book=book).is_bps
        line = {
            "scenario": row["scenario_id"].removesuffix("-test"),
            "signal significant": str(significant.get(row["instrument"], (None, "no fit"))[0]),
            "TWAP mean IS (bps)": round(float(twap.mean()), 2),
        }
        for market, agent in agents.items():
            cost = run_strategy(agent, problem, args.episodes, seed, book=book).is_bps
            mean, low, high = paired(twap, cost)
            line[f"{market}-trained vs TWAP (bps, 95% CI)"] = f"{mean:+.2f} [{low:+.2f}, {high:+.2f}]"
            line[f"{market}: % of TWAP"] = round(100 * mean / abs(float(twap.mean())), 2)
        table.append(line)
        print(line, flush=True)
    wall = time.perf_counter() - started
    body = "\n".join(
        [
            f"Days per instrument and split: {days}; {wall / 60:.1f} min end to end (both trainings included).",
            "",
            f"{args.algo.upper()} trained on recorded train days (market: replay) and on the parametric market only, both",
            "judged by replay on the held-out test days (improvement = TWAP's IS minus the agent's, paired, positive = cheaper).",
            "",
            markdown_table(pl.DataFrame(table), max_rows=len(table)) if table else "No test days.",
        ]
    )
    if not args.no_write:
        write_section("replay_agents", body)
    print(body)


if __name__ == "__main__":
    main()
