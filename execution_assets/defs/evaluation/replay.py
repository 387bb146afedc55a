"""Replay evaluation: every strategy on the same recorded days (``evaluation.replay``), its
summary against TWAP and the hindsight bound, and the replay report."""

import dagster as dg
import polars as pl

from execution_assets.defs.contracts import table_metadata
from execution_assets.defs.evaluation.reports import Inputs, _report_asset
from execution_assets.defs.ops.retrain import after_retrain
from execution_assets.defs.resources import WarehouseResource
from execution_assets.evaluation.agents import load_agents, seed_runs
from execution_assets.evaluation.plots import cost_distributions_png
from execution_assets.evaluation.replay import (
    HINDSIGHT_TOLERANCE_BPS,
    HINDSIGHT_Z,
    ReplaySpec,
    evaluate_replay,
    hindsight_violations,
    load_books,
    parse_scenario_id,
    replace_rows,
    replay_example,
    spec_of,
    summarize_replay,
)
from execution_assets.evaluation.report import Report
from execution_assets.evaluation.reports_replay import clock_label, pick_example, replay_report, strategy_order
from execution_assets.evaluation.store import replace_table
from execution_assets.markdown import markdown_table, round_floats
from execution_assets.plots import png_markdown
from execution_assets.scenarios import calibration_by_instrument, calibration_for, load_calibrations
from execution_assets.warehouse import run_sql_file


class ReplayConfig(dg.Config):
    splits: list[str] = ["test"]  # day splits to evaluate (real instruments' days are all test)
    sizes_pct_adv: list[float] = [1.0, 5.0]
    horizons_s: list[float] = [1800.0, 3600.0]
    n_episodes: int = 200  # per scenario and side: a size x horizon pools 2 x n_episodes
    impact_model: str = "linear"  # or "transient" (the hindsight bound needs linear impact)
    urgency: str = "medium"
    instruments: list[str] = []  # [] = every instrument with stored days
    include_agents: bool = True  # every seed of the newest trained_agent batch, when there is one

    def spec(self) -> ReplaySpec:
        return ReplaySpec(
            splits=tuple(self.splits), sizes_pct_adv=tuple(self.sizes_pct_adv), horizons_s=tuple(self.horizons_s),
            n_episodes=self.n_episodes, impact_model=self.impact_model, urgency=self.urgency,
        )  # fmt: skip


