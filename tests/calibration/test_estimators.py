"""Unit tests of the calibration library: estimates, daily bars, ADV, volume curve, volatility, thin data."""

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from execution_assets.calibration import (
    SPLITS,
    Estimate,
    calibrate_impact,
    estimate_sigma_daily,
    estimate_volume_curve,
    fit_price_response,
    fit_temporary_impact,
    impact_params_from_row,
    read_daily_bars,
    rolling_adv,
    two_scales_variance,
)
from execution_assets.calibration.price_response import Session
from execution_assets.calibration.truth import volume_curve_l1
from execution_assets.market.reference import instrument

from tests.conftest import DAILY_BARS

D0 = dt.date(2024, 1, 2)
US_EQUITY = instrument("GOOG")  # 09:30-16:00 New York: 390 minutes, 23,400 seconds
SESSION_MINUTES = US_EQUITY.session_seconds // 60


# ---- Estimate --------------------------------------------------------------------------------


def test_estimate_never_holds_nan():
    assert Estimate.normal(float("nan"), 0.1).value is None
    assert "not finite" in Estimate.normal(1.0, float("inf")).reason
    with pytest.raises(ValueError, match="needs a reason"):
        Estimate(None)
    with pytest.raises(ValueError, match="finite"):
        Estimate(float("nan"), 0.0, 1.0)
    with pytest.raises(ValueError, match="does not contain"):
        Estimate(2.0, 0.0, 1.0)


def test_estimate_interval_helpers():
    e = Estimate.normal(1.0, 0.1)
    assert e.ci_low == pytest.approx(1.0 - 0.196, abs=1e-4) and e.se == pytest.approx(0.1)
    assert e.significant() and e.covers(1.1) and not e.covers(1.3)
    assert e.columns("eta") == {"eta": 1.0, "eta_ci_low": e.ci_low, "eta_ci_high": e.ci_high}


# ---- daily bars and ADV ----------------------------------------------------------------------


def test_goog_bars_are_converted_to_shares_traded_at_the_time():
    bars = read_daily_bars(DAILY_BARS, SPLITS["GOOG"])
    day = bars.filter(pl.col("date") == dt.date(2012, 6, 21)).row(0, named=True)
    assert day["volume"] == pytest.approx(4_048_700 / 2)  # the file doubles pre-split volume
    assert day["close"] == pytest.approx(280.778809 * 2)  # LOBSTER prints ~580 that day
    after = bars.filter(pl.col("date") == dt.date(2014, 4, 4)).row(0, named=True)
    assert after["volume"] == 6_386_800 and after["close"] == pytest.approx(540.169861)


def test_bad_daily_bars_name_the_file_row_and_rule(tmp_path):
    path = tmp_path / "X_daily.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-01-02,1,1,1,1,1,100\n2024-01-03,1,1,1,1,1,-5\n"
    )
    with pytest.raises(ValueError, match=r"X_daily.csv: data row 2: Volume < 0"):
        read_daily_bars(path)
    path.write_text("Date,Open,Close,Volume\n2024-01-02,1,1,1\n")
    with pytest.raises(ValueError, match="missing column"):
        read_daily_bars(path)


def _daily(volumes: list[float], start: dt.date = D0) -> pl.DataFrame:
    return pl.DataFrame({"date": [start + dt.timedelta(days=i) for i in range(len(volumes))], "volume": volumes})


def test_adv_uses_trades_then_bars_then_a_partial_window():
    traded = _daily([100.0, 200.0, 300.0])
    partial = rolling_adv(traded, None, window=2)
    assert partial["adv_20d"].to_list() == [100.0, 150.0, 250.0]
    assert partial["source"].to_list() == ["trades_partial", "trades", "trades"]
    bars = _daily([1000.0] * 10, D0 - dt.timedelta(days=7))
    with_bars = rolling_adv(traded, bars, window=5)
    assert with_bars["source"].to_list() == ["daily_bars"] * 3
    assert with_bars["adv_20d"].to_list() == [1000.0] * 3
    assert with_bars["bars_volume"].to_list() == [1000.0] * 3 and with_bars["observed_volume"][0] == 100.0


