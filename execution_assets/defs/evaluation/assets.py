"""Evaluation: every strategy on every test scenario, on shared price paths, and its statistics."""

import dagster as dg
import numpy as np
import polars as pl

from execution_assets.defs.contracts import table_metadata
from execution_assets.defs.ops.retrain import after_retrain
from execution_assets.defs.resources import WarehouseResource
from execution_assets.evaluation.agents import load_agents, seed_runs
from execution_assets.evaluation.grid import FAILURE_COLUMNS, evaluate_scenarios_in_parallel, select_evenly
from execution_assets.evaluation.plots import bar_png, cost_distributions_png
from execution_assets.evaluation.robustness import run_robustness
from execution_assets.evaluation.store import replace_table, replace_table_chunks
from execution_assets.evaluation.paired import ORACLE, OBSERVABLE_ORACLE
from execution_assets.evaluation.summary import ceiling_gaps, oracle_violations, prior_mixture_violations, summarize_chunks
from execution_assets.markdown import markdown_table
from execution_assets.plots import png_markdown
from execution_assets.scenarios import calibration_by_instrument, load_calibrations, with_regime_group
from execution_assets.sim.problem import TRAINING_REGIME_MIX
from execution_assets.warehouse import run_sql_file

SUMMARY_CHUNK = 100  # scenarios read back per chunk: bounds memory for millions of episode rows


class BenchmarkConfig(dg.Config):
    n_episodes: int = 1000  # paths per scenario, shared by every strategy (the agents' too)
    split: str = "test"
    include_oracle: bool = True
    max_scenarios: int = 0  # 0 = every scenario of the split; else an evenly spaced subset (smoke runs)
    impact_models: list[str] = []  # [] = all; e.g. ["linear"] for a quick run without the oracle's DP
    workers: int = 2  # processes evaluating parts of the grid side by side (1: in this process)


class EvaluationConfig(dg.Config):
    include_agents: bool = True  # the newest trained_agent run of each algorithm, when there is one
    workers: int = 2  # processes evaluating parts of the grid side by side (1: in this process)


def _failure_check(failures: pl.DataFrame, asset: str) -> dg.AssetCheckResult:
    by_strategy = failures.group_by("strategy").agg(scenarios=pl.len(), example=pl.col("error").first())
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name="every_strategy_planned",
        passed=failures.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "failed_pairs": failures.height,
            "by_strategy": dg.MetadataValue.md(markdown_table(by_strategy) if failures.height else "none"),
        },
    )


def _progress_log(context: dg.AssetExecutionContext, n_scenarios: int, workers: int):
    step = max(n_scenarios // 20, 1)

    def progress(done: int, total: int) -> None:
        if done % step == 0 or done == total or workers > 1:
            context.log.info(f"evaluated {done}/{total} scenarios")

    return progress


@dg.asset(
    key="benchmark_results",
    deps=["execution_scenarios"],
    pool="duckdb",
    group_name="evaluation",
    kinds={"duckdb", "numpy"},
    metadata=table_metadata("evaluation.benchmark_results"),
    automation_condition=after_retrain(),
    check_specs=[
        dg.AssetCheckSpec("every_strategy_planned", asset="benchmark_results", description="no strategy failed to plan a scenario (warns with the reasons)"),
    ],
)
def benchmark_results(context: dg.AssetExecutionContext, config: BenchmarkConfig, duckdb: WarehouseResource):
    """evaluation.benchmark_results: per test scenario, TWAP, VWAP, POV, Almgren-Chriss,
    Obizhaeva-Wang and the two oracles on the scenario's price paths (its seed), one row per
    episode. Nothing here needs a trained agent, so `make run` computes it while the agents train;
    episode_results adds the agents on the same paths. A strategy that cannot plan a scenario (an
    ill-posed closed form) is listed by the every_strategy_planned check instead of stopping the run."""
    with duckdb.get_connection() as con:
        scenarios = run_sql_file(con, "scenarios/select_scenarios", {"split": config.split})
        calibrations = calibration_by_instrument(load_calibrations(con))
    if scenarios.is_empty():
        raise ValueError(f"scenarios.execution_scenarios has no {config.split!r} rows: materialize execution_scenarios first")
    if config.impact_models:
        scenarios = scenarios.filter(pl.col("impact_model").is_in(config.impact_models))
    scenarios = select_evenly(scenarios, config.max_scenarios)
    result = evaluate_scenarios_in_parallel(
        scenarios, calibrations, config.n_episodes, include_oracle=config.include_oracle,
        workers=config.workers, progress=_progress_log(context, scenarios.height, config.workers),
    )  # fmt: skip
    with duckdb.get_connection() as con:
        rows = replace_table_chunks(con, "evaluation.benchmark_results", "evaluation/delete_benchmark_results", result.frames)
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "scenarios": scenarios.height,
            "n_episodes": config.n_episodes,
            "seconds": round(result.seconds, 1),
        }
    )
    yield _failure_check(result.failures, "benchmark_results")


