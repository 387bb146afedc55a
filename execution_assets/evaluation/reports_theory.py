"""Reports on the model side: execution theory, impact models, baselines, environment, rewards.

Each builder takes plain inputs (a problem, frames read from the warehouse) and returns a
``Report``; the Dagster assets only read and write. A representative scenario (``REFERENCE``)
anchors the single-scenario figures.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from execution_assets.evaluation.paired import baseline_strategies, evaluate_problem
from execution_assets.evaluation.plots import cost_distributions_png, frontier_png, lines_png, remaining_curves_png
from execution_assets.evaluation.report import Report
from execution_assets.markdown import markdown_table, round_floats
from execution_assets.market.reference import instrument
from execution_assets.scenarios import IMPACT_MODELS, URGENCY_KAPPA_T, MarketCalibration, risk_aversion_for, stored_problem
from execution_assets.sim.observation import OBS_FIELDS, OBS_HIGH, OBS_LOW
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.vec_market import VecMarket
from execution_assets.strategies import TWAP, AlmgrenChriss, Oracle
from execution_assets.strategies.almgren_chriss import (
    ac_expected_cost,
    ac_params_from_problem,
    ac_trade_list,
    ac_variance,
    dollars2_to_bps2,
    dollars_to_bps,
)
from execution_assets.strategies.schedule_costs import expected_is_bps

REFERENCE = {"impact_model": "linear", "size_pct_adv": 5.0, "horizon_s": 1800.0, "regime": "normal", "urgency": "medium", "side": 1}
FRONTIER_EPISODES = 4000
SEED = 7


def _ac_point(problem: ExecutionProblem) -> tuple[float, float]:
    """(std, mean) of IS in bps of AC's optimal schedule, closed form."""
    p = ac_params_from_problem(problem)
    return float(np.sqrt(dollars2_to_bps2(ac_variance(p), problem))), dollars_to_bps(ac_expected_cost(p), problem)


def execution_theory(problem: ExecutionProblem, calibration: MarketCalibration, scenario_id: str) -> Report:
    """The Almgren-Chriss frontier of the reference scenario, closed form vs simulation."""
    plain = problem.with_(signal_mean_reversion_per_s=0.0, signal_alpha_bps_per_s=0.0, risk_aversion=0.0)
    report = Report("execution_theory", "Execution theory: the Almgren-Chriss efficient frontier")
    report.text(
        f"""Reference scenario `{scenario_id}` (linear impact, {problem.size_frac_adv:.0%} of ADV over
{problem.horizon_s / 60:g} minutes in {problem.n_steps} steps, sigma {problem.sigma_daily:.2%} per day), without the
alpha signal so that the closed forms are exact. Almgren and Chriss (2000) trade off the expected
shortfall E against its variance V: the optimal holdings for risk aversion lambda are
x_j = X sinh(kappa (T - t_j)) / sinh(kappa T) with 2 (cosh(kappa tau) - 1) / tau^2 = lambda sigma^2 / eta_tilde,
eta_tilde = eta - gamma tau / 2. Urgency in the scenario grid is kappa T (low {URGENCY_KAPPA_T['low']:g},
medium {URGENCY_KAPPA_T['medium']:g}, high {URGENCY_KAPPA_T['high']:g}); kappa T -> 0 is TWAP."""
    )
    try:
        base = ac_params_from_problem(plain)
    except ValueError as exc:
        return report.section("Frontier unavailable", f"The closed form does not apply here: {exc}")
    urgencies = {}
    for name, kappa_t in URGENCY_KAPPA_T.items():
        lam = risk_aversion_for(kappa_t, calibration, problem.size_frac_adv, problem.horizon_s, problem.n_steps)
        urgencies[name] = plain.with_(risk_aversion=lam)
    lambdas = np.geomspace(1e-4, 1e2, 60) * max(urgencies["high"].risk_aversion, 1e-12)
    curve = np.array([_ac_point(plain.with_(risk_aversion=lam)) for lam in np.concatenate([[0.0], lambdas])])
    strategies = {"twap": plain, **{f"AC {name}": p for name, p in urgencies.items()}}
    rows, points, curves = [], {}, {}
    for label, p in strategies.items():
        strategy = TWAP() if label == "twap" else AlmgrenChriss()
        results, _ = evaluate_problem(p, [strategy], FRONTIER_EPISODES, SEED)
        is_bps = next(iter(results.values())).is_bps
        std_cf, mean_cf = _ac_point(p)  # for "twap", p is plain (lambda 0): AC there is TWAP
        points[label] = (float(is_bps.std()), float(is_bps.mean()))
        rows.append(
            {
                "strategy": label,
                "risk_aversion": p.risk_aversion,
                "mean_closed_form": mean_cf,
                "mean_simulated": is_bps.mean(),
                "mean_se": is_bps.std() / np.sqrt(is_bps.size),
                "std_closed_form": std_cf,
                "std_simulated": is_bps.std(),
            }
        )
        trades = ac_trade_list(ac_params_from_problem(p)) / base.X
        curves[label] = np.concatenate([[1.0], 1.0 - np.cumsum(trades)])
    report.section("Frontier", "Closed-form frontier (line) and simulated strategies (points), same price paths.")
    report.image(frontier_png(curve[:, 0], curve[:, 1], points, f"AC frontier: {scenario_id}"), "frontier")
    report.text(markdown_table(round_floats(pl.DataFrame(rows))))
    report.text(
        f"Simulated means lie within Monte Carlo error ({FRONTIER_EPISODES:,} episodes) of the closed form; "
        "the discrete-time model is the simulator's, so they agree exactly in expectation."
    )
    report.section("Trajectories by urgency")
    report.image(remaining_curves_png(curves, "Remaining order: TWAP and AC at each urgency"), "trajectories")
    return report


