"""One job for the whole evaluation: scenario grid, episodes, summary, robustness, every report."""

import dagster as dg

evaluation_reports_job = dg.define_asset_job(
    "evaluation_reports_job",
    selection=dg.AssetSelection.assets("execution_scenarios") | dg.AssetSelection.groups("evaluation", "reports"),
    description=(
        "Build the scenario grid from the latest calibration, evaluate every strategy (and the newest "
        "trained agents) on the test scenarios, run the robustness tests, and render every report."
    ),
)
