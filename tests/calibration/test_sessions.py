"""Calibration on the instrument's sessions (reference data), not a 09:30-16:00 day: a hand-built
ES day of CME Globex (17:00-16:00 Chicago, 82,800 s) and the ESU4 Databento sample through the CLI."""

import datetime as dt
import os
import subprocess
import sys

import duckdb
import numpy as np
import polars as pl
import pytest

from execution_assets.calibration import estimate_sigma_daily, rolling_adv
from execution_assets.features import write_book_features
from execution_assets.market.reference import instrument
from execution_assets.paths import PROJECT_ROOT, SHARED_DATA_DIR
from execution_assets.warehouse import ensure_tables, insert_frame, run_sql_file
from schemas.columns import SNAPSHOT_COLUMNS, TRADE_COLUMNS

from tests.calibration.helpers import calibrate_all
from tests.reliability.conftest import dagster_home  # noqa: F401 (fixture)

ES = "ESZ4"  # takes the ES row: Globex, 17:00-16:00 America/Chicago
GLOBEX_SECONDS = 82_800
DAYS = [dt.date(2024, 10, 8), dt.date(2024, 10, 9), dt.date(2024, 10, 10)]  # Tue-Thu
SIGMA_DAILY = 0.01  # of the whole 23-hour trading day
RTH = (dt.time(8, 30), dt.time(15, 15))  # the busy regular trading hours, ten times the night's rate
DATABENTO = SHARED_DATA_DIR / "databento"


def _trades_per_second() -> np.ndarray:
    """Expected prints per second of the trading clock: 0.1 overnight, 1 in regular hours."""
    clock = instrument(ES)
    times = [clock.clock_time(s) for s in range(0, GLOBEX_SECONDS, 60)]
    per_minute = np.array([1.0 if RTH[0] <= t < RTH[1] else 0.1 for t in times])
    return np.repeat(per_minute, 60)


