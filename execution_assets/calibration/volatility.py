"""Daily volatility from 1-second log prices: two-scales realized variance per session.

The quoted mid is the efficient price plus microstructure noise (tick rounding, bid-ask
changes), which inflates 1-second realized variance. The two-scales estimator of Zhang,
Mykland and Ait-Sahalia (2005) averages the realized variance of K-second returns over all
K offsets and subtracts the noise measured at 1 second; with K = 60 it is consistent under
i.i.d. noise and keeps the intraday U-shape in the sum. ``sigma_daily`` is the square root of
the mean daily integrated variance, i.e. the standard deviation of a trading day's log return
over the instrument's sessions (23,400 s for US equities, 82,800 s on Globex). A path that
covers part of the day (a sample of a few hours) has its variance scaled to the whole day in
proportion to time, which ignores the intraday shape of volatility.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from execution_assets.calibration.estimate import Estimate

SUBSAMPLE_SECONDS = 60


def two_scales_variance(log_price: np.ndarray, k: int = SUBSAMPLE_SECONDS) -> tuple[float, float]:
    """Bias-corrected two-scales realized variance of one session and its sampling variance.

    The sampling variance is ``(4/9) * mean over offsets of sum r_K^4``: the sparse K-grid's
    realized quarticity variance ``(2/3) sum r_K^4`` times the 2/3 efficiency gain of
    averaging over offsets (Barndorff-Nielsen and Shephard, 2002; Zhang et al., 2005).
    """
    p = np.asarray(log_price, dtype=float)
    n = len(p) - 1
    if n < 2 * k or not np.isfinite(p).all():
        raise ValueError(f"two-scales variance needs >= {2 * k + 1} finite prices, got {len(p)}")
    rv_all = float(np.sum(np.diff(p) ** 2))
    r_k = p[k:] - p[:-k]
    rv_avg = float(np.sum(r_k**2)) / k
    n_bar = (n - k + 1) / k
    tsrv = (rv_avg - n_bar / n * rv_all) / (1.0 - n_bar / n)
    return tsrv, 4.0 / 9.0 * float(np.sum(r_k**4)) / k


def estimate_sigma_daily(
    log_prices: Sequence[np.ndarray], session_seconds: int, k: int = SUBSAMPLE_SECONDS, min_seconds: int = 3_600
) -> tuple[Estimate, int]:
    """``sigma_daily`` over sessions of 1-second log prices, and the number of sessions used.

    Each path holds the seconds from its first to its last observed mid; one shorter than
    ``session_seconds`` is scaled up to it, one shorter than ``min_seconds`` is skipped (too
    little of the day to scale).
    """
    variances, sampling = [], []
    for path in log_prices:
        if len(path) - 1 >= min_seconds:
            v, s = two_scales_variance(path, k)
            scale = max(session_seconds / len(path), 1.0)
            variances.append(v * scale)
            sampling.append(s * scale**2)
    if not variances:
        return Estimate.missing(f"no session with >= {min_seconds} seconds of mid prices"), 0
    mean = float(np.mean(variances))
    if not mean > 0:
        return Estimate.missing(f"mean two-scales variance {mean:.3g} <= 0 (noise dominates)"), len(variances)
    se_var = math.sqrt(float(np.sum(sampling))) / len(variances)
    sigma = math.sqrt(mean)
    return Estimate.normal(sigma, se_var / (2.0 * sigma), "sigma_daily"), len(variances)
