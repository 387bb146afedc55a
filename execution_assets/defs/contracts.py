"""The ``contract`` asset check: a stored table checked against its pandera data contract."""

import dagster as dg
import polars as pl

from execution_assets.market.validation import validate_contract


def contract_check(asset: dg.AssetKey, frame: pl.DataFrame, model) -> dg.AssetCheckResult:
    failures = validate_contract(frame, model)
    return dg.AssetCheckResult(
        asset_key=asset,
        check_name="contract",
        passed=not failures,
        metadata={"failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in failures) or "none")},
    )
