"""The replay market: recorded mids, walking recorded depth, causality of the observation."""

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from execution_assets.env import ExecutionEnv, ExecutionVecEnv
from execution_assets.features import write_book_features
from execution_assets.impact import ImpactParams
from execution_assets.market.lobster import read_lobster
from execution_assets.sim.observation import OBS_INDEX
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay import load_replay_book
from execution_assets.sim.replay_book import book_from_frame, book_from_mids, split_days
from execution_assets.sim.replay_market import ReplayMarket
from execution_assets.warehouse import ensure_tables, insert_frame

LOBSTER10 = Path(__file__).resolve().parents[3] / "shared" / "data" / "lobster10"
ZERO_IMPACT = ImpactParams(eta=0.0, gamma=0.0, kappa=0.0, transient_decay_per_s=0.0)


def random_walk_days(rng: np.random.Generator, n_days: int, seconds: int) -> list[np.ndarray]:
    return [100.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-4, seconds))) for _ in range(n_days)]


@pytest.mark.parametrize("side", [1, -1])
def test_unlimited_depth_zero_spread_zero_impact_pays_the_recorded_mids_exactly(side):
    rng = np.random.default_rng(3)
    book = book_from_mids(random_walk_days(rng, 3, 2_000))
    problem = ExecutionProblem(side=side, horizon_s=600, n_steps=20, impact=ZERO_IMPACT, half_spread_bps=0.0)
    n = 64
    market = ReplayMarket(problem, n, book)
    market.reset(11)
    schedule = rng.uniform(0.0, 1.0, (problem.n_steps, n))
    schedule *= problem.total_shares / schedule.sum(axis=0)
    for k in range(problem.n_steps):
        market.step(schedule[k])
    summary = market.summary()
    rows = market.starts[None, :] + 30 * np.arange(problem.n_steps)[:, None]
    unaffected = book.mid[rows] / book.mid[market.starts] - 1.0
    shares = summary.shares
    expected = (shares * (side * unaffected) * (1e4 / problem.total_shares)).sum(axis=0)
    np.testing.assert_array_equal(summary.is_bps, expected)
    np.testing.assert_array_equal(shares[:-1], schedule[:-1])
    assert summary.filled_frac == pytest.approx(1.0)


def test_a_child_order_beyond_the_displayed_depth_of_a_real_10_level_second():
    """AAPL 2012-06-21 09:30:10 (LOBSTER's level-10 sample): buy 1,500 shares in one step."""
    raw = read_lobster(
        LOBSTER10 / "AAPL_2012-06-21_34200000_57600000_message_10.csv",
        LOBSTER10 / "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv",
    )
    con = duckdb.connect()
    ensure_tables(con)
    insert_frame(con, "raw.l2_snapshots", raw.snapshots.drop("row_number", strict=False))
    insert_frame(con, "raw.trades", raw.trades)
    write_book_features(con, "AAPL", dt.date(2012, 6, 21))
    full = load_replay_book(con, "AAPL")
    assert full.n_levels == 10
    second = 10  # 09:30:10: the book at the end of that second, as the raw file has it
    asks = [(585.61, 334), (585.63, 18), (585.64, 18), (585.65, 18), (585.66, 18),
            (585.68, 145), (585.80, 200), (585.81, 100), (585.87, 100), (585.89, 100)]  # fmt: skip
    mid = (585.44 + 585.61) / 2
    assert full.mid[second] == pytest.approx(mid)
    np.testing.assert_allclose(full.ask_size[second], [s for _, s in asks])
    # a book of that second and the next: the one decision falls on 09:30:10
    frame = _book_frame_rows(full, second, second + 2)
    book = book_from_frame("AAPL", frame)
    eta = 1e-4
    problem = ExecutionProblem(
        size_frac_adv=1500 / 1e6, adv_shares=1e6, horizon_s=1, n_steps=1, session_seconds=23_400,
        impact=ImpactParams(eta=eta, beta=1.0, gamma=0.0, kappa=0.0, transient_decay_per_s=0.0),
    )  # fmt: skip
    market = ReplayMarket(problem, 1, book, track_levels=True)
    market.reset(0)
    assert market.starts[0] == 0
    market.step(np.array([1500.0]))
    np.testing.assert_allclose(market.level_fills[0], [s for _, s in asks] + [1500 - 1051])
    displayed = sum(s for _, s in asks)  # 1,051 shares on ten levels
    excess = 1500 - displayed
    temporary = eta * (excess / 1e6) * 23_400 / 1  # eta * participation rate: fraction of S_0
    paid = sum(p * s for p, s in asks) + excess * (585.89 + temporary * mid)
    expected_bps = (paid / 1500 / mid - 1) * 1e4
    assert market.summary().is_bps[0] == pytest.approx(expected_bps, rel=1e-6)
    # a sell of 300 shares stays within the bids: level by level at the bid prices
    sell = ReplayMarket(problem.with_(side=-1, size_frac_adv=300 / 1e6), 1, book)
    sell.reset(0)
    sell.step(np.array([300.0]))
    bids = [(585.44, 66), (585.40, 50), (585.38, 22), (585.36, 5), (585.30, 157)]
    got = sum(p * s for p, s in bids)
    assert sell.summary().is_bps[0] == pytest.approx(-(got / 300 / mid - 1) * 1e4, rel=1e-6)


