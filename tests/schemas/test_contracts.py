"""Pandera contracts: they name exactly the columns of ``schemas.columns``, accept valid tables and
catch each invariant they promise."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from execution_assets.market.validation import validate_contract
from schemas.columns import KEY_COLUMNS, QUARANTINE_COLUMNS, SNAPSHOT_COLUMNS, TRADE_COLUMNS
from schemas.features import BookFeaturesModel, BOOK_1S_COLUMNS
from schemas.raw import L2SnapshotsModel, QuarantineModel, TradesModel
from tests.market.test_validation import DAY, at, book, put, trades


def columns_of(schema) -> dict[str, pl.DataType]:
    return {name: column.dtype.type for name, column in schema.columns.items()}


def test_raw_contracts_use_the_column_module():
    assert columns_of(L2SnapshotsModel) == SNAPSHOT_COLUMNS
    assert columns_of(TradesModel) == TRADE_COLUMNS
    assert columns_of(QuarantineModel) == QUARANTINE_COLUMNS


def test_book_1s_columns():
    assert columns_of(BookFeaturesModel) == BOOK_1S_COLUMNS
    assert list(BOOK_1S_COLUMNS) == [
        *KEY_COLUMNS, "mid", "spread", "spread_bps", "microprice", "imbalance_1", "imbalance_5",
        "depth_bid_5", "depth_ask_5", "ret_1s", "realized_vol_300s", "momentum_60s", "volume_1s",
        "signed_volume_1s",
    ]
    assert all(BOOK_1S_COLUMNS[c] == pl.Float64 for c in list(BOOK_1S_COLUMNS)[3:])


def failed_checks(frame, schema) -> list[str]:
    """Each failure line of validate_contract, without its row details."""
    return [line.split(" failed")[0] for line in validate_contract(frame, schema)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: put(f, 1, bid_px_1=101.0), "raw.l2_snapshots: bid_px_1 < ask_px_1 (not crossed or locked)"),
        (lambda f: put(f, 1, bid_px_1=100.5), "raw.l2_snapshots: bid_px_1 < ask_px_1 (not crossed or locked)"),
        (lambda f: put(f, 1, ask_sz_1=0), "ask_sz_1: greater_than(0)"),
        (lambda f: put(f, 1, ask_px_2=float("nan")), "raw.l2_snapshots: ask_px_2 not NaN"),
        (lambda f: put(f, 1, bid_sz_2=None), "raw.l2_snapshots: bid_px_2 and bid_sz_2 both set or both null"),
        (lambda f: put(f, 1, bid_px_2=100.0), "raw.l2_snapshots: bid_px_2 set only beyond bid_px_1"),
        (lambda f: put(f, 1, ts=at("16:00:00")), "raw.l2_snapshots: ts on the row's trading date, within the instrument's sessions"),
        (lambda f: put(f, 1, ts=at("10:00:01.5")), "raw.l2_snapshots: ts on a whole second"),
        (lambda f: put(f, 1, ts=at("10:00:00")), "raw.l2_snapshots: multiple_fields_uniqueness"),
        (lambda f: put(f, 1, bid_px_1=None, bid_sz_1=None), "bid_px_1: not_nullable"),
        (lambda f: f.with_columns(pl.col("bid_sz_1").cast(pl.Int32)), "bid_sz_1: dtype('Int64')"),
        (lambda f: f.with_columns(venue=pl.lit("X")), "raw.l2_snapshots: unexpected column venue"),
    ],
)
def test_l2_snapshot_contract_catches(change, expected):
    assert validate_contract(book(), L2SnapshotsModel) == []
    assert expected in failed_checks(change(book()), L2SnapshotsModel)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: put(f, 0, side=2), "side: isin([1, -1, 0])"),
        (lambda f: put(f, 0, size=0), "size: greater_than(0)"),
        (lambda f: put(f, 0, price=-1.0), "price: greater_than(0)"),
        (lambda f: put(f, 0, price=None), "price: not_nullable"),
        (lambda f: put(f, 0, ts=at("09:29:00")), "raw.trades: ts on the row's trading date, within the instrument's sessions"),
        (lambda f: put(f, 0, date=DAY + dt.timedelta(days=1)), "raw.trades: ts on the row's trading date, within the instrument's sessions"),
    ],
)
def test_trade_contract_catches(change, expected):
    assert validate_contract(trades(), TradesModel) == []
    assert expected in failed_checks(change(trades()), TradesModel)


def quarantine_rows(**values) -> pl.DataFrame:
    row = {"target_table": "raw.trades", "source": "f.csv", "instrument": "GOOG", "date": DAY, "row_number": 3, "reason": "null ts", "payload": "{}"}
    return pl.DataFrame([{**row, **values}], schema=QUARANTINE_COLUMNS)


def test_quarantine_contract():
    assert validate_contract(quarantine_rows(), QuarantineModel) == []
    assert validate_contract(quarantine_rows(row_number=None, instrument=None, date=None), QuarantineModel) == []
    assert "reason: str_length(1, None)" in failed_checks(quarantine_rows(reason=""), QuarantineModel)
    assert "row_number: greater_than_or_equal_to(1)" in failed_checks(quarantine_rows(row_number=0), QuarantineModel)
    assert "target_table: isin(('raw.l2_snapshots', 'raw.trades'))" in failed_checks(
        quarantine_rows(target_table="raw.other"), QuarantineModel
    )


def features(n: int = 4) -> pl.DataFrame:
    """A valid features.book_1s frame: a 0.25-wide spread around 100, warm-up nulls in row 0."""
    mid = [100.0 + 0.5 * i for i in range(n)]
    return pl.DataFrame(
        {
            "instrument": ["GOOG"] * n,
            "date": [DAY] * n,
            "ts": [at("09:30:00") + dt.timedelta(seconds=i) for i in range(n)],
            "mid": mid,
            "spread": [0.25] * n,
            "spread_bps": [1e4 * 0.25 / m for m in mid],
            "microprice": [m + 0.1 for m in mid],
            "imbalance_1": [1.0, -1.0, 0.0, 0.3][:n],
            "imbalance_5": [0.2] * n,
            "depth_bid_5": [500.0] * n,
            "depth_ask_5": [0.0] * n,
            "ret_1s": [None, 0.005, 0.005, 0.005][:n],
            "realized_vol_300s": [None, None, 0.0, 0.001][:n],
            "momentum_60s": [None] * n,
            "volume_1s": [0.0, 100.0, 300.0, 50.0][:n],
            "signed_volume_1s": [0.0, -100.0, 100.0, 50.0][:n],
        },
        schema=BOOK_1S_COLUMNS,
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"mid": 0.0}, "mid: greater_than(0)"),
        ({"spread": 0.0}, "spread: greater_than(0)"),
        ({"spread": -0.25}, "spread: greater_than(0)"),
        ({"imbalance_1": 1.5}, "imbalance_1: in_range(-1, 1)"),
        ({"imbalance_5": -1.01}, "imbalance_5: in_range(-1, 1)"),
        ({"depth_bid_5": -1.0}, "depth_bid_5: greater_than_or_equal_to(0)"),
        ({"volume_1s": -1.0}, "volume_1s: greater_than_or_equal_to(0)"),
        ({"signed_volume_1s": -300.5}, "features.book_1s: |signed_volume_1s| <= volume_1s"),
        ({"spread_bps": 30.0}, "features.book_1s: spread_bps = 1e4 * spread / mid"),
        ({"microprice": 101.2}, "features.book_1s: microprice between bid and ask"),
        ({"ret_1s": float("nan")}, "features.book_1s: ret_1s not NaN"),
        ({"realized_vol_300s": -0.1}, "realized_vol_300s: greater_than_or_equal_to(0)"),
        ({"mid": None}, "mid: not_nullable"),
        ({"volume_1s": float("nan")}, "volume_1s: not_nullable"),
        ({"ts": at("09:30:01")}, "features.book_1s: multiple_fields_uniqueness"),
        ({"ts": at("16:00:00")}, "features.book_1s: ts on the row's trading date, within the instrument's sessions"),
    ],
)
def test_book_1s_contract_catches(values, expected):
    assert validate_contract(features(), BookFeaturesModel) == []
    assert expected in failed_checks(put(features(), 2, **values), BookFeaturesModel)
