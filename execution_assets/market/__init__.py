"""Market data: readers (LOBSTER, Databento, generic parquet/CSV), reference data, the synthetic market, validation."""

from execution_assets.market.databento import read_dbn
from execution_assets.market.errors import RawDataError
from execution_assets.market.generic import read_l2_snapshots, read_trades
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.market.lobster import read_lobster
from execution_assets.market.synthetic import MarketParams, SyntheticDay, simulate_market_day
from execution_assets.market.validation import RawDay, split_snapshots, split_trades

__all__ = [
    "DEFAULT_INSTRUMENTS",
    "MarketParams",
    "RawDataError",
    "RawDay",
    "SyntheticDay",
    "read_dbn",
    "read_l2_snapshots",
    "read_lobster",
    "read_trades",
    "simulate_market_day",
    "split_snapshots",
    "split_trades",
]
