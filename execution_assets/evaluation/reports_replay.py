"""The replay report: every strategy on recorded days, against TWAP and the hindsight bound.

Reads ``evaluation.replay_summary`` and ``evaluation.replay_results`` (``evaluation.replay``) and
one example episode rerun exactly as it was evaluated (``replay.replay_example``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from execution_assets.agents.config import ALGORITHMS
from execution_assets.evaluation.agents import algorithm_of
from execution_assets.evaluation.headline import horizon_label
from execution_assets.evaluation.plots import cost_distributions_png, improvement_ci_png, schedules_over_mid_png
from execution_assets.evaluation.replay import HINDSIGHT, STATIC_BASELINES, TWAP_NAME, ReplayExample, is_real
from execution_assets.evaluation.report import Report
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.markdown import markdown_table, round_floats

EXAMPLE_SIZE_PCT, EXAMPLE_HORIZON_S = 5.0, 3600.0


def strategy_order(strategies: list[str] | set[str]) -> list[str]:
    """Baselines, then the agents (by algorithm, seeds after), then the hindsight bound."""
    present = set(strategies)
    agents = sorted(
        (s for s in present if algorithm_of(s) in ALGORITHMS),
        key=lambda s: (ALGORITHMS.index(algorithm_of(s)), s),
    )
    others = sorted(present - set(STATIC_BASELINES) - set(agents) - {HINDSIGHT})
    return [s for s in STATIC_BASELINES if s in present] + agents + others + ([HINDSIGHT] if HINDSIGHT in present else [])


def pick_example(results: pl.DataFrame) -> tuple[str, int] | None:
    """(scenario_id, episodes) of the example episode's scenario: a real instrument's if any (else
    a synthetic one's), the 5% ADV / 1 hour buy order if evaluated (else the largest and longest),
    on the test split if evaluated."""
    if results.is_empty():
        return None
    scenarios = (
        results.group_by("scenario_id", "instrument", "split", "size_pct_adv", "horizon_s", "side")
        .agg(n=pl.col("episode").n_unique())
        .with_columns(
            real=~pl.col("instrument").is_in(list(DEFAULT_INSTRUMENTS)),
            preferred=(pl.col("size_pct_adv") == EXAMPLE_SIZE_PCT) & (pl.col("horizon_s") == EXAMPLE_HORIZON_S),
            test=pl.col("split") == "test",
        )
        .sort(["real", "test", "preferred", "size_pct_adv", "horizon_s", "side", "instrument"], descending=True)
    )
    row = scenarios.row(0, named=True)
    return row["scenario_id"], int(row["n"])


def _label(size: float, horizon: float) -> str:
    return f"{size:g}% ADV / {horizon_label(horizon)}"


def _instrument_section(report: Report, instrument: str, summary: pl.DataFrame, results: pl.DataFrame, note: str) -> None:
    rows = summary.filter(pl.col("instrument") == instrument)
    splits = rows["split"].unique(maintain_order=True).to_list()
    report.section(f"{instrument} ({'recorded' if is_real(instrument) else 'synthetic'})")
    days = results.filter(pl.col("instrument") == instrument).group_by("split").agg(pl.col("date").unique().sort())
    text = "; ".join(f"{r['split']}: {', '.join(d.isoformat() for d in r['date'])}" for r in days.iter_rows(named=True))
    report.text(f"Days replayed: {text}. Calibration: {note or 'as stored'}.")
    missing = strategy_order(set(summary["strategy"].to_list()) - set(rows["strategy"].to_list()))
    if missing:
        report.text(
            f"Not in the tables below: {', '.join(missing)}, which could not plan this instrument's orders "
            "(e.g. Almgren-Chriss where permanent impact outweighs temporary, eta~ <= 0); the "
            "`every_strategy_planned` check of `replay_results` has the reasons."
        )
    for split in splits:
        part = rows.filter(pl.col("split") == split)
        order = strategy_order(part["strategy"].unique().to_list())
        labels = [_label(size, horizon) for size, horizon in zip(part["size_pct_adv"], part["horizon_s"])]
        table = (
            part.with_columns(
                order=pl.col("strategy").replace_strict({s: i for i, s in enumerate(order)}, return_dtype=pl.Int32),
                order_label=pl.Series(labels, dtype=pl.String),
            )
            .sort("size_pct_adv", "horizon_s", "order")
            .select(
                order=pl.col("order_label"), strategy="strategy", episodes="n_episodes", mean_is_bps="mean_is_bps",
                std_is_bps="std_is_bps", improvement_bps="improvement_vs_twap_bps", ci95_low_bps="ci95_low_bps",
                ci95_high_bps="ci95_high_bps", improvement_pct="improvement_vs_twap_pct",
                hindsight_bps="hindsight_improvement_bps", hindsight_share="hindsight_efficiency",
                beyond_depth="beyond_depth_frac",
            )
        )  # fmt: skip
        report.text(f"**{split} split**: mean IS and improvement vs TWAP (bps; 95% CI paired on the same episodes)")
        report.text(markdown_table(round_floats(table), max_rows=200))
        groups = part.select("size_pct_adv", "horizon_s").unique().sort("size_pct_adv", "horizon_s")
        labels = [_label(s, h) for s, h in groups.iter_rows()]
        series = {}
        for strategy in [s for s in order if s != TWAP_NAME]:
            joined = groups.join(part.filter(pl.col("strategy") == strategy), on=["size_pct_adv", "horizon_s"], how="left", maintain_order="left")
            series[strategy] = tuple(joined[c].to_numpy() for c in ("improvement_vs_twap_bps", "ci95_low_bps", "ci95_high_bps"))
        report.image(
            improvement_ci_png(labels, series, f"{instrument} ({split}): improvement vs TWAP, hindsight bound last", "improvement vs TWAP (bps, 95% CI)"),
            f"{instrument} improvement",
        )
        size, horizon = groups.row(groups.height - 1)
        preferred = groups.filter(pl.col("size_pct_adv") == EXAMPLE_SIZE_PCT, pl.col("horizon_s") == EXAMPLE_HORIZON_S)
        if preferred.height:
            size, horizon = preferred.row(0)
        costs = results.filter(
            pl.col("instrument") == instrument, pl.col("split") == split, pl.col("size_pct_adv") == size, pl.col("horizon_s") == horizon
        ).sort("strategy", "scenario_id", "episode")
        by_strategy = {s: g["is_bps"].to_numpy() for (s,), g in costs.group_by("strategy", maintain_order=True)}
        by_strategy = {s: by_strategy[s] for s in strategy_order(by_strategy)}
        report.image(
            cost_distributions_png(by_strategy, f"{instrument} {split}, {_label(size, horizon)}: IS per episode (buy and sell)"),
            f"{instrument} costs",
        )


def _example_section(report: Report, example: ReplayExample, start_clock: str, stored_is: dict[str, float]) -> None:
    report.section(f"One episode: {example.scenario_id}, episode 0")
    report.text(
        f"""Recorded day {example.date.isoformat()}, the order of {example.order_shares:,.0f} shares arriving at
{start_clock}. Every strategy traded this same recorded episode; the top panel is the recorded mid (one
point per second, before the strategies' own impact), the bottom one each strategy's executed share
of the order at its decisions every {example.step_s} s. The hindsight schedule knew this path."""
    )
    executed = {name: example.shares[name] for name in strategy_order(example.shares)}
    report.image(schedules_over_mid_png(example.mid, example.step_s, executed, f"{example.scenario_id}, {example.date}", start_clock), "schedules")
    names = list(executed)
    rerun = np.array([example.is_bps[n] for n in names])
    stored = np.array([stored_is.get(n, np.nan) for n in names])
    table = pl.DataFrame({"strategy": names, "is_bps": rerun, "stored_is_bps": stored})
    report.text(markdown_table(round_floats(table, 4), max_rows=40))
    same = np.allclose(rerun, stored, rtol=1e-9, atol=1e-9, equal_nan=False)
    report.text(
        "The rerun reproduces the stored episode."
        if same
        else "**The rerun differs from the stored episode** (recalibrated or retrained since `replay_results` ran): "
        "rematerialize `replay_results`."
    )


def replay_report(
    summary: pl.DataFrame,
    results: pl.DataFrame,
    example: ReplayExample | None = None,
    *,
    start_clock: str = "",
    notes: dict[str, str] | None = None,
) -> Report:
    """Per instrument: improvement vs TWAP with CIs beside the hindsight bound, cost distributions,
    and one recorded episode with every strategy's schedule."""
    report = Report("replay", "Replay: every strategy on recorded days")
    report.text(
        """Each strategy trades the same episodes of stored days (`evaluation.replay_results`): child
orders walk the recorded depth of the second they are sent, shares beyond the displayed depth pay the
deepest price plus the calibrated temporary impact, and the strategy's own permanent and transient
impact moves the mid it sees afterwards. Days are split by date (synthetic: 60/20/20; recorded real
days are test-only). Buy and sell orders of a size and horizon start at the same seconds and are
pooled, so the days' own direction cancels in the mean. Improvement vs TWAP is paired episode by
episode (percentile-bootstrap 95% CIs). **Hindsight** is the outer bound: per episode, the static
schedule that is optimal for the calibrated model's costs knowing the recorded path, priced on the
book like every strategy (`hindsight_share` = improvement / the bound's, where it beats TWAP by two
standard errors)."""
    )
    if summary.is_empty():
        return report.section(
            "No replay results",
            "`evaluation.replay_summary` is empty: materialize `replay_results` and `replay_summary` "
            "(they need stored days in `features.book_1s`).",
        )
    overview = summary.filter(pl.col("strategy") == TWAP_NAME).group_by("instrument", "split").agg(
        orders=pl.len(), episodes=pl.col("n_episodes").sum(), days=pl.col("n_days").max()
    ).sort("instrument", "split")
    report.section("Coverage", markdown_table(overview, max_rows=40))
    instruments = sorted(summary["instrument"].unique().to_list(), key=lambda i: (not is_real(i), i))
    for instrument in instruments:
        _instrument_section(report, instrument, summary, results, (notes or {}).get(instrument, ""))
    if example is not None:
        stored = results.filter(pl.col("scenario_id") == example.scenario_id, pl.col("episode") == 0)
        _example_section(report, example, start_clock, dict(zip(stored["strategy"], stored["is_bps"])))
    return report


def clock_label(first_ts: dt.datetime | None, date: dt.date, start_second: int) -> str:
    """Clock time of an episode's start (its day's first stored second + ``start_second``)."""
    if first_ts is None:
        return f"{date.isoformat()} + {start_second} s"
    return (first_ts + dt.timedelta(seconds=start_second)).strftime("%Y-%m-%d %H:%M:%S")