@dg.asset(
    key="episode_results",
    deps=["benchmark_results", "trained_agent"],
    pool="duckdb",
    group_name="evaluation",
    kinds={"duckdb", "numpy"},
    metadata=table_metadata("evaluation.episode_results"),
    automation_condition=after_retrain(),
    check_specs=[
        dg.AssetCheckSpec("order_always_completes", asset="episode_results", description="filled_frac = 1 and IS finite in every episode"),
        dg.AssetCheckSpec("paired", asset="episode_results", description="every strategy of a scenario has the same episodes"),
        dg.AssetCheckSpec("every_strategy_planned", asset="episode_results", description="no agent failed on a scenario (warns with the reasons)"),
    ],
)
def episode_results(context: dg.AssetExecutionContext, config: EvaluationConfig, duckdb: WarehouseResource):
    """evaluation.episode_results: the benchmarks' rows (benchmark_results) and the newest trained
    agent of each algorithm on the same scenarios and price paths, one row per episode: signed IS,
    arrival and VWAP slippage, fill, child orders, risk penalty. The paired check holds the two
    halves together (same episodes for every strategy of a scenario)."""
    with duckdb.get_connection() as con:
        benchmarked = run_sql_file(con, "evaluation/benchmark_scenarios", {})
        scenarios = run_sql_file(con, "scenarios/select_scenarios", {"split": None})
        calibrations = calibration_by_instrument(load_calibrations(con))
    if benchmarked.is_empty():
        raise ValueError("evaluation.benchmark_results is empty: materialize benchmark_results first")
    missing = set(benchmarked["scenario_id"]) - set(scenarios["scenario_id"])
    if missing:
        raise ValueError(
            f"evaluation.benchmark_results has {len(missing)} scenarios that scenarios.execution_scenarios no longer "
            f"holds (e.g. {sorted(missing)[0]!r}): materialize benchmark_results again"
        )
    n_episodes = int(benchmarked["n_episodes"].max())
    scenarios = scenarios.filter(pl.col("scenario_id").is_in(benchmarked["scenario_id"].to_list()))
    runs = seed_runs() if config.include_agents else {}
    context.log.info(f"agents: {', '.join(f'{a} {p.name}' for a, p in runs.items()) or 'none trained'}")
    result = None
    if runs:
        result = evaluate_scenarios_in_parallel(
            scenarios, calibrations, n_episodes, agent_runs=runs, include_oracle=False, include_baselines=False,
            workers=config.workers, progress=_progress_log(context, scenarios.height, config.workers),
        )  # fmt: skip
    with duckdb.get_connection() as con:
        replace_table_chunks(
            con, "evaluation.episode_results", "evaluation/delete_episode_results", result.frames if result else [],
            copy_sql="evaluation/copy_benchmark_results",
        )  # fmt: skip
        means = run_sql_file(con, "evaluation/episode_overview", {})
        completion = run_sql_file(con, "evaluation/completion", {}).row(0, named=True)
        paired = run_sql_file(con, "evaluation/check_paired", {}).row(0, named=True)
        example = scenarios["scenario_id"][scenarios.height // 2]
        example_costs = run_sql_file(con, "evaluation/scenario_costs", {"scenario_id": example})
    costs = {s: g["is_bps"].to_numpy() for (s,), g in example_costs.group_by("strategy", maintain_order=True)}
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(completion["episodes"]),
            "scenarios": scenarios.height,
            "n_episodes": n_episodes,
            "agent_seconds": round(result.seconds, 1) if result else 0.0,
            "agents": dg.MetadataValue.json({a: str(p) for a, p in runs.items()}),
            "mean_is_by_strategy": dg.MetadataValue.md(markdown_table(means)),
            "cost_distributions": dg.MetadataValue.md(
                png_markdown(cost_distributions_png(costs, f"IS per episode: {example}"), "cost distributions")
            ),
        }
    )
    yield dg.AssetCheckResult(
        check_name="order_always_completes",
        passed=completion["max_unfilled_frac"] <= 1e-9 and completion["non_finite_is"] == 0,
        metadata={k: float(v) for k, v in completion.items()},
    )
    yield dg.AssetCheckResult(
        check_name="paired",
        passed=paired["distinct_counts"] == 1 and paired["gapped_pairs"] == 0,
        metadata={k: int(v) for k, v in paired.items()},
    )
    yield _failure_check(result.failures if result else pl.DataFrame(schema=FAILURE_COLUMNS), "episode_results")


