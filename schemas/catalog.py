"""Every warehouse table's contract as the catalog shows it: columns, types, nullability,
descriptions and rules, one source of truth per table.

- Tables with a hand-written pandera model (``schemas.raw``, ``schemas.features``) use it.
- Every other table's contract is a pandera schema derived from its DDL (``sql/ddl/<schema>_<table>.sql``,
  the file the warehouse is created from): names, DuckDB types and NOT NULL, with the DDL's
  column comments as descriptions. A column added to the DDL shows up here with no second edit.

``table_columns(table)`` is what the Dagster layer turns into ``dagster/column_schema``
(``execution_assets.defs.contracts.table_metadata``); no Dagster import here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import duckdb
import pandera.polars as pa
import polars as pl

from execution_assets.sql import load_sql

# DuckDB type name -> polars dtype, for the contracts derived from DDL (and back, for display).
_DUCKDB_TO_POLARS: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "DATE": pl.Date(),
    "TIMESTAMP": pl.Datetime("us"),
    "TIME": pl.Time(),
    "DOUBLE": pl.Float64(),
    "FLOAT": pl.Float32(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "SMALLINT": pl.Int16(),
    "TINYINT": pl.Int8(),
    "BOOLEAN": pl.Boolean(),
}
_POLARS_TO_DUCKDB = {type(dtype): name for name, dtype in _DUCKDB_TO_POLARS.items()}

# A glossary for columns whose DDL line has no comment (the hand-written models' tables, and
# names shared across tables). A DDL comment, where there is one, wins.
_LEVEL = re.compile(r"^(bid|ask)_(px|sz)_(\d+)$")
_GLOSSARY: dict[str, str] = {
    "instrument": "instrument symbol",
    "date": "trading date of the row",
    "ts": "exchange-local time (naive); a snapshot row is the book at the end of the second starting at ts",
    "price": "print price",
    "size": "shares printed",
    "side": "aggressor side: +1 buyer-initiated, -1 seller-initiated, 0 unknown",
    "target_table": "the table the row was meant for: raw.l2_snapshots or raw.trades",
    "source": "file path or generator name",
    "row_number": "1-based data row in the source (header excluded)",
    "reason": "the rule the row broke, e.g. crossed book: bid_px_1 > ask_px_1",
    "payload": "the offending row as JSON",
    "mid": "(bid_px_1 + ask_px_1) / 2",
    "spread": "ask_px_1 - bid_px_1, currency",
    "spread_bps": "1e4 * spread / mid",
    "microprice": "size-weighted touch price, between bid and ask",
    "imbalance_1": "touch size imbalance (bid - ask) / (bid + ask), in [-1, 1]",
    "imbalance_5": "size imbalance over levels 1..5, in [-1, 1]",
    "depth_bid_5": "shares bid on levels 1..5",
    "depth_ask_5": "shares offered on levels 1..5",
    "ret_1s": "log return of the mid over the last second (null at the day's first second)",
    "realized_vol_300s": "standard deviation of 1-second returns over the trailing 300 s (null while warming up)",
    "momentum_60s": "log return of the mid over the trailing 60 s (null while warming up)",
    "volume_1s": "shares traded in the second",
    "signed_volume_1s": "buyer- minus seller-initiated shares traded in the second",
    "n_trades": "trade prints in the session",
    "sell_volume": "shares with a seller-initiated aggressor",
    "as_of": "the last session the calibration used",
    "window_start": "the first session the calibration used",
    "n_days": "sessions used",
    "bucket_minutes": "length of a bucket, minutes",
    "transient_decay_per_s": "decay rate of the transient impact kernel, per second",
    "half_spread_bps": "half the quoted spread, bps of the mid",
    "temporary_r2": "share of print-cost variance explained by the temporary-impact fit",
    "calibrated_at": "when the calibration ran",
    "scenario_id": "scenarios.execution_scenarios.scenario_id",
    "seed": "random seed of the scenario's price paths (fixes them for every strategy)",
    "beta": "temporary impact exponent",
    "adv_shares": "average daily volume the order size refers to, shares",
    "signal_mean_reversion_per_s": "mean-reversion rate of the alpha signal (OU), per second",
    "signal_alpha_bps_per_s": "drift per unit of signal, bps per second",
    "arrival_price": "mid price when the order arrives",
    "strategy": "twap | vwap | pov | almgren_chriss | obizhaeva_wang | oracle | dqn | ppo | sac",
    "n_episodes": "simulated episodes (shared price paths)",
    "mean_is_bps": "mean implementation shortfall, bps of arrival notional",
    "std_is_bps": "standard deviation of the implementation shortfall, bps",
    "p95_is_bps": "95th percentile of the implementation shortfall, bps",
    "mean_arrival_slippage_bps": "mean average-fill vs arrival mid, bps",
    "mean_vwap_slippage_bps": "mean average-fill vs the market's VWAP over the horizon, bps",
    "mean_filled_frac": "mean share of the order executed",
    "mean_child_orders": "mean number of steps with a non-zero trade",
    "improvement_vs_twap_bps": "mean IS of TWAP minus the strategy's, same episodes, bps (positive = cheaper)",
    "improvement_se_bps": "standard error of the paired improvement, bps",
    "ci95_low_bps": "lower bound of the 95% bootstrap interval of improvement_vs_twap_bps",
    "ci95_high_bps": "upper bound of the 95% bootstrap interval of improvement_vs_twap_bps",
    "ci95_high": "upper bound of the 95% interval of improvement_vs_twap_pct",
    "p_value_raw": "paired t-test p-value of zero mean saving, uncorrected",
    "p_value": "paired t-test p-value, Holm-corrected across scenarios",
    "oracle_efficiency": "(IS_twap - IS_strategy) / (IS_twap - IS_oracle); NULL where the oracle does not beat TWAP",
    "oracle_efficiency_objective": "oracle efficiency on mean(IS + risk penalty)",
    "observable_efficiency": "(IS_twap - IS_strategy) / (IS_twap - IS_observable_oracle); NULL where it does not beat TWAP",
    "observable_efficiency_objective": "observable-oracle efficiency on mean(IS + risk penalty)",
    "improvement_objective_bps": "TWAP's mean(IS + risk penalty) minus the strategy's, bps",
    "improvement_objective_se_bps": "standard error of improvement_objective_bps",
    "improvement_objective_pct": "improvement_objective_bps relative to |TWAP's mean(IS + risk penalty)|",
    "sessions": "trading sessions, 'HH:MM:SS-HH:MM:SS' local time, '; '-separated",
    "tick_size": "minimum price increment",
    "lot_size": "minimum order size increment",
    "currency": "ISO 4217 currency of prices",
}


@dataclass(frozen=True)
class CatalogColumn:
    name: str
    type: str  # the DuckDB type the warehouse stores
    nullable: bool
    description: str
    rules: tuple[str, ...]  # the column's pandera checks, e.g. greater_than(0)


def _model_contracts() -> dict[str, pa.DataFrameSchema]:
    from schemas.features import BookFeaturesModel
    from schemas.raw import L2SnapshotsModel, QuarantineModel, TradesModel

    return {schema.name: schema for schema in (L2SnapshotsModel, TradesModel, QuarantineModel, BookFeaturesModel)}


def _ddl_name(table: str) -> str:
    return "ddl/" + table.replace(".", "_")


def _ddl_comments(ddl: str) -> dict[str, str]:
    """Column -> its comment in the DDL: the comment on the column's line, or on a comment-only
    line right after it; a column of a ``x, x_ci_low, x_ci_high`` line shares the line's comment."""
    comments: dict[str, str] = {}
    create = ddl.upper().index("CREATE TABLE")
    body = ddl[ddl.index("(", create) + 1 :]
    previous: list[str] = []
    for line in body.splitlines():
        code, _, comment = line.partition("--")
        names = [m.group(1) for m in re.finditer(r"(?:^|,)\s*([a-z_][a-z0-9_]*)\s+[A-Z]", code)]
        comment = comment.strip()
        if names:
            previous = names
            for name in names:
                comments[name] = comment
        elif comment and previous:  # a comment continued on its own line
            for name in previous:
                comments[name] = f"{comments[name]} {comment}".strip()
    return comments


