"""Replay evaluation: every strategy and the hindsight bound on the same recorded episodes, the
summary against TWAP, and the Dagster assets on a tiny warehouse."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import numpy as np
import polars as pl
import pytest
from scipy.optimize import minimize

from execution_assets.evaluation.replay import (
    HINDSIGHT,
    ReplayScenario,
    ReplaySpec,
    evaluate_book,
    evaluate_replay,
    hindsight_schedules,
    load_books,
    model_cost_bps,
    replay_example,
    replay_scenarios,
    run_scenario,
    run_scenarios,
    spec_of,
    summarize_replay,
)
from execution_assets.impact import ImpactParams
from execution_assets.scenarios import default_calibration
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import book_from_mids
from execution_assets.strategies.base import StatelessPolicy
from execution_assets.warehouse import ensure_tables, insert_frame

SMALL = ReplaySpec(sizes_pct_adv=(1.0, 5.0), horizons_s=(600.0,), n_episodes=40)


class HalfOfTheRest(StatelessPolicy):
    """A stand-in agent: trades a fixed share of what remains, whatever it observes."""

    name = "ppo"

    def act(self, obs: np.ndarray) -> np.ndarray:
        return np.full(obs.shape[0], 0.1)


def random_walk_book(n_days: int = 3, seconds: int = 3_000, seed: int = 7, instrument: str = "XYZ"):
    rng = np.random.default_rng(seed)
    mids = [100.0 * np.exp(np.cumsum(rng.normal(0.0, 2e-4, seconds))) for _ in range(n_days)]
    volume = [rng.integers(0, 400, seconds).astype(float) for _ in range(n_days)]
    dates = [dt.date(2024, 3, 4) + dt.timedelta(days=i) for i in range(n_days)]
    return book_from_mids(mids, dates, instrument=instrument, volume=volume)


@pytest.fixture(scope="module")
def evaluated():
    book = random_walk_book()
    return evaluate_book(book, default_calibration("XYZ"), SMALL, agents=[HalfOfTheRest()])


def test_every_strategy_trades_the_same_episodes(evaluated):
    results = evaluated.results
    assert evaluated.skipped.is_empty() and evaluated.failures.is_empty()
    strategies = set(results["strategy"])
    assert strategies == {"twap", "vwap", "pov", "almgren_chriss", "obizhaeva_wang", "ppo", HINDSIGHT}
    assert results["split"].unique().to_list() == ["test"]  # a real instrument's days are test-only
    assert results["scenario_id"].n_unique() == 4  # 2 sizes x 1 horizon x 2 sides
    per_episode = results.group_by("scenario_id", "episode").agg(
        days=pl.col("date").n_unique(), seconds=pl.col("start_second").n_unique(), strategies=pl.len()
    )
    assert (per_episode["days"] == 1).all() and (per_episode["seconds"] == 1).all()
    assert (per_episode["strategies"] == len(strategies)).all()
    assert results.group_by("scenario_id", "strategy").len()["len"].unique().to_list() == [SMALL.n_episodes]
    # buy and sell of a size x horizon start at the same seconds; the two sizes elsewhere
    starts = results.filter(pl.col("strategy") == "twap").group_by("group_id", "episode").agg(n=pl.col("start_second").n_unique())
    assert (starts["n"] == 1).all()
    assert results["date"].n_unique() > 1  # episodes spread over the days
    # shares per level: unlimited depth at level 1, nothing beyond, and they add up to the order
    assert results["level_1_shares"].to_numpy() == pytest.approx(results["order_shares"].to_numpy())
    assert results["level_2_shares"].null_count() == results.height and (results["beyond_depth_shares"] == 0).all()


def test_agents_stepping_all_scenarios_at_once_trade_as_they_would_alone(evaluated):
    book = random_walk_book()
    scenarios = replay_scenarios("XYZ", "test", default_calibration("XYZ"), SMALL)
    together, _ = run_scenarios(scenarios, book, SMALL.n_episodes, agents=[HalfOfTheRest()])
    for outcome in together:
        alone = run_scenario(outcome.scenario, book, SMALL.n_episodes, agents=[HalfOfTheRest()])
        np.testing.assert_array_equal(outcome.summaries["ppo"].is_bps, alone.summaries["ppo"].is_bps)
        np.testing.assert_array_equal(outcome.level_fills["ppo"], alone.level_fills["ppo"])


def test_twap_on_a_flat_zero_spread_unlimited_book_pays_only_its_own_impact():
    """Flat 100.0 mid, zero spread, unlimited depth: no spread or temporary impact is paid, only
    TWAP's own permanent impact on its later child orders: gamma (X / ADV) (N - 1) / (2N)."""
    book = book_from_mids([np.full(2_000, 100.0)])
    problem = ExecutionProblem(
        size_frac_adv=0.01, horizon_s=200.0, n_steps=20, half_spread_bps=5.0,
        impact=ImpactParams(eta=0.05, beta=1.0, gamma=0.1, delta=1.0, kappa=0.0, transient_decay_per_s=0.0),
    )  # fmt: skip
    scenario = ReplayScenario("FLAT", "FLAT", "MIDS", "test", 1.0, 200.0, 1, 11, problem)
    outcome = run_scenario(scenario, book, 16)
    hand = 1e4 * 0.1 * 0.01 * 19 / 40  # = 4.75 bps
    assert hand == pytest.approx(4.75)
    np.testing.assert_allclose(outcome.summaries["twap"].is_bps, hand, rtol=1e-12)
    # with the Obizhaeva-Wang kernel, J_k = kappa a sum_{m=1..k} d^m before trade k
    transient = problem.with_(impact=problem.impact.with_(kappa=0.2, transient_decay_per_s=0.05))
    outcome = run_scenario(ReplayScenario("FLAT", "FLAT", "MIDS", "test", 1.0, 200.0, 1, 11, transient), book, 4)
    d = np.exp(-0.05 * 10.0)
    kernel = sum(d * (1 - d**k) / (1 - d) for k in range(20))
    hand_transient = hand + 1e4 * 0.2 * (0.01 / 20) * (1 / 20) * kernel  # kappa (q / ADV) (q / X) per trade
    np.testing.assert_allclose(outcome.summaries["twap"].is_bps, hand_transient, rtol=1e-12)


