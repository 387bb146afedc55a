"""The instance configs of deploy/ and dagster.yaml are valid, and the parallel one runs two
instrument-days at once through `dagster dev` with the DuckDB steps still one at a time."""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import pytest
from dagster._core.instance.config import dagster_instance_config

from execution_assets.paths import PROJECT_ROOT

CONFIGS = sorted((PROJECT_ROOT / "deploy").glob("dagster.*.yaml")) + [PROJECT_ROOT / "dagster.yaml"]


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_instance_config_is_valid_and_keeps_one_duckdb_writer(path):
    config, _ = dagster_instance_config(str(path.parent), path.name)
    assert config["concurrency"]["pools"]["default_limit"] == 1


def test_parallel_instance_allows_two_runs_and_one_pool_step(tmp_path):
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.parallel.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    concurrency = instance.get_concurrency_config()
    assert concurrency.run_queue_config.max_concurrent_runs == 2
    assert concurrency.pool_config.default_pool_limit == 1
    assert concurrency.pool_config.pool_granularity.value == "op"


@pytest.mark.timing  # needs two idle cores: flaky on a loaded machine, so not part of make test
def test_dagster_dev_with_the_parallel_instance_runs_two_partitions_at_once(tmp_path):
    from benchmarks.bench_parallel_ingest import run_setting

    days = [("SYNTH_ILQ", dt.date(2024, 1, 2)), ("SYNTH_LIQ", dt.date(2024, 1, 2))]
    result = run_setting(days, max_runs=2, root=tmp_path)  # raises if a run fails or rows are missing
    assert result["most_at_once"] == 2
