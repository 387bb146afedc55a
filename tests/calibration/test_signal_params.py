"""The signal calibration (calibration.signal_params) on simulated sessions: what the book's
imbalance predicts, the decay fit against the synthetic market's hidden signal, no signal when
there is none, days never crossed, thin input, storage and the scenarios that read it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import duckdb
import numpy as np
import polars as pl
import pytest

from execution_assets.calibration.signal import (
    PREDICTORS,
    calibrate_signal_params,
    estimate_signal,
    holm,
    latest_signal_params,
    signal_horizons,
    signal_scales,
)
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.market.synthetic import InstrumentSpec
from execution_assets.scenarios import (
    calibration_from_row,
    default_calibration,
    horizons_for,
    load_calibrations,
    n_steps_for,
)
from execution_assets.warehouse import ensure_tables
from schemas.catalog import contract
from tests.calibration.helpers import calibrate_all, simulated_warehouse

LIQ = DEFAULT_INSTRUMENTS["SYNTH_LIQ"]
N_DAYS = 5
AT = dt.datetime(2024, 6, 1)
DECISIONS = (5, 30, 60, 390)  # 5 min, 30 min, 1 h, 1 day over 60 steps


def hidden_signal_alpha(params) -> float:
    """A of the synthetic market's hidden OU signal I in the simulator's continuous-time units.

    Second k moves the log mid by ``a sigma_k I_k`` with I an AR(1) of phi = exp(-theta) per
    second, so E[r(t, t + h) | I_t] = a sigma_bar I_t (1 - phi^h) / (1 - phi), which is
    A (1 - exp(-theta h)) / theta with A = a sigma_bar theta / (1 - phi); sigma_bar is the mean
    1-second sigma over the day's vol curve (bps)."""
    sigma_bar = float(np.mean(params.sigma_daily * np.sqrt(params.vol_shape.second_weights()))) * 1e4
    theta = params.signal_reversion_per_s
    return params.signal_alpha * sigma_bar * theta / -math.expm1(-theta)


@pytest.fixture(scope="module")
def liquid():
    con, truth = simulated_warehouse(LIQ, N_DAYS)
    calibration, rows = calibrate_signal_params(con, LIQ.name, 60, AT)
    yield con, calibration, rows, truth
    con.close()


@pytest.fixture(scope="module")
def no_alpha():
    """The liquid market's very draws (same name, same seeds) with the signal's alpha set to 0:
    the book is still tilted by the OU signal, but it no longer moves the price."""
    spec = InstrumentSpec(LIQ.name, dataclasses.replace(LIQ.params, signal_alpha=0.0))
    con, _ = simulated_warehouse(spec, N_DAYS)
    calibration, rows = calibrate_signal_params(con, LIQ.name, 60, AT)
    yield calibration, rows
    con.close()


