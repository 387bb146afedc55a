"""How much of the observable oracle's edge over Almgren-Chriss each agent closes, per family.

    EXECUTION_DATA_DIR=/tmp/std .venv/bin/python -m benchmarks.agent_gap_closure [--algo ppo]

Reads ``evaluation.strategy_summary`` of a finished evaluation (``cli run``) and prints, per
scenario family (impact model x horizon), on the risk-adjusted cost: AC's and the observable
oracle's improvement over TWAP, the agent's mean over its seeds with the seeds' min..max, and
the share of the gap (observable oracle - AC) the agent closes, where the observable oracle beats
AC by at least 2 points with its CI above zero (issue 11's second acceptance line).
"""

from __future__ import annotations

import argparse

import duckdb
import polars as pl

from execution_assets.evaluation.headline import Z95, collapse_seeds, horizon_label
from execution_assets.paths import warehouse_path
from execution_assets.warehouse import run_sql_file

MIN_GAP_POINTS = 2.0


def gap_table(families: pl.DataFrame, algo: str) -> pl.DataFrame:
    """One row per family: AC, observable oracle, the agent (mean and seed range), the gap closed."""
    collapsed = collapse_seeds(families).filter(pl.col("impact_model") != "all")
    rows = []
    for (model, horizon, day), group in collapsed.group_by("impact_model", "horizon_s", "session_seconds", maintain_order=True):
        by = {r["strategy"]: r for r in group.iter_rows(named=True)}
        if not {"almgren_chriss", "observable_oracle", algo} <= set(by):
            continue
        scale = by["twap"]["objective_pct_scale"] if "twap" in by else by[algo]["objective_pct_scale"]

        def pct(name: str, column: str = "objective_improvement_bps") -> float:
            return by[name][column] * scale

        ac, ceiling, agent = pct("almgren_chriss"), pct("observable_oracle"), pct(algo)
        # the gap's CI: the two columns' standard errors, combined as if independent (conservative)
        gap_se = (by["observable_oracle"]["objective_se_bps"] ** 2 + by["almgren_chriss"]["objective_se_bps"] ** 2) ** 0.5
        gap, gap_low = ceiling - ac, ceiling - ac - Z95 * gap_se * scale
        judged = gap >= MIN_GAP_POINTS and gap_low > 0
        rows.append(
            {
                "family": f"{model}, {horizon_label(horizon, day)}",
                "ac_pct": round(ac, 2),
                "observable_oracle_pct": round(ceiling, 2),
                "gap_points": round(gap, 2),
                "gap_ci_low": round(gap_low, 2),
                f"{algo}_pct": round(agent, 2),
                "seeds": int(by[algo]["n_seeds"]),
                "seed_min_pct": round(by[algo]["objective_min_bps"] * scale, 2),
                "seed_max_pct": round(by[algo]["objective_max_bps"] * scale, 2),
                "gap_closed": round((agent - ac) / gap, 3) if judged else None,
            }
        )
    return pl.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algo", default="ppo")
    args = parser.parse_args()
    with duckdb.connect(str(warehouse_path()), read_only=True) as con:
        families = run_sql_file(con, "evaluation/headline", {})
    table = gap_table(families, args.algo)
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=250):
        print(table)


if __name__ == "__main__":
    main()