def test_adv_rejects_sessions_without_volume():
    with pytest.raises(ValueError, match="> 0 on every session"):
        rolling_adv(_daily([100.0, 0.0]))


# ---- volume curve ------------------------------------------------------------------------------


def _u_curve() -> np.ndarray:
    x = np.arange(SESSION_MINUTES) + 0.5
    w = 1 + 2 * np.exp(-x / 20) + 1.5 * np.exp(-(SESSION_MINUTES - x) / 15)
    return w / w.sum()


def _minute_volume(curve: np.ndarray, n_days: int, trades_per_day: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_days):
        counts = rng.multinomial(trades_per_day, curve)
        for minute in np.flatnonzero(counts):
            rows.append((D0 + dt.timedelta(days=d), int(minute), float(counts[minute] * 100)))
    return pl.DataFrame(rows, schema={"date": pl.Date, "minute": pl.Int32, "volume": pl.Float64}, orient="row")


def test_volume_curve_recovers_a_u_shape_and_sums_to_one():
    truth = _u_curve()
    curve = estimate_volume_curve(_minute_volume(truth, 10, 5_000, seed=1), US_EQUITY)
    buckets = curve.buckets(5)
    assert buckets.height == 78 and buckets["volume_share"].sum() == pytest.approx(1.0)
    assert volume_curve_l1(buckets["volume_share"].to_numpy(), truth) < 0.03
    raw_l1 = volume_curve_l1(buckets["raw_share"].to_numpy(), truth)
    assert volume_curve_l1(buckets["volume_share"].to_numpy(), truth) < raw_l1  # smoothing helps
    assert (buckets["raw_share_se"] > 0).all()


def test_volume_curve_of_one_session_has_no_standard_error():
    buckets = estimate_volume_curve(_minute_volume(_u_curve(), 1, 3_000, seed=2), US_EQUITY).buckets(30)
    assert buckets.height == 13 and buckets["raw_share_se"].null_count() == 13
    assert str(buckets["bucket_start"][1]) == "10:00:00"


@pytest.mark.parametrize("minutes", [0, 7, 60])
def test_volume_curve_rejects_buckets_not_dividing_the_session(minutes):
    curve = estimate_volume_curve(_minute_volume(_u_curve(), 2, 1_000, seed=3), US_EQUITY)
    with pytest.raises(ValueError, match="bucket_minutes must divide"):
        curve.buckets(minutes)


def test_volume_curve_rejects_bad_rows():
    bad = pl.DataFrame({"date": [D0], "minute": [400], "volume": [1.0]})
    with pytest.raises(ValueError, match=r"minute must be in \[0, 389\]"):
        estimate_volume_curve(bad, US_EQUITY)
    with pytest.raises(ValueError, match="no trades"):
        estimate_volume_curve(bad.clear(), US_EQUITY)


# ---- volatility --------------------------------------------------------------------------------


def _noisy_log_prices(sigma_daily: float, n_days: int, tick: float, seed: int) -> list[np.ndarray]:
    """Brownian log price with a U-shaped variance, observed on a rounding grid (microstructure noise)."""
    rng = np.random.default_rng(seed)
    w = 1 + 1.5 * np.exp(-np.arange(23_400) / 900)
    w = w / w.sum()
    paths = []
    for _ in range(n_days):
        efficient = np.log(100.0) + np.r_[0.0, np.cumsum(sigma_daily * np.sqrt(w) * rng.standard_normal(23_400))]
        paths.append(np.log(np.round(np.exp(efficient) / tick) * tick))
    return paths


def test_two_scales_removes_rounding_noise():
    paths = _noisy_log_prices(0.012, 10, tick=0.01, seed=4)
    naive = math.sqrt(np.mean([np.sum(np.diff(p) ** 2) for p in paths]))
    estimate, n_days = estimate_sigma_daily(paths, 23_400)
    assert n_days == 10
    assert naive > 0.012 * 1.1  # 1-second realized volatility is inflated by the rounding
    assert abs(estimate.value / 0.012 - 1) < 0.05 and estimate.covers(0.012)


