"""Temporary impact from trade prints: the price paid beyond the pre-trade touch.

Model (DESIGN section 4; how the synthetic market prints): a print in second k pays

    concession = side * (price - touch) / mid = c0 + eta * p^beta + noise,
    p = participation of its side's volume in second k = (q_side / 1 s) / (ADV / session seconds),

with touch and mid from the snapshot at the end of second k - 1 (the pre-trade book) and the
session seconds of the instrument's trading day (23,400 for US equities, 82,800 on Globex). The
offset c0 absorbs what the 1-second snapshot cannot see on real data (quotes that moved
within the second, hidden liquidity inside the spread); it is 0 in the synthetic market and
is reported, not folded into eta. Nonlinear least squares with cluster-robust errors over
5-minute blocks. The exponent needs eta significantly > 0; otherwise beta is NULL and eta is
the linear (beta = 1) slope.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from execution_assets.calibration.estimate import Estimate
from execution_assets.calibration.regression import NlsResult, fit_nls

MIN_PRINTS = 200
BETA_BOUNDS = (0.05, 3.0)


@dataclass(frozen=True)
class TemporaryImpactFit:
    eta: Estimate
    beta: Estimate
    offset: Estimate  # c0, fraction of price
    n_obs: int
    r2: float | None
    participation: np.ndarray
    concession: np.ndarray


def _model(p: np.ndarray, beta_fixed: float | None):
    log_p = np.log(p)

    def evaluate(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c0, eta = theta[0], theta[1]
        beta = beta_fixed if beta_fixed is not None else theta[2]
        power = np.exp(beta * log_p)
        columns = [np.ones_like(p), power] + ([] if beta_fixed is not None else [eta * power * log_p])
        return c0 + eta * power, np.column_stack(columns)

    return evaluate


def fit_temporary_impact(
    prints: pl.DataFrame, adv_shares: float, session_seconds: int, block_seconds: int = 300
) -> TemporaryImpactFit:
    """Fit from ``date, ts, side_volume_1s, concession`` rows (sql/calibration/trade_concessions.sql),
    participation relative to the average rate ``adv_shares / session_seconds``."""
    if not adv_shares > 0:
        raise ValueError(f"ADV must be > 0 shares, got {adv_shares!r}")
    p = prints["side_volume_1s"].to_numpy() / (adv_shares / session_seconds)
    c = prints["concession"].to_numpy()
    keep = np.isfinite(c) & (p > 0)
    p, c = p[keep], c[keep]
    if len(c) < MIN_PRINTS:
        missing = Estimate.missing(f"only {len(c)} trade prints with a pre-trade quote (need {MIN_PRINTS})")
        return TemporaryImpactFit(missing, missing, missing, len(c), None, p, c)
    seconds = prints.select(
        session=pl.col("date").rank("dense"),
        block=(pl.col("ts") - pl.col("ts").dt.truncate("1d")).dt.total_seconds() // block_seconds,
    ).filter(pl.Series(keep))
    clusters = seconds["session"].to_numpy().astype(np.int64) * 1_000_000 + seconds["block"].to_numpy()

    slope = float(np.polyfit(p, c, 1)[0])
    start = [float(np.mean(c)) - slope * float(np.mean(p)), max(slope, 1e-6), 1.0]
    lower, upper = [-np.inf, -np.inf, BETA_BOUNDS[0]], [np.inf, np.inf, BETA_BOUNDS[1]]
    free = fit_nls(_model(p, None), c, ("offset", "eta", "beta"), start, lower, upper, clusters)
    eta_free = free.estimate("eta")
    final: NlsResult = free
    beta = free.estimate("beta")
    if not (eta_free.significant() and eta_free.value > 0):
        beta = Estimate.missing(
            f"no significant temporary impact beyond the touch (eta = {free.value('eta'):.3g} at free beta)"
        )
        final = fit_nls(_model(p, 1.0), c, ("offset", "eta"), start[:2], [-np.inf, -np.inf], [np.inf, np.inf], clusters)
    return TemporaryImpactFit(final.estimate("eta"), beta, final.estimate("offset"), len(c), final.r2, p, c)
