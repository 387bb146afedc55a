"""The run configs `make run` hands to Dagster's jobs are valid for them (a typo or a missing
resource field would only show minutes into a run)."""

from __future__ import annotations

import dagster as dg
import pytest

from execution_assets import cli


@pytest.mark.parametrize(
    ("job", "run_config"),
    [
        ("retrain_job", cli.training_run_config("quick")),
        ("retrain_job", cli.training_run_config("standard")),
        ("evaluate_job", cli.benchmarks_run_config(200)),
        ("evaluate_job", cli.agents_run_config(200)),
    ],
)
def test_make_runs_run_configs_are_valid(job, run_config):
    result = dg.validate_run_config(cli._definitions().resolve_job_def(job), run_config)
    assert result  # validate_run_config raises DagsterInvalidConfigError otherwise


def test_the_shared_warehouse_waits_for_the_other_process():
    duckdb = cli.shared_warehouse()["resources"]["duckdb"]["config"]
    assert duckdb["lock_wait_s"] > 0 and duckdb["database"].endswith("warehouse.duckdb")
