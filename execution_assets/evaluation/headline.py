"""The headline tables: improvement vs TWAP per scenario family, with 95% CIs and the oracle ceiling.

Run ``python -m execution_assets.evaluation.headline`` after the evaluation has been
materialized; it reads ``evaluation.strategy_summary`` (read-only) and prints Markdown;
``--readme README.md`` also writes it between the README's headline markers, so the table
there is always this command's output, never typed. A family is an impact model x horizon;
each cell is the mean improvement over the family's scenarios as % of TWAP's mean |IS| with
its 95% CI (normal, from the per-scenario paired standard errors); the observable oracle's
column is what a policy that sees what the agents see can reach (exact where the hidden regime
does not change the decision, a benchmark elsewhere), the clairvoyant oracle's the outer bound.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import polars as pl

from execution_assets.agents.config import ALGORITHMS
from execution_assets.evaluation.agents import algorithm_of
from execution_assets.evaluation.paired import BASELINES, OBSERVABLE_ORACLE, ORACLE
from execution_assets.paths import warehouse_path
from execution_assets.warehouse import run_sql_file

Z95 = 1.959963984540054
LABELS = {
    "vwap": "VWAP", "pov": "POV", "almgren_chriss": "AC", "obizhaeva_wang": "OW",
    "dqn": "DQN", "ppo": "PPO", "sac": "SAC", OBSERVABLE_ORACLE: "Observable oracle", ORACLE: "Oracle (clairvoyant)",
}  # fmt: skip


def horizon_label(seconds: float | None, session_seconds: float | None = None) -> str:
    """"1 day" for a horizon of the instrument's whole trading day (``session_seconds``), else minutes."""
    if seconds is None:
        return "all"
    return "1 day" if session_seconds is not None and seconds >= session_seconds else f"{seconds / 60:g} min"


METRICS = {"is": "mean IS", "objective": "risk-adjusted cost, mean(IS + lambda risk)"}


def collapse_seeds(families: pl.DataFrame) -> pl.DataFrame:
    """One row per family and algorithm: the mean over an agent's seeds (``ppo``, ``ppo-s1``, ...)
    with its spread (``*_min_bps``, ``*_max_bps``) and ``n_seeds``; the CI half-width is the
    seeds' mean standard error (conservative: the seeds share the evaluation's paths)."""
    tagged = families.with_columns(pl.col("strategy").map_elements(algorithm_of, return_dtype=pl.String))
    spread = [
        agg
        for m in METRICS
        for agg in (pl.col(f"{m}_improvement_bps").min().alias(f"{m}_min_bps"), pl.col(f"{m}_improvement_bps").max().alias(f"{m}_max_bps"))
    ]
    return tagged.group_by("impact_model", "horizon_s", "session_seconds", "strategy", maintain_order=True).agg(
        pl.len().alias("n_seeds"),
        pl.col("scenarios").min(),
        pl.col("n_episodes").max(),
        *(pl.col(f"{m}_{c}").mean() for m in METRICS for c in ("improvement_bps", "se_bps")),
        *(pl.col(f"{m}_{c}").first() for m in METRICS for c in ("pct_scale",)),
        pl.col("twap_is_bps", "twap_objective_bps").first(),
        *spread,
    )


def _cell(row: dict, family_size: int, metric: str) -> str:
    scale, improvement, se = row[f"{metric}_pct_scale"], row[f"{metric}_improvement_bps"], row[f"{metric}_se_bps"]
    if scale is None:
        return f"{improvement:+.2f} bp"
    mid, half = improvement * scale, Z95 * se * scale
    partial = "" if row["scenarios"] == family_size else f" ({row['scenarios']}/{family_size})"
    seeds = ""
    if row.get("n_seeds", 1) > 1:
        seeds = f" ({row['n_seeds']} seeds {row[f'{metric}_min_bps'] * scale:+.1f}..{row[f'{metric}_max_bps'] * scale:+.1f})"
    return f"{mid:+.1f}% [{mid - half:+.1f}, {mid + half:+.1f}]{partial}{seeds}"