@dg.asset(
    key="replay_results",
    deps=["book_features", "impact_params", "volume_curve", "trained_agent"],
    pool="duckdb",
    group_name="evaluation",
    kinds={"duckdb", "numpy"},
    metadata=table_metadata("evaluation.replay_results"),
    automation_condition=after_retrain(),
    check_specs=[
        dg.AssetCheckSpec("paired", asset="replay_results", description="every strategy of a scenario traded the same episodes (same day and start second)"),
        dg.AssetCheckSpec("enough_episodes", asset="replay_results", description="every replayed scenario has at least the configured episodes for every strategy"),
        dg.AssetCheckSpec("every_scenario_replayed", asset="replay_results", description="no instrument, split or scenario skipped (warns with the reasons: no days, days too short)"),
        dg.AssetCheckSpec("every_strategy_planned", asset="replay_results", description="no strategy failed to plan a replay scenario (warns with the reasons)"),
    ],
)  # fmt: skip
def replay_results(context: dg.AssetExecutionContext, config: ReplayConfig, duckdb: WarehouseResource):
    """evaluation.replay_results: every strategy on the same episodes of stored days. For each
    instrument with days in features.book_1s (split by date: synthetic 60/20/20, real days
    test-only; the configured splits, default test), orders of 1% and 5% ADV over 30 minutes and
    1 hour, buy and sell, on the instrument's latest calibration (linear impact, medium urgency):
    TWAP, VWAP, POV, Almgren-Chriss, Obizhaeva-Wang, the trained agents and the hindsight bound
    (per episode the model-optimal schedule knowing the recorded path, priced on the book). One
    row per episode: IS, arrival and VWAP slippage vs the recorded book, shares taken per book
    level and beyond the displayed depth."""
    spec = config.spec()
    with duckdb.get_connection() as con:
        stored = load_books(con, spec, config.instruments or None)
        calibrations = calibration_by_instrument(load_calibrations(con))
    runs = seed_runs() if config.include_agents else {}
    context.log.info(f"agents: {', '.join(f'{a} {p.name}' for a, p in runs.items()) or 'none trained'}")
    result = evaluate_replay(stored, calibrations, spec, agents=load_agents(runs))
    with duckdb.get_connection() as con:
        rows = replace_rows(con, "evaluation.replay_results", "evaluation/delete_replay_results", result.covered, result.results)
        paired = run_sql_file(con, "evaluation/replay_check_paired", {}).row(0, named=True)
        counts = run_sql_file(con, "evaluation/replay_episode_counts", {})
    keys = {f"{i}|{s}" for i, s in result.covered}
    counts = counts.filter((pl.col("instrument") + "|" + pl.col("split")).is_in(keys))
    means = (
        result.results.group_by("instrument", "split", "strategy")
        .agg(episodes=pl.len(), mean_is_bps=pl.col("is_bps").mean())
        .sort("instrument", "split", "strategy")
    )
    metadata = {
        "dagster/row_count": rows,
        "seconds": round(result.seconds, 1),
        "instruments": ", ".join(sorted(stored.books)) or "none",
        "scenarios": dg.MetadataValue.md(markdown_table(round_floats(result.scenarios), max_rows=80) if result.scenarios.height else "none"),
        "agents": dg.MetadataValue.json({a: str(p) for a, p in runs.items()}),
        "mean_is_by_strategy": dg.MetadataValue.md(markdown_table(round_floats(means), max_rows=80)),
    }
    if result.results.height:
        example = result.results.filter(pl.col("scenario_id") == result.results["scenario_id"][0])
        costs = {s: g["is_bps"].to_numpy() for (s,), g in example.group_by("strategy", maintain_order=True)}
        costs = {s: costs[s] for s in strategy_order(costs)}
        title = f"IS per episode: {example['scenario_id'][0]}"
        metadata["cost_distributions"] = dg.MetadataValue.md(png_markdown(cost_distributions_png(costs, title), "costs"))
    yield dg.MaterializeResult(metadata=metadata)
    yield dg.AssetCheckResult(
        check_name="paired",
        passed=paired["unpaired_episodes"] == 0 and paired["uneven_scenarios"] == 0,
        metadata={k: int(v) for k, v in paired.items()},
    )
    short = counts.filter(pl.col("min_episodes") < spec.n_episodes)
    yield dg.AssetCheckResult(
        check_name="enough_episodes",
        passed=short.is_empty(),
        metadata={
            "required_per_scenario": spec.n_episodes,
            "scenarios": counts.height,
            "fewest": int(counts["min_episodes"].min()) if counts.height else 0,
            "short": dg.MetadataValue.md(markdown_table(short, max_rows=20) if short.height else "none"),
        },
    )
    yield dg.AssetCheckResult(
        check_name="every_scenario_replayed",
        passed=result.skipped.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "skipped": result.skipped.height,
            "reasons": dg.MetadataValue.md(markdown_table(result.skipped, max_rows=40) if result.skipped.height else "none"),
        },
    )
    by_strategy = result.failures.group_by("strategy").agg(scenarios=pl.len(), example=pl.col("error").first())
    yield dg.AssetCheckResult(
        check_name="every_strategy_planned",
        passed=result.failures.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "failed_pairs": result.failures.height,
            "by_strategy": dg.MetadataValue.md(markdown_table(by_strategy) if by_strategy.height else "none"),
        },
    )


