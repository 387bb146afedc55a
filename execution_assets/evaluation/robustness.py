"""Robustness: the strategies on markets other than the one they planned for.

For a few base test scenarios (one per instrument and impact model, at ``BASE_CELL``):

- ``nominal``: the scenario as planned (the reference of the other tests);
- ``vol_stress``: the market's volatility at 2.5x and 4x the nominal one, beyond the volatile
  regime's 2x that training and the scenario grid cover; strategies plan on the nominal problem;
- ``impact_miscalibration``: the market's temporary, permanent and transient impact at 0.5x and
  1.5x what the strategies (and the agents' training) assumed;
- ``replay``: recorded days of the instrument (``features.book_1s`` mids), the strategy's own
  impact overlaid with the scenario's parameters; each day is labelled in-sample (inside the
  calibration window, on or before its as_of) or out-of-sample (after it).

The oracle always plans on the market's true problem: it stays the ceiling. Regimes are
reported separately from the main evaluation (the grid has each regime as its own scenario).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from execution_assets.evaluation.paired import baseline_strategies, episode_frame, evaluate_problem
from execution_assets.evaluation.summary import summarize
from execution_assets.scenarios import MarketCalibration, calibration_for, stored_problem
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.strategies import Oracle
from execution_assets.strategies.base import Strategy

BASE_CELL = {"size_pct_adv": 5.0, "horizon_s": 1800.0, "regime": "normal", "urgency": "medium", "side": 1}
VOL_STRESS = (2.5, 4.0)
IMPACT_SCALES = (0.5, 1.5)
SEPARATOR = "|"
ROBUSTNESS_KEYS = {"scenario_id": pl.String(), "test": pl.String(), "variant": pl.String(), "base_scenario_id": pl.String()}


@dataclass(frozen=True)
class Variant:
    test: str
    variant: str
    market: ExecutionProblem
    replay_mid: np.ndarray | None = None


def base_scenarios(scenarios: pl.DataFrame) -> pl.DataFrame:
    """The test scenarios at ``BASE_CELL``: one per instrument and impact model."""
    return scenarios.filter(pl.col("split") == "test", **BASE_CELL).sort("instrument", "impact_model")


def model_variants(problem: ExecutionProblem) -> list[Variant]:
    """Nominal, volatility stress and impact mis-calibration of ``problem``."""
    out = [Variant("nominal", "as planned", problem)]
    out += [Variant("vol_stress", f"sigma x{m:g}", problem.with_(sigma_daily=problem.sigma_daily * m)) for m in VOL_STRESS]
    for scale in IMPACT_SCALES:
        imp = problem.impact
        market = problem.with_(impact=imp.with_(eta=imp.eta * scale, gamma=imp.gamma * scale, kappa=imp.kappa * scale))
        out.append(Variant("impact_miscalibration", f"impact x{scale:g}", market))
    return out


def replay_variants(problem: ExecutionProblem, days: Sequence[tuple[dt.date, np.ndarray]], as_of: dt.date | None) -> list[Variant]:
    """One variant per recorded day long enough for the horizon, labelled against ``as_of``."""
    out = []
    for date, mid in days:
        if mid.size <= problem.n_steps * round(problem.tau_s):
            continue
        label = "no calibration" if as_of is None else ("in-sample" if date <= as_of else "out-of-sample")
        out.append(Variant("replay", f"{date.isoformat()} ({label})", problem, replay_mid=mid))
    return out


def run_robustness(
    scenarios: pl.DataFrame,
    calibrations: Mapping[str, MarketCalibration],
    n_episodes: int,
    *,
    replay_days: Mapping[str, Sequence[tuple[dt.date, np.ndarray]]] | None = None,
    agents: Sequence[Strategy] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(episodes, summary) of every variant of every base scenario, paired within a variant.

    Episode and summary rows carry ``scenario_id`` = ``base|test|variant`` plus the columns
    ``test``, ``variant`` and ``base_scenario_id``; p-values are Holm-corrected across all rows
    of a strategy here.
    """
    oracle = Oracle()
    frames, keys = [], []
    for row in base_scenarios(scenarios).iter_rows(named=True):
        problem = stored_problem(row)
        instrument = row["instrument"]
        curve = calibration_for(calibrations, instrument).volume_curve
        strategies = [*baseline_strategies(problem, curve, row["start_s"]), oracle, *agents]  # all plan on `problem`
        variants = model_variants(problem)
        variants += replay_variants(problem, (replay_days or {}).get(instrument, ()), row["calibration_as_of"])
        for v in variants:
            results, _ = evaluate_problem(
                v.market, strategies, n_episodes, int(row["seed"]), plan_problem=problem, replay_mid=v.replay_mid
            )
            key = SEPARATOR.join((row["scenario_id"], v.test, v.variant))
            frames.append(episode_frame(key, results))
            keys.append({"scenario_id": key, "test": v.test, "variant": v.variant, "base_scenario_id": row["scenario_id"]})
    if not frames:
        raise ValueError(f"no test scenario at the robustness cell {BASE_CELL}: materialize execution_scenarios first")
    episodes = pl.concat(frames)
    labels = pl.DataFrame(keys, schema=ROBUSTNESS_KEYS)
    summary = summarize(episodes).join(labels, on="scenario_id", how="left")
    return episodes, summary
