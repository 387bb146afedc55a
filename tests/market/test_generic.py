"""Generic parquet/CSV readers: contract columns round-trip, bad rows are quarantined with their
file row, and files that cannot be read raise RawDataError naming file, line and rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from execution_assets.market.errors import RawDataError
from execution_assets.market.generic import read_l2_snapshots, read_trades
from execution_assets.market.validation import validate_contract
from schemas.columns import KEY_COLUMNS, SNAPSHOT_COLUMNS, TRADE_COLUMNS, level_columns
from schemas.raw import L2SnapshotsModel, QuarantineModel, TradesModel
from tests.market.test_validation import DAY, book, put, trades


def write(frame: pl.DataFrame, path):
    if path.suffix == ".csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_contract_files_round_trip(tmp_path, suffix):
    l2 = read_l2_snapshots(write(book(), tmp_path / f"l2{suffix}"))
    prints = read_trades(write(trades(), tmp_path / f"trades{suffix}"))
    assert l2.snapshots.equals(book()) and l2.snapshots.schema == pl.Schema(SNAPSHOT_COLUMNS)
    assert prints.trades.equals(trades()) and prints.trades.schema == pl.Schema(TRADE_COLUMNS)
    assert (l2.instrument, l2.date, prints.instrument, prints.date) == ("GOOG", DAY, "GOOG", DAY)
    assert l2.trades.is_empty() and prints.snapshots.is_empty()
    assert l2.quarantine.is_empty() and prints.quarantine.is_empty()


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_bad_rows_are_quarantined_with_their_file_row(tmp_path, suffix):
    path = write(put(put(book(), 1, bid_px_1=101.0), 3, ask_sz_1=0), tmp_path / f"l2{suffix}")
    day = read_l2_snapshots(path)
    assert day.snapshots.height == 3
    assert day.quarantine.select("source", "row_number", "reason").rows() == [
        (str(path), 2, "crossed book: bid_px_1 > ask_px_1"),
        (str(path), 4, "non-positive ask_sz_1"),
    ]
    assert validate_contract(day.snapshots, L2SnapshotsModel) == []
    assert validate_contract(day.quarantine, QuarantineModel) == []


def test_a_shallower_file_is_padded_with_null_levels(tmp_path):
    frame = book(depth=2).select(*KEY_COLUMNS, *level_columns(2))
    day = read_l2_snapshots(write(frame, tmp_path / "l2.csv"))
    assert day.snapshots.equals(book(depth=2))


def test_casts_to_contract_dtypes(tmp_path):
    frame = trades().with_columns(
        pl.col("ts").cast(pl.Datetime("ns")), pl.col("size").cast(pl.Int32), pl.col("price").cast(pl.Float32),
        pl.col("side").cast(pl.Int64),
    )
    day = read_trades(write(frame, tmp_path / "trades.parquet"))
    assert day.trades.schema == pl.Schema(TRADE_COLUMNS)
    assert validate_contract(day.trades, TradesModel) == []


def test_a_file_with_several_days_has_no_single_instrument_or_date(tmp_path):
    other = trades().with_columns(date=pl.lit(DAY + dt.timedelta(days=1)), ts=pl.col("ts") + dt.timedelta(days=1))
    day = read_trades(write(pl.concat([trades(), other]), tmp_path / "trades.parquet"))
    assert (day.instrument, day.date, day.trades.height) == ("GOOG", None, 10)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.drop("ask_sz_1"), r"missing \['ask_sz_1'\], unexpected \[\]"),
        (lambda f: f.with_columns(venue=pl.lit("X")), r"missing \[\], unexpected \['venue'\]"),
        (lambda f: f.rename({"ts": "timestamp"}), r"missing \['ts'\], unexpected \['timestamp'\]"),
        (lambda f: f.with_columns(bid_px_11=pl.lit(1.0)), r"missing \[\], unexpected \['bid_px_11'\]"),
    ],
)
def test_wrong_column_set_names_file_and_columns(tmp_path, change, match):
    csv_path = write(change(book()), tmp_path / "l2.csv")
    with pytest.raises(RawDataError, match=rf"l2\.csv, line 1: columns do not match the raw\.l2_snapshots contract: {match}"):
        read_l2_snapshots(csv_path)
    parquet_path = write(change(book()), tmp_path / "l2.parquet")
    with pytest.raises(RawDataError, match=rf"l2\.parquet: columns do not match .*{match}"):
        read_l2_snapshots(parquet_path)


def test_wrong_trade_columns(tmp_path):
    path = write(trades().drop("side"), tmp_path / "t.csv")
    with pytest.raises(RawDataError) as err:
        read_trades(path)
    assert (err.value.file, err.value.line) == (str(path), 1)
    assert err.value.rule == "columns do not match the raw.trades contract: missing ['side'], unexpected []"


def csv_lines(frame: pl.DataFrame, row: int, column: str, text: str) -> str:
    """The frame as CSV text with one cell replaced by raw text (data row ``row``, 0-based)."""
    lines = frame.write_csv().splitlines()
    header = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[header.index(column)] = text
    lines[row + 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("column", "text", "rule"),
    [
        ("price", "abc", "column 'price': cannot read 'abc' as Float64"),
        ("size", "100.5", "column 'size': cannot read '100.5' as Int64"),
        ("side", "buy", "column 'side': cannot read 'buy' as Int8"),
        ("ts", "2012-06-21 25:61:00", "column 'ts': cannot read '2012-06-21 25:61:00' as Datetime(time_unit='us', time_zone=None)"),
        ("ts", "yesterday", "column 'ts': cannot read 'yesterday' as Datetime(time_unit='us', time_zone=None)"),
        ("date", "21/06/2012", "column 'date': cannot read '21/06/2012' as Date"),
    ],
)
def test_unparseable_csv_names_file_line_and_rule(tmp_path, column, text, rule):
    path = tmp_path / "trades.csv"
    path.write_text(csv_lines(trades(), 3, column, text))  # data row 4 = line 5
    with pytest.raises(RawDataError) as err:
        read_trades(path)
    assert (err.value.file, err.value.line, err.value.rule) == (str(path), 5, rule)
    assert str(err.value) == f"{path}, line 5: {rule}"


def test_ragged_csv_line(tmp_path):
    path = tmp_path / "trades.csv"
    text = trades().write_csv().splitlines()
    text[2] += ",1"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(RawDataError, match=r"trades\.csv, line 3: 7 fields, expected 6"):
        read_trades(path)


def test_unparseable_parquet_values_name_the_row(tmp_path):
    frame = trades().with_columns(pl.col("price").cast(pl.String)).pipe(put, 2, price="n/a")
    path = write(frame, tmp_path / "trades.parquet")
    with pytest.raises(RawDataError, match=r"trades\.parquet, line 3: column 'price': cannot read 'n/a' as Float64"):
        read_trades(path)
    frame = trades().with_columns(pl.col("size").cast(pl.Float64)).pipe(put, 1, size=12.5)
    with pytest.raises(RawDataError, match=r"line 2: column 'size': cannot read 12.5 as Int64"):
        read_trades(write(frame, tmp_path / "sizes.parquet"))


def test_timezone_aware_or_numeric_timestamps_are_refused(tmp_path):
    aware = trades().with_columns(pl.col("ts").dt.replace_time_zone("America/New_York"))
    with pytest.raises(RawDataError, match=r"column 'ts' is timezone-aware \(America/New_York\)"):
        read_trades(write(aware, tmp_path / "aware.parquet"))
    numeric = trades().with_columns(pl.col("ts").dt.epoch("us"))
    with pytest.raises(RawDataError, match=r"column 'ts' has type Int64, expected"):
        read_trades(write(numeric, tmp_path / "numeric.parquet"))


def test_unsupported_file_type(tmp_path):
    path = tmp_path / "trades.json"
    path.write_text("{}")
    with pytest.raises(RawDataError, match=r"trades\.json: unsupported file type '\.json'"):
        read_trades(path)


def test_empty_or_corrupt_files(tmp_path):
    empty_csv = tmp_path / "trades.csv"
    empty_csv.write_text("")
    with pytest.raises(RawDataError, match=r"trades\.csv, line 1: unreadable CSV header"):
        read_trades(empty_csv)
    corrupt = tmp_path / "trades.parquet"
    corrupt.write_bytes(b"not parquet")
    with pytest.raises(RawDataError, match=r"trades\.parquet: unreadable parquet file"):
        read_trades(corrupt)
