"""A quick proxy of issue 11's second acceptance figure for whole-day policies, without a full run.

    EXECUTION_DATA_DIR=<data dir> .venv/bin/python -m benchmarks.day_gap_proxy RUN_DIR [RUN_DIR ...] [--warehouse W]

Runs Almgren-Chriss, the observable oracle and each trained run folder (a whole-day specialist or
a router) on the test grid's whole-day scenarios (324: 3 impact models x 108), 200 paths each with
every scenario's own seed, as the evaluation does: those a warehouse stored
(``scenarios.execution_scenarios``, parameters calibrated on its market days: the evaluation's),
or without ``--warehouse`` those of the default instruments' true parameters (the ones the agents
train on). It prints per
impact model the share of the gap (observable oracle - AC) each run closes on summed E[IS +
lambda P]: the evaluation's family rows divide both by the same mean TWAP cost, so the ratio is
the acceptance figure's (`benchmarks.agent_gap_closure` reads it from a finished run), and per
regime the basis points gained over AC. AC's and the oracle's costs are cached in
``--cache`` (they do not depend on the runs).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import polars as pl

from execution_assets.agents.policy import load_agent
from execution_assets.evaluation.agents import one_torch_thread
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.scenarios import default_calibration, scenario_grid, scenario_problem, stored_problem
from execution_assets.strategies.baselines import AlmgrenChriss
from execution_assets.strategies.observable_oracle import ObservableOracle
from execution_assets.strategies.runner import run_strategy

N_PATHS = 200


def _objective(strategy, problem, seed: int) -> float:
    result = run_strategy(strategy, problem, N_PATHS, seed)
    return float((result.is_bps + result.risk_penalty_bps).mean())


def _whole_day_test_scenarios(warehouse: Path | None):
    """(row, problem) of the test grid's whole-day scenarios: stored in ``warehouse``, or built
    from the default instruments' true parameters."""
    if warehouse is not None:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            grid = con.sql("SELECT * FROM scenarios.execution_scenarios WHERE split = 'test' ORDER BY scenario_id").pl()
        return [(row, stored_problem(row)) for row in grid.iter_rows(named=True) if row["horizon_s"] >= row["session_seconds"]]
    calibrations = {name: default_calibration(name) for name in DEFAULT_INSTRUMENTS}
    grid = scenario_grid(list(calibrations.values()), splits=("test",))
    return [
        (row, scenario_problem(row, calibrations[row["instrument"]]))
        for row in grid.iter_rows(named=True)
        if row["horizon_s"] >= row["session_seconds"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--warehouse", type=Path, help="evaluate its stored test scenarios")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/day_gap_proxy_cache.json"))
    args = parser.parse_args()
    cache = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    agents = {run.name: load_agent(run) for run in args.runs}
    rows = []
    with one_torch_thread():
        for row, problem in _whole_day_test_scenarios(args.warehouse):
            key = f"{args.warehouse or 'default'}:{row['scenario_id']}"
            if key not in cache:
                cache[key] = {name: _objective(s, problem, row["seed"]) for name, s in (("ac", AlmgrenChriss()), ("oo", ObservableOracle()))}
            costs = {**cache[key], **{name: _objective(a, problem, row["seed"]) for name, a in agents.items()}}
            rows.append({"impact_model": row["impact_model"], "regime": row["regime"], **costs})
    args.cache.write_text(json.dumps(cache))
    frame = pl.DataFrame(rows)
    gains = [(pl.col("ac") - pl.col(name)).sum().round(1).alias(name) for name in ("oo", *agents)]
    by_model = frame.group_by("impact_model").agg(gains).sort("impact_model")
    closed = by_model.select("impact_model", *[(pl.col(n) / pl.col("oo")).round(3).alias(n) for n in agents])
    print("share of the gap (observable oracle - AC) closed, summed E[IS + lambda P]:")
    print(closed)
    print("bps gained over AC, summed over the regime's scenarios (oo: the observable oracle):")
    print(frame.group_by("impact_model", "regime").agg(gains).sort("impact_model", "regime"))


if __name__ == "__main__":
    main()