def impact_models(calibration: pl.DataFrame, problems: dict[str, ExecutionProblem], twap_by_model: pl.DataFrame) -> Report:
    """Calibrated parameters, the three impact shapes, and what each costs TWAP."""
    report = Report("impact_models", "Impact models: linear, square root, transient")
    report.section("Calibrated parameters")
    if calibration.is_empty():
        report.text("No calibration in the warehouse: scenarios use the built-in instruments' true parameters.")
    else:
        report.text(markdown_table(round_floats(calibration), max_rows=50))
    report.section(
        "Three shapes through one calibration",
        """Each scenario reshapes the calibrated temporary impact eta p^beta to a line (`linear`) or a
square root (`square_root`) through the same cost at TWAP's participation, so TWAP pays the same
temporary impact under all of them; `transient` adds the Obizhaeva-Wang kernel
G(t) = kappa exp(-rho t) to the linear model. Permanent impact is linear in the traded fraction of
ADV (delta = 1). The square-root permanent variant (delta = 1/2) is not in the grid: with it,
splitting an order into n child orders raises its total permanent impact by sqrt(n), which
rewards bunching trades.""",
    )
    reference = problems["linear"]
    p_twap = reference.size_frac_adv / reference.n_steps * reference.session_seconds / reference.tau_s
    participation = np.linspace(0.0, 4.0 * p_twap, 200)
    lines = {
        model: 1e4 * p.impact.eta * participation ** p.impact.beta for model, p in problems.items() if model != "transient"
    }
    report.image(
        lines_png(participation, lines, f"Temporary impact; TWAP participation {p_twap:.2f}", "participation", "bps"),
        "temporary impact",
    )
    rows = []
    for model, p in problems.items():
        twap = np.full(p.n_steps, 1.0 / p.n_steps)
        parts = {
            "spread": p.half_spread_bps,
            "temporary": expected_is_bps(p.with_(half_spread_bps=0.0, impact=p.impact.with_(gamma=0.0, kappa=0.0)), twap),
            "permanent": expected_is_bps(p.with_(half_spread_bps=0.0, impact=p.impact.with_(eta=0.0, kappa=0.0)), twap),
        }
        transient = expected_is_bps(p, twap) - sum(parts.values())
        parts["transient"] = transient if abs(transient) > 1e-9 else 0.0
        rows.append({"impact_model": model, **parts, "total": expected_is_bps(p, twap)})
    report.section("TWAP's expected cost by component (bps), reference order", markdown_table(round_floats(pl.DataFrame(rows))))
    if twap_by_model.height:
        report.section(
            "Over the evaluated scenarios",
            "Mean TWAP IS and the oracle's improvement over it (the room an impact shape leaves to optimize):\n\n"
            + markdown_table(round_floats(twap_by_model), max_rows=50),
        )
    return report


