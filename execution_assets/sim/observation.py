"""The agent's observation: field order, units, bounds (``VecMarket.observe`` builds it).

Price-like fields are signed by the order's side so that positive always means "against the
order" (a rising price for a buy, a falling one for a sell): one policy serves both sides.
Every field is clipped to [OBS_LOW, OBS_HIGH]. Nothing here sees the regime or the future:
the path features at step k use returns up to step k only.

    remaining_frac    x_k / X, shares left over the order size
    time_frac         k / N
    spread            quoted spread in bps / 10 (2 * half_spread_bps / 10)
    volatility        realized step volatility over the nominal sigma_step: sqrt of an EWMA
                      (weight 0.2, prior 1) of squared unaffected step returns in sigma_step units
    imbalance         side * I_k, the OU imbalance signal (std 1; 0 without signal)
    momentum          side * EWMA (weight 0.2, prior 0) of unaffected step returns in sigma_step units
    trend_belief      the Bayes filter's posterior mean drift (``sim.regime_filter``: the hidden regime
                      and trend direction given the residual unaffected returns so far, prior = the
                      training mix), side-signed, in units of the trend's drift: -1 with the order ..
                      +1 against it; 0 when the scenario has no trend
    volatile_belief   the same filter's probability of the volatile regime
                      (both 0 unless the scenario drew its regime unseen: ``observed_regime_filter``)
    price_move        side * (S_k / S_0 - 1) in bps / 100: observed mid, own impact included
    participation     shares executed / market volume since arrival (ADV k tau / session_seconds), / 10
    transient_impact  J_k in bps / 10 (the decaying Obizhaeva-Wang displacement, side-signed)
    last_fill         side * (P_{k-1} / S_0 - 1) in bps / 100: the last step's fill price (for a
                      step that traded nothing, the price its first share would have paid); 0 at k=0
    size              X / ADV * 10
    sigma             nominal sigma over the horizon in bps / 100
    risk_aversion     lambda * (nominal sigma over the horizon in bps)^2 / 100
    twap_fraction     1 / (N - k): the fraction of the remainder TWAP trades now (0 when done)
    plan_fraction     the fraction of its remainder the scenario's static optimal plan trades now
                      (``strategies.reference_plan``: AC, OW or the static optimum; 0 when done)
    imbalance_5       side * level-1..5 depth imbalance, standardized (replay; 0 in the parametric market)
    microprice        side * (microprice - mid) / half spread (replay; 0 in the parametric market)
    volume_rate       market volume over the last step / its average rate ADV tau / session_seconds
                      (replay: the recorded prints; the parametric market's flow is its average, 1)
    signed_volume_rate side * aggressor-signed volume over the last step / the same average
                      (replay; 0 in the parametric market)
    horizon           the order's horizon over the trading day (1: a whole-day order), so that one
                      policy, or a router of horizon specialists, can tell intraday orders from a day's

On replay (``sim.replay_market``) spread, imbalance (level 1, standardized), participation
(against the recorded volume since arrival) and the four book fields above come from the
recorded second of each decision; the parametric market, which has no book, shows its
constants, so one policy can be trained on both markets.

"Unaffected" returns exclude the agent's own impact (it knows its trades and its impact
state, which it also observes); ``sigma_step`` falls back to 1 bp when sigma_daily is 0.
"""

from __future__ import annotations

import math

import numpy as np

from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.regime_filter import RegimeFilter

OBS_FIELDS = (
    "remaining_frac",
    "time_frac",
    "spread",
    "volatility",
    "imbalance",
    "momentum",
    "trend_belief",
    "volatile_belief",
    "price_move",
    "participation",
    "transient_impact",
    "last_fill",
    "size",
    "sigma",
    "risk_aversion",
    "twap_fraction",
    "plan_fraction",
    "imbalance_5",
    "microprice",
    "volume_rate",
    "signed_volume_rate",
    "horizon",
)
OBS_INDEX = {name: i for i, name in enumerate(OBS_FIELDS)}
N_OBS = len(OBS_FIELDS)
# volatility .. last_fill are consecutive: the fields that can leave their bounds, clipped together
# to [-CLIP_BOUND, CLIP_BOUND] (those bounded below by 0 are >= 0 by construction)
CLIPPED_FIELDS = slice(OBS_INDEX["volatility"], OBS_INDEX["last_fill"] + 1)

CLIP_BOUND = 10.0
_BOUNDS = {
    "trend_belief": (-1.0, 1.0),
    "volatile_belief": (0.0, 1.0),
    "remaining_frac": (0.0, 1.0),
    "time_frac": (0.0, 1.0),
    "twap_fraction": (0.0, 1.0),
    "plan_fraction": (0.0, 1.0),
    "spread": (0.0, 10.0),
    "volatility": (0.0, 10.0),
    "participation": (0.0, 10.0),
    "size": (0.0, 10.0),
    "sigma": (0.0, 10.0),
    "risk_aversion": (0.0, 10.0),
    "volume_rate": (0.0, 10.0),
    "horizon": (0.0, 1.0),
}
OBS_LOW = np.array([_BOUNDS.get(f, (-CLIP_BOUND, CLIP_BOUND))[0] for f in OBS_FIELDS], dtype=np.float32)
OBS_HIGH = np.array([_BOUNDS.get(f, (-CLIP_BOUND, CLIP_BOUND))[1] for f in OBS_FIELDS], dtype=np.float32)

