"""Reports, one asset per topic: Markdown with plots in the UI, .md and .html in artifacts/reports/."""

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
import duckdb as duckdb_module
import numpy as np
import polars as pl

from execution_assets.agents.config import resolve_config
from execution_assets.defs.ops.retrain import after_retrain
from execution_assets.defs.resources import WarehouseResource
from execution_assets.agents.config import ALGORITHMS
from execution_assets.agents.run_folder import read_config
from execution_assets.evaluation.agents import latest_runs
from execution_assets.evaluation.env_checks import run_env_checks
from execution_assets.evaluation.report import Report, write_report
from execution_assets.evaluation.reports_results import agent_report, curriculum_report, evaluation_report, robustness_report
from execution_assets.evaluation.reports_theory import (
    baselines_report,
    environment_report,
    execution_theory,
    impact_models,
    reference_rows,
    reward_report,
)
from execution_assets.scenarios import calibration_by_instrument, calibration_for, load_calibrations, stored_problem
from execution_assets.warehouse import run_sql_file

Connection = duckdb_module.DuckDBPyConnection
REWARD_EPISODES = 2000


@dataclass(frozen=True)
class Inputs:
    """What report builders read: a warehouse connection and helpers over it."""

    con: Connection

    def scenarios(self) -> pl.DataFrame:
        frame = run_sql_file(self.con, "scenarios/select_scenarios", {"split": "test"})
        if frame.is_empty():
            raise ValueError("scenarios.execution_scenarios is empty: materialize execution_scenarios first")
        return frame

    def reference(self, impact_model: str = "linear") -> dict:
        rows = reference_rows(self.scenarios())
        return rows.filter(pl.col("impact_model") == impact_model).row(0, named=True)

    def calibration(self, instrument: str):
        return calibration_for(calibration_by_instrument(load_calibrations(self.con)), instrument)

    def summary(self) -> pl.DataFrame:
        return run_sql_file(self.con, "evaluation/select_summary", {})

    def costs(self, scenario_id: str) -> dict[str, np.ndarray]:
        rows = run_sql_file(self.con, "evaluation/scenario_costs", {"scenario_id": scenario_id})
        return {s: g["is_bps"].to_numpy() for (s,), g in rows.group_by("strategy", maintain_order=True)}


def _theory(inputs: Inputs) -> Report:
    row = inputs.reference()
    return execution_theory(stored_problem(row), inputs.calibration(row["instrument"]), row["scenario_id"])


def _impact(inputs: Inputs) -> Report:
    rows = reference_rows(inputs.scenarios())
    problems = {r["impact_model"]: stored_problem(r) for r in rows.iter_rows(named=True)}
    summary = inputs.summary()
    by_model = pl.DataFrame()
    if summary.height:
        twap = summary.filter(pl.col("strategy") == "twap").select("scenario_id", "impact_model", "horizon_s", twap_is_bps="mean_is_bps")
        oracle = summary.filter(pl.col("strategy") == "oracle").select("scenario_id", oracle_improvement_bps="improvement_vs_twap_bps")
        by_model = (
            twap.join(oracle, on="scenario_id", how="left")
            .group_by("impact_model", "horizon_s")
            .agg(pl.len().alias("scenarios"), pl.col("twap_is_bps", "oracle_improvement_bps").mean())
            .sort("impact_model", "horizon_s")
        )
    return impact_models(run_sql_file(inputs.con, "evaluation/calibration_params", {}), problems, by_model)


def _baselines(inputs: Inputs) -> Report:
    row = inputs.reference()
    summary = inputs.summary()
    by_horizon = pl.DataFrame()
    if summary.height:
        by_horizon = (
            summary.filter(pl.col("strategy").is_in(["twap", "vwap", "pov"]))
            .group_by("horizon_s", "size_pct_adv", "strategy")
            .agg(pl.col("mean_is_bps", "improvement_vs_twap_bps", "mean_vwap_slippage_bps").mean(), scenarios=pl.len())
            .sort("horizon_s", "size_pct_adv", "strategy")
        )
    problem = stored_problem(row)
    return baselines_report(problem, inputs.calibration(row["instrument"]), row["start_s"], by_horizon, inputs.costs(row["scenario_id"]), row["scenario_id"])


def _environment(inputs: Inputs) -> Report:
    row = inputs.reference("transient")
    completion = run_sql_file(inputs.con, "evaluation/completion", {}).row(0, named=True)
    return environment_report(
        stored_problem(row), inputs.calibration(row["instrument"]), row["start_s"], completion, run_env_checks(), row["scenario_id"]
    )


def _rewards(inputs: Inputs) -> Report:
    row = inputs.reference()
    rewards = {}
    for algo, run in latest_runs().items():
        rewards[algo] = str((read_config(run).get("env") or {}).get("reward"))
    return reward_report(stored_problem(row), REWARD_EPISODES, rewards)