def baselines_report(
    problem: ExecutionProblem, calibration: MarketCalibration, start_s: float, by_horizon: pl.DataFrame, costs: dict[str, np.ndarray], scenario_id: str
) -> Report:
    """TWAP, VWAP and POV: schedules, costs over the grid, one scenario's cost distributions."""
    report = Report("baselines", "TWAP, VWAP and POV baselines")
    report.text(
        """TWAP trades equal slices. VWAP follows the calibrated intraday volume curve, POV trades a fixed
share of the expected volume (set to finish by 80% of the horizon, capped at 100% participation,
with any remainder executed at the last step). Almgren-Chriss and Obizhaeva-Wang are shown for
reference. The parametric simulator charges impact against the session's *average* volume rate,
so following the intraday curve is only a different schedule there; VWAP's advantage on real
days shows in the VWAP slippage and in replay (robustness report)."""
    )
    curves = {}
    for strategy in baseline_strategies(problem, calibration.volume_curve, start_s):
        try:
            strategy.reset(problem, 1)
        except ValueError:
            continue
        curves[strategy.name] = np.concatenate([[1.0], 1.0 - np.cumsum(strategy.trades)])
    report.section(f"Schedules: {scenario_id}")
    starts = instrument(calibration.instrument).clock_time(int(start_s))  # local time on its trading clock
    report.image(remaining_curves_png(curves, f"Planned schedules, order starts {starts:%H:%M}"), "schedules")
    if by_horizon.height:
        report.section("Mean IS and improvement vs TWAP by horizon and size (test scenarios)", markdown_table(round_floats(by_horizon), max_rows=60))
    if costs:
        report.section("Cost distributions on one scenario (same paths)")
        report.image(cost_distributions_png(costs, scenario_id), "costs")
    return report


def environment_report(problem: ExecutionProblem, calibration: MarketCalibration, start_s: float, completion: dict, env_checks: dict[str, str], scenario_id: str) -> Report:
    """The environment's interface, invariants, and every strategy's trajectory on one path."""
    report = Report("environment", "The execution environment")
    report.text(
        """`ExecutionEnv-v0` (Gymnasium; continuous action: the fraction of the remaining order to trade
now, clipped to [0, 1], NaN counted as invalid and treated as 0) and `ExecutionEnvDiscrete-v0`
(0%, 10%, ..., 100%) work one order of an `ExecutionProblem`; `ExecutionVecEnv` steps many
episodes at once (an SB3 VecEnv). The order always completes: the last step executes the rest."""
    )
    report.section("Environment checks", markdown_table(pl.DataFrame({"check": list(env_checks), "result": list(env_checks.values())})))
    fields = pl.DataFrame({"field": list(OBS_FIELDS), "low": OBS_LOW.astype(float), "high": OBS_HIGH.astype(float)})
    report.section("Observation (float32, clipped to its bounds; no regime label, no future data)", markdown_table(fields, max_rows=30))
    report.section("Invariants over the evaluation's episodes", markdown_table(pl.DataFrame([completion])))
    strategies = [*baseline_strategies(problem, calibration.volume_curve, start_s), Oracle()]
    results, _ = evaluate_problem(problem, strategies, 1, SEED)
    curves = {name: np.concatenate([[1.0], 1.0 - np.cumsum(s.shares[:, 0]) / problem.total_shares]) for name, s in results.items()}
    report.section(f"Every strategy on the same price path: {scenario_id}")
    report.image(remaining_curves_png(curves, "Remaining order, one shared path"), "trajectories")
    market = VecMarket(problem, 1)
    market.reset(SEED)
    mids = [float(market.mid[0])]
    while not market.done:
        market.step_fraction(np.zeros(1))  # nothing traded until the last step: the unaffected path
        mids.append(float(market.mid[0]))
    report.image(
        lines_png(np.arange(len(mids)), {"mid": np.array(mids)}, "The shared path's mid (untouched until the final step)", "step", "price"),
        "mid path",
    )
    return report