@dg.asset(
    key="strategy_summary",
    deps=["episode_results"],
    pool="duckdb",
    group_name="evaluation",
    kinds={"duckdb", "numpy"},
    metadata=table_metadata("evaluation.strategy_summary"),
    automation_condition=after_retrain(),
    check_specs=[
        dg.AssetCheckSpec("covers_every_pair", asset="strategy_summary", description="one row per evaluated scenario and strategy"),
        dg.AssetCheckSpec("twap_identity", asset="strategy_summary", description="TWAP vs itself: zero improvement, p = 1, oracle efficiency 0"),
        dg.AssetCheckSpec(
            "nothing_beats_the_oracle",
            asset="strategy_summary",
            description=(
                "no strategy's risk-adjusted cost is below the oracle's beyond noise: by more paired standard errors "
                "than a 1% chance of a false alarm over all the pairs compared allows (Bonferroni, at least 3)"
            ),
        ),
        dg.AssetCheckSpec(
            "nothing_beats_the_observable_oracle",
            asset="strategy_summary",
            description=(
                "no strategy but the clairvoyant oracle has a risk-adjusted cost below the observable oracle's, averaged "
                "over the regimes with its prior, by more than 0.1 bps (its DP grids' error) and by more standard errors "
                "than a 1% chance of a false alarm over all the groups compared allows (Bonferroni, at least 3)"
            ),
        ),
    ],
)
def strategy_summary(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """evaluation.strategy_summary: per scenario and strategy, mean, std, p95 and CVaR95 of IS,
    the paired improvement vs TWAP in bps and % with percentile-bootstrap 95% CIs, the paired
    t-test Holm-corrected across scenarios, the Sharpe of savings vs TWAP and the oracle
    efficiency (IS_twap - IS_s) / (IS_twap - IS_oracle). Columns in sql/ddl/evaluation_strategy_summary.sql."""
    with duckdb.get_connection() as con:
        ids = run_sql_file(con, "evaluation/episode_scenarios", {})["scenario_id"].to_list()
        if not ids:
            raise ValueError("evaluation.episode_results is empty: materialize episode_results first")
        chunks = [
            run_sql_file(con, "evaluation/select_episode_results", {"scenario_ids": ids[i : i + SUMMARY_CHUNK]})
            for i in range(0, len(ids), SUMMARY_CHUNK)
        ]  # whole scenarios per chunk; held as separate frames, never concatenated
    summary = summarize_chunks(chunks)
    violations = oracle_violations(pl.concat([ceiling_gaps(chunk, ORACLE) for chunk in chunks]))
    observable_gaps = pl.concat([ceiling_gaps(chunk, OBSERVABLE_ORACLE, exempt=(ORACLE,)) for chunk in chunks])
    pairs = sum(chunk.select("scenario_id", "strategy").unique().height for chunk in chunks)
    del chunks
    with duckdb.get_connection() as con:
        replace_table(con, "evaluation.strategy_summary", "evaluation/delete_strategy_summary", summary)
        leaderboard = run_sql_file(con, "evaluation/select_leaderboard", {})
        scenarios = with_regime_group(run_sql_file(con, "scenarios/select_scenarios", {"split": None}))
    observable_violations = prior_mixture_violations(observable_gaps, scenarios, TRAINING_REGIME_MIX)
    twap = summary.filter(pl.col("strategy") == "twap")
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.height,
            "leaderboard": dg.MetadataValue.md(markdown_table(leaderboard, max_rows=20)),
            "mean_improvement_bps": dg.MetadataValue.md(
                png_markdown(
                    bar_png(leaderboard, "strategy", "mean_improvement_bps", "Mean improvement vs TWAP over scenarios", "bps"),
                    "improvement",
                )
            ),
        }
    )
    yield dg.AssetCheckResult(check_name="covers_every_pair", passed=summary.height == pairs, metadata={"rows": summary.height, "pairs": pairs})
    yield dg.AssetCheckResult(
        check_name="twap_identity",
        passed=bool(
            twap.height > 0
            and np.allclose(twap["improvement_vs_twap_bps"].to_numpy(), 0.0)
            and (twap["p_value"] == 1.0).all()
            and twap["oracle_efficiency"].fill_null(0.0).abs().max() < 1e-12
        ),
        metadata={"twap_rows": twap.height},
    )
    yield dg.AssetCheckResult(
        check_name="nothing_beats_the_oracle",
        passed=violations.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"violations": violations.height, "worst": dg.MetadataValue.md(markdown_table(violations) if violations.height else "none")},
    )
    yield dg.AssetCheckResult(
        check_name="nothing_beats_the_observable_oracle",
        passed=observable_violations.is_empty(),
        metadata={
            "violations": observable_violations.height,
            "compared_pairs": observable_gaps.height,
            "worst": dg.MetadataValue.md(markdown_table(observable_violations.head(20)) if observable_violations.height else "none"),
        },
    )


