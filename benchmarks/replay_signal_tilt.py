"""What the recorded book's signal is worth at the replay scenarios' decision times, policy-free.

Run on a multi-month synthetic warehouse (issue 12's acceptance uses six months)::

    .venv/bin/python -m execution_assets.cli run --days 126
    .venv/bin/python -m benchmarks.replay_signal_tilt [--episodes 1000]

TWAP tilted by one observed field, ``twap fraction x (1 + c x field)`` (the field side-signed,
clipped to +-3, so positive means the book leans against the order), against TWAP itself on the
same recorded test-day episodes as ``benchmarks.replay_agents --algo ppo`` (1% and 5% of ADV over 30 and 60
minutes, both sides): the paired mean IS saved, bps, with its 95% CI. A tilt that cannot beat
TWAP on a scenario bounds what any policy acting on that field at these decisions can add there.
Written to ``benchmarks/RESULTS.md`` (section ``replay_signal_tilt``).
"""

from __future__ import annotations

import argparse

import polars as pl

from benchmarks.replay_agents import paired, replay_scenarios
from benchmarks.results import write_section
from execution_assets.agents.linear_tilt import LinearTilt
from execution_assets.agents.scenarios import grid_calibrations
from execution_assets.markdown import markdown_table
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.sim.replay import load_split_books
from execution_assets.strategies import TWAP
from execution_assets.strategies.runner import run_strategy
from execution_assets.warehouse import connect

TILTS = (("imbalance", 0.3), ("imbalance", -0.5), ("imbalance_5", 0.3), ("microprice", 0.3), ("signed_volume_rate", 0.3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000, help="recorded episodes per scenario")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    with connect(read_only=True) as con:
        books = load_split_books(con, list(DEFAULT_INSTRUMENTS), "test")
        calibrations = grid_calibrations(con)
    rows = []
    for row, problem in replay_scenarios(list(calibrations)):
        book = books.get(row["instrument"])
        if book is None:
            continue
        seed = int(row["seed"])
        twap = run_strategy(TWAP(), problem, args.episodes, seed, book=book).is_bps
        line = {"scenario": row["scenario_id"].removesuffix("-test"), "TWAP mean IS (bps)": round(float(twap.mean()), 2)}
        for field, c in TILTS:
            mean, low, high = paired(twap, run_strategy(LinearTilt([c], [field]), problem, args.episodes, seed, book=book).is_bps)
            line[f"{field} x {c:+g}"] = f"{mean:+.2f} [{low:+.2f}, {high:+.2f}]"
        rows.append(line)
        print(line, flush=True)
    days = {name: len(book.dates) for name, book in books.items()}
    body = "\n".join(
        [
            f"Test days per instrument: {days}; {args.episodes} recorded episodes per scenario. TWAP's mean IS saved",
            "by TWAP tilted by one observed field (bps, paired, 95% CI; positive = cheaper than TWAP).",
            "",
            markdown_table(pl.DataFrame(rows), max_rows=len(rows)) if rows else "No test days.",
        ]
    )
    if not args.no_write:
        write_section("replay_signal_tilt", body)
    print(body)


if __name__ == "__main__":
    main()
