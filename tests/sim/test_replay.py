"""Replay mode: the warehouse loader and a replayed episode with the agent's impact overlaid."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pytest

from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay import load_replay_mid
from execution_assets.sim.vec_market import simulate
from execution_assets.sql import load_sql
from tests.sim.test_vec_market import twap_cost_bps

DAY = dt.date(2024, 1, 2)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute(load_sql("ddl/00_schemas"))
    con.execute(load_sql("ddl/features_book_1s"))
    yield con
    con.close()


def insert_mids(con, instrument, seconds, mids):
    t0 = dt.datetime(2024, 1, 2, 9, 30)
    rows = [
        (instrument, DAY, t0 + dt.timedelta(seconds=s), m, 0.01, 1.0, *[None] * 8, 0.0, 0.0)
        for s, m in zip(seconds, mids)
    ]
    con.executemany(f"INSERT INTO features.book_1s VALUES ({', '.join(['?'] * 16)})", rows)


def test_loader_returns_a_gap_free_one_second_path(con):
    insert_mids(con, "XYZ", [0, 1, 2, 5, 6], [100.0, 100.5, 101.0, 99.0, 99.5])
    insert_mids(con, "OTHER", [0, 1], [1.0, 2.0])
    mid = load_replay_mid(con, "XYZ", DAY)
    np.testing.assert_array_equal(mid, [100.0, 100.5, 101.0, 101.0, 101.0, 99.0, 99.5])
    with pytest.raises(ValueError, match="no rows for instrument 'XYZ' on 2024-01-03"):
        load_replay_mid(con, "XYZ", dt.date(2024, 1, 3))


def test_replay_on_a_flat_day_costs_exactly_the_impact(con):
    con.execute(
        "INSERT INTO features.book_1s (instrument, date, ts, mid, spread, spread_bps, volume_1s, signed_volume_1s) "
        "SELECT 'FLAT', DATE '2024-01-02', TIMESTAMP '2024-01-02 09:30:00' + to_seconds(i), 50.0, 0.01, 2.0, 0, 0 "
        "FROM range(4000) AS t(i)"
    )
    mid = load_replay_mid(con, "FLAT", DAY)
    p = ExecutionProblem(arrival_price=50.0)
    out = simulate(p, np.full(p.n_steps, p.total_shares / p.n_steps), 16, seed=0, replay_mid=mid)
    np.testing.assert_allclose(out.is_bps, twap_cost_bps(p), rtol=1e-12)


def test_replay_moves_with_the_recorded_mid():
    mid = 100.0 * np.exp(np.linspace(0.0, 0.02, 5_000))  # steady rise: costly for a buyer
    p = ExecutionProblem(sigma_daily=0.0)
    twap = np.full(p.n_steps, p.total_shares / p.n_steps)
    buy = simulate(p, twap, 16, seed=1, replay_mid=mid)
    sell = simulate(p.with_(side=-1), twap, 16, seed=1, replay_mid=mid)
    assert np.all(buy.is_bps > twap_cost_bps(p)) and np.all(sell.is_bps < twap_cost_bps(p))
    drift_bps = (buy.is_bps - twap_cost_bps(p))
    np.testing.assert_allclose(drift_bps, twap_cost_bps(p) - sell.is_bps, rtol=1e-9)