def _describe_interval(name: str) -> str:
    for suffix, bound in (("_ci_low", "lower"), ("_ci_high", "upper")):
        if name.endswith(suffix):
            return f"{bound} bound of the 95% confidence interval of {name.removesuffix(suffix)}"
    return ""


@cache
def _ddl_contract(table: str) -> tuple[pa.DataFrameSchema, dict[str, str]]:
    ddl = load_sql(_ddl_name(table))
    with duckdb.connect(":memory:") as con:
        con.execute(load_sql("ddl/00_schemas"))
        con.execute(ddl)
        schema_name, table_name = table.split(".")
        rows = con.execute(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema_name, table_name],
        ).fetchall()
    if not rows:
        raise ValueError(f"{_ddl_name(table)}.sql does not create {table}")
    comments = _ddl_comments(ddl)
    columns = {
        name: pa.Column(
            _DUCKDB_TO_POLARS[data_type],
            nullable=nullable,
            description=_describe_interval(name) or comments.get(name) or None,
        )
        for name, data_type, nullable in rows
    }
    return pa.DataFrameSchema(columns, strict=True, name=table), comments


def contract(table: str) -> pa.DataFrameSchema:
    """The pandera contract of a warehouse table (``schema.table``)."""
    models = _model_contracts()
    return models[table] if table in models else _ddl_contract(table)[0]


def _rule(check: pa.Check) -> str:
    stats = {k: v for k, v in (check.statistics or {}).items() if v is not None}
    if check.error and check.error != check.name:
        return check.error
    return f"{check.name}({', '.join(str(v) for v in stats.values())})" if stats else str(check.name)


def _glossary(name: str) -> str:
    match = _LEVEL.match(name)
    if match:
        side, kind, level = match.groups()
        what = "price" if kind == "px" else "shares"
        return f"{side} {what} at level {level} (null past the source's depth)"
    return _GLOSSARY.get(name, "")


def table_columns(table: str) -> list[CatalogColumn]:
    """The table's columns in order, from its contract."""
    schema = contract(table)
    ddl_comments = _ddl_contract(table)[1]
    columns = []
    for name, column in schema.columns.items():
        dtype = column.dtype.type
        dtype_class = dtype if isinstance(dtype, type) else type(dtype)
        description = (
            column.description or _describe_interval(name) or ddl_comments.get(name) or _glossary(name)
        )
        columns.append(
            CatalogColumn(
                name=name,
                type=_POLARS_TO_DUCKDB.get(dtype_class, str(dtype)),
                nullable=bool(column.nullable),
                description=description,
                rules=tuple(_rule(c) for c in column.checks),
            )
        )
    return columns


def table_rules(table: str) -> list[str]:
    """The table-level rules of the contract: row checks across columns and the unique key."""
    schema = contract(table)
    rules = [_rule(c) for c in schema.checks]
    if schema.unique:
        rules.append(f"unique ({', '.join(schema.unique)})")
    return rules
