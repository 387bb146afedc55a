"""Paired comparison of an agent with TWAP, the oracle and Almgren-Chriss on fixed seeds.

Every strategy of a comparison runs on the same price paths (the split's seed), so the
differences are paired. The score of a strategy on a problem is the mean-variance objective
of its episodes, ``mean(IS) + lambda * var(IS)`` in bps (lambda = ``risk_aversion``; the mean
alone for risk-neutral problems). Confidence intervals use the delta method on the paired
per-episode influence functions: for the objective f = m + lambda v the influence of episode i
is (x_i - m) + lambda ((x_i - m)^2 - v), and a ratio of objective differences gets the
usual first-order correction. With 10^4 or more episodes this matches a paired bootstrap and
costs nothing.

Two objectives. The sample mean-variance objective above is what the acceptance criteria and
DESIGN section 7 score. The env's rewards and the oracle optimize its time-consistent version,
``E[IS + lambda P]`` with P = sum_k sigma_k^2 x_{k+1}^2 the expected variance of the inventory
still held (``risk_penalty_bps``): the two agree for static schedules, but a policy that reacts
to price moves can have Var[IS] < E[P] and so beat the oracle on the sample objective while
losing to it on the penalized one (Almgren and Lorenz 2007, adaptive arrival-price
strategies). ``penalized_regret`` (agent minus oracle on E[IS + lambda P], paired) is the
sanity check that no agent beats the oracle at the oracle's own objective.

``capture`` is the share of the oracle's improvement over TWAP that the agent realizes,
``(f_twap - f_agent) / max(f_twap - f_oracle, floor * |f_twap|)``: the oracle efficiency
of DESIGN section 7 when the oracle beats TWAP by more than ``floor`` (1%), and still a
usable score where it does not (risk-neutral: losing 1% of TWAP's cost scores -1).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from execution_assets.agents.scenarios import split_seed
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.sim.vec_market import EpisodeSummary
from execution_assets.strategies import TWAP, AlmgrenChriss, Oracle, Strategy
from execution_assets.strategies.almgren_chriss import ac_problem_trades
from execution_assets.strategies.reference_plan import ReferencePlan
from execution_assets.strategies.runner import run_strategy
from execution_assets.strategies.schedule_costs import expected_is_bps, variance_is_bps2

Z95 = 1.959963984540054
CAPTURE_FLOOR = 0.01


def objective(is_bps: np.ndarray, risk_aversion: float) -> float:
    """mean(IS) + lambda var(IS), the sample mean-variance objective in bps."""
    return float(is_bps.mean() + risk_aversion * is_bps.var())


def influence(is_bps: np.ndarray, risk_aversion: float) -> np.ndarray:
    """Per-episode influence of ``objective`` (its sample mean is 0; var / n is the estimator's)."""
    centred = is_bps - is_bps.mean()
    return centred + risk_aversion * (centred**2 - is_bps.var())


def ratio_ci(num: float, psi_num: np.ndarray, den: float, psi_den: np.ndarray) -> tuple[float, float, float]:
    """num / den with a 95% delta-method interval from the paired influences."""
    ratio = num / den
    se = float(np.std((psi_num - ratio * psi_den) / den) / np.sqrt(psi_num.size))
    return ratio, ratio - Z95 * se, ratio + Z95 * se


def ac_closed_form_objective(problem: ExecutionProblem) -> float | None:
    """E + lambda V of the Almgren-Chriss schedule, exact, where AC's model is the problem's
    (linear impact, no transient term, no signal, static regime); None elsewhere."""
    imp = problem.impact
    if (
        imp.beta != 1.0
        or imp.delta != 1.0
        or imp.kappa > 0
        or problem.has_signal
        or problem.regime_switch_rate_per_s > 0
    ):
        return None
    try:
        trades = ac_problem_trades(problem)
    except ValueError:  # eta_tilde <= 0: AC's model has no minimum
        return None
    return expected_is_bps(problem, trades) + problem.risk_aversion * variance_is_bps2(problem, trades)


class Costs(NamedTuple):
    """Per-episode IS and IS + lambda P (bps) of one strategy's batch."""

    is_bps: np.ndarray
    penalized: np.ndarray

    @classmethod
    def of(cls, summary: EpisodeSummary) -> "Costs":
        return cls(summary.is_bps, summary.is_bps + summary.risk_penalty_bps)


@dataclass(frozen=True)
class Comparison:
    """An agent against the yardsticks on one problem and split (objectives in bps)."""

    slot: int
    split: str
    n_episodes: int
    risk_aversion: float
    agent: float
    twap: float
    oracle: float
    almgren_chriss: float | None  # None where AC's model has no minimum
    agent_mean_is: float
    agent_std_is: float
    ac_closed_form: float | None
    improvement_vs_twap: float  # (f_twap - f_agent) / |f_twap|
    improvement_ci: tuple[float, float]
    oracle_improvement_vs_twap: float
    efficiency: float | None  # share of the oracle's improvement (None if the oracle gains < floor)
    efficiency_ci: tuple[float, float] | None
    capture: float
    agent_penalized: float  # E[IS + lambda P], the objective of the rewards and the oracle
    oracle_penalized: float
    twap_penalized: float
    plan_penalized: float  # the scenario's static optimal plan (action 0 of the plan-relative agents)
    plan_gain_se: float  # standard error of the paired per-episode (plan - agent) on E[IS + lambda P]
    penalized_regret_ci: tuple[float, float]  # agent - oracle on E[IS + lambda P], bps, 95%

    @property
    def vs_ac_closed_form(self) -> float | None:
        """f_agent / (AC's closed-form objective) - 1."""
        return None if self.ac_closed_form is None else self.agent / self.ac_closed_form - 1.0

    def as_dict(self) -> dict:
        out = asdict(self)
        out["vs_ac_closed_form"] = self.vs_ac_closed_form
        return out


class Benchmark:
    """The yardsticks of some problems on one split, run once and reused for every agent."""

    def __init__(
        self,
        problems: Sequence[ExecutionProblem],
        split: str,
        n_episodes: int,
        books: Sequence[ReplayBook | None] | None = None,
    ) -> None:
        self.problems = list(problems)
        self.split = split
        self.n_episodes = int(n_episodes)
        self.books = list(books) if books is not None else [None] * len(self.problems)
        if len(self.books) != len(self.problems):
            raise ValueError(f"Benchmark: {len(self.books)} books for {len(self.problems)} problems")
        self.seeds = [split_seed(split, slot) for slot in range(len(self.problems))]
        yardsticks = [_yardsticks(p, seed, self.n_episodes, book) for p, seed, book in zip(self.problems, self.seeds, self.books)]
        self._yardsticks = [costs for costs, _ in yardsticks]
        self._ac = [ac for _, ac in yardsticks]
        self._ac_closed = [None if book is not None else ac_closed_form_objective(p) for p, book in zip(self.problems, self.books)]

    def compare(self, strategy: Strategy) -> list[Comparison]:
        """``strategy`` on every problem, paired with the yardsticks."""
        out = []
        for slot, (problem, seed, book, ys) in enumerate(zip(self.problems, self.seeds, self.books, self._yardsticks)):
            agent = Costs.of(run_strategy(strategy, problem, self.n_episodes, seed, book=book))
            out.append(self._compare(slot, problem, agent, ys))
        return out

    def _compare(
        self, slot: int, problem: ExecutionProblem, agent: Costs, ys: dict[str, Costs]
    ) -> Comparison:
        lam = problem.risk_aversion
        runs = {"agent": agent, **ys}
        f = {name: objective(v.is_bps, lam) for name, v in runs.items()}
        psi = {name: influence(v.is_bps, lam) for name, v in runs.items()}
        x = agent.is_bps
        regret = agent.penalized - ys["oracle"].penalized
        regret_se = float(regret.std() / np.sqrt(regret.size))
        scale = abs(f["twap"])
        imp, imp_lo, imp_hi = ratio_ci(f["twap"] - f["agent"], psi["twap"] - psi["agent"], scale, np.sign(f["twap"]) * psi["twap"])
        gap = f["twap"] - f["oracle"]
        efficiency = efficiency_ci = None
        if gap > CAPTURE_FLOOR * scale:
            efficiency, lo, hi = ratio_ci(f["twap"] - f["agent"], psi["twap"] - psi["agent"], gap, psi["twap"] - psi["oracle"])
            efficiency_ci = (lo, hi)
        capture = (f["twap"] - f["agent"]) / max(gap, CAPTURE_FLOOR * scale)
        return Comparison(
            slot=slot,
            split=self.split,
            n_episodes=self.n_episodes,
            risk_aversion=lam,
            agent=f["agent"],
            twap=f["twap"],
            oracle=f["oracle"],
            almgren_chriss=self._ac[slot],
            agent_mean_is=float(x.mean()),
            agent_std_is=float(x.std()),
            ac_closed_form=self._ac_closed[slot],
            improvement_vs_twap=imp,
            improvement_ci=(imp_lo, imp_hi),
            oracle_improvement_vs_twap=gap / scale,
            efficiency=efficiency,
            efficiency_ci=efficiency_ci,
            capture=float(capture),
            agent_penalized=float(agent.penalized.mean()),
            oracle_penalized=float(ys["oracle"].penalized.mean()),
            twap_penalized=float(ys["twap"].penalized.mean()),
            plan_penalized=float(ys["plan"].penalized.mean()),
            plan_gain_se=float((ys["plan"].penalized - agent.penalized).std() / np.sqrt(agent.penalized.size)),
            penalized_regret_ci=(float(regret.mean() - Z95 * regret_se), float(regret.mean() + Z95 * regret_se)),
        )


def mean_capture(comparisons: Sequence[Comparison]) -> float:
    return float(np.mean([c.capture for c in comparisons]))


def plan_family(problem: ExecutionProblem) -> tuple[str, float]:
    """The headline's family of a problem: impact model and horizon."""
    model = "square_root" if problem.impact.beta != 1.0 else "transient" if problem.impact.kappa > 0 else "linear"
    return model, problem.horizon_s


def plan_gain_bound(
    comparisons: Sequence[Comparison],
    families: Sequence[object] | None = None,
    z: float = 2.0,
    scales: Sequence[float | None] | None = None,
) -> tuple[float, float, float]:
    """The gain over the plan as a share of TWAP's risk-adjusted cost, averaged over problems:
    (mean, mean - z SE, and the least over ``families`` of a family's mean + z SE). The last is
    negative where some family is worse than the plan beyond noise (paired standard errors).

    ``scales`` replaces TWAP's realized cost as a problem's unit where given (recorded days: their
    few days' drift can put TWAP's mean cost near zero, which no share should be taken of)."""
    given = scales if scales is not None else [None] * len(comparisons)
    scale = np.array([abs(c.twap_penalized) if s is None else s for c, s in zip(comparisons, given)])
    gain = np.array([c.plan_penalized - c.agent_penalized for c in comparisons]) / scale
    se = np.array([c.plan_gain_se for c in comparisons]) / scale
    mean = float(gain.mean())
    keys = list(families) if families is not None else [0] * len(comparisons)
    worst = min(
        float(gain[idx].mean() + z * np.sqrt((se[idx] ** 2).sum()) / idx.size)
        for idx in (np.flatnonzero([k == key for k in keys]) for key in dict.fromkeys(keys))
    )
    return mean, mean - z * float(np.sqrt((se**2).sum()) / se.size), worst


def mean_penalized_improvement(comparisons: Sequence[Comparison]) -> float:
    """Mean over problems of (TWAP - agent) / |TWAP| on E[IS + lambda P]: the risk-adjusted cost
    the rewards pay and the headline's risk-adjusted table averages."""
    return float(np.mean([(c.twap_penalized - c.agent_penalized) / abs(c.twap_penalized) for c in comparisons]))


def _yardsticks(
    problem: ExecutionProblem, seed: int, n_episodes: int, book: ReplayBook | None
) -> tuple[dict[str, Costs], float | None]:
    """TWAP, the plan and the oracle on the problem's paths, and AC's sample objective."""
    if book is None:
        return _model_yardsticks(problem, seed, n_episodes)
    return _reference_costs(problem, seed, n_episodes, book), _almgren_chriss(problem, seed, n_episodes, book)


@functools.lru_cache(maxsize=1024)
def _model_yardsticks(problem: ExecutionProblem, seed: int, n_episodes: int) -> tuple[dict[str, Costs], float | None]:
    """``_yardsticks`` on the parametric market, kept: they are the same for every agent validated
    on these paths, and `make run` trains three in one process (the grid's 32 validation and 8
    test problems took 11 s per agent on a quiet machine, the oracle's dynamic programs most)."""
    return _reference_costs(problem, seed, n_episodes, None), _almgren_chriss(problem, seed, n_episodes, None)


def _reference_costs(problem: ExecutionProblem, seed: int, n_episodes: int, book: ReplayBook | None) -> dict[str, Costs]:
    """TWAP, the oracle and the plan on the problem's paths. On recorded days (``book``) there
    is no model oracle: the plan stands in for it (the hindsight bound is the evaluation's)."""
    run = {s.name: Costs.of(run_strategy(s, problem, n_episodes, seed, book=book)) for s in (TWAP(), ReferencePlan())}
    run["oracle"] = run["plan"] if book is not None else Costs.of(run_strategy(Oracle(), problem, n_episodes, seed))
    return run


def _almgren_chriss(problem: ExecutionProblem, seed: int, n_episodes: int, book: ReplayBook | None) -> float | None:
    """AC's sample objective, or None where its model has no minimum (eta_tilde <= 0:
    permanent impact outweighs temporary over long steps, e.g. some one-day orders)."""
    try:
        summary = run_strategy(AlmgrenChriss(), problem, n_episodes, seed, book=book)
    except ValueError:
        return None
    return objective(summary.is_bps, problem.risk_aversion)
