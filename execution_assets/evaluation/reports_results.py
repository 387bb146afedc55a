"""Reports on the results: the agents (DQN, PPO), the curriculum, the evaluation, robustness.

Agent reports read a ``trained_agent`` run folder (``agents.run_folder`` layout: config.yaml,
curves.csv, curves.png, summary.json) and say plainly when there is none.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from execution_assets.agents.config import ALGORITHMS
from execution_assets.agents.run_folder import CURVES_CSV, CURVES_PNG, SUMMARY_JSON, read_config, read_summary
from execution_assets.evaluation.headline import Z95, headline_table, horizon_label
from execution_assets.evaluation.paired import BASELINES, ORACLE
from execution_assets.evaluation.plots import cost_distributions_png, improvement_ci_png, lines_png
from execution_assets.evaluation.report import Report
from execution_assets.markdown import markdown_table, round_floats

BASELINE_ORDER = (*BASELINES, ORACLE, *ALGORITHMS)


def family_improvement(summary: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Mean improvement vs TWAP (bps) per group and strategy with a 95% CI (independent scenarios)."""
    return (
        summary.group_by(*by, "strategy")
        .agg(
            scenarios=pl.len(),
            improvement_bps=pl.col("improvement_vs_twap_bps").mean(),
            se=(pl.col("improvement_se_bps") ** 2).sum().sqrt() / pl.len(),
            mean_is_bps=pl.col("mean_is_bps").mean(),
            median_oracle_efficiency=pl.col("oracle_efficiency").median(),
            *([pl.col("session_seconds").max()] if "session_seconds" in summary.columns else []),
        )
        .with_columns(ci95_low_bps=pl.col("improvement_bps") - Z95 * pl.col("se"), ci95_high_bps=pl.col("improvement_bps") + Z95 * pl.col("se"))
        .drop("se")
        .sort(*by, "strategy")
    )


def _ci_plot(table: pl.DataFrame, label_cols: list[str], title: str, strategies: list[str]) -> bytes:
    labels = table.select(label_cols).unique(maintain_order=True)
    day = table["session_seconds"].max() if "session_seconds" in table.columns else None  # the 1-day horizon's length
    names = [
        " / ".join(horizon_label(v, day) if c == "horizon_s" else str(v) for c, v in zip(label_cols, row))
        for row in labels.iter_rows()
    ]
    series = {}
    for s in strategies:
        rows = labels.join(table.filter(pl.col("strategy") == s), on=label_cols, how="left", maintain_order="left")
        series[s] = tuple(rows[c].to_numpy() for c in ("improvement_bps", "ci95_low_bps", "ci95_high_bps"))
    return improvement_ci_png(names, series, title, "improvement vs TWAP (bps, 95% CI)")


def agent_report(algo: str, run_dir: Path | None, summary: pl.DataFrame) -> Report:
    """One algorithm's training run and its results in the evaluation."""
    report = Report(algo, f"{algo.upper()} agent")
    if run_dir is None:
        return report.text(
            f"**No trained {algo.upper()} agent.** No run folder with a model under "
            f"`artifacts/models/{algo}/`: materialize `trained_agent` (partition `{algo}`), then "
            "`episode_results` and `strategy_summary`, to fill this report."
        )
    config = read_config(run_dir)
    report.section("Run", f"Folder `{run_dir}`; family `{config.get('family')}`, profile `{config.get('profile')}`, device `{config.get('device')}`.")
    for part in ("env", "model", "training"):
        values = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in (config.get(part) or {}).items()}
        if values:
            report.section(f"Configuration: {part}", markdown_table(pl.DataFrame({"key": list(values), "value": list(values.values())}), max_rows=40))
    if (run_dir / CURVES_PNG).is_file():
        report.section("Training curves")
        report.image((run_dir / CURVES_PNG).read_bytes(), "training curves")
    if (run_dir / SUMMARY_JSON).is_file():
        facts = read_summary(run_dir)
        scalars = {k: v for k, v in facts.items() if isinstance(v, int | float | str | bool)}
        if scalars:
            report.section("Run summary", markdown_table(pl.DataFrame({"key": list(scalars), "value": [str(v) for v in scalars.values()]}), max_rows=40))
    mine = summary.filter(pl.col("strategy") == algo)
    if mine.is_empty():
        return report.section("In the evaluation", "This run is not in `evaluation.strategy_summary` yet: rematerialize `episode_results` and `strategy_summary`.")
    families = family_improvement(mine, ["impact_model", "horizon_s"])
    report.section(f"In the evaluation ({mine.height} test scenarios)", markdown_table(round_floats(families), max_rows=20))
    report.image(_ci_plot(families, ["impact_model", "horizon_s"], f"{algo.upper()} vs TWAP by family", [algo]), "improvement")
    return report


def curriculum_report(runs: dict[str, Path], planned: dict[str, list[dict]]) -> Report:
    """Stages planned per algorithm and, for trained runs, when each stage was reached."""
    report = Report("curriculum", "Curriculum: from easy scenarios to hard ones")
    report.text(
        """Agents start on easy scenarios (low volatility, small orders, linear impact) and move to
harder ones (urgency, transient impact, the alpha signal, then large orders, volatile and trending
regimes, square-root impact) when their validation capture of the oracle's improvement passes a
threshold or stops improving. Configuration: `execution_assets/agents/hyperparams/<algo>.yml`."""
    )
    for algo, stages in planned.items():
        report.section(f"{algo.upper()}: planned stages")
        report.text(markdown_table(pl.DataFrame(stages)) if stages else "single stage (no curriculum)")
        run = runs.get(algo)
        if run is None:
            report.text(f"_No trained {algo.upper()} run yet._")
            continue
        curves = run / CURVES_CSV
        if curves.is_file():
            frame = pl.read_csv(curves)
            if {"timesteps", "stage", "val_capture"} <= set(frame.columns):
                reached = frame.group_by("stage", maintain_order=True).agg(
                    first_timestep=pl.col("timesteps").min(), best_capture=pl.col("val_capture").max()
                )
                report.text(f"Run `{run.name}`: stages reached\n\n" + markdown_table(round_floats(reached)))
                report.image(
                    lines_png(frame["timesteps"].to_numpy(), {algo: frame["val_capture"].to_numpy()}, f"{algo.upper()} validation capture", "timesteps", "capture"),
                    "capture",
                )
    return report


