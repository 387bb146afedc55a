"""Instrument reference data: sessions, trading dates and the rows the readers rely on."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from execution_assets import warehouse
from execution_assets.market.reference import (
    INSTRUMENTS_CSV,
    instrument,
    load_instruments,
    session_seconds,
    trading_date,
    write_reference_table,
)


def test_session_lengths_come_from_the_reference_rows():
    assert session_seconds("GOOG") == 23_400
    assert session_seconds("SYNTH_LIQ") == 23_400
    assert session_seconds("ESU4") == 23 * 3600  # 17:00-16:00 with the daily break
    assert session_seconds("CLX5") == 23 * 3600
    assert session_seconds("BTCUSDT") == 86_400


@pytest.mark.parametrize(
    ("name", "ts", "expected"),
    [
        ("ESU4", dt.datetime(2024, 7, 1, 18, 58), dt.date(2024, 7, 2)),  # evening belongs to the next day
        ("ESU4", dt.datetime(2024, 7, 2, 15, 59, 59), dt.date(2024, 7, 2)),
        ("ESU4", dt.datetime(2024, 7, 2, 16, 30), None),  # the daily break
        ("ESU4", dt.datetime(2024, 6, 30, 17, 0), dt.date(2024, 7, 1)),  # Sunday's open is Monday's session
        ("ESU4", dt.datetime(2024, 6, 28, 17, 0), None),  # Friday evening: no Saturday session
        ("ESU4", dt.datetime(2024, 7, 1, 23, 58, tzinfo=dt.timezone.utc), dt.date(2024, 7, 2)),
        ("GOOG", dt.datetime(2012, 6, 21, 9, 30), dt.date(2012, 6, 21)),
        ("GOOG", dt.datetime(2012, 6, 21, 16, 0), None),
        ("BTCUSDT", dt.datetime(2024, 1, 6, 23, 59, 59), dt.date(2024, 1, 6)),  # Saturday trades
    ],
)
def test_trading_date_of_a_timestamp(name, ts, expected):
    assert trading_date(name, ts) == expected


def test_futures_contracts_take_their_roots_row_and_unlisted_names_the_default():
    cl = instrument("CLX5")
    assert (cl.root, cl.venue, cl.tick_size, cl.multiplier, cl.timezone) == ("CL", "XNYM", 0.01, 1000.0, "America/Chicago")
    es = instrument("ESM4")
    assert (es.root, es.tick_size, es.multiplier, es.sessions_text) == ("ES", 0.25, 50.0, "17:00:00-16:00:00")
    assert instrument("ACME").root == "*"
    assert {"GOOG", "AMZN", "SYNTH_LIQ", "SYNTH_ILQ", "ES", "CL", "BTCUSDT"} <= set(load_instruments())


def test_the_polars_trading_date_agrees_with_the_python_one():
    es = instrument("ESU4")
    stamps = [dt.datetime(2024, 6, 28, 12) + dt.timedelta(minutes=37 * i) for i in range(400)]
    frame = pl.DataFrame({"ts": stamps}, schema={"ts": pl.Datetime("us")})
    assert frame.select(es.trading_date_expr(pl.col("ts"))).to_series().to_list() == [es.trading_date(t) for t in stamps]


def test_a_bad_row_names_the_file_line_and_rule(tmp_path):
    path = tmp_path / "instruments.csv"
    text = INSTRUMENTS_CSV.read_text().replace("ES,XCME,America/Chicago,17:00-16:00", "ES,XCME,America/Chicago,17h-16h")
    path.write_text(text)
    line = text.splitlines().index(next(l for l in text.splitlines() if l.startswith("ES,"))) + 1
    with pytest.raises(ValueError, match=rf"instruments\.csv, line {line}: sessions '17h-16h'"):
        load_instruments(path)


def test_the_warehouse_table_holds_every_row():
    con = duckdb.connect()
    warehouse.ensure_tables(con)
    frame = write_reference_table(con)
    stored = con.sql("SELECT instrument, session_seconds, multiplier FROM reference.instruments").pl()
    assert stored.height == frame.height == len(load_instruments())
    assert stored.filter(pl.col("instrument") == "CL").row(0) == ("CL", 82_800, 1000.0)
