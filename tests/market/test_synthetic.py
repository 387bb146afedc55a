"""The synthetic market: column contract, book invariants, determinism, regimes, and that the
truth dict is honest (simple estimators recover it from snapshots + trades alone)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time

import numpy as np
import polars as pl
import pytest
from scipy.optimize import curve_fit, minimize_scalar
from scipy.signal import lfilter

from execution_assets.impact import US_EQUITY_SESSION_SECONDS
from execution_assets.market.instruments import CALIBRATION_TEST_BEDS, DEFAULT_INSTRUMENTS, SYNTH_ILQ, SYNTH_LIQ
from execution_assets.market.synthetic import InstrumentSpec, MarketParams, UShape, simulate_market_day
from schemas.columns import SNAPSHOT_COLUMNS, TRADE_COLUMNS

DATE = dt.date(2024, 3, 4)
N_DAYS = 20  # the calibration budget the estimators must work with


def _day_start_us(date: dt.date) -> int:
    return (dt.datetime.combine(date, dt.time(9, 30)) - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)


@dataclasses.dataclass
class DayArrays:
    """What a calibrator sees, as numpy: quotes per second and trades with their session second."""

    bid: np.ndarray
    ask: np.ndarray
    bid_sz: np.ndarray
    ask_sz: np.ndarray
    second: np.ndarray
    price: np.ndarray
    size: np.ndarray
    side: np.ndarray

    @property
    def log_mid(self) -> np.ndarray:
        return np.log((self.bid + self.ask) / 2)


def arrays(day) -> DayArrays:
    s, t = day.snapshots, day.trades
    us = t["ts"].dt.epoch("us").to_numpy() - _day_start_us(dt.date.fromisoformat(day.truth["date"]))
    return DayArrays(
        s["bid_px_1"].to_numpy(),
        s["ask_px_1"].to_numpy(),
        s["bid_sz_1"].to_numpy().astype(float),
        s["ask_sz_1"].to_numpy().astype(float),
        us // 1_000_000,
        t["price"].to_numpy(),
        t["size"].to_numpy().astype(float),
        t["side"].to_numpy().astype(float),
    )


def realized_vol(days: list[DayArrays], step_s: int) -> float:
    """sqrt of the mean daily sum of squared ``step_s`` log mid returns (first snapshot to last)."""
    marks = np.r_[0:US_EQUITY_SESSION_SECONDS:step_s, US_EQUITY_SESSION_SECONDS - 1]
    return math.sqrt(np.mean([np.sum(np.diff(d.log_mid[marks]) ** 2) for d in days]))


@pytest.fixture(scope="module", params=sorted(CALIBRATION_TEST_BEDS))
def month(request):
    """20 normal days of one instrument (about 1 s to simulate)."""
    days = [simulate_market_day(CALIBRATION_TEST_BEDS[request.param], DATE + dt.timedelta(i), seed=100 + i) for i in range(N_DAYS)]
    return days[0].truth, [arrays(d) for d in days]


# ---------------------------------------------------------------- contract


@pytest.mark.parametrize("instrument", sorted(DEFAULT_INSTRUMENTS))
def test_frames_match_the_column_contract(instrument):
    day = simulate_market_day(instrument, DATE, seed=1)
    assert day.snapshots.schema == pl.Schema(SNAPSHOT_COLUMNS)
    assert day.trades.schema == pl.Schema(TRADE_COLUMNS)
    snaps = day.snapshots
    assert snaps.height == US_EQUITY_SESSION_SECONDS == 23_400
    assert snaps["ts"].to_list()[:2] == [dt.datetime(2024, 3, 4, 9, 30, 0), dt.datetime(2024, 3, 4, 9, 30, 1)]
    assert snaps["ts"][-1] == dt.datetime(2024, 3, 4, 15, 59, 59)
    assert (snaps["ts"].diff().drop_nulls() == dt.timedelta(seconds=1)).all()
    assert snaps["date"].unique().to_list() == [DATE] and snaps["instrument"].unique().to_list() == [instrument]
    assert snaps.null_count().sum_horizontal().item() == 0

    trades = day.trades
    p = DEFAULT_INSTRUMENTS[instrument].params
    assert 0.9 * p.expected_trades_per_day < trades.height < 1.1 * p.expected_trades_per_day
    assert trades["ts"].min() >= dt.datetime(2024, 3, 4, 9, 30) and trades["ts"].max() < dt.datetime(2024, 3, 4, 16, 0)
    assert (trades["ts"].diff().drop_nulls() > dt.timedelta(0)).all()  # sorted, no identical prints
    assert set(trades["side"].unique().to_list()) == {-1, 1}
    assert (trades["size"] >= p.lot_size).all() and (trades["size"] % p.lot_size == 0).all()
    assert trades["ts"].dt.microsecond().n_unique() > 0.9 * trades.height  # microsecond precision


def test_fewer_levels_are_null_beyond_the_depth_and_the_same_book():
    snaps = simulate_market_day("SYNTH_ILQ", DATE, seed=1, n_levels=3).snapshots
    assert snaps.schema == pl.Schema(SNAPSHOT_COLUMNS)
    full = simulate_market_day("SYNTH_ILQ", DATE, seed=1).snapshots
    shown = [f"{side}_{kind}_{k}" for side in ("bid", "ask") for kind in ("px", "sz") for k in (1, 2, 3)]
    assert snaps.select(shown).equals(full.select(shown))
    nulls = snaps.null_count().row(0, named=True)
    for side in ("bid", "ask"):
        for kind in ("px", "sz"):
            assert [nulls[f"{side}_{kind}_{k}"] for k in range(1, 11)] == [0] * 3 + [US_EQUITY_SESSION_SECONDS] * 7


@pytest.mark.parametrize("instrument", sorted(DEFAULT_INSTRUMENTS))
@pytest.mark.parametrize("regime", ["normal", "volatile"])
def test_book_is_never_crossed_or_locked_and_levels_are_ordered(instrument, regime):
    day = simulate_market_day(instrument, DATE, seed=7, regime=regime)
    snaps, tick = day.snapshots, day.truth["tick_size"]
    bid = snaps.select(f"bid_px_{k}" for k in range(1, 11)).to_numpy()
    ask = snaps.select(f"ask_px_{k}" for k in range(1, 11)).to_numpy()
    sizes = snaps.select(pl.selectors.ends_with(*[f"_sz_{k}" for k in range(1, 11)])).to_numpy()
    assert (ask[:, 0] > bid[:, 0]).all()
    assert (np.diff(bid, axis=1) < 0).all() and (np.diff(ask, axis=1) > 0).all()
    assert (bid > 0).all() and (sizes >= 1).all()
    for px in (bid, ask, day.trades["price"].to_numpy()):
        np.testing.assert_allclose(px / tick, np.round(px / tick), atol=1e-6)  # on the tick grid
    assert (day.trades["price"] > 0).all()


def test_trades_print_at_or_beyond_the_pre_trade_touch():
    day = simulate_market_day("SYNTH_LIQ", DATE, seed=3)
    d = arrays(day)
    later = d.second > 0
    k = d.second[later] - 1  # the snapshot of the previous second is the pre-trade book
    buys = d.side[later] > 0
    assert (d.price[later][buys] >= d.ask[k][buys] - 1e-9).all()
    assert (d.price[later][~buys] <= d.bid[k][~buys] + 1e-9).all()


# ---------------------------------------------------------------- determinism and inputs


def test_same_inputs_give_identical_frames_and_seeds_dates_differ():
    a = simulate_market_day("SYNTH_LIQ", DATE, seed=5)
    b = simulate_market_day("SYNTH_LIQ", DATE.isoformat(), seed=5)
    assert a.snapshots.equals(b.snapshots) and a.trades.equals(b.trades) and a.truth == b.truth
    for date, seed in ((DATE, 6), (DATE + dt.timedelta(1), 5)):
        other = simulate_market_day("SYNTH_LIQ", date, seed=seed)
        assert not np.array_equal(a.snapshots["bid_px_1"].to_numpy(), other.snapshots["bid_px_1"].to_numpy())
        assert a.trades.height != other.trades.height or not a.trades["size"].equals(other.trades["size"])


def test_instrument_spec_and_params_override():
    custom = InstrumentSpec("MY_STOCK", dataclasses.replace(SYNTH_LIQ.params, start_price=50.0))
    day = simulate_market_day(custom, DATE, seed=1)
    assert day.truth["instrument"] == "MY_STOCK" and day.snapshots["instrument"][0] == "MY_STOCK"
    assert abs(day.snapshots["bid_px_1"][0] - 50.0) < 0.1
    overridden = simulate_market_day("SYNTH_LIQ", DATE, seed=1, params=SYNTH_ILQ.params)
    assert overridden.truth["adv_shares"] == SYNTH_ILQ.params.adv_shares
    assert overridden.snapshots["instrument"][0] == "SYNTH_LIQ"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"instrument": "NOPE"}, "unknown synthetic instrument 'NOPE'; known instruments: SYNTH_LIQ, SYNTH_ILQ"),
        ({"regime": "crash"}, "unknown regime 'crash'; known regimes: normal, volatile, trending"),
        ({"n_levels": 0}, "n_levels must be an int in \\[1, 10\\]"),
        ({"n_levels": 11}, "n_levels must be an int in \\[1, 10\\]"),
        ({"date": "2024-13-01"}, "date must be ISO YYYY-MM-DD"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"params": {"sigma_daily": 0.01}}, "params must be a MarketParams"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    call = {"instrument": "SYNTH_LIQ", "date": DATE, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        simulate_market_day(**call)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sigma_daily": -0.01}, "MarketParams.sigma_daily must be > 0"),
        ({"adv_shares": float("nan")}, "MarketParams.adv_shares must be finite"),
        ({"spread_center_ticks": 0.5}, "MarketParams.spread_center_ticks must be >= 1 tick"),
        ({"tick_size": 5.0}, "MarketParams.start_price must be >= 100 ticks"),
        ({"sign_persistence": 1.0}, "MarketParams.sign_persistence must be in \\(0, 1\\)"),
        ({"depth_profile": (1.0, 2.0)}, "MarketParams.depth_profile must be of length 10"),
        ({"lot_size": 0}, "MarketParams.lot_size must be an int >= 1"),
        ({"signal_alpha": 0.5}, "MarketParams.signal_alpha must be small enough"),
        ({"level_gap_prob": 1.5}, "MarketParams.level_gap_prob must be in \\[0, 1\\]"),
    ],
)
def test_bad_params_raise_naming_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(SYNTH_LIQ.params, **changes)


def test_bad_ushape_raises():
    with pytest.raises(ValueError, match="UShape.open_decay_min must be > 0"):
        UShape(open_decay_min=0.0)


# ---------------------------------------------------------------- regimes


def mean_spread(days) -> float:
    return float(np.mean([(d.snapshots["ask_px_1"] - d.snapshots["bid_px_1"]).mean() for d in days]))


def test_volatile_regime_doubles_realized_vol_and_widens_the_spread():
    normal = [simulate_market_day("SYNTH_LIQ", DATE + dt.timedelta(i), seed=i) for i in range(5)]
    volatile = [simulate_market_day("SYNTH_LIQ", DATE + dt.timedelta(i), seed=i, regime="volatile") for i in range(5)]
    ratio = realized_vol([arrays(d) for d in volatile], 60) / realized_vol([arrays(d) for d in normal], 60)
    assert 1.85 < ratio < 2.1  # same shocks; the market's own impact is not scaled
    assert volatile[0].truth["sigma_daily"] == 2 * normal[0].truth["sigma_daily"]
    expected = volatile[0].truth["expected_spread_ticks"] / normal[0].truth["expected_spread_ticks"]
    assert mean_spread(volatile) / mean_spread(normal) == pytest.approx(expected, rel=0.03)
    assert expected > 1.3


def test_trending_regime_adds_exactly_the_drift_mu():
    """Regimes share the random draws, so trending minus normal is the drift (plus tick rounding)."""
    days = range(N_DAYS)
    trending = [simulate_market_day("SYNTH_LIQ", DATE + dt.timedelta(i), seed=i, regime="trending") for i in days]
    normal = [simulate_market_day("SYNTH_LIQ", DATE + dt.timedelta(i), seed=i) for i in days]
    mus = np.array([d.truth["mu_daily"] for d in trending])
    assert np.allclose(np.abs(mus), SYNTH_LIQ.params.sigma_daily) and len(set(np.sign(mus))) == 2
    assert all(d.truth["mu_daily"] == 0.0 for d in normal)
    move = lambda d: np.diff(arrays(d).log_mid[[0, -1]])[0]  # noqa: E731
    extra = np.array([move(t) - move(n) for t, n in zip(trending, normal)])
    np.testing.assert_allclose(extra, mus, atol=2e-4)  # first snapshot already drifted 1 s; +-1 tick


# ---------------------------------------------------------------- the truth dict is honest


def test_truth_dict_has_the_calibration_targets(month):
    truth, _ = month
    for key in ("sigma_daily", "eta", "beta", "gamma", "delta", "kappa", "transient_decay_per_s", "adv_shares",
                "volume_curve", "half_spread_bps", "tick_size", "regime"):  # fmt: skip
        assert key in truth
    assert len(truth["volume_curve"]) == 390 and sum(truth["volume_curve"]) == pytest.approx(1.0)
    curve = np.array(truth["volume_curve"])
    assert curve[0] > 2 * curve[195] and curve[-1] > 2 * curve[195]  # U-shaped


def test_realized_vol_recovers_sigma(month):
    truth, days = month
    assert realized_vol(days, 60) == pytest.approx(truth["sigma_daily"], rel=0.05)
    assert realized_vol(days, 300) == pytest.approx(truth["sigma_daily"], rel=0.05)


def test_volume_from_trades_recovers_adv_and_the_intraday_curve(month):
    truth, days = month
    daily = np.array([d.size.sum() for d in days])
    assert daily.mean() == pytest.approx(truth["adv_shares"], rel=0.03)
    shares = [np.bincount(d.second // 60, weights=d.size, minlength=390) / d.size.sum() for d in days]
    per_minute = np.mean(shares, axis=0)
    curve = np.array(truth["volume_curve"])
    # 2,200 trades a day (SYNTH_ILQ) leave ~0.1 L1 of sampling noise per minute; 15-minute buckets are tight
    minutes = 1 if truth["instrument"].startswith("SYNTH_LIQ") else 15
    l1 = np.abs(per_minute.reshape(-1, minutes).sum(1) - curve.reshape(-1, minutes).sum(1)).sum()
    assert l1 < 0.05


def test_sign_persistence_and_half_spread(month):
    truth, days = month
    same = np.concatenate([d.side[1:] == d.side[:-1] for d in days]).mean()
    assert same == pytest.approx(truth["sign_persistence"], abs=0.01)
    half_spread_bps = np.mean([np.mean((d.ask - d.bid) / (d.ask + d.bid)) * 1e4 for d in days])
    assert half_spread_bps == pytest.approx(truth["half_spread_bps"], rel=0.05)


def test_mid_changes_on_signed_volume_recover_gamma_kappa_and_decay(month):
    """d log mid_k = (gamma + kappa) x_k - kappa (1 - e^-rho) F_{k-1}(rho) + noise; rho by profile least squares.

    Across seeds this estimator's spread on 20 days is ~6-7% for gamma and rho, ~3-4% for kappa.
    """
    truth, days = month
    pairs = []
    for d in days:
        x = np.bincount(d.second, weights=d.size * d.side, minlength=US_EQUITY_SESSION_SECONDS) / truth["adv_shares"]
        pairs.append((x[1:], np.diff(d.log_mid)))  # snapshot k-1 -> k spans second k
    y = np.concatenate([p[1] for p in pairs])

    def fit(rho: float) -> tuple[np.ndarray, float]:
        phi = math.exp(-rho)
        lagged = [np.concatenate([[0.0], lfilter([1.0], [1.0, -phi], x)[:-1]]) for x, _ in pairs]
        design = np.column_stack([np.concatenate([p[0] for p in pairs]), np.concatenate(lagged)])
        coef = np.linalg.lstsq(design, y, rcond=None)[0]
        return coef, float(np.sum((y - design @ coef) ** 2))

    grid = np.linspace(math.log(0.01), math.log(1.0), 12)  # log rho: coarse grid, then refine
    best = int(np.argmin([fit(math.exp(g))[1] for g in grid]))
    bounds = (grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)])
    rho = math.exp(minimize_scalar(lambda g: fit(math.exp(g))[1], bounds=bounds, method="bounded").x)
    coef, _ = fit(rho)
    kappa = -coef[1] / (1 - math.exp(-rho))
    gamma = coef[0] - kappa
    assert gamma == pytest.approx(truth["gamma"], rel=0.15)
    assert kappa == pytest.approx(truth["kappa"], rel=0.15)
    assert rho == pytest.approx(truth["transient_decay_per_s"], rel=0.2)


def test_prints_beyond_the_touch_recover_eta_and_beta(month):
    truth, days = month
    participation, cost = [], []
    rate = truth["adv_shares"] / US_EQUITY_SESSION_SECONDS
    for d in days:
        later = d.second > 0
        k, side = d.second[later] - 1, d.side[later]
        mid = (d.bid + d.ask) / 2
        touch = np.where(side > 0, d.ask[k], d.bid[k])
        cost.append(side * (d.price[later] - touch) / mid[k])
        buys = np.bincount(d.second[d.side > 0], weights=d.size[d.side > 0], minlength=US_EQUITY_SESSION_SECONDS)
        sells = np.bincount(d.second[d.side < 0], weights=d.size[d.side < 0], minlength=US_EQUITY_SESSION_SECONDS)
        participation.append(np.where(side > 0, buys[k + 1], sells[k + 1]) / rate)
    model = lambda p, eta, beta: eta * p**beta  # noqa: E731
    (eta, beta), _ = curve_fit(model, np.concatenate(participation), np.concatenate(cost), p0=[1e-4, 0.5])
    assert eta == pytest.approx(truth["eta"], rel=0.05)
    assert beta == pytest.approx(truth["beta"], abs=0.02)


def test_level_one_imbalance_predicts_the_next_second_return(month):
    truth, days = month
    imbalance = np.concatenate([((d.bid_sz - d.ask_sz) / (d.bid_sz + d.ask_sz))[:-1] for d in days])
    returns = np.concatenate([np.diff(d.log_mid) for d in days])
    corr = np.corrcoef(imbalance, returns)[0, 1]
    assert corr * math.sqrt(len(returns)) > 8  # a strong, positive, observable signal
    assert corr < 0.1  # but a small share of the return variance
    assert truth["alpha_variance_share"] < 0.1


# ---------------------------------------------------------------- speed


def test_one_day_is_fast_enough_for_the_six_month_benchmark():
    simulate_market_day("SYNTH_LIQ", DATE, seed=0)  # warm up imports and caches
    timings = []
    for i in range(3):
        start = time.perf_counter()
        simulate_market_day("SYNTH_LIQ", DATE + dt.timedelta(i), seed=i)
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.4  # 126 days in < 60 s with 2 cores; ~0.05 s measured unloaded


def test_params_are_plain_frozen_dataclasses():
    with pytest.raises(dataclasses.FrozenInstanceError):
        SYNTH_LIQ.params.sigma_daily = 1.0  # type: ignore[misc]
    assert isinstance(SYNTH_LIQ.params, MarketParams)


def test_normal_day_truth_is_the_simulated_days_truth():
    from execution_assets.market.synthetic import normal_day_truth

    for instrument in ("SYNTH_LIQ", "SYNTH_ILQ"):
        day = simulate_market_day(instrument, "2024-01-03", seed=11)
        assert normal_day_truth(instrument, "2024-01-03", 11) == day.truth