@pytest.mark.parametrize("side", [1, -1])
def test_hindsight_beats_twap_on_a_strong_trend_and_is_cheapest_on_average(side):
    trend = 100.0 * np.exp(np.linspace(0.0, 0.03, 4_000))  # +3% over the day: buys should front-load
    noise = np.random.default_rng(1).normal(0.0, 1e-5, 4_000)
    book = book_from_mids([trend * (1 + noise), trend[::-1] * (1 + noise)], instrument="TREND")
    spec = ReplaySpec(sizes_pct_adv=(5.0,), horizons_s=(900.0,), sides=(side,), n_episodes=60)
    results = evaluate_book(book, default_calibration("TREND"), spec, agents=[HalfOfTheRest()]).results
    means = results.group_by("strategy").agg(pl.col("is_bps").mean()).sort("is_bps")
    assert means["strategy"][0] == HINDSIGHT
    twap = results.filter(pl.col("strategy") == "twap").sort("scenario_id", "episode")["is_bps"].to_numpy()
    bound = results.filter(pl.col("strategy") == HINDSIGHT).sort("scenario_id", "episode")["is_bps"].to_numpy()
    assert (bound < twap).all() and twap.mean() - bound.mean() > 5.0  # 7.4 bps: impact limits how far it can front-load


def _scipy_optimum(problem: ExecutionProblem, path: np.ndarray) -> float:
    n = problem.n_steps
    x = problem.total_shares

    def cost(u):
        return float(model_cost_bps(problem, path[:, None], (u * x)[:, None])[0])

    res = minimize(
        cost, np.full(n, 1.0 / n), method="SLSQP", bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "eq", "fun": lambda u: u.sum() - 1.0}], options={"ftol": 1e-14, "maxiter": 500},
    )  # fmt: skip
    return cost(np.clip(res.x, 0, None) / np.clip(res.x, 0, None).sum())