def headline_table(families: pl.DataFrame, metric: str = "is") -> str:
    """Markdown: one row per family, one column per strategy present (TWAP is the reference).

    ``metric`` "is" compares mean IS (DESIGN section 7); "objective" the risk-adjusted cost the
    strategies and the oracle minimize, on which the oracle is a true ceiling.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {tuple(METRICS)}, got {metric!r}")
    families = collapse_seeds(families)
    present = set(families["strategy"])
    columns = [s for s in (*BASELINES[1:], *ALGORITHMS, OBSERVABLE_ORACLE, ORACLE) if s in present]
    twap_label = "TWAP IS (bps)" if metric == "is" else "TWAP cost (bps)"
    lines = [
        f"| family | scenarios | {twap_label} | " + " | ".join(LABELS[s] for s in columns) + " |",
        "|---|---:|---:|" + "---:|" * len(columns),
    ]
    for (model, horizon, day), group in families.group_by("impact_model", "horizon_s", "session_seconds", maintain_order=True):
        by_strategy = {r["strategy"]: r for r in group.iter_rows(named=True)}
        twap = by_strategy.get("twap")
        if twap is None:
            continue
        cells = [_cell(by_strategy[s], twap["scenarios"], metric) if s in by_strategy else "n/a" for s in columns]
        family = f"{model}, {horizon_label(horizon, day)}" if model != "all" else "**all scenarios**"
        twap_cost = twap["twap_is_bps"] if metric == "is" else twap["twap_objective_bps"]
        lines.append(f"| {family} | {twap['scenarios']} | {twap_cost:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


README_START = "<!-- headline:start (written by python -m execution_assets.evaluation.headline --readme README.md) -->"
README_END = "<!-- headline:end -->"


def render(families: pl.DataFrame, metric: str = "both") -> str:
    """The headline tables for ``metric`` ("is", "objective" or "both") with their reading guide."""
    metrics = tuple(METRICS) if metric == "both" else (metric,)
    parts = []
    for m in metrics:
        if len(metrics) > 1:
            parts.append(f"**Improvement vs TWAP on {METRICS[m]}**\n")
        parts.append(headline_table(families, m) + "\n")
    episodes = int(families["n_episodes"].max())
    parts.append(
        f"Improvement vs TWAP as % of TWAP's mean |cost| (positive = cheaper), mean over the family's test "
        f"scenarios ({episodes:,} shared price paths each), 95% CI from the paired per-scenario standard errors; "
        "(k/n): the strategy could plan only k of the n scenarios; an agent trained with several seeds shows their "
        "mean and (n seeds min..max). With risk aversion the strategies and the "
        "oracles minimize the risk-adjusted cost, so the oracles bound that table, not the mean-IS one. "
        "Read the agents on the risk-adjusted table: against AC, what learning adds to the best classical plan "
        "they start from (at or above AC = no loss); against the observable oracle, how much of what their "
        "information allows they capture (it sees what they see: the signal and past prices, not the regime; "
        "exact where the regime does not change the decision, elsewhere a certainty-equivalent benchmark, not "
        "a ceiling); the clairvoyant oracle, which knows the regime and the trend's direction, is the outer bound. "
        f"Produced by `python -m execution_assets.evaluation.headline --metric {metric}`."
    )
    return "\n".join(parts)


def replace_section(text: str, body: str, source: Path | str = "README") -> str:
    """``text`` with everything between the headline markers replaced by ``body``."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"{source}: no headline section; add the lines\n{README_START}\n{README_END}")
    return text[: start + len(README_START)] + "\n\n" + body.strip() + "\n\n" + text[end:]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="execution_assets.evaluation.headline", description=__doc__)
    parser.add_argument("--metric", choices=(*METRICS, "both"), default="both", help="mean IS, risk-adjusted cost, or both (default)")
    parser.add_argument("--warehouse", type=Path, default=None, help="DuckDB file (default: the project's warehouse)")
    parser.add_argument("--readme", type=Path, default=None, help="also write the tables between this file's headline markers")
    args = parser.parse_args(argv)
    path = args.warehouse or warehouse_path()
    if not path.exists():
        raise SystemExit(f"no warehouse at {path}: run `make run` first")
    with duckdb.connect(str(path), read_only=True) as con:
        families = run_sql_file(con, "evaluation/headline", {})
    if families.is_empty():
        raise SystemExit(f"{path}: evaluation.strategy_summary is empty: materialize strategy_summary first")
    body = render(families, args.metric)
    print(body)
    if args.readme is not None:
        args.readme.write_text(replace_section(args.readme.read_text(), body, args.readme))
        print(f"\nwrote the headline into {args.readme}")


if __name__ == "__main__":
    main(sys.argv[1:])