def test_horizons_are_1s_and_the_scenarios_decision_intervals():
    assert signal_horizons(23_400) == ((1, *DECISIONS), DECISIONS)
    assert DECISIONS == tuple(int(h) // n_steps_for(h) for h in horizons_for(23_400.0))
    assert signal_horizons(82_800) == ((1, 5, 30, 60, 1380), (5, 30, 60, 1380))  # Globex: 23 h over 60 steps


def test_holm_adjusts_within_the_family_and_skips_untested():
    assert holm([0.01, 0.04, None, 0.03]) == pytest.approx([0.03, 0.06, None, 0.06])
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([None]) == [None]


def test_level_1_imbalance_predicts_returns_and_is_significant(liquid):
    _, calibration, _, _ = liquid
    assert calibration.n_days == N_DAYS and calibration.significant and calibration.reason is None
    for h in (1, 5, 30):  # where the signal dominates the noise; 390 s is mostly diffusion
        row = calibration.regression("imbalance_1", h)
        assert row.coef_bps.value > 0 and row.coef_bps.ci_low > 0 and row.rejects_zero, h
        assert row.n_obs == N_DAYS * ((23_400 - h - 1) // h + 1)  # every h-th second with t + h in the day
        assert row.hac_lags > 0 and 0 < row.r2 < 0.05
    # the level-5 imbalance carries the same tilt (decaying with depth) and predicts too
    assert calibration.regression("imbalance_5", 5).rejects_zero
    scales = calibration.scales
    assert 0.3 < scales["imbalance_1_std"] < 0.6 and abs(scales["imbalance_1_mean"]) < 0.05


def test_decay_fit_recovers_the_mean_reversion_and_an_attenuated_alpha(liquid):
    """theta is not biased by the book's noise (the prediction decays as the hidden signal does),
    so its interval covers the truth. A is attenuated by corr(imbalance_1, I): with level-1 log
    sizes tilted by 0.5 I each way and noise of sd 0.35 per side, the log size ratio is
    I + e with var(e) = 0.245, corr 1/sqrt(1.245) = 0.90 (the imbalance, tanh of half of it,
    measures 0.89 against the simulated I). So A lies between 0.7 and 1.05 times the hidden
    signal's A and its interval covers 0.89 times it."""
    _, calibration, _, truth = liquid
    theta, a = calibration.decay.mean_reversion_per_s, calibration.decay.alpha_bps_per_s
    assert truth["signal_reversion_per_s"] == 0.1
    assert theta.covers(0.1) and 0.05 < theta.value < 0.2
    hidden = hidden_signal_alpha(LIQ.params)
    assert 0.7 * hidden < a.value < 1.05 * hidden
    assert a.covers(0.89 * hidden) and a.ci_low > 0
    assert calibration.decay.n_bootstrap == 500 and calibration.decay.n_blocks == N_DAYS * 13
    # the curve goes through the coefficients it was fitted to
    for h in (1, 5, 30):
        row = calibration.regression("imbalance_1", h)
        assert row.coef_bps.ci_low < calibration.decay.predicted_bps(h) < row.coef_bps.ci_high


def test_without_alpha_the_imbalance_predicts_nothing(no_alpha):
    calibration, rows = no_alpha
    assert not calibration.significant
    assert "predicts no decision interval's return" in calibration.reason
    for h in DECISIONS:
        row = calibration.regression("imbalance_1", h)
        assert not row.rejects_zero, h
    assert calibration.regression("imbalance_1", 5).coef_bps.covers(0.0)
    assert calibration.regression("imbalance_1", 30).coef_bps.covers(0.0)
    fit = rows.row(0, named=True)
    assert fit["significant"] is False and fit["reason"] == calibration.reason


def _two_days(mids: tuple[float, float], seconds: int = 1000) -> pl.DataFrame:
    """Two sessions covering their first ``seconds`` seconds, each at a constant mid."""
    rng = np.random.default_rng(0)
    frames = []
    for day, mid in zip((dt.date(2024, 1, 2), dt.date(2024, 1, 3)), mids):
        frames.append(
            pl.DataFrame(
                {
                    "date": [day] * seconds,
                    "second": np.arange(seconds, dtype=np.int32),
                    "mid": np.full(seconds, mid),
                    "imbalance_1": rng.uniform(-1, 1, seconds),
                    "imbalance_5": rng.uniform(-1, 1, seconds),
                    "signed_volume_1s": rng.integers(-500, 500, seconds).astype(float),
                }
            )
        )
    return pl.concat(frames)


def test_forward_returns_and_trailing_flows_never_cross_a_day():
    """The mid doubles overnight but never moves within a day: a return across the night would
    be ln 2 and give the regressions something to fit. Within the days every return is 0."""
    seconds = 20_000  # 51 samples a day at 390 s
    calibration = estimate_signal(
        "X", [dt.date(2024, 1, 2), dt.date(2024, 1, 3)], _two_days((100.0, 200.0), seconds), 23_400
    )
    for row in calibration.regressions:
        h = row.horizon_s
        starts = (seconds - 1 - h) // h + 1  # t = 0, h, 2h, ... with t + h in the same day
        with_history = starts - (1 if h > 1 else 0)  # signed flow needs (t - h, t] in the day: not t = 0
        assert row.n_obs == 2 * (with_history if row.predictor == "signed_flow" else starts), (row.predictor, h)
        assert row.coef_bps.value is None and "all equal" in row.null_reason
    assert not calibration.significant


def test_empty_window_gives_null_rows_with_the_reason():
    calibration = estimate_signal("X", [dt.date(2024, 1, 2)], _two_days((100.0, 100.0)).clear(), 23_400)
    rows = calibration.rows(AT)
    assert rows.height == len(PREDICTORS) * 5 and calibration.n_days == 0
    assert rows["coef_bps"].null_count() == rows.height and rows["alpha_bps_per_s"].null_count() == rows.height
    assert all("no book seconds" in r for r in rows["null_reason"]) and "no book seconds" in calibration.reason
    assert not rows["significant"].any()
    with pytest.raises(ValueError, match="no session"):
        estimate_signal("X", [], _two_days((100.0, 100.0)), 23_400)
    con = duckdb.connect()
    ensure_tables(con)
    with pytest.raises(ValueError, match="no session with trades"):
        calibrate_signal_params(con, "X", 60, AT)
    con.close()


def test_stored_rows_follow_the_contract_and_are_replaced(liquid):
    con, calibration, rows, _ = liquid
    assert rows.height == len(PREDICTORS) * 5
    contract("calibration.signal_params").validate(rows)
    assert rows.select(pl.col(pl.Float64).is_nan().any()).sum_horizontal().item() == 0  # NULLs only, never NaN
    # rerunning the same window replaces the instrument's rows of that as_of
    calibrate_signal_params(con, LIQ.name, 60, AT + dt.timedelta(days=1))
    stored = con.execute("SELECT count(*), count(DISTINCT calibrated_at) FROM calibration.signal_params").fetchall()
    assert stored == [(15, 1)]
    latest = latest_signal_params(con, LIQ.name)
    assert latest.height == 15 and latest["as_of"].unique().to_list() == [calibration.as_of]
    # one fit per (instrument, as_of), repeated on every row
    assert latest.select("alpha_bps_per_s", "mean_reversion_per_s", "significant").unique().height == 1


def test_signal_scales_for_the_replay_market(liquid):
    con, calibration, _, _ = liquid
    scales = signal_scales(con, LIQ.name)
    assert scales["as_of"] == calibration.as_of
    assert scales["imbalance_1_std"] == pytest.approx(calibration.scales["imbalance_1_std"])
    assert scales["imbalance_5_std"] == pytest.approx(calibration.scales["imbalance_5_std"])
    with pytest.raises(ValueError, match="materialize signal_params"):
        signal_scales(con, "NOT_CALIBRATED")


def test_scenarios_take_the_signal_when_significant_and_say_why_not_otherwise(liquid):
    con, calibration, _, _ = liquid
    calibrate_all(con, LIQ.name)
    (cal,) = [c for c in load_calibrations(con) if c.instrument == LIQ.name]
    assert cal.signal_alpha_bps_per_s == pytest.approx(calibration.decay.alpha_bps_per_s.value)
    assert cal.signal_mean_reversion_per_s == pytest.approx(calibration.decay.mean_reversion_per_s.value)
    assert f"signal: calibration.signal_params as of {calibration.as_of}" in cal.notes

    impact = {"instrument": LIQ.name, "sigma_daily": 0.012, "session_seconds": 23_400}
    default = default_calibration(LIQ.name)
    weak = {"as_of": calibration.as_of, "alpha_bps_per_s": None, "mean_reversion_per_s": None,
            "significant": False, "reason": "the level-1 imbalance predicts no decision interval's return"}  # fmt: skip
    for signal, note in ((weak, "not significant: the level-1 imbalance predicts"), (None, "no calibration.signal_params")):
        fallback = calibration_from_row(impact, signal=signal)
        assert fallback.signal_alpha_bps_per_s == pytest.approx(default.signal_alpha_bps_per_s)
        assert fallback.signal_mean_reversion_per_s == default.signal_mean_reversion_per_s
        assert note in fallback.notes and fallback.source == "calibration+defaults"