class RobustnessConfig(dg.Config):
    n_episodes: int = 1000
    include_agents: bool = True
    impact_models: list[str] = []  # [] = all


ROBUSTNESS_REPLAY_DAYS = 5  # the latest recorded days per instrument (replay_results covers every test day)


def _replay_days(con, instruments: list[str]) -> dict[str, list[tuple]]:
    """Recorded 1-second mids of each instrument's latest ``ROBUSTNESS_REPLAY_DAYS`` days (empty
    when features were never built): each day is a variant of every scenario, so six months of
    days would cost 25 times a week's."""
    days = {}
    for instrument in instruments:
        mids = run_sql_file(con, "evaluation/replay_mids", {"instrument": instrument})
        recorded = [(date, group["mid"].to_numpy()) for (date,), group in mids.group_by("date", maintain_order=True)]
        days[instrument] = recorded[-ROBUSTNESS_REPLAY_DAYS:]
    return days


@dg.asset(
    key="robustness_results",
    deps=["execution_scenarios", "book_features", "trained_agent"],
    pool="duckdb",
    group_name="evaluation",
    kinds={"duckdb", "numpy"},
    metadata=table_metadata("evaluation.robustness"),
    automation_condition=after_retrain(),
    check_specs=[dg.AssetCheckSpec("all_tests_ran", asset="robustness_results", description="nominal, volatility stress and impact mis-calibration rows exist; replay when days are stored")],
)
def robustness_results(context: dg.AssetExecutionContext, config: RobustnessConfig, duckdb: WarehouseResource):
    """evaluation.robustness: the strategies on markets other than the one they planned for,
    one order per instrument and impact model (5% ADV, 30 min, medium urgency): volatility at
    2.5x and 4x (beyond the volatile regime's 2x), impact at 0.5x and 1.5x, and replayed
    recorded days labelled in- or out-of-sample against the calibration window."""
    with duckdb.get_connection() as con:
        scenarios = run_sql_file(con, "scenarios/select_scenarios", {"split": "test"})
        if config.impact_models:
            scenarios = scenarios.filter(pl.col("impact_model").is_in(config.impact_models))
        calibrations = calibration_by_instrument(load_calibrations(con))
        replay = _replay_days(con, sorted(set(scenarios["instrument"])))
    runs = seed_runs() if config.include_agents else {}
    _, summary = run_robustness(scenarios, calibrations, config.n_episodes, replay_days=replay, agents=load_agents(runs))
    with duckdb.get_connection() as con:
        replace_table(con, "evaluation.robustness", "evaluation/delete_robustness", summary)
    overview = summary.group_by("test", "strategy").agg(
        rows=pl.len(), mean_improvement_bps=pl.col("improvement_vs_twap_bps").mean()
    ).sort("test", "strategy")
    tests = set(summary["test"])
    replay_days = sum(len(v) for v in replay.values())
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": summary.height,
            "replay_days": replay_days,
            "overview": dg.MetadataValue.md(markdown_table(overview, max_rows=40)),
        }
    )
    needed = {"nominal", "vol_stress", "impact_miscalibration"} | ({"replay"} if replay_days else set())
    yield dg.AssetCheckResult(
        check_name="all_tests_ran", passed=needed <= tests, metadata={"tests": ", ".join(sorted(tests))}
    )
