"""Cost statistics of the evaluation protocol (DESIGN section 7), vectorized over the last axis.

Costs are implementation shortfall in bps of arrival notional, signed (positive = cost) and
never clipped. Comparisons with TWAP are paired: every strategy ran on the same price paths,
so the per-episode saving ``IS_twap - IS_s`` carries the comparison and its noise.

- ``cvar``: CVaR at level a is the mean of the worst (1 - a) share of outcomes, with the
  boundary episode counted fractionally (Acerbi-Tasche), so it is exact for any n and is
  always >= the a-quantile and >= the mean.
- ``bootstrap_weights`` + ``paired_improvement``: percentile bootstrap of the paired
  improvement. One draw of B resamples (multinomial counts) is applied to every strategy at
  once as a matrix product, which keeps the resampling paired and costs one BLAS call.
- ``holm``: the Holm-Bonferroni step-down correction. We use it, rather than
  Benjamini-Hochberg, across scenarios because scenarios share model structure and seeds
  overlap in nothing we can rely on: Holm controls the family-wise error under any dependence,
  BH only under positive dependence, and a desk acts on each "beats TWAP here" claim alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats

CVAR_LEVEL = 0.95
CI_LEVEL = 0.95


def cvar(costs: np.ndarray, level: float = CVAR_LEVEL) -> np.ndarray:
    """Mean of the worst ``1 - level`` share of ``costs`` along the last axis (fractional tail)."""
    x = np.sort(np.asarray(costs, dtype=float), axis=-1)[..., ::-1]
    n = x.shape[-1]
    if n == 0 or not 0 < level < 1:
        raise ValueError(f"cvar needs at least one cost and 0 < level < 1, got n={n}, level={level}")
    tail = (1.0 - level) * n  # number of episodes in the tail, possibly fractional
    whole = int(np.floor(tail + 1e-9))
    weights = np.zeros(n)
    weights[:whole] = 1.0
    if whole < n:
        weights[whole] = tail - whole
    return (x @ weights) / tail


def quantile(costs: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile along the last axis (linear interpolation between order statistics)."""
    return np.quantile(np.asarray(costs, dtype=float), q, axis=-1)


@cache
def bootstrap_weights(n: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) resample counts: row b says how often each episode appears in resample b.

    Cached and read-only: every scenario with n episodes reuses the same resamples.
    """
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)
    weights.flags.writeable = False
    return weights


def relative_improvement_pct(twap_mean: np.ndarray, strategy_mean: np.ndarray) -> np.ndarray:
    """100 (IS_twap - IS_s) / |IS_twap|: positive = cheaper than TWAP, also when TWAP earns."""
    twap_mean = np.asarray(twap_mean, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100.0 * (twap_mean - strategy_mean) / np.abs(twap_mean)
    return np.where(twap_mean != 0, out, np.nan)


@dataclass(frozen=True)
class PairedComparison:
    """Strategy vs TWAP on the same episodes; arrays have the leading shape of the inputs."""

    improvement_bps: np.ndarray  # mean of IS_twap - IS_s
    improvement_se_bps: np.ndarray  # its standard error
    improvement_pct: np.ndarray  # relative_improvement_pct of the means
    ci95_low_pct: np.ndarray  # percentile bootstrap CI of improvement_pct
    ci95_high_pct: np.ndarray
    ci95_low_bps: np.ndarray  # percentile bootstrap CI of improvement_bps
    ci95_high_bps: np.ndarray
    p_value: np.ndarray  # two-sided paired t-test of mean saving = 0 (uncorrected)
    sharpe: np.ndarray  # mean saving / std of saving, per episode (NaN when the saving is constant)


def paired_improvement(twap: np.ndarray, strategy: np.ndarray, weights: np.ndarray) -> PairedComparison:
    """Compare ``strategy`` with ``twap`` episode by episode (arrays (..., n), same paths).

    ``weights`` is ``bootstrap_weights(n, ...)``; the same resamples serve every row.
    """
    twap = np.asarray(twap, dtype=float)
    strategy = np.asarray(strategy, dtype=float)
    if twap.shape != strategy.shape:
        raise ValueError(f"paired comparison needs equal shapes, got {twap.shape} and {strategy.shape}")
    n = twap.shape[-1]
    if weights.shape[1] != n:
        raise ValueError(f"bootstrap weights are for {weights.shape[1]} episodes, the data has {n}")
    saving = twap - strategy
    mean = saving.mean(axis=-1)
    std = saving.std(axis=-1, ddof=1) if n > 1 else np.zeros_like(mean)
    se = std / np.sqrt(n)
    # resampled means, shape (..., B): one matrix product per input
    boot_twap = twap @ weights.T / n
    boot_saving = saving @ weights.T / n
    alpha = (1.0 - CI_LEVEL) / 2
    boot_pct = relative_improvement_pct(boot_twap, boot_twap - boot_saving)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = mean / se
        p = 2.0 * stats.t.sf(np.abs(t), df=max(n - 1, 1))
        sharpe = mean / std
    constant = std <= 1e-12 * np.maximum(np.abs(twap).mean(axis=-1), 1.0)
    p = np.where(constant, np.where(np.abs(mean) > 1e-12, 0.0, 1.0), p)
    sharpe = np.where(constant, np.nan, sharpe)
    return PairedComparison(
        improvement_bps=mean,
        improvement_se_bps=se,
        improvement_pct=relative_improvement_pct(twap.mean(axis=-1), strategy.mean(axis=-1)),
        ci95_low_pct=np.quantile(boot_pct, alpha, axis=-1),  # NaN if a resample's TWAP mean is exactly 0
        ci95_high_pct=np.quantile(boot_pct, 1 - alpha, axis=-1),
        ci95_low_bps=np.quantile(boot_saving, alpha, axis=-1),
        ci95_high_bps=np.quantile(boot_saving, 1 - alpha, axis=-1),
        p_value=p,
        sharpe=sharpe,
    )


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values of one family (1-d; NaN entries stay NaN, excluded)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p))
    m = valid.size
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def oracle_efficiency(
    twap_mean: np.ndarray, strategy_mean: np.ndarray, oracle_mean: np.ndarray, room_se: np.ndarray, min_z: float = 2.0
) -> np.ndarray:
    """(IS_twap - IS_s) / (IS_twap - IS_oracle): the share of the attainable saving realised.

    NaN where the oracle's saving over TWAP is not above ``min_z`` standard errors
    (``room_se``): there is then no room to measure efficiency against (e.g. a risk-averse
    oracle that accepts a higher mean IS for a lower variance).
    """
    room = np.asarray(twap_mean, dtype=float) - oracle_mean
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = (np.asarray(twap_mean, dtype=float) - strategy_mean) / room
    return np.where(room > min_z * np.asarray(room_se, dtype=float), eff, np.nan)
