"""LOBSTER reader: the real GOOG day against counts taken independently from the files with the
csv module, and small hand-written files for the edge cases (empty levels, locks, gaps)."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from execution_assets.market.errors import RawDataError
from execution_assets.market.lobster import read_lobster
from execution_assets.market.validation import validate_contract
from execution_assets.paths import SHARED_DATA_DIR
from schemas.columns import KEY_COLUMNS, level_columns
from schemas.raw import L2SnapshotsModel, QuarantineModel, TradesModel, l2_snapshots_schema

GOOG = SHARED_DATA_DIR / "lobster" / "GOOG_2012-06-21_34200000_57600000"
GOOG_MESSAGES = GOOG.with_name(GOOG.name + "_message_1.csv")
GOOG_BOOK = GOOG.with_name(GOOG.name + "_orderbook_1.csv")
DAY = dt.date(2012, 6, 21)


@pytest.fixture(scope="module")
def goog():
    return read_lobster(GOOG_MESSAGES, GOOG_BOOK)


@pytest.fixture(scope="module")
def goog_rows():
    with open(GOOG_MESSAGES, newline="") as m, open(GOOG_BOOK, newline="") as b:
        return list(csv.reader(m)), list(csv.reader(b))


def test_goog_day_counts_match_an_independent_count_of_the_message_file(goog, goog_rows):
    messages, _ = goog_rows
    executions = [r for r in messages if r[1] in ("4", "5")]
    by_type = Counter(r[1] for r in executions)
    # the aggressor is the other side of the resting order: direction -1 (sell order) -> buyer
    buys = [int(r[3]) for r in executions if r[5] == "-1"]
    sells = [int(r[3]) for r in executions if r[5] == "1"]
    assert (by_type["4"], by_type["5"]) == (7_765, 3_913)
    assert sum(buys) + sum(sells) == 706_125

    trades = goog.trades
    assert (goog.instrument, goog.date) == ("GOOG", DAY)
    assert goog.snapshots.height == 23_400
    assert trades.height == 11_678
    assert trades["size"].sum() == 706_125
    assert (trades["side"] == 1).sum() == len(buys) and trades.filter(pl.col("side") == 1)["size"].sum() == sum(buys)
    assert (trades["side"] == -1).sum() == len(sells) and trades.filter(pl.col("side") == -1)["size"].sum() == sum(sells)
    assert (len(buys), sum(buys), len(sells), sum(sells)) == (5_808, 354_732, 5_870, 351_393)


def test_goog_snapshots_are_the_book_after_the_last_message_of_each_second(goog, goog_rows):
    messages, books = goog_rows
    times = [float(r[0]) for r in messages]
    snaps = goog.snapshots
    assert snaps["ts"][0] == dt.datetime(2012, 6, 21, 9, 30) and snaps["ts"][-1] == dt.datetime(2012, 6, 21, 15, 59, 59)
    assert snaps["ts"].diff().drop_nulls().dt.total_seconds().eq(1).all()
    for i in [*range(0, 23_400, 499), 23_399]:
        second = 34_200 + i
        last = bisect.bisect_left(times, second + 1) - 1  # last message with time < second + 1
        ask_px, ask_sz, bid_px, bid_sz = (int(v) for v in books[last])
        row = snaps.row(i, named=True)
        assert (row["ask_px_1"], row["ask_sz_1"]) == (ask_px / 10_000, ask_sz), second
        assert (row["bid_px_1"], row["bid_sz_1"]) == (bid_px / 10_000, bid_sz), second
        assert row["bid_px_2"] is None and row["ask_sz_10"] is None


def test_goog_day_has_no_locked_or_crossed_book_and_nothing_quarantined(goog, goog_rows):
    _, books = goog_rows
    assert sum(int(r[2]) >= int(r[0]) for r in books) == 0  # at every message, not just second ends
    assert goog.quarantine.is_empty()
    assert validate_contract(goog.snapshots, L2SnapshotsModel) == []
    assert validate_contract(goog.trades, TradesModel) == []


def test_goog_trades_keep_microseconds_and_identical_prints(goog):
    first = goog.trades.row(0, named=True)
    assert first == {
        "instrument": "GOOG", "date": DAY, "ts": dt.datetime(2012, 6, 21, 9, 30, 0, 15105),
        "price": 579.4, "size": 4, "side": -1,
    }
    # one sweep can print the same (ts, price, size, side) several times; all are real volume
    assert goog.trades.is_duplicated().sum() > 0


def test_goog_day_reads_well_under_two_seconds():
    best = min(_timed(lambda: read_lobster(GOOG_MESSAGES, GOOG_BOOK)) for _ in range(3))
    assert best < 1.0, f"{best:.2f}s"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# ---- hand-written files --------------------------------------------------------------------

ASK, BID = 9_999_999_999, -9_999_999_999


def write_lobster(folder: Path, messages, books, level=1, window=(34_200_000, 57_600_000), ticker="TEST"):
    stem = f"{ticker}_2012-06-21_{window[0]}_{window[1]}"
    m, o = folder / f"{stem}_message_{level}.csv", folder / f"{stem}_orderbook_{level}.csv"
    m.write_text("".join(",".join(map(str, r)) + "\n" for r in messages))
    o.write_text("".join(",".join(map(str, r)) + "\n" for r in books))
    return m, o


def test_snapshots_forward_fill_quiet_seconds_and_map_empty_levels_to_null(tmp_path):
    messages = [
        ("34200.5", 1, 1, 100, 1000000, 1),
        ("34200.9", 1, 2, 50, 1000100, -1),
        ("34202.1", 3, 2, 50, 1000100, -1),
    ]
    books = [  # ask_px_1, ask_sz_1, bid_px_1, bid_sz_1, ask_px_2, ask_sz_2, bid_px_2, bid_sz_2
        (1000200, 10, 1000000, 100, ASK, 0, 999900, 5),
        (1000100, 50, 1000000, 100, 1000200, 10, 999900, 5),
        (1000200, 10, 1000000, 100, ASK, 0, 999900, 5),
    ]
    day = read_lobster(*write_lobster(tmp_path, messages, books, level=2, window=(34_200_000, 34_204_000)))
    snaps = day.snapshots
    assert snaps["ts"].dt.second().to_list() == [0, 1, 2, 3]
    assert snaps["ask_px_1"].to_list() == [100.01, 100.01, 100.02, 100.02]
    assert snaps["ask_px_2"].to_list() == [100.02, 100.02, None, None]
    assert snaps["ask_sz_2"].to_list() == [10, 10, None, None]
    assert snaps["bid_px_2"].to_list() == [99.99] * 4
    assert snaps.select(pl.col("^.*_[3-9]$", "^.*_10$")).null_count().sum_horizontal().item() == 8 * 4 * 4
    assert day.trades.is_empty() and day.quarantine.is_empty()


def test_a_lock_left_at_a_second_end_is_quarantined_a_transient_one_is_not(tmp_path):
    messages = [
        ("34200.1", 1, 1, 100, 1000000, 1),
        ("34200.2", 1, 2, 100, 1000000, -1),  # locks the book ...
        ("34200.2", 4, 1, 100, 1000000, 1),  # ... and executes at the same timestamp
        ("34201.5", 1, 3, 100, 1000100, 1),  # locks the book until the end of the second
    ]
    books = [
        (1000100, 10, 1000000, 100),
        (1000000, 100, 1000000, 100),
        (1000100, 10, 999900, 100),
        (1000100, 10, 1000100, 100),
    ]
    m, o = write_lobster(tmp_path, messages, books, window=(34_200_000, 34_202_000))
    day = read_lobster(m, o)
    assert day.snapshots["ts"].dt.second().to_list() == [0]
    assert day.quarantine.select("target_table", "source", "row_number", "reason").rows() == [
        ("raw.l2_snapshots", str(o), 4, "locked book: bid_px_1 == ask_px_1")
    ]
    assert day.trades.select("price", "size", "side").rows() == [(100.0, 100, -1)]


def test_seconds_before_the_first_message_have_no_book_and_are_quarantined(tmp_path):
    messages = [("34202.25", 1, 1, 100, 1000000, 1)]
    books = [(1000100, 10, 1000000, 100)]
    day = read_lobster(*write_lobster(tmp_path, messages, books, window=(34_200_000, 34_204_000)))
    assert day.snapshots.height + day.quarantine.height == 4
    assert day.quarantine["row_number"].to_list() == [None, None]
    assert day.quarantine["reason"].to_list() == ["null bid_px_1; null bid_sz_1; null ask_px_1; null ask_sz_1"] * 2


def test_trades_are_executions_with_the_aggressor_side_and_microsecond_ts(tmp_path):
    messages = [
        ("34200.1234567", 4, 1, 10, 1000100, -1),  # buyer lifts a sell order
        ("34200.5", 5, 0, 20, 1000000, 1),  # seller hits a hidden buy order
        ("34200.5", 5, 0, 20, 1000000, 1),  # the same print again: a second hidden fill
        ("34201", 1, 2, 30, 1000000, 1),
        ("34201.7", 6, 0, 500, 1000050, -1),  # auction cross: not a continuous trade
        ("34201.8", 7, 0, 0, -1, -1),  # halt
        ("34202.3", 3, 2, 30, 1000000, 1),
    ]
    books = [(1000100, 10, 1000000, 100)] * len(messages)
    day = read_lobster(*write_lobster(tmp_path, messages, books, window=(34_200_000, 34_203_000)))
    assert day.trades.select("ts", "price", "size", "side").rows() == [
        (dt.datetime(2012, 6, 21, 9, 30, 0, 123456), 100.01, 10, 1),
        (dt.datetime(2012, 6, 21, 9, 30, 0, 500000), 100.0, 20, -1),
        (dt.datetime(2012, 6, 21, 9, 30, 0, 500000), 100.0, 20, -1),
    ]
    assert day.quarantine.is_empty()


def test_bad_direction_is_quarantined_with_the_message_in_the_payload(tmp_path):
    messages = [("34200.1", 4, 7, 10, 1000100, 0)]
    m, o = write_lobster(tmp_path, messages, [(1000100, 10, 1000000, 100)], window=(34_200_000, 34_201_000))
    day = read_lobster(m, o)
    bad = day.quarantine.row(0, named=True)
    assert (bad["target_table"], bad["source"], bad["row_number"]) == ("raw.trades", str(m), 1)
    assert bad["reason"] == "side not in {+1,-1}"
    assert '"order_id":7' in bad["payload"] and '"event_type":4' in bad["payload"]


def test_deeper_files_are_cut_to_n_levels(tmp_path):
    books = [(1000100, 10, 1000000, 100, 1000200, 20, 999900, 200)]
    m, o = write_lobster(tmp_path, [("34200.1", 1, 1, 100, 999900, 1)], books, level=2, window=(34_200_000, 34_201_000))
    day = read_lobster(m, o, n_levels=1)
    assert day.snapshots.columns == [*KEY_COLUMNS, *level_columns(1)]
    assert validate_contract(day.snapshots, l2_snapshots_schema(1)) == []
    assert validate_contract(day.quarantine, QuarantineModel) == []


@pytest.mark.parametrize(
    ("messages", "books", "level", "match"),
    [
        ([("34200.1", 1, 1, 1, 1000000, 1)], [(1000100, 10, 1000000, 100, 1, 1, 1, 1)], 1,
         r"orderbook_1\.csv, line 1: 8 columns, expected 4 x level 1 = 4"),
        ([("34200.1", 1, 1, 1, 1000000, 1)] * 2, [(1000100, 10, 1000000, 100)], 1,
         r"message_1\.csv: 2 rows but its orderbook file .*orderbook_1\.csv has 1: a torn or mismatched pair"),
        ([("34200.1", 1, 1, 1, 1000000, 1), ("34200.2", 1, 1, 1, "abc", 1)], [(1000100, 10, 1000000, 100)] * 2, 1,
         r"message_1\.csv, line 2: column 'price': cannot read 'abc' as Int64"),
        ([("34200.1", 1, 1, 1, 1000000, 1), ("34200.05", 1, 1, 1, 1000000, 1)], [(1000100, 10, 1000000, 100)] * 2, 1,
         r"message_1\.csv, line 2: time goes backwards"),
        ([("34200.1", 1, 1, 1, 1000000, 1), ("9:30", 1, 1, 1, 1000000, 1)], [(1000100, 10, 1000000, 100)] * 2, 1,
         r"message_1\.csv, line 2: column 'time': cannot read '9:30'"),
        ([("34200.1", 1, 1, 1, 1000000, 1), ("34200.2", 1, 1, 1, 1000000, 1, 9)], [(1000100, 10, 1000000, 100)] * 2, 1,
         r"message_1\.csv, line 2: 7 fields, expected 6"),
        ([("34200.1", 1, 1, 1, 1000000, 1)], [(1000100, 10, 1000000, "x")], 1,
         r"orderbook_1\.csv, line 1: column 'bid_sz_1': cannot read 'x' as Int64"),
    ],
)
def test_unreadable_files_raise_with_file_line_and_rule(tmp_path, messages, books, level, match):
    with pytest.raises(RawDataError, match=match):
        read_lobster(*write_lobster(tmp_path, messages, books, level=level))


def test_file_names_must_be_a_lobster_pair(tmp_path):
    m, o = write_lobster(tmp_path, [("34200.1", 1, 1, 1, 1000000, 1)], [(1000100, 10, 1000000, 100)])
    with pytest.raises(RawDataError, match=r"not a LOBSTER message file name"):
        read_lobster(o, o)
    other = o.rename(o.with_name(o.name.replace("TEST", "OTHER")))
    with pytest.raises(RawDataError, match=r"OTHER_.*orderbook_1\.csv: does not belong to message file TEST_"):
        read_lobster(m, other)


def test_a_torn_message_file_names_both_files_and_both_row_counts(tmp_path):
    """A copy of the GOOG message file cut mid-line (as an interrupted copy leaves it) must say
    that the pair's row counts differ, not what its cut last line happens to break."""
    text = GOOG_MESSAGES.read_bytes()
    lines = text.splitlines(keepends=True)
    torn = b"".join(lines[:24_552]) + lines[24_552][:7]  # line 24,553 cut after 7 bytes
    message = tmp_path / GOOG_MESSAGES.name
    orderbook = tmp_path / GOOG_BOOK.name
    message.write_bytes(torn)
    orderbook.write_bytes(GOOG_BOOK.read_bytes())
    with pytest.raises(RawDataError) as error:
        read_lobster(message, orderbook)
    text = str(error.value)
    assert str(message) in text and str(orderbook) in text
    assert f"24,553 rows but its orderbook file {orderbook} has {len(lines):,}" in text
    assert "time goes backwards" not in text