def _book_frame_rows(book, start: int, stop: int) -> pl.DataFrame:
    """Rows start..stop-1 of a one-day book as a frame ``book_from_frame`` reads (prices from offsets)."""
    rows = slice(start, stop)
    mid = book.mid[rows]
    data = {
        "date": [book.dates[0]] * (stop - start),
        "ts": [dt.datetime(2012, 6, 21, 9, 30) + dt.timedelta(seconds=s) for s in range(start, stop)],
        "mid": mid,
        "spread_bps": book.spread_bps[rows],
        "microprice": book.microprice[rows],
        "imbalance_1": book.imbalance_1[rows],
        "imbalance_5": book.imbalance_5[rows],
        "volume_1s": book.volume[rows],
        "signed_volume_1s": book.signed_volume[rows],
    }
    for j in range(book.n_levels):
        data[f"ask_px_{j + 1}"] = mid * (1 + book.ask_offset[rows, j].astype(float))
        data[f"ask_sz_{j + 1}"] = book.ask_size[rows, j].astype(np.int64)
        data[f"bid_px_{j + 1}"] = mid * (1 - book.bid_offset[rows, j].astype(float))
        data[f"bid_sz_{j + 1}"] = book.bid_size[rows, j].astype(np.int64)
    return pl.DataFrame(data)


def random_book_frame(rng: np.random.Generator, seconds: int, levels: int = 5) -> pl.DataFrame:
    mid = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 2e-4, seconds)))
    spread = 0.01 * rng.integers(1, 4, seconds)
    data = {
        "date": [dt.date(2024, 3, 1)] * seconds,
        "ts": [dt.datetime(2024, 3, 1, 9, 30) + dt.timedelta(seconds=s) for s in range(seconds)],
        "mid": mid,
        "spread_bps": spread / mid * 1e4,
        "microprice": mid + rng.uniform(-0.5, 0.5, seconds) * spread,
        "imbalance_1": rng.uniform(-1, 1, seconds),
        "imbalance_5": rng.uniform(-1, 1, seconds),
        "volume_1s": rng.integers(0, 500, seconds).astype(float),
        "signed_volume_1s": rng.integers(-300, 300, seconds).astype(float),
    }
    for j in range(levels):
        data[f"ask_px_{j + 1}"] = mid + spread / 2 + 0.01 * j
        data[f"ask_sz_{j + 1}"] = rng.integers(1, 400, seconds)
        data[f"bid_px_{j + 1}"] = mid - spread / 2 - 0.01 * j
        data[f"bid_sz_{j + 1}"] = rng.integers(1, 400, seconds)
    return pl.DataFrame(data)