@dg.asset(
    key="replay_summary",
    deps=["replay_results"],
    pool="duckdb",
    group_name="evaluation",
    kinds={"duckdb", "numpy"},
    metadata=table_metadata("evaluation.replay_summary"),
    automation_condition=after_retrain(),
    check_specs=[
        dg.AssetCheckSpec("covers_every_group", asset="replay_summary", description="one row per instrument, split, size, horizon and strategy of replay_results"),
        dg.AssetCheckSpec("ci_brackets_the_estimate", asset="replay_summary", description="ci95_low_bps <= improvement_vs_twap_bps <= ci95_high_bps, and likewise in %"),
        dg.AssetCheckSpec(
            "hindsight_not_beaten",
            asset="replay_summary",
            description=f"no strategy is cheaper than the hindsight bound on the same episodes by more than {HINDSIGHT_Z:g} paired standard errors and {HINDSIGHT_TOLERANCE_BPS:g} bps (warns: the bound is model-optimal, priced on the book)",
        ),
    ],
)  # fmt: skip
def replay_summary(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """evaluation.replay_summary: per instrument, split, size and horizon (buy and sell pooled)
    and strategy, the replayed episodes' mean, std, p95 and CVaR95 of IS, the share filled beyond
    the displayed depth, the improvement vs TWAP in bps and % with paired percentile-bootstrap 95%
    CIs and a Holm-corrected paired t-test, and beside it the hindsight bound's improvement (the
    ceiling) and the share of it the strategy realises. Columns in sql/ddl/evaluation_replay_summary.sql."""
    with duckdb.get_connection() as con:
        results = run_sql_file(con, "evaluation/select_replay_results", {})
    summary = summarize_replay(results)
    violations = hindsight_violations(results)
    groups = results.select("instrument", "split", "size_pct_adv", "horizon_s", "strategy").unique().height
    with duckdb.get_connection() as con:
        replace_table(con, "evaluation.replay_summary", "evaluation/delete_replay_summary", summary)
    overview = summary.select(
        "instrument", "split", "size_pct_adv", "horizon_s", "strategy", "n_episodes", "mean_is_bps",
        "improvement_vs_twap_bps", "ci95_low_bps", "ci95_high_bps", "hindsight_improvement_bps",
    )  # fmt: skip
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.height,
            "summary": dg.MetadataValue.md(markdown_table(round_floats(overview), max_rows=60)),
        }
    )
    yield dg.AssetCheckResult(check_name="covers_every_group", passed=summary.height == groups, metadata={"rows": summary.height, "groups": groups})
    eps = 1e-9
    bad = summary.filter(
        (pl.col("ci95_low_bps") > pl.col("improvement_vs_twap_bps") + eps)
        | (pl.col("ci95_high_bps") < pl.col("improvement_vs_twap_bps") - eps)
        | (pl.col("ci95_low") > pl.col("improvement_vs_twap_pct") + eps)
        | (pl.col("ci95_high") < pl.col("improvement_vs_twap_pct") - eps)
    )
    yield dg.AssetCheckResult(
        check_name="ci_brackets_the_estimate",
        passed=bad.is_empty(),
        metadata={"rows_outside": bad.height, "rows": summary.height},
    )
    yield dg.AssetCheckResult(
        check_name="hindsight_not_beaten",
        passed=violations.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "violations": violations.height,
            "worst": dg.MetadataValue.md(markdown_table(round_floats(violations), max_rows=20) if violations.height else "none"),
        },
    )


def _replay(inputs: Inputs) -> Report:
    con = inputs.con
    summary = run_sql_file(con, "evaluation/select_replay_summary", {})
    results = run_sql_file(con, "evaluation/select_replay_results", {})
    calibrations = calibration_by_instrument(load_calibrations(con))
    notes = {i: f"{c.source} as of {c.as_of}; {c.notes}" if c.as_of else f"{c.source}; {c.notes}" for i, c in calibrations.items()}
    picked = pick_example(results)
    if picked is None:
        return replay_report(summary, results, notes=notes)
    scenario_id, _ = picked
    parts = parse_scenario_id(scenario_id)
    instrument, split = str(parts["instrument"]), str(parts["split"])
    spec = spec_of(results, instrument, split)
    stored = load_books(con, spec, [instrument])
    if instrument not in stored.books:
        return replay_report(summary, results, notes=notes)
    names = set(results.filter(pl.col("scenario_id") == scenario_id)["strategy"].to_list())
    agents = load_agents({name: run for name, run in seed_runs().items() if name in names})
    example = replay_example(
        stored.books[instrument], stored.days_by_split[instrument][split], calibration_for(calibrations, instrument),
        spec, scenario_id, agents=agents,
    )  # fmt: skip
    days = run_sql_file(con, "evaluation/replay_days", {}).filter(pl.col("instrument") == instrument, pl.col("date") == example.date)
    first_ts = days["first_ts"][0] if days.height else None
    return replay_report(summary, results, example, start_clock=clock_label(first_ts, example.date, example.start_second), notes=notes)


replay_report_asset = _report_asset(
    "replay", ["replay_summary", "replay_results"],
    "Every strategy on recorded days: improvement vs TWAP with CIs beside the hindsight bound, cost distributions, one episode's schedules over the recorded mid.",
    _replay,
)  # fmt: skip