@pytest.mark.parametrize("gamma", [0.02, 2.0])  # convex, and permanent outweighing temporary (block trades)
def test_hindsight_schedule_is_the_models_optimum_on_each_path(gamma):
    rng = np.random.default_rng(4)
    problem = ExecutionProblem(
        size_frac_adv=0.05, horizon_s=300.0, n_steps=15, side=-1,
        impact=ImpactParams(eta=0.002, beta=1.0, gamma=gamma, delta=1.0, kappa=0.3, transient_decay_per_s=0.02),
    )  # fmt: skip
    paths = np.cumsum(rng.normal(0.0, 5e-4, (problem.n_steps, 6)), axis=0)
    paths -= paths[0]
    shares = hindsight_schedules(problem, paths)
    assert shares.shape == (problem.n_steps, 6) and (shares >= 0).all()
    np.testing.assert_allclose(shares.sum(axis=0), problem.total_shares, rtol=1e-12)
    best = model_cost_bps(problem, paths, shares)
    twap = np.full_like(shares, problem.total_shares / problem.n_steps)
    assert (best <= model_cost_bps(problem, paths, twap) + 1e-12).all()
    for i in range(3):
        assert best[i] <= _scipy_optimum(problem, paths[:, i]) + 1e-6


def test_summary_columns_are_consistent(evaluated):
    summary = summarize_replay(evaluated.results)
    assert summary.height == 2 * 7  # 2 sizes x 7 strategies, sides pooled
    assert (summary["sides"] == "buy+sell").all() and (summary["n_episodes"] == 2 * SMALL.n_episodes).all()
    assert (summary["ci95_low_bps"] <= summary["improvement_vs_twap_bps"] + 1e-12).all()
    assert (summary["improvement_vs_twap_bps"] <= summary["ci95_high_bps"] + 1e-12).all()
    pct = summary.drop_nulls("improvement_vs_twap_pct")
    assert (pct["ci95_low"] <= pct["improvement_vs_twap_pct"] + 1e-9).all() and (pct["improvement_vs_twap_pct"] <= pct["ci95_high"] + 1e-9).all()
    twap = summary.filter(pl.col("strategy") == "twap")
    assert (twap["improvement_vs_twap_bps"] == 0).all() and (twap["p_value"] == 1).all()
    bound = summary.filter(pl.col("strategy") == HINDSIGHT)
    assert (bound["hindsight_efficiency"] == 1.0).all()
    per_group = summary.group_by("size_pct_adv").agg(pl.col("hindsight_improvement_bps").n_unique())
    assert (per_group["hindsight_improvement_bps"] == 1).all()  # the bound beside every row of its group
    assert (summary["improvement_vs_twap_bps"] <= summary["hindsight_improvement_bps"] + 1e-9).all()