def reward_report(problem: ExecutionProblem, n_episodes: int, agent_rewards: dict[str, str]) -> Report:
    """The three reward designs on the same episodes: same total, different per-step noise."""
    report = Report("reward_design", "Reward design: per-step, terminal, AC utility")
    report.text(
        """Every design sums over an episode to -(IS + lambda P), the risk-adjusted cost in bps
(P: the per-step variance of the order still held); they differ in *when* the cost is paid.
`per_step` pays each child order's shortfall vs arrival; `ac_utility` charges the mark-to-market
move of the shares still held when it happens; `terminal` pays everything at the end. Below,
TWAP and Almgren-Chriss on the same episodes of the reference problem (vectorized market, the
env's definitions)."""
    )
    rows, cumulative = [], {}
    for strategy in (TWAP(), AlmgrenChriss()):
        market = VecMarket(problem, n_episodes, mark_to_market=True)
        market.reset(SEED)
        strategy.reset(problem, n_episodes)
        per_step, utility = [], []
        while not market.done:
            r = market.step_fraction(strategy.act(market.observe()))
            per_step.append(-(r.cost_bps + r.risk_bps))
            utility.append(-(r.mtm_cost_bps + r.risk_bps))
        summary = market.summary()
        target = -(summary.is_bps + summary.risk_penalty_bps)
        for design, rewards in (("per_step", np.array(per_step)), ("ac_utility", np.array(utility))):
            total = rewards.sum(axis=0)
            if strategy.name == "twap":
                cumulative[design] = np.concatenate([[0.0], np.cumsum(rewards[:, 0])])
            rows.append(
                {
                    "strategy": strategy.name,
                    "design": design,
                    "mean_return": total.mean(),
                    "max_abs_return_minus_target": float(np.abs(total - target).max()),
                    "std_step_reward": rewards.std(),
                    "std_return": total.std(),
                }
            )
        rows.append(
            {
                "strategy": strategy.name,
                "design": "terminal",
                "mean_return": target.mean(),
                "max_abs_return_minus_target": 0.0,
                "std_step_reward": np.concatenate([np.zeros((problem.n_steps - 1) * n_episodes), target]).std(),
                "std_return": target.std(),
            }
        )
    report.section("Same totals, different timing", markdown_table(round_floats(pl.DataFrame(rows), 4), max_rows=20))
    cumulative["terminal"] = np.concatenate([np.zeros(problem.n_steps), [cumulative["per_step"][-1]]])
    report.image(
        lines_png(np.arange(problem.n_steps + 1), cumulative, "TWAP, episode 0: cumulative reward by design", "step", "bps"),
        "cumulative rewards",
    )
    report.text(
        "`max_abs_return_minus_target` checks that each design's episode return equals -(IS + lambda P) "
        "to rounding. A lower per-step reward std means less noise per TD update for the same objective."
    )
    report.section(
        "Designs the trained agents used",
        markdown_table(pl.DataFrame({"agent": list(agent_rewards), "reward": list(agent_rewards.values())}))
        if agent_rewards
        else "No trained agent yet: materialize `trained_agent` to compare the designs in training.",
    )
    return report


def reference_rows(scenarios: pl.DataFrame) -> pl.DataFrame:
    """The reference cell's test rows for each impact model of the first instrument (by name)
    whose Almgren-Chriss schedule exists there: the theory reports draw AC, which has no minimum
    where permanent impact outweighs temporary (eta~ <= 0, e.g. GOOG's one-day calibration)."""
    cell = {k: v for k, v in REFERENCE.items() if k != "impact_model"}
    rows = scenarios.filter(pl.col("split") == "test", pl.col("impact_model").is_in(IMPACT_MODELS), **cell)
    names = sorted(set(rows["instrument"].to_list()))
    chosen = next((name for name in names if _ac_defined(rows.filter(pl.col("instrument") == name))), names[0] if names else None)
    return rows.filter(pl.col("instrument") == chosen).sort("impact_model")


def _ac_defined(rows: pl.DataFrame) -> bool:
    """Whether the AC baseline can plan the instrument's linear reference row."""
    linear = rows.filter(pl.col("impact_model") == "linear")
    if linear.is_empty():
        return False
    try:
        AlmgrenChriss().reset(stored_problem(linear.row(0, named=True)), 1)
    except ValueError:
        return False
    return True