def evaluation_report(summary: pl.DataFrame, headline: pl.DataFrame, leaderboard: pl.DataFrame, costs: dict[str, np.ndarray], missing: pl.DataFrame, scenario_id: str) -> Report:
    """Does anything beat TWAP, by how much, where, and how sure are we."""
    report = Report("evaluation", "Evaluation: every strategy against TWAP on the same paths")
    report.text(
        f"""{summary['scenario_id'].n_unique():,} test scenarios; every strategy traded the same
{int(summary['n_episodes'].max()):,} price paths per scenario (common random numbers), so each
comparison with TWAP is paired episode by episode. Implementation shortfall (IS) is signed, in bps
of arrival notional, never clipped. CIs are 95% (percentile bootstrap per scenario; normal from
the paired standard errors for family means). p-values are paired t-tests Holm-corrected across
the scenarios of each strategy. Oracle efficiency = (IS_twap - IS_s) / (IS_twap - IS_oracle),
undefined where the oracle does not beat TWAP by two standard errors."""
    )
    report.section("Headline: improvement vs TWAP per scenario family, on mean IS", headline_table(headline, "is"))
    report.section(
        "On the risk-adjusted cost mean(IS + lambda risk), which the strategies and the oracle minimize",
        headline_table(headline, "objective"),
    )
    report.section("Leaderboard (`evaluation.leaderboard`)", markdown_table(round_floats(leaderboard), max_rows=20))
    strategies = [s for s in BASELINE_ORDER if s in set(summary["strategy"]) and s != "twap"]
    families = family_improvement(summary, ["impact_model", "horizon_s"])
    report.section("Improvement with 95% CI per scenario family")
    report.image(_ci_plot(families, ["impact_model", "horizon_s"], "Improvement vs TWAP by family", strategies), "families")
    by_urgency = family_improvement(summary, ["urgency", "size_pct_adv"])
    report.image(_ci_plot(by_urgency, ["urgency", "size_pct_adv"], "Improvement vs TWAP by urgency and size (% ADV)", strategies), "urgency")
    if costs:
        report.section(f"Cost distributions: {scenario_id}")
        report.image(cost_distributions_png(costs, scenario_id), "costs")
    risk = summary.group_by("strategy").agg(
        mean_is_bps=pl.col("mean_is_bps").mean(), std_is_bps=pl.col("std_is_bps").mean(),
        cvar95_is_bps=pl.col("cvar95_is_bps").mean(), mean_objective_bps=pl.col("mean_objective_bps").mean(),
        median_sharpe_vs_twap=pl.col("sharpe_vs_twap").median(),
    ).sort("mean_objective_bps")  # fmt: skip
    report.section("Risk: averages over scenarios (bps)", markdown_table(round_floats(risk)))
    report.section(
        "Strategies that could not plan some scenarios",
        markdown_table(missing, max_rows=20) if missing.height else "None: every strategy planned every scenario.",
    )
    return report


def robustness_report(summary: pl.DataFrame, robustness: pl.DataFrame) -> Report:
    """Regimes separately, volatility stress, mis-calibrated impact, replayed days."""
    report = Report("robustness", "Robustness: regimes, volatility stress, mis-calibrated impact, replay")
    strategies = [s for s in BASELINE_ORDER if s in set(summary["strategy"]) and s != "twap"]
    report.section(
        "Each regime separately",
        "The regime is hidden from every strategy except the oracle; the grid has each as its own scenarios.",
    )
    if summary.height:
        regimes = family_improvement(summary, ["regime"])
        report.text(markdown_table(round_floats(regimes), max_rows=40))
        report.image(_ci_plot(regimes, ["regime"], "Improvement vs TWAP by hidden regime", strategies), "regimes")
    else:
        report.text("No evaluation yet.")
    if robustness.is_empty():
        return report.section("Stress tests", "No robustness results yet: materialize `robustness_results`.")
    report.text(
        """Stress tests on one order per instrument and impact model (5% ADV over 30 minutes, medium
urgency): strategies plan for the scenario as calibrated; the market differs. The oracle knows the
market's true parameters. Replayed days: recorded mids with the strategy's own impact overlaid; a
day is in-sample when it lies inside the calibration window."""
    )
    for test in ("nominal", "vol_stress", "impact_miscalibration", "replay"):
        rows = robustness.filter(pl.col("test") == test)
        if rows.is_empty():
            report.section(test, "No rows (replay needs recorded days in features.book_1s)." if test == "replay" else "No rows.")
            continue
        table = family_improvement(rows, ["instrument", "impact_model", "variant"])
        report.section(test.replace("_", " "), markdown_table(round_floats(table.drop("median_oracle_efficiency")), max_rows=80))
        report.image(_ci_plot(table, ["instrument", "impact_model", "variant"], f"{test}: improvement vs TWAP", strategies), test)
    return report
