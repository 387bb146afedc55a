"""Scenarios: the grid of execution tasks every strategy is trained and judged on."""

import dagster as dg
import polars as pl

from execution_assets.defs.contracts import table_metadata
from execution_assets.defs.ops.retrain import after_retrain
from execution_assets.defs.resources import WarehouseResource
from execution_assets.evaluation.plots import remaining_curves_png
from execution_assets.evaluation.store import replace_table
from execution_assets.markdown import markdown_table
from execution_assets.plots import png_markdown
from execution_assets.scenarios import URGENCY_KAPPA_T, load_calibrations, scenario_grid, stored_problem
from execution_assets.strategies import AlmgrenChriss
from execution_assets.warehouse import run_sql_file

CALIBRATION_DEPS = ["impact_params", "volume_curve", "signal_params"]
RULES = {
    "unique_ids_and_seeds": ("duplicate_ids", "duplicate_seeds"),
    "seeds_in_split_range": ("seeds_out_of_split_range",),
    "steps_in_range": ("steps_out_of_range", "interval_not_growing"),
    "valid_parameters": ("bad_parameters",),
    "complete_grid": ("incomplete_instrument_splits",),
}
DESCRIPTIONS = {
    "unique_ids_and_seeds": "every scenario_id and every seed appears once",
    "seeds_in_split_range": "train seeds in [0, 1e6), validation in [1e6, 2e6), test in [2e6, 3e6)",
    "steps_in_range": "20 to 100 decisions per episode; the decision interval grows with the horizon",
    "valid_parameters": "impact, volatility, spread, ADV and risk aversion finite and in range",
    "complete_grid": "every instrument has the full grid in every split",
}


def _urgency_plot(grid: pl.DataFrame) -> str:
    """AC schedules of one scenario cell at the three urgencies: what 'urgency' means."""
    cells = grid.filter(
        pl.col("split") == "test", pl.col("impact_model") == "linear", pl.col("size_pct_adv") == 5.0,
        pl.col("horizon_s") == 1800.0, pl.col("regime") == "normal", pl.col("side") == 1,
    )  # fmt: skip
    for instrument in cells["instrument"].unique(maintain_order=True).to_list():  # the first where AC is defined
        curves = {}
        try:
            for row in cells.filter(pl.col("instrument") == instrument).sort("urgency_kappa_t").iter_rows(named=True):
                strategy = AlmgrenChriss()
                strategy.reset(stored_problem(row), 1)
                remaining = 1.0 - strategy.trades.cumsum()
                curves[f"{row['urgency']} (kappa T = {row['urgency_kappa_t']:g})"] = [1.0, *remaining]
        except ValueError:  # eta~ <= 0 (e.g. GOOG's one-day calibration): AC has no minimum to draw
            continue
        title = f"Almgren-Chriss schedules by urgency: {instrument}, 5% ADV over 30 min"
        return png_markdown(remaining_curves_png(curves, title), "urgency")
    return "no linear 5% / 30 min cell where Almgren-Chriss is defined"


@dg.asset(
    key="execution_scenarios",
    deps=CALIBRATION_DEPS,
    pool="duckdb",
    group_name="scenarios",
    kinds={"duckdb", "polars"},
    metadata=table_metadata("scenarios.execution_scenarios"),
    automation_condition=after_retrain(),
    check_specs=[dg.AssetCheckSpec(name, asset="execution_scenarios", description=d) for name, d in DESCRIPTIONS.items()],
)
def execution_scenarios(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """scenarios.execution_scenarios: size (1, 5, 10% ADV) x horizon (5 min to 1 day) x hidden
    regime x urgency (AC kappa*T 0.5, 2, 5) x side x impact model (linear, square root,
    transient), per calibrated instrument, in train/validation/test splits with disjoint seed
    ranges. Each row carries every parameter it is simulated with (latest calibration, or the
    instrument's defaults where calibration is missing). See execution_assets/scenarios.py."""
    with duckdb.get_connection() as con:
        calibrations = load_calibrations(con)
        grid = scenario_grid(calibrations)
        replace_table(con, "scenarios.execution_scenarios", "scenarios/delete_scenarios", grid)
        violations = run_sql_file(con, "scenarios/check_scenarios", {}).row(0, named=True)
    sources = pl.DataFrame(
        [
            {"instrument": c.instrument, "source": c.source, "as_of": str(c.as_of or ""), "notes": c.notes}
            for c in calibrations
        ]
    )
    for c in calibrations:
        if c.source != "calibration":
            context.log.warning(f"{c.instrument}: scenario parameters from {c.source} ({c.notes})")
    counts = grid.group_by("instrument", "split").len().sort("instrument", "split")
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": grid.height,
            "instruments": len(calibrations),
            "parameter_sources": dg.MetadataValue.md(markdown_table(sources)),
            "rows_per_split": dg.MetadataValue.md(markdown_table(counts)),
            "preview": dg.MetadataValue.md(
                markdown_table(grid.select("scenario_id", "n_steps", "decision_interval_s", "risk_aversion", "eta", "seed"))
            ),
            "urgency": dg.MetadataValue.md(_urgency_plot(grid)),
            "urgency_kappa_t": dg.MetadataValue.json(URGENCY_KAPPA_T),
        }
    )
    for name, columns in RULES.items():
        yield dg.AssetCheckResult(
            check_name=name,
            passed=all(int(violations[c]) == 0 for c in columns),
            metadata={c: int(violations[c]) for c in columns},
        )