def test_an_instrument_without_days_is_skipped_with_the_reason(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_tables(con)
    stored = load_books(con, SMALL, ["NOPE"])
    result = evaluate_replay(stored, {}, SMALL)
    assert result.results.is_empty() and result.covered == [("NOPE", "test")]
    assert "no stored day in features.book_1s" in result.skipped["reason"][0]
    # two synthetic days leave no test day; a horizon no day is long enough for is skipped too
    two = evaluate_book(random_walk_book(2, instrument="SYNTH_LIQ"), default_calibration("SYNTH_LIQ"), SMALL)
    assert two.results.is_empty() and "no test day" in two.skipped["reason"][0]
    short = evaluate_book(random_walk_book(1, 500), default_calibration("XYZ"), SMALL)
    assert short.results.is_empty() and short.skipped.height == 4
    assert "no stored day is long enough for a 600-second horizon" in short.skipped["reason"][0]
    assert summarize_replay(short.results).is_empty()


def test_the_example_episode_reruns_the_stored_one(evaluated):
    book = random_walk_book()
    results = evaluated.results
    scenario = results.filter(pl.col("size_pct_adv") == 5.0, pl.col("side") == 1)["scenario_id"][0]
    spec = spec_of(results, "XYZ", "test")
    assert spec == SMALL
    example = replay_example(book, list(book.dates), default_calibration("XYZ"), spec, scenario, agents=[HalfOfTheRest()])
    stored = results.filter(pl.col("scenario_id") == scenario, pl.col("episode") == 0)
    assert example.is_bps == pytest.approx(dict(zip(stored["strategy"], stored["is_bps"])), rel=1e-12)
    assert example.mid.size == 600 + 1 and example.start_second == stored["start_second"][0]


# ------------------------------------------------------------------------------ Dagster assets


def _book_rows(day: dt.date, seconds: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A day of 5-level snapshots and trades of a recorded ('real') instrument."""
    rng = np.random.default_rng(seed)
    t0 = dt.datetime.combine(day, dt.time(9, 30))
    ts = [t0 + dt.timedelta(seconds=s) for s in range(seconds)]
    mid = np.round(50.0 * np.exp(np.cumsum(rng.normal(0.0, 2e-4, seconds))), 3)
    snapshots = {"instrument": ["REAL"] * seconds, "date": [day] * seconds, "ts": ts}
    for j in range(1, 6):
        snapshots[f"bid_px_{j}"] = mid - 0.005 - 0.01 * (j - 1)
        snapshots[f"ask_px_{j}"] = mid + 0.005 + 0.01 * (j - 1)
        snapshots[f"bid_sz_{j}"] = rng.integers(100, 2_000, seconds)
        snapshots[f"ask_sz_{j}"] = rng.integers(100, 2_000, seconds)
    every = slice(None, None, 3)
    trades = pl.DataFrame(
        {
            "instrument": "REAL", "date": day, "ts": ts[every], "price": mid[every],
            "size": rng.integers(1, 300, len(ts[every])), "side": rng.choice([-1, 1], len(ts[every])).astype(np.int8),
        }  # fmt: skip
    )
    return pl.DataFrame(snapshots), trades


def test_the_assets_write_both_tables_pass_their_checks_and_render_the_report(tmp_path, monkeypatch):
    from execution_assets.defs.evaluation.replay import replay_report_asset, replay_results, replay_summary
    from execution_assets.defs.resources import WarehouseResource
    from execution_assets.features import write_book_features

    data = tmp_path / "data"
    monkeypatch.setenv("EXECUTION_DATA_DIR", str(data))
    data.mkdir()
    database = data / "warehouse.duckdb"
    con = duckdb.connect(str(database))
    ensure_tables(con)
    day = dt.date(2024, 5, 6)
    snapshots, trades = _book_rows(day, 2_400, 3)
    insert_frame(con, "raw.l2_snapshots", snapshots)
    insert_frame(con, "raw.trades", trades)
    write_book_features(con, "REAL", day)
    con.close()
    config = {"sizes_pct_adv": [1.0], "horizons_s": [600.0], "n_episodes": 30, "include_agents": False}
    result = dg.materialize(
        [replay_results, replay_summary, replay_report_asset],
        resources={"duckdb": WarehouseResource(database=str(database))},
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"ops": {"replay_results": {"config": config}}},
    )
    assert result.success
    checks = {(c.asset_key.path[-1], c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert all(checks.values()), checks
    assert len(checks) == 8
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute("SELECT strategy, count(*), count(DISTINCT date) FROM evaluation.replay_results GROUP BY ALL").fetchall()
        summary = con.execute("SELECT count(*), min(n_episodes) FROM evaluation.replay_summary").fetchall()
    assert {s for s, *_ in rows} == {"twap", "vwap", "pov", "almgren_chriss", "obizhaeva_wang", HINDSIGHT}
    assert {n for _, n, _ in rows} == {60} and {d for *_, d in rows} == {1}
    assert summary == [(6, 60)]
    report = (data / "artifacts" / "reports" / "replay.md").read_text()
    assert "One episode: REAL-replay-lin-1pct-10m-medium-buy-test, episode 0" in report
    assert "The rerun reproduces the stored episode." in report and report.count("data:image/png;base64,") == 3
