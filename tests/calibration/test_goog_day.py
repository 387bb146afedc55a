"""The real GOOG 2012-06-21 LOBSTER day calibrates end to end (Nasdaq-only volume, ADV from daily bars)."""

import datetime as dt
import math

import duckdb
import pytest

from execution_assets.calibration import SPLITS, read_daily_bars
from execution_assets.calibration.plots import impact_png, response_decay_png, volume_curve_png
from execution_assets.calibration.report import calibration_report
from execution_assets.features import write_book_features
from execution_assets.market.lobster import read_lobster
from execution_assets.warehouse import ensure_tables, insert_frame

from tests.calibration.helpers import calibrate_all
from tests.conftest import DAILY_BARS, LOBSTER_DIR

DAY = dt.date(2012, 6, 21)


@pytest.fixture(scope="module")
def goog():
    day = read_lobster(
        LOBSTER_DIR / "GOOG_2012-06-21_34200000_57600000_message_1.csv",
        LOBSTER_DIR / "GOOG_2012-06-21_34200000_57600000_orderbook_1.csv",
    )
    con = duckdb.connect()
    ensure_tables(con)
    insert_frame(con, "raw.l2_snapshots", day.snapshots)
    insert_frame(con, "raw.trades", day.trades)
    write_book_features(con, "GOOG", DAY)
    curve, calibration, adv_row = calibrate_all(con, "GOOG", bars=read_daily_bars(DAILY_BARS, SPLITS["GOOG"]))
    yield con, curve, calibration, adv_row
    con.close()


def test_adv_comes_from_the_daily_bars_in_2012_shares(goog):
    _, _, calibration, adv_row = goog
    assert adv_row["source"] == "daily_bars" and adv_row["n_days"] == 20
    assert adv_row["bars_volume"] == pytest.approx(4_048_700 / 2)  # split-adjusted file, undone
    assert 2.0e6 < calibration.adv_shares < 3.0e6
    # Nasdaq prints are about a third of the consolidated volume
    assert 0.25 < adv_row["observed_volume"] / adv_row["bars_volume"] < 0.45


def test_parameters_are_finite_and_the_gaps_explained(goog):
    _, curve, calibration, _ = goog
    row = calibration.row(dt.datetime(2024, 1, 1)).row(0, named=True)
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in row.values())
    for name in ("eta", "gamma", "delta", "sigma_daily", "half_spread_bps"):
        assert row[name] is not None and math.isfinite(row[name]), name
    assert 0.003 < row["sigma_daily"] < 0.03 and 1.0 < row["half_spread_bps"] < 5.0
    assert row["gamma"] > 0 and row["eta"] > 0
    for name, estimate in calibration.estimates().items():
        assert estimate.ok or f"{name}: " in row["null_reason"]
    assert curve["volume_share"].sum() == pytest.approx(1.0)


def test_report_flags_single_venue_volume(goog):
    _, curve, calibration, adv_row = goog
    figures = {
        "impact": impact_png(calibration, "GOOG"),
        "decay": response_decay_png(calibration, "GOOG"),
        "curve": volume_curve_png(curve, "GOOG"),
    }
    report = calibration_report(calibration, adv_row, curve, figures)
    assert "Nasdaq-only" in report and "## Estimates" in report and "truth" not in report
    assert report.count("data:image/png;base64") == 3