def _globex_day(date: dt.date, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One full Globex session: a one-level book every second from 17:00 the evening before,
    a random-walk mid with ``SIGMA_DAILY`` spread evenly over the 82,800 s, prints at the touch."""
    open_ = dt.datetime.combine(date - dt.timedelta(days=1), dt.time(17))
    seconds = np.arange(GLOBEX_SECONDS)
    steps = rng.standard_normal(GLOBEX_SECONDS) * SIGMA_DAILY / np.sqrt(GLOBEX_SECONDS)
    mid = 5_500.0 * np.exp(np.cumsum(steps))
    ts = [open_ + dt.timedelta(seconds=int(s)) for s in seconds]
    book = pl.DataFrame(
        {"ts": ts, "bid_px_1": mid - 0.125, "ask_px_1": mid + 0.125, "bid_sz_1": 20, "ask_sz_1": 20}
    )
    counts = rng.poisson(_trades_per_second())
    second = np.repeat(seconds, counts)
    side = rng.choice([-1, 1], size=len(second))
    prints = pl.DataFrame(
        {
            "ts": [open_ + dt.timedelta(seconds=s + f) for s, f in zip(second.tolist(), rng.random(len(second)))],
            "price": mid[second] + side * 0.125,
            "size": rng.integers(1, 6, size=len(second)),
            "side": side,
        }
    ).sort("ts")
    return _conform(book, SNAPSHOT_COLUMNS, date), _conform(prints, TRADE_COLUMNS, date)


def _conform(frame: pl.DataFrame, columns: dict[str, pl.DataType], date: dt.date) -> pl.DataFrame:
    keys = {"instrument": pl.lit(ES), "date": pl.lit(date)}
    return frame.select(
        [
            (keys[c] if c in keys else pl.col(c) if c in frame.columns else pl.lit(None)).cast(dtype).alias(c)
            for c, dtype in columns.items()
        ]
    )


@pytest.fixture(scope="module")
def globex():
    con = duckdb.connect()
    ensure_tables(con)
    rng = np.random.default_rng(13)
    volumes = []
    for date in DAYS:
        book, prints = _globex_day(date, rng)
        insert_frame(con, "raw.l2_snapshots", book)
        insert_frame(con, "raw.trades", prints)
        volumes.append(float(prints["size"].sum()))
    write_book_features(con, ES, DAYS[0], DAYS[-1])
    curve, calibration, adv_row = calibrate_all(con, ES)
    yield con, curve, calibration, adv_row, volumes
    con.close()


def test_volume_curve_covers_the_globex_session_from_17_00(globex):
    _, curve, _, _, _ = globex
    assert curve.height == GLOBEX_SECONDS // 60 // 5 and curve["bucket_minutes"].sum() == 1_380
    assert curve["bucket"].to_list() == list(range(curve.height))
    assert curve["bucket_start"][0] == dt.time(17, 0) and curve["bucket_start"][-1] == dt.time(15, 55)
    assert curve["bucket_start"].to_list().index(dt.time(0, 0)) == 7 * 12  # midnight, 7 h after the open
    assert curve["volume_share"].sum() == pytest.approx(1.0) and (curve["volume_share"] >= 0).all()
    truth = _trades_per_second().reshape(-1, 300).sum(axis=1)
    truth /= truth.sum()
    assert np.abs(curve["raw_share"].to_numpy() - truth).sum() < 0.1
    share = dict(zip(curve["bucket_start"].to_list(), curve["volume_share"].to_list()))
    assert share[dt.time(10, 0)] > 5 * share[dt.time(2, 0)]  # regular hours, not 09:30 New York


def test_adv_and_volatility_are_per_globex_day(globex):
    con, _, calibration, adv_row, volumes = globex
    assert adv_row["adv_20d"] == pytest.approx(np.mean(volumes)) and adv_row["session_coverage"] == 1.0
    assert calibration.session_seconds == GLOBEX_SECONDS and calibration.n_days == len(DAYS)
    assert calibration.row(dt.datetime(2024, 10, 11))["session_seconds"][0] == GLOBEX_SECONDS
    # participation of a print's second: its side's volume over the average rate ADV / 82,800 s
    prints = run_sql_file(
        con, "calibration/trade_concessions", {"instrument": ES, "date_from": DAYS[0], "date_to": DAYS[-1]}
    )
    expected = prints["side_volume_1s"].to_numpy() / (calibration.adv_shares / GLOBEX_SECONDS)
    np.testing.assert_allclose(calibration.temporary.participation, expected)
    # the whole 23-hour day's volatility, not 6.5 hours' worth
    for sigma in (calibration.realized_vol_daily, calibration.sigma_daily):
        assert sigma.value == pytest.approx(SIGMA_DAILY, rel=0.1)


def test_a_partly_covered_day_is_scaled_to_the_session():
    rng = np.random.default_rng(3)
    two_hours = 7_200
    paths = [np.cumsum(rng.standard_normal(two_hours) * SIGMA_DAILY / np.sqrt(GLOBEX_SECONDS)) for _ in range(20)]
    estimate, n_days = estimate_sigma_daily(paths, GLOBEX_SECONDS)
    assert n_days == 20 and estimate.value == pytest.approx(SIGMA_DAILY, rel=0.1)
    daily = pl.DataFrame({"date": DAYS[:2], "volume": [1_000.0, 250.0], "session_coverage": [1.0, 0.25]})
    adv = rolling_adv(daily, window=2)
    assert adv["adv_20d"][-1] == pytest.approx(1_000.0) and adv["observed_volume"][-1] == 250.0


@pytest.mark.slow
@pytest.mark.parametrize(
    "sample",
    [
        "futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst",  # book + prints: 239 s of a Globex day
        "futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst",  # prints alone, no book
    ],
)
def test_cli_ingest_of_the_esu4_sample_calibrates_and_exits_0(sample, data_dir, dagster_home):  # noqa: F811
    env = {**os.environ, "EXECUTION_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(dagster_home)}
    done = subprocess.run(
        [sys.executable, "-m", "execution_assets.cli", "ingest", str(DATABENTO / sample)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        curve = con.sql("SELECT * FROM calibration.volume_curve ORDER BY bucket").pl()
        params = con.sql("SELECT * FROM calibration.impact_params").pl().row(0, named=True)
    assert curve.height == 276 and curve["bucket_start"][0] == dt.time(17, 0)
    assert curve["volume_share"].sum() == pytest.approx(1.0)
    # 18:58-19:02 Chicago: the sample's volume sits 2 hours after the open
    traded = curve.filter(pl.col("raw_share") > 0)["bucket_start"].to_list()
    assert traded == [dt.time(18, 55), dt.time(19, 0)]
    assert params["instrument"] == "ESU4" and params["as_of"] == dt.date(2024, 7, 2)
    assert params["session_seconds"] == GLOBEX_SECONDS
    assert params["eta"] is None and "eta: only" in params["null_reason"]
