"""Daily bars for ADV: found by instrument or futures root, and named in the ADV rows they feed."""

from __future__ import annotations

import datetime as dt

import polars as pl

from execution_assets.calibration import SPLITS, find_daily_bars, read_daily_bars, rolling_adv
from tests.conftest import DAILY_BARS


def _daily(volumes: list[float], start: dt.date) -> pl.DataFrame:
    return pl.DataFrame({"date": [start + dt.timedelta(days=i) for i in range(len(volumes))], "volume": volumes})


def test_adv_names_the_daily_bars_file_it_used():
    bars = read_daily_bars(DAILY_BARS, SPLITS["GOOG"])
    assert set(bars["source"]) == {DAILY_BARS.name}
    traded = _daily([1e6, 2e6], dt.date(2012, 6, 20))
    adv = rolling_adv(traded, bars, window=20)
    assert adv["source"].to_list() == ["daily_bars"] * 2
    assert adv["bars_source"].to_list() == [DAILY_BARS.name] * 2
    assert rolling_adv(traded, None, window=1)["bars_source"].to_list() == [None, None]


def test_daily_bars_are_found_by_instrument_or_futures_root(tmp_path):
    (tmp_path / "ES_daily_2024.csv").write_text("Date,Open,High,Low,Close,Adj Close,Volume\n")
    assert find_daily_bars("GOOG", [tmp_path, DAILY_BARS.parent]) == DAILY_BARS
    assert find_daily_bars("ESU4", [tmp_path]) == tmp_path / "ES_daily_2024.csv"
    assert find_daily_bars("CLX5", [tmp_path, DAILY_BARS.parent]) is None
