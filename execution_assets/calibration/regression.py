"""Nonlinear least squares with a cluster-robust (sandwich) covariance, shared by the fits.

Fit residuals are heteroskedastic (the intraday volatility U-shape) and autocorrelated over a
few seconds (tick rounding, the alpha signal), so standard errors cluster the scores by
blocks of consecutive seconds (Liang and Zeger, 1986; Cameron and Miller, 2015).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from execution_assets.calibration.estimate import Estimate


@dataclass(frozen=True)
class NlsResult:
    names: tuple[str, ...]
    theta: np.ndarray
    cov: np.ndarray
    residual: np.ndarray
    r2: float
    n_obs: int
    at_bound: tuple[str, ...]  # parameters that ended on a search bound (no valid interval)

    def value(self, name: str) -> float:
        return float(self.theta[self.names.index(name)])

    def estimate(self, name: str, log_scale: bool = False) -> Estimate:
        """95% interval; ``log_scale`` builds it on log(value) (for rates that must stay > 0)."""
        i = self.names.index(name)
        value, se = float(self.theta[i]), float(np.sqrt(max(self.cov[i, i], 0.0)))
        if name in self.at_bound:
            return Estimate.missing(f"{name} ended on its search bound ({value:.4g}): not identified")
        if log_scale and value > 0:
            log_estimate = Estimate.normal(np.log(value), se / value, name)
            if not log_estimate.ok:
                return log_estimate
            return Estimate(value, float(np.exp(log_estimate.ci_low)), float(np.exp(log_estimate.ci_high)))
        return Estimate.normal(value, se, name)


def cluster_covariance(jacobian: np.ndarray, residual: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Sandwich covariance ``B M B`` with ``B = (J'J)^-1`` and ``M`` the clustered score outer product."""
    bread = np.linalg.pinv(jacobian.T @ jacobian)
    _, index = np.unique(clusters, return_inverse=True)
    scores = np.zeros((index.max() + 1, jacobian.shape[1]))
    np.add.at(scores, index, jacobian * residual[:, None])
    n_clusters, n_params = scores.shape
    correction = n_clusters / max(n_clusters - 1, 1)
    return correction * bread @ (scores.T @ scores) @ bread


def fit_nls(
    model: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    y: np.ndarray,
    names: Sequence[str],
    start: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    clusters: np.ndarray,
) -> NlsResult:
    """Minimize ``|y - prediction(theta)|^2``; ``model(theta)`` returns (prediction, jacobian)."""
    start = np.clip(np.asarray(start, dtype=float), lower, upper)
    scale = np.maximum(np.abs(start), 1e-12)
    solution = least_squares(
        lambda t: model(t * scale)[0] - y,
        start / scale,
        jac=lambda t: model(t * scale)[1] * scale,
        bounds=(np.asarray(lower) / scale, np.asarray(upper) / scale),
        method="trf",
        x_scale="jac",
        xtol=1e-10,
        ftol=1e-12,
    )
    theta = solution.x * scale
    prediction, jacobian = model(theta)
    residual = y - prediction
    at_bound = tuple(
        name
        for name, value, lo, hi in zip(names, theta, lower, upper)
        if any(np.isfinite(b) and abs(value - b) <= 1e-6 * max(abs(b), 1e-12) for b in (lo, hi))
    )
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residual @ residual) / total if total > 0 else float("nan")
    cov = cluster_covariance(jacobian, residual, clusters)
    return NlsResult(tuple(names), theta, cov, residual, r2, len(y), at_bound)