def test_sigma_needs_enough_seconds():
    estimate, n_days = estimate_sigma_daily([np.log(np.full(100, 100.0))], 23_400)
    assert estimate.value is None and n_days == 0 and "3600 seconds" in estimate.reason
    with pytest.raises(ValueError, match="finite prices"):
        two_scales_variance(np.array([1.0, np.nan] * 100))


# ---- thin data: NULL with a reason, never NaN --------------------------------------------------


def _thin_inputs(n_seconds: int, n_prints: int):
    rng = np.random.default_rng(5)
    seconds = np.arange(n_seconds)
    flow = pl.DataFrame(
        {
            "date": [D0] * n_seconds,
            "second": seconds.astype(np.int32),
            "mid": 100 + np.cumsum(rng.normal(0, 0.01, n_seconds)),
            "spread_bps": np.full(n_seconds, 2.0),
            "volume_1s": np.zeros(n_seconds),
            "signed_volume_1s": np.where(seconds % 50 == 0, 100.0, 0.0),
        }
    )
    prints = pl.DataFrame(
        {
            "date": [D0] * n_prints,
            "ts": [dt.datetime(2024, 1, 2, 9, 31) + dt.timedelta(seconds=i) for i in range(n_prints)],
            "side_volume_1s": np.full(n_prints, 100.0),
            "concession": np.zeros(n_prints),
        }
    )
    adv = pl.DataFrame({"date": [D0], "adv_20d": [1e6]})
    return flow, prints, adv


def test_thin_data_give_reasons_not_nans():
    flow, prints, adv = _thin_inputs(n_seconds=400, n_prints=20)
    calibration = calibrate_impact("THIN", [D0], flow, prints, adv)
    row = calibration.row(dt.datetime(2024, 1, 3)).row(0, named=True)
    for name in ("eta", "beta", "gamma", "delta", "kappa", "transient_decay_per_s", "sigma_daily"):
        assert row[name] is None and row[f"{name}_ci_low"] is None
        assert f"{name}: " in row["null_reason"]
    assert "only 399 one-second returns" in row["null_reason"]
    assert "only 20 trade prints" in row["null_reason"]
    assert row["half_spread_bps"] == pytest.approx(1.0)
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in row.values())


def test_missing_adv_is_an_error():
    flow, prints, _ = _thin_inputs(400, 20)
    with pytest.raises(ValueError, match="no ADV on 2024-01-02"):
        calibrate_impact("THIN", [D0], flow, prints, pl.DataFrame({"date": [D0 - dt.timedelta(days=1)], "adv_20d": [1.0]}))


def test_fits_report_thin_data():
    response = fit_price_response([Session(D0, np.log(np.full(50, 100.0)), np.zeros(50))])
    assert response.gamma.value is None and "one-second returns" in response.gamma.reason
    flow, prints, adv = _thin_inputs(10, 5)
    temporary = fit_temporary_impact(prints, 1e6, 23_400)
    assert temporary.eta.value is None and temporary.n_obs == 5


# ---- calibrated row -> ImpactParams ------------------------------------------------------------

ROW = {
    "instrument": "X",
    "as_of": D0,
    "eta": 2e-4,
    "beta": None,
    "gamma": 0.1,
    "delta": None,
    "kappa": None,
    "transient_decay_per_s": None,
    "null_reason": "beta: ...; delta: ...; kappa: ...; transient_decay_per_s: ...",
}


def test_null_exponents_mean_linear_and_null_transient_means_none():
    params = impact_params_from_row(ROW)
    assert (params.beta, params.delta, params.kappa, params.transient_decay_per_s) == (1.0, 1.0, 0.0, 0.0)


def test_null_scale_or_negative_estimate_is_an_error():
    with pytest.raises(ValueError, match="eta was not estimated"):
        impact_params_from_row({**ROW, "eta": None})
    with pytest.raises(ValueError, match="unusable"):
        impact_params_from_row({**ROW, "gamma": -0.1})
