"""Data contracts in the catalog: column schemas from ``schemas.catalog``, the ``contract`` check,
blocking check specs, and what automation asks of the checks upstream."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import dagster as dg
import polars as pl
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from execution_assets.market.validation import validate_contract
from schemas.catalog import table_columns, table_rules

AC = dg.AutomationCondition


def column_schema(table: str) -> dg.TableSchema:
    """``dagster/column_schema`` of a warehouse table: its contract's columns, DuckDB types,
    nullability, rules and descriptions (``schemas.catalog``, the one source of truth)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.type,
                description=c.description or None,
                constraints=dg.TableColumnConstraints(nullable=c.nullable, other=list(c.rules)),
            )
            for c in table_columns(table)
        ],
        constraints=dg.TableConstraints(other=table_rules(table)),
    )


def table_metadata(table: str) -> dict[str, object]:
    """Definition metadata of an asset that stores ``table``: the catalog shows its columns
    (``dagster/column_schema``) and the table it lives in (``dagster/table_name``)."""
    return {"dagster/column_schema": column_schema(table), "dagster/table_name": table}


def check_spec(
    name: str,
    asset: dg.CoercibleToAssetKey,
    description: str,
    *,
    blocking: bool = False,
    partitions_def: dg.PartitionsDefinition | None = None,
) -> dg.AssetCheckSpec:
    """A check spec, partitioned like its asset: each partition keeps its own latest result, so a
    bad instrument-day stays failed until that day is fixed, whatever runs after it.

    ``blocking`` checks fail with ERROR severity only, and then stop the assets downstream in the
    same run; the automation below also holds assets back while one of them is failed upstream.
    Partitioned checks are a preview feature of Dagster 1.13: its warning is silenced here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name,
            asset=asset,
            description=description + (" (blocking: downstream assets wait while it fails)" if blocking else ""),
            blocking=blocking,
            partitions_def=partitions_def,
        )


def contract_check(asset: dg.AssetKey, frame: pl.DataFrame, model) -> dg.AssetCheckResult:
    """The stored rows against the table's pandera contract; the result's description names the
    broken rules (shown on the asset's Checks tab), the metadata lists every failure."""
    failures = validate_contract(frame, model)
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name="contract",
        passed=not failures,
        description=("contract broken: " + "; ".join(failures[:3]))[:1000] if failures else None,
        metadata={
            "failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in failures) or "none"),
            "broken_rules": len(failures),
        },
    )


def upstream_checks_clear() -> dg.AutomationCondition:
    """True where no partition of any dependency has a failed blocking check.

    Dagster's ``all_deps_blocking_checks_passed()`` is true for a partition when *some* mapped
    partition of each dependency passed; a calibration (one instrument) reads *every* day of the
    instrument, so one failed day must hold it back: this asks that *none* failed.
    """
    failed = AC.any_checks_match(AC.check_failed(), blocking_only=True)
    return (~AC.any_deps_match(failed)).with_label("no failed blocking check upstream")


def failed_blocking_checks(
    instance: dg.DagsterInstance, specs: Iterable[dg.AssetCheckSpec], partition_keys: Iterable[str] | None = None
) -> list[tuple[dg.AssetCheckKey, str | None]]:
    """(check, partition) of every blocking check whose latest result for a partition failed."""
    keys = [spec.key for spec in specs if spec.blocking]
    if not keys:
        return []
    infos = instance.event_log_storage.get_asset_check_partition_info(
        keys, partition_keys=list(partition_keys) if partition_keys is not None else None
    )
    failed = AssetCheckExecutionRecordStatus.FAILED
    return sorted(
        ((info.check_key, info.partition_key) for info in infos if info.latest_execution_status == failed),
        key=lambda pair: (pair[0].to_user_string(), pair[1] or ""),
    )