EWMA_WEIGHT = 0.2
BPS = 1e4
PRICE_SCALE = BPS / 100  # fraction of S_0 -> the "bps / 100" of price_move and last_fill
TRANSIENT_SCALE = BPS / 10
PARTICIPATION_SCALE = 0.1
MIN_FEATURE_SIGMA = 1e-4
# the recorded-book fields as the parametric market shows them: no book, flow at its average rate
PARAMETRIC_BOOK_FIELDS = {"imbalance_5": 0.0, "microprice": 0.0, "volume_rate": 1.0, "signed_volume_rate": 0.0}


def feature_sigma(problem: ExecutionProblem) -> float:
    """The return unit of the volatility and momentum features (nominal sigma_step, or 1 bp)."""
    return problem.sigma_step if problem.sigma_step > 0 else MIN_FEATURE_SIGMA


def context_fields(problem: ExecutionProblem) -> dict[str, float]:
    """The fields fixed for the whole episode (clipped like the others)."""
    sigma_h_bps = problem.sigma_daily * np.sqrt(problem.horizon_s / problem.session_seconds) * BPS
    values = {
        "spread": 2.0 * problem.half_spread_bps / 10.0,
        "size": problem.size_frac_adv * 10.0,
        "sigma": sigma_h_bps / 100.0,
        "risk_aversion": problem.risk_aversion * sigma_h_bps**2 / 100.0,
        "horizon": problem.horizon_s / problem.session_seconds,
        **PARAMETRIC_BOOK_FIELDS,
    }
    return {k: float(np.clip(v, OBS_LOW[OBS_INDEX[k]], OBS_HIGH[OBS_INDEX[k]])) for k, v in values.items()}


def participation_scale(problem: ExecutionProblem) -> np.ndarray:
    """Per step k: the factor turning executed shares into the participation field (0 at k=0)."""
    k = np.arange(problem.n_steps + 1, dtype=float)
    with np.errstate(divide="ignore"):
        scale = problem.session_seconds / (problem.adv_shares * problem.tau_s * k) * PARTICIPATION_SCALE
    scale[0] = 0.0
    return scale


def observed_regime_filter(problem: ExecutionProblem) -> RegimeFilter | None:
    """The filter behind ``trend_belief`` and ``volatile_belief``, where there is a hidden regime
    to infer: the scenario grid's problems, whose regime was drawn unseen from the training mix
    (``regime_hidden``). Elsewhere None and both fields 0: a stated regime is the scenario's
    premise, a recorded day drew none, and a switching regime breaks the filter's static
    hypotheses (and the label itself is never observed)."""
    if not problem.regime_hidden or problem.regime_switch_rate_per_s > 0:
        return None
    return RegimeFilter(problem)


def path_features_scalar(
    unaffected: list[float], signal: list[float] | None, side: int, sigma: float, regime_filter: RegimeFilter | None
) -> list[list[float]]:
    """[volatility, imbalance, momentum, trend_belief, volatile_belief] at each step of one
    episode, in Python floats.

    The scalar env's copy of what ``VecMarket`` computes step by step, operation for
    operation, so both give the same float32 observation (a test asserts it).
    """
    w = EWMA_WEIGHT
    scale = side * w / sigma
    inv_sqrt_w = 1.0 / math.sqrt(w)
    vol_hi = float(OBS_HIGH[OBS_INDEX["volatility"]])
    lo, hi = float(OBS_LOW[OBS_INDEX["momentum"]]), float(OBS_HIGH[OBS_INDEX["momentum"]])
    imb_lo, imb_hi = float(OBS_LOW[OBS_INDEX["imbalance"]]), float(OBS_HIGH[OBS_INDEX["imbalance"]])
    signal_term = side * regime_filter.signal_drift if signal is not None and regime_filter is not None else 0.0
    var_w, mom, s1, s2 = w, 0.0, 0.0, 0.0
    rows = []
    for k in range(len(unaffected)):
        if k > 0:
            du = unaffected[k] - unaffected[k - 1]
            d = du * scale
            mom = mom * (1.0 - w) + d
            var_w = var_w * (1.0 - w) + d * d
            if regime_filter is not None:
                r = du * side
                if signal_term != 0.0:
                    r -= signal[k - 1] * signal_term
                s1 += r
                s2 += r * r
        imb = 0.0 if signal is None else min(max(side * signal[k], imb_lo), imb_hi)
        beliefs = (0.0, 0.0) if regime_filter is None else regime_filter.beliefs_scalar(s1, s2, k)
        rows.append([min(math.sqrt(var_w) * inv_sqrt_w, vol_hi), imb, min(max(mom, lo), hi), *beliefs])
    return rows