def _agent(algo: str) -> Callable[[Inputs], Report]:
    def build(inputs: Inputs) -> Report:
        return agent_report(algo, latest_runs((algo,)).get(algo), inputs.summary())

    return build


def _curriculum(inputs: Inputs) -> Report:
    runs = latest_runs()
    planned = {}
    for algo in ALGORITHMS:
        if algo in runs:
            planned[algo] = read_config(runs[algo]).get("stages") or []
        else:
            planned[algo] = [vars(s) for s in resolve_config(algo, "hard").stages()]
    return curriculum_report(runs, planned)


def _evaluation(inputs: Inputs) -> Report:
    summary = inputs.summary()
    if summary.is_empty():
        raise ValueError("evaluation.strategy_summary is empty: materialize strategy_summary first")
    row = inputs.reference()
    return evaluation_report(
        summary,
        run_sql_file(inputs.con, "evaluation/headline", {}),
        run_sql_file(inputs.con, "evaluation/select_leaderboard", {}),
        inputs.costs(row["scenario_id"]),
        run_sql_file(inputs.con, "evaluation/missing_pairs", {}),
        row["scenario_id"],
    )


def _robustness(inputs: Inputs) -> Report:
    return robustness_report(inputs.summary(), run_sql_file(inputs.con, "evaluation/select_robustness", {}))


def _report_asset(name: str, deps: list[str], description: str, build: Callable[[Inputs], Report]) -> dg.AssetsDefinition:
    key = f"{name}_report"

    @dg.asset(
        key=key,
        deps=deps,
        pool="duckdb",
        group_name="reports",
        kinds={"markdown", "html"},
        description=description,
        automation_condition=after_retrain(),
        check_specs=[dg.AssetCheckSpec("written_with_plots", asset=key, description="the .md and .html files exist and hold at least one plot")],
    )
    def _asset(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
        with duckdb.get_connection() as con:
            report = build(Inputs(con))
        md_path, html_path, markdown = write_report(report)
        context.log.info(f"wrote {md_path} and {html_path}")
        plots = markdown.count("data:image/png;base64,")
        yield dg.MaterializeResult(
            metadata={
                "report": dg.MetadataValue.md(markdown),
                "markdown_path": dg.MetadataValue.path(str(md_path)),
                "html_path": dg.MetadataValue.path(str(html_path)),
                "plots": plots,
            }
        )
        yield dg.AssetCheckResult(
            check_name="written_with_plots",
            passed=md_path.is_file() and html_path.is_file() and plots > 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"plots": plots},
        )

    return _asset


execution_theory_report = _report_asset(
    "execution_theory", ["execution_scenarios"],
    "Almgren-Chriss: the efficient frontier of the reference order (closed form vs simulation) and the schedules by urgency.",
    _theory,
)  # fmt: skip
impact_models_report = _report_asset(
    "impact_models", ["execution_scenarios", "impact_params", "strategy_summary"],
    "Calibrated impact parameters with CIs, the linear / square-root / transient shapes, and what each costs TWAP.",
    _impact,
)  # fmt: skip
baselines_report_asset = _report_asset(
    "baselines", ["strategy_summary", "episode_results"],
    "TWAP, VWAP and POV: schedules on the calibrated volume curve, costs over the grid, cost distributions.",
    _baselines,
)  # fmt: skip
environment_report_asset = _report_asset(
    "environment", ["episode_results"],
    "The Gymnasium environment: checks, observation, invariants, every strategy on one shared path.",
    _environment,
)  # fmt: skip
reward_design_report = _report_asset(
    "reward_design", ["execution_scenarios", "trained_agent"],
    "Per-step, terminal and AC-utility rewards: same episode totals, different per-step noise; designs the agents used.",
    _rewards,
)  # fmt: skip
dqn_report = _report_asset(
    "dqn", ["trained_agent", "strategy_summary"], "The DQN agent: configuration, training curves, evaluation.", _agent("dqn")
)
ppo_report = _report_asset(
    "ppo", ["trained_agent", "strategy_summary"], "The PPO agent: configuration, training curves, evaluation.", _agent("ppo")
)
curriculum_report_asset = _report_asset(
    "curriculum", ["trained_agent"], "The curriculum's stages, planned and reached, per algorithm.", _curriculum
)
evaluation_report_asset = _report_asset(
    "evaluation", ["strategy_summary", "episode_results"],
    "Headline, leaderboard, improvement with CIs per family, cost distributions, risk, strategies that could not plan.",
    _evaluation,
)  # fmt: skip
robustness_report_asset = _report_asset(
    "robustness", ["strategy_summary", "robustness_results"],
    "Each hidden regime separately, volatility stress, mis-calibrated impact, replayed days in and out of sample.",
    _robustness,
)  # fmt: skip
