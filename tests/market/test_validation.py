"""Row rules of raw snapshots and trades: each kind of bad row lands in the quarantine once,
with its reason, and the valid rows pass the pandera contracts."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execution_assets.market.validation import split_snapshots, split_trades, validate_contract
from schemas.columns import SNAPSHOT_COLUMNS, TRADE_COLUMNS
from schemas.raw import L2SnapshotsModel, QuarantineModel, TradesModel

DAY = dt.date(2012, 6, 21)
SOURCE = "test-source"


def at(clock: str, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(clock))


def book(n: int = 5, depth: int = 2) -> pl.DataFrame:
    """n valid snapshots one second apart from 10:00:00, ``depth`` levels set, the rest null.

    Prices sit on a 0.25 grid, exact in binary, so equalities in the tests are exact."""
    rows: dict[str, list] = {
        "instrument": ["GOOG"] * n,
        "date": [DAY] * n,
        "ts": [at("10:00:00") + dt.timedelta(seconds=i) for i in range(n)],
    }
    for k in range(1, 11):
        on = k <= depth
        rows[f"bid_px_{k}"] = [100.0 - 0.25 * k + 0.25 * i if on else None for i in range(n)]
        rows[f"ask_px_{k}"] = [100.0 + 0.25 * k + 0.25 * i if on else None for i in range(n)]
        rows[f"bid_sz_{k}"] = [100 * k if on else None for _ in range(n)]
        rows[f"ask_sz_{k}"] = [200 * k if on else None for _ in range(n)]
    return pl.DataFrame(rows, schema=SNAPSHOT_COLUMNS)


def trades(n: int = 5) -> pl.DataFrame:
    """n valid prints 250 ms apart from 10:00:00, alternating sides."""
    return pl.DataFrame(
        {
            "instrument": ["GOOG"] * n,
            "date": [DAY] * n,
            "ts": [at("10:00:00") + dt.timedelta(milliseconds=250 * i) for i in range(n)],
            "price": [100.0 + 0.01 * i for i in range(n)],
            "size": [100 + i for i in range(n)],
            "side": [1 if i % 2 == 0 else -1 for i in range(n)],
        },
        schema=TRADE_COLUMNS,
    )


def put(frame: pl.DataFrame, row: int, **values) -> pl.DataFrame:
    """Set columns of the 0-based ``row`` (keeping dtypes)."""
    index = pl.int_range(pl.len())
    return frame.with_columns(
        pl.when(index == row).then(pl.lit(v, frame.schema[c])).otherwise(pl.col(c)).alias(c)
        for c, v in values.items()
    )


def reasons(quarantine: pl.DataFrame) -> dict[int, str]:
    return dict(zip(quarantine["row_number"], quarantine["reason"]))


def check_split(frame: pl.DataFrame, split=split_snapshots, schema=L2SnapshotsModel, **kwargs):
    """Split and assert the invariants every split must keep."""
    valid, quarantine = split(frame, SOURCE, **kwargs)
    assert valid.height + quarantine.height == frame.height
    assert quarantine["row_number"].n_unique() == quarantine.height
    assert validate_contract(valid, schema) == []
    assert validate_contract(quarantine, QuarantineModel) == []
    assert (quarantine["source"] == SOURCE).all()
    table = "raw.l2_snapshots" if split is split_snapshots else "raw.trades"
    assert (quarantine["target_table"] == table).all()
    return valid, quarantine


def test_valid_book_passes_untouched():
    frame = book()
    valid, quarantine = check_split(frame)
    assert quarantine.is_empty()
    assert valid.equals(frame)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"bid_px_1": 101.0}, "crossed book: bid_px_1 > ask_px_1"),
        ({"bid_px_1": 100.75}, "locked book: bid_px_1 == ask_px_1"),
        ({"bid_px_2": 0.0}, "non-positive bid_px_2"),
        ({"ask_px_1": -1.0}, "non-positive ask_px_1; crossed book: bid_px_1 > ask_px_1"),
        ({"ask_sz_1": 0}, "non-positive ask_sz_1"),
        ({"bid_sz_2": -5}, "non-positive bid_sz_2"),
        ({"bid_px_1": float("nan")}, "NaN bid_px_1"),
        ({"ask_px_2": float("nan")}, "NaN ask_px_2"),
        ({"ask_sz_1": None}, "null ask_sz_1"),
        ({"bid_px_1": None}, "null bid_px_1"),
        ({"instrument": None}, "null instrument"),
        ({"bid_sz_2": None}, "bid_px_2 without bid_sz_2"),
        ({"ask_px_3": 102.0}, "ask_px_3 without ask_sz_3"),
        ({"bid_px_2": None, "bid_sz_2": None, "bid_px_3": 99.0, "bid_sz_3": 10}, "bid level 2 empty below level 3"),
        ({"ask_px_2": 100.75}, "ask_px_2 not beyond ask_px_1"),
        ({"ts": at("09:29:59")}, "ts outside session 09:30:00-16:00:00"),
        ({"ts": at("16:00:00")}, "ts outside session 09:30:00-16:00:00"),
        ({"ts": at("10:00:02", DAY + dt.timedelta(days=1))}, "ts not on the row's date"),
        ({"ts": at("10:00:02.500000")}, "ts not on a whole second"),
    ],
)
def test_each_bad_snapshot_is_quarantined_with_its_reason(values, reason):
    frame = put(book(), 2, **values)  # row 2 (0-based) is data row 3
    valid, quarantine = check_split(frame)
    assert reasons(quarantine) == {3: reason}
    assert valid.height == 4


def test_out_of_order_snapshot_is_quarantined_and_the_rest_stay_ordered():
    frame = put(book(6), 3, ts=at("10:00:01"))  # 0,1,2,1,4,5
    valid, quarantine = check_split(frame)
    assert reasons(quarantine) == {4: "ts not after an earlier row's ts"}
    assert valid["ts"].is_sorted() and valid["ts"].n_unique() == valid.height


def test_same_second_twice_with_a_different_book_breaks_strict_order():
    frame = put(book(), 3, ts=at("10:00:02"), bid_sz_1=7)
    _, quarantine = check_split(frame)
    assert reasons(quarantine) == {4: "ts not after an earlier row's ts"}


def test_duplicate_row_keeps_the_first_copy():
    frame = book(3)
    frame = pl.concat([frame, frame[1:2], frame[1:2]])  # rows 4 and 5 copy row 2
    valid, quarantine = check_split(frame)
    assert reasons(quarantine) == {4: "duplicate of row 2", 5: "duplicate of row 2"}
    assert valid.equals(book(3))


def test_duplicates_are_found_by_position_even_when_row_numbers_repeat():
    frame = pl.concat([book(3), book(3)[1:2]]).with_columns(row_number=pl.lit(7))
    valid, quarantine = split_snapshots(frame, SOURCE)
    assert valid.equals(book(3))
    assert quarantine.select("row_number", "reason").rows() == [(7, "duplicate of row 7")]


def test_order_is_checked_per_instrument_and_date():
    other = book(3).with_columns(instrument=pl.lit("MSFT"))
    frame = pl.concat([book(3), other])  # MSFT starts again at 10:00:00
    valid, quarantine = check_split(frame)
    assert quarantine.is_empty() and valid.height == 6


def test_out_of_session_rows_do_not_poison_the_order_check():
    frame = put(book(4), 1, ts=at("16:30:00"))
    _, quarantine = check_split(frame)
    assert reasons(quarantine) == {2: "ts outside session 09:30:00-16:00:00"}


def test_several_broken_rules_are_joined_in_one_quarantine_row():
    frame = put(book(), 0, bid_px_1=100.5, ask_sz_1=0, ts=at("09:00:00"))
    _, quarantine = check_split(frame)
    assert quarantine.height == 1
    assert quarantine["reason"][0] == (
        "non-positive ask_sz_1; crossed book: bid_px_1 > ask_px_1; ts outside session 09:30:00-16:00:00"
    )


def test_quarantine_row_number_and_payload_describe_the_source_row():
    frame = put(book(), 1, bid_px_1=101.0).with_columns(row_number=pl.Series([10, 11, 12, 13, 14]))
    _, quarantine = check_split(frame)
    row = quarantine.row(0, named=True)
    assert row["row_number"] == 11 and row["instrument"] == "GOOG" and row["date"] == DAY
    payload = json.loads(row["payload"])
    assert payload["bid_px_1"] == 101.0 and payload["ts"] == "2012-06-21 10:00:01"
    assert "row_number" not in payload


def test_valid_trades_pass_untouched_and_equal_timestamps_are_allowed():
    frame = put(trades(), 2, ts=at("10:00:00.250000"))  # same microsecond as row 1
    valid, quarantine = check_split(frame, split_trades, TradesModel)
    assert quarantine.is_empty() and valid.equals(frame)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"side": 2}, "side not in {+1,-1,0}"),
        ({"side": None}, "null side"),
        ({"price": 0.0}, "non-positive price"),
        ({"price": float("nan")}, "NaN price"),
        ({"size": 0}, "non-positive size"),
        ({"size": -100}, "non-positive size"),
        ({"ts": None}, "null ts"),
        ({"ts": at("09:29:59.999999")}, "ts outside session 09:30:00-16:00:00"),
        ({"ts": at("10:00:00.100000")}, "ts before an earlier row's ts"),
    ],
)
def test_each_bad_trade_is_quarantined_with_its_reason(values, reason):
    frame = put(trades(), 2, **values)
    valid, quarantine = check_split(frame, split_trades, TradesModel)
    assert reasons(quarantine) == {3: reason}


def test_duplicate_trades_quarantined_unless_the_source_sequences_its_events():
    frame = pl.concat([trades(3), trades(3)[2:3]])
    _, quarantine = check_split(frame, split_trades, TradesModel)
    assert reasons(quarantine) == {4: "duplicate of row 3"}
    valid, quarantine = check_split(frame, split_trades, TradesModel, dedupe=False)
    assert quarantine.is_empty() and valid.height == 4


def test_extra_columns_reach_the_payload_but_not_the_valid_frame():
    frame = put(trades(), 0, side=2).with_columns(order_id=pl.int_range(pl.len()))
    valid, quarantine = split_trades(frame, SOURCE)
    assert valid.columns == list(TRADE_COLUMNS)
    assert json.loads(quarantine["payload"][0])["order_id"] == 0


def test_frame_without_contract_columns_is_refused():
    with pytest.raises(ValueError, match=r"lacks contract columns \['side'\]"):
        split_trades(trades().drop("side"), SOURCE)


def test_frame_with_wrong_dtypes_is_refused():
    with pytest.raises(ValueError, match=r"columns not of the contract dtype: \{'size': 'Int32'\}"):
        split_trades(trades().with_columns(pl.col("size").cast(pl.Int32)), SOURCE)


def test_validate_contract_reports_each_failed_check():
    assert validate_contract(book(), L2SnapshotsModel) == []
    problems = validate_contract(put(book(), 1, bid_px_1=101.0), L2SnapshotsModel)
    assert problems == [
        "raw.l2_snapshots: bid_px_1 < ask_px_1 (not crossed or locked) failed (1 row(s), first at 0-based rows [1])",
    ]
    assert validate_contract(trades().drop("side").with_columns(foo=pl.lit(1)), TradesModel) == [
        "raw.trades: unexpected column foo",
        "raw.trades: missing column side",
    ]
    assert validate_contract(put(trades(), 0, side=2), TradesModel) == [
        "side: isin([1, -1, 0]) failed (1 row(s), first at 0-based rows [0], e.g. ['2'])"
    ]


CORRUPTIONS = {
    "crossed": {"bid_px_1": 101.0},
    "nan": {"ask_px_1": float("nan")},
    "zero size": {"bid_sz_2": 0},
    "late": {"ts": at("17:00:00")},
    "early": {"ts": at("10:00:00")},
    "null": {"ask_sz_1": None},
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 40),
    hits=st.lists(st.tuples(st.integers(0, 39), st.sampled_from(sorted(CORRUPTIONS))), max_size=12),
    copies=st.lists(st.integers(0, 39), max_size=4),
)
def test_any_corruption_is_conserved_and_the_rest_passes_the_contract(n, hits, copies):
    frame = book(n)
    for row, kind in hits:
        if row < n:
            frame = put(frame, row, **CORRUPTIONS[kind])
    frame = pl.concat([frame, *(frame[r : r + 1] for r in copies if r < n)])
    valid, quarantine = check_split(frame)
    assert valid["ts"].is_sorted()
    assert (quarantine["reason"].str.len_chars() > 0).all()
