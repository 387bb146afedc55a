"""The trained_agent asset: one partition materialized on the smoke budget."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from execution_assets.defs.agents.assets import algorithm_partitions, trained_agent
from execution_assets.defs.resources import WarehouseResource


def test_partitions_are_the_three_algorithms():
    assert algorithm_partitions.get_partition_keys() == ["dqn", "ppo", "sac"]


def test_materialize_ppo_partition(data_dir):
    result = dg.materialize(
        [trained_agent],
        partition_key="ppo",
        run_config={"ops": {"trained_agent": {"config": {"family": "mixed", "profile": "smoke"}}}},
        resources={"duckdb": WarehouseResource(database=str(data_dir / "warehouse.duckdb"))},
    )
    assert result.success
    run_dir = Path(result.output_for_node("trained_agent"))
    assert run_dir.parent == data_dir.resolve() / "artifacts" / "models" / "ppo"
    assert (run_dir / "model.zip").is_file() and (run_dir / "config.yaml").is_file()
    materialization = result.asset_materializations_for_node("trained_agent")[0]
    metadata = materialization.metadata
    assert "data:image/png;base64," in metadata["training_curves"].value
    assert metadata["validation"].value.count("mixed[") == 4
    # an empty warehouse: the grid families would be built on the instruments' true parameters
    assert metadata["grid_calibration"].value == {"SYNTH_ILQ": "defaults", "SYNTH_LIQ": "defaults"}
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == {"no_loss_vs_twap", "no_win_where_twap_is_optimal", "no_win_over_oracle", "captures_oracle_gain"}
    assert checks["no_win_where_twap_is_optimal"].passed  # a win where TWAP is optimal would be a bug
    assert checks["no_win_over_oracle"].passed