def _observations(book, problem: ExecutionProblem) -> np.ndarray:
    market = ReplayMarket(problem, 1, book)
    market.reset(5)
    seen = []
    while not market.done:
        obs = market.observe()
        seen.append(obs[0].copy())
        market.step_fraction(np.array([0.1 + 0.5 * abs(float(obs[0, OBS_INDEX["imbalance"]])) / 10]))
    seen.append(market.observe()[0].copy())
    return np.array(seen)


def test_no_observation_field_at_step_k_sees_rows_after_step_k():
    rng = np.random.default_rng(7)
    problem = ExecutionProblem(horizon_s=200, n_steps=10, adv_shares=200_000, size_frac_adv=0.01)
    tau = 20
    frame = random_book_frame(rng, problem.n_steps * tau + 1)  # one start only: second 0
    base = _observations(book_from_frame("X", frame), problem)
    assert base.shape == (problem.n_steps + 1, len(OBS_INDEX))
    for k in range(problem.n_steps):
        later = pl.Series(np.arange(frame.height) > k * tau)
        noise = random_book_frame(rng, frame.height)
        altered = frame.with_columns(
            [pl.when(later).then(noise[c]).otherwise(frame[c]).alias(c) for c in frame.columns if c not in ("date", "ts")]
        )
        seen = _observations(book_from_frame("X", altered).with_imbalance_scale(*book_from_frame("X", frame).imbalance_scale), problem)
        np.testing.assert_array_equal(seen[: k + 1], base[: k + 1], err_msg=f"step {k}")
        assert not np.array_equal(seen[k + 1], base[k + 1])


def test_own_impact_shifts_the_recorded_book_for_the_rest_of_the_episode():
    book = book_from_mids([np.full(400, 20.0)])
    impact = ImpactParams(eta=0.0, gamma=0.1, delta=1.0, kappa=0.0, transient_decay_per_s=0.0)
    problem = ExecutionProblem(horizon_s=100, n_steps=2, impact=impact, adv_shares=1e6, size_frac_adv=0.02)
    market = ReplayMarket(problem, 1, book)
    market.reset(1)
    market.step(np.array([10_000.0]))
    market.step(np.array([10_000.0]))
    s = market.summary()
    shift = 0.1 * 10_000 / 1e6  # gamma a: the second child order pays it
    assert s.is_bps[0] == pytest.approx(0.5 * shift * 1e4)
    assert s.vwap_slippage_bps[0] == pytest.approx(s.is_bps[0])  # nothing printed: the recorded mid


def test_vec_env_and_gym_env_replay_the_same_episode():
    rng = np.random.default_rng(2)
    book = book_from_frame("X", random_book_frame(rng, 3_000))
    problem = ExecutionProblem(horizon_s=300, n_steps=10, adv_shares=500_000, size_frac_adv=0.01)
    env = ExecutionEnv(problem, replay=book)
    venv = ExecutionVecEnv(problem, 1, replay=book, seed=4)
    obs, _ = env.reset(seed=4)
    vobs = venv.reset()
    np.testing.assert_array_equal(obs, vobs[0])
    for _ in range(problem.n_steps):
        obs, reward, done, _, info = env.step(np.array([0.3], dtype=np.float32))
        vobs, vreward, vdone, vinfo = venv.step(np.array([[0.3]], dtype=np.float32))
        assert reward == pytest.approx(float(vreward[0]), rel=1e-6)
    assert done and vdone[0]
    assert info["is_bps"] == pytest.approx(vinfo[0]["is_bps"])


def test_days_split_by_date_and_real_days_are_test_only():
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(10)]
    split = split_days(list(reversed(days)))
    assert split == {"train": days[:6], "validation": days[6:8], "test": days[8:]}
    assert split_days(days, real=True) == {"train": [], "validation": [], "test": days}


def test_a_horizon_longer_than_every_day_is_a_clear_error():
    book = book_from_mids([np.full(100, 10.0)], instrument="SHORT")
    with pytest.raises(ValueError, match="SHORT: no stored day is long enough for a 1800-second horizon"):
        ReplayMarket(ExecutionProblem(horizon_s=1800, n_steps=30), 4, book).reset(0)
    with pytest.raises(ValueError, match="second 3 has mid"):
        book_from_mids([np.array([1.0, 1.0, 1.0, -1.0])])
