"""Agents trained on recorded days against the same algorithm trained on the parametric market only.

Run after a multi-month synthetic run (issue 12's acceptance uses six months)::

    .venv/bin/python -m execution_assets.cli run --days 126
    .venv/bin/python -m benchmarks.replay_agents [--algo ars] [--episodes 1000]

The judged orders are the replay evaluation's (``evaluation.replay``, issue 12): 1% and 5% of ADV
over 30 and 60 minutes, both sides, linear impact (low urgency: neither TWAP nor the linear
policy prices risk, so the urgency changes no trade of theirs), on the last 20% of days, which
no agent saw, each scenario on ``--episodes`` recorded episodes shared by every strategy. The
score is mean IS against TWAP on the same episodes (positive = cheaper) with a paired 95% CI,
beside the hindsight bound of the same paths (the best static schedule with the path known,
``evaluation.replay``) and the calibrated signal's significance (``calibration.signal_params``).

``--algo ars`` (default): the linear book-signal policy (``agents.linear_tilt``), deciding every
5 s (the signal's time scale; the grid decides every 30-60 s on these horizons), trained on these
orders twice with the same seed and budget: on the first 60% of days by replay, weights selected
on the next 20%; and on the calibrated parametric market only. ``--algo ppo | sac | dqn``: the
network trained on the grid family by ``train_agent`` (the grid's decisions; ``env.market:
replay`` against ``parametric``), as ``trained_agent`` trains it. Written to
``benchmarks/RESULTS.md`` (section ``replay_agents``) with the machine and the command.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import polars as pl

from benchmarks.results import write_section
from execution_assets.agents.linear_tilt import LinearTilt, TiltSearch, train_linear_tilt
from execution_assets.agents.policy import load_agent
from execution_assets.agents.run_folder import CURVES_CSV, models_dir
from execution_assets.agents.scenarios import Calibrations, grid_calibrations
from execution_assets.agents.training import new_batch_id, train_agent
from execution_assets.evaluation.replay import (
    HINDSIGHT,
    REPLAY_HORIZONS_S,
    REPLAY_IMPACT_MODEL,
    REPLAY_SIZES_PCT_ADV,
    ReplayScenario,
    run_scenario,
)
from execution_assets.markdown import markdown_table
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.scenarios import scenario_grid, scenario_problem
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay import load_split_books
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.strategies.base import Strategy
from execution_assets.warehouse import connect, run_sql_file

Z95 = 1.959963984540054
# the replay evaluation's orders (its urgency aside: neither TWAP nor the linear policy prices risk)
SIZES, HORIZONS, IMPACT_MODEL = REPLAY_SIZES_PCT_ADV, REPLAY_HORIZONS_S, REPLAY_IMPACT_MODEL
SIGNAL_DECISION_S = 5.0  # the linear policy's clock (agents.linear_tilt)
MARKETS = ("replay", "parametric")


def paired(base: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """Mean of base - other (bps) with its 95% CI (paired by episode)."""
    diff = base - other
    se = float(diff.std(ddof=1) / np.sqrt(diff.size))
    mean = float(diff.mean())
    return mean, mean - Z95 * se, mean + Z95 * se


def replay_scenarios(calibrations, split: str = "test", decision_interval_s: float | None = None) -> list[tuple[dict, ExecutionProblem]]:
    """(scenario row, problem) of the judged orders in ``split`` (the grid's decisions, or one
    every ``decision_interval_s``)."""
    rows = scenario_grid(calibrations, splits=(split,), decision_interval_s=decision_interval_s)
    rows = rows.filter(
        rows["size_pct_adv"].is_in(SIZES)
        & rows["horizon_s"].is_in(HORIZONS)
        & (rows["urgency"] == "low")
        & (rows["impact_model"] == IMPACT_MODEL)
        & (rows["regime"] == "normal")
    )
    by_name = {c.instrument: c for c in calibrations}
    return [(row, scenario_problem(row, by_name[row["instrument"]])) for row in rows.iter_rows(named=True)]


def train_linear(market: str, calibrations: Calibrations, books: dict[str, dict[str, ReplayBook]], seed: int) -> LinearTilt:
    """The linear policy trained on the judged orders' train split (``market``: recorded days or
    the parametric market), selected on their validation split; its run saved as a folder."""

    def tasks(split: str) -> list[tuple[ExecutionProblem, ReplayBook | None]]:
        judged = replay_scenarios(list(calibrations), split, SIGNAL_DECISION_S)
        if market == "parametric":
            return [(problem, None) for _, problem in judged]
        return [(problem, books[split][row["instrument"]]) for row, problem in judged if row["instrument"] in books[split]]

    search = TiltSearch(seed=seed)
    run = train_linear_tilt(tasks("train"), tasks("validation"), search, log=lambda line: print(f"{market}: {line}", flush=True))
    run_dir = models_dir("ars") / f"{new_batch_id()}-replay_orders-{market}-s{seed}"
    run_dir.mkdir(parents=True)
    run.policy.save(run_dir)
    pl.DataFrame(run.curves).write_csv(run_dir / CURVES_CSV)
    print(f"{market}: trained in {run.wall_s:.0f} s, selected at iteration {run.selected_iteration}, {run_dir}", flush=True)
    run.policy.name = market
    return run.policy


def train_network(algo: str, market: str, profile: str, calibrations: Calibrations, books, seed: int) -> Strategy:
    result = train_agent(
        algo,
        "grid",
        profile,
        overrides={"env": {"market": market}, "training": {"seed": seed}},
        replay_books=books["train"] if market == "replay" else None,
        replay_validation_books=books["validation"] if market == "replay" else None,
        calibrations=calibrations,
        progress=False,
        evaluate_test=False,
        log=lambda line: None,
    )
    print(f"{market}: trained in {result.wall_s:.0f} s, selected at step {result.selected_timestep:,}", flush=True)
    agent = load_agent(result.run_dir)
    agent.name = market
    return agent


def share_of_twap(saved_bps: float, twap_bps: float) -> float:
    return round(100 * saved_bps / abs(twap_bps), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algo", default="ars", choices=("ars", "ppo", "sac", "dqn"))
    parser.add_argument("--profile", default="quick", help="the networks' budget profile (ars has one budget)")
    parser.add_argument("--episodes", type=int, default=1000, help="recorded episodes per scenario")
    parser.add_argument("--seed", type=int, default=0, help="the training seed of both agents")
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
    if args.algo == "ars":
        agents = [train_linear(market, calibrations, books, args.seed) for market in MARKETS]
        interval = SIGNAL_DECISION_S
    else:
        agents = [train_network(args.algo, market, args.profile, calibrations, books, args.seed) for market in MARKETS]
        interval = None
    significant = {row["instrument"]: row["significant"] for row in signal.iter_rows(named=True)}
    table = []
    for row, problem in replay_scenarios(list(calibrations), "test", interval):
        book = books["test"].get(row["instrument"])
        if book is None:
            continue
        scenario = ReplayScenario(
            row["scenario_id"], row["scenario_id"], row["instrument"], "test", row["size_pct_adv"], row["horizon_s"],
            row["side"], int(row["seed"]), problem,
        )  # fmt: skip
        outcome = run_scenario(scenario, book, args.episodes, agents=agents)
        twap = outcome.summaries["twap"].is_bps
        hindsight = float(twap.mean() - outcome.summaries[HINDSIGHT].is_bps.mean())
        line = {
            "scenario": row["scenario_id"].removesuffix("-test"),
            "signal significant": str(significant.get(row["instrument"])),
            "decision (s)": round(problem.tau_s),
            "TWAP mean IS (bps)": round(float(twap.mean()), 2),
            "hindsight: % of TWAP": share_of_twap(hindsight, float(twap.mean())),
        }
        for agent in agents:
            mean, low, high = paired(twap, outcome.summaries[agent.name].is_bps)
            line[f"{agent.name}-trained vs TWAP (bps, 95% CI)"] = f"{mean:+.2f} [{low:+.2f}, {high:+.2f}]"
            line[f"{agent.name}: % of TWAP"] = share_of_twap(mean, float(twap.mean()))
        table.append(line)
        print(line, flush=True)
    wall = time.perf_counter() - started
    body = "\n".join(
        [
            f"Days per instrument and split: {days}; {wall / 60:.1f} min end to end (both trainings included).",
            "",
            f"{args.algo.upper()} (seed {args.seed}) trained on recorded train days (replay) and on the parametric market only, both judged by",
            "replay on the held-out test days (improvement = TWAP's IS minus the agent's, paired, positive = cheaper;",
            "hindsight: the best static schedule with the path known, the outer bound).",
            "",
            markdown_table(pl.DataFrame(table), max_rows=len(table)) if table else "No test days.",
        ]
    )
    if not args.no_write:
        write_section("replay_agents", body)
    print(body)


if __name__ == "__main__":
    main()
