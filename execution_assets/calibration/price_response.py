"""Permanent and transient impact from the mid's 1-second response to signed order flow.

Model (DESIGN section 4, the synthetic market's exactly): with ``x_k`` the net aggressor
volume of second ``k`` as a fraction of ADV and ``r_k`` the log-mid change over second ``k``,

    r_k = c_session + gamma sign(x_k)|x_k|^delta + kappa [x_k - (1 - phi) S_k] + e_k,
    S_k = sum_{j<k} phi^(k-1-j) x_j,   phi = exp(-rho),

i.e. a permanent power-law response plus an Obizhaeva-Wang transient ``kappa e^{-rho t}``
(the cumulative response to a unit of flow is ``gamma + kappa e^{-rho t}`` when delta = 1).
Fitted by nonlinear least squares over all sessions (one intercept per session absorbs
drift), with cluster-robust standard errors over 5-minute blocks. The flow is assumed
exogenous to the noise ``e`` (no reverse causality from the same second's returns): true in
the synthetic market, an approximation on real data, where it biases the response upwards.

Identification, decided by the data and reported, never guessed:
- the transient needs kappa significantly > 0; otherwise kappa and rho are NULL (no transient
  is detectable, and rho is meaningless without one) and the permanent part is refitted alone;
- the exponent needs gamma significantly > 0; otherwise delta is NULL and gamma is linear;
- gamma at a free delta is an extrapolation from second-sized flows (|x| ~ 1e-4) to x = 1,
  so its error is ~|ln x| times delta's. The linear model (delta = 1, DESIGN's default) is
  kept unless delta's 95% interval excludes 1; then gamma, kappa, rho come from the linear fit
  and ``delta`` is 1 with the free fit's interval (``delta_free`` keeps the free estimate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.linalg import solve_toeplitz, toeplitz
from scipy.signal import lfilter

from execution_assets.calibration.estimate import Estimate
from execution_assets.calibration.regression import NlsResult, fit_nls

BLOCK_SECONDS = 300
MIN_RETURNS = 600
MIN_FLOW_SECONDS = 100
RHO_GRID = np.geomspace(0.003, 3.0, 13)
DELTA_GRID = (0.3, 0.5, 0.7, 1.0, 1.3)
DELTA_BOUNDS = (0.05, 3.0)
RHO_BOUNDS = (1e-4, 20.0)


@dataclass(frozen=True)
class Session:
    """One session on the 1-second grid from the open."""

    date: dt.date
    log_mid: np.ndarray  # (n,) log mid at the end of second k; NaN where no snapshot
    x: np.ndarray  # (n,) net aggressor volume of second k / ADV; 0 without trades


def sessions_from_flow(flow_1s: pl.DataFrame, adv_shares: float) -> list[Session]:
    """Sessions from ``date, second, mid, signed_volume_1s`` rows (sql/calibration/flow_1s.sql),
    flow as a fraction of ``adv_shares``."""
    if not adv_shares > 0:
        raise ValueError(f"ADV must be > 0 shares, got {adv_shares!r}")
    sessions = []
    for (date,), day in flow_1s.sort("date", "second").group_by("date", maintain_order=True):
        second = day["second"].to_numpy()
        if second.min() < 0:
            raise ValueError(f"session {date}: second {second.min()} before the open")
        n = int(second.max()) + 1
        log_mid = np.full(n, np.nan)
        x = np.zeros(n)
        log_mid[second] = np.log(day["mid"].to_numpy())
        x[second] = day["signed_volume_1s"].to_numpy() / adv_shares
        sessions.append(Session(date, log_mid, x))
    return sessions


def _power(x: np.ndarray, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """sign(x)|x|^delta and its derivative in delta (0 where x = 0)."""
    nonzero = np.flatnonzero(x)
    return _power_nonzero(len(x), nonzero, np.sign(x[nonzero]), np.log(np.abs(x[nonzero])), delta)


def _power_nonzero(
    n: int, nonzero: np.ndarray, sign: np.ndarray, log_abs: np.ndarray, delta: float
) -> tuple[np.ndarray, np.ndarray]:
    values = sign * np.exp(delta * log_abs)
    f = np.zeros(n)
    d = np.zeros(n)
    f[nonzero] = values
    d[nonzero] = values * log_abs
    return f, d


def _transient(x: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """z_k = x_k - (1 - phi) S_k and dz/drho along the last axis (seconds of a session)."""
    phi = np.exp(-rho)
    s = lfilter([0.0, 1.0], [1.0, -phi], x, axis=-1)
    ds_dphi = lfilter([0.0, 0.0, 1.0], [1.0, -2.0 * phi, phi * phi], x, axis=-1)
    z = x - (1.0 - phi) * s
    return z, (s - (1.0 - phi) * ds_dphi) * -phi


class ResponseData:
    """The regression's observations: valid 1-second returns and their session's flow."""

    def __init__(self, sessions: Sequence[Session], block_seconds: int = BLOCK_SECONDS):
        self.sessions = [s for s in sessions if np.isfinite(np.diff(s.log_mid)).sum() >= 2]
        n = max((len(s.x) for s in self.sessions), default=1)
        # sessions as rows, zero-padded at the end (padding never feeds back into real seconds)
        self.flow = np.zeros((len(self.sessions), n))
        returns = np.full((len(self.sessions), n - 1), np.nan)
        for i, s in enumerate(self.sessions):
            self.flow[i, : len(s.x)] = s.x
            returns[i, : len(s.x) - 1] = np.diff(s.log_mid)
        self.valid = np.isfinite(returns)  # row-major boolean selection = sessions concatenated
        self.counts = self.valid.sum(axis=1)
        self.starts = np.r_[0, np.cumsum(self.counts)[:-1]].astype(int)
        self.x = self.flow[:, 1:][self.valid]
        self.y = self.demean(returns[self.valid]) if self.sessions else np.zeros(0)
        rows, seconds = np.nonzero(self.valid)
        self.clusters = rows * 1_000_000 + (seconds + 1) // block_seconds
        self._nonzero = np.flatnonzero(self.x)
        self._sign = np.sign(self.x[self._nonzero])
        self._log_abs_x = np.log(np.abs(self.x[self._nonzero]))

    def power(self, delta: float) -> tuple[np.ndarray, np.ndarray]:
        return _power_nonzero(len(self.x), self._nonzero, self._sign, self._log_abs_x, delta)

    def demean(self, values: np.ndarray) -> np.ndarray:
        means = np.add.reduceat(values, self.starts, axis=0) / self.counts.reshape(-1, *([1] * (values.ndim - 1)))
        return values - np.repeat(means, self.counts, axis=0)

    def transient(self, rho: float) -> tuple[np.ndarray, np.ndarray]:
        z, dz = _transient(self.flow, rho)
        return z[:, 1:][self.valid], dz[:, 1:][self.valid]

    def model(self, free: Sequence[str], fixed: Mapping[str, float]):
        """(prediction, jacobian) of the demeaned response as a function of the ``free`` parameters."""
        cache: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

        def evaluate(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            key = np.asarray(theta, dtype=float).tobytes()
            if key not in cache:
                cache.clear()
                cache[key] = compute(theta)
            return cache[key]

        def compute(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            p = {**fixed, **dict(zip(free, theta))}
            f, df = self.power(p["delta"])
            columns = {"gamma": f, "delta": p["gamma"] * df}
            prediction = p["gamma"] * f
            if "kappa" in free or p.get("kappa", 0.0) != 0.0:
                z, dz = self.transient(p["rho"])
                prediction = prediction + p["kappa"] * z
                columns |= {"kappa": z, "rho": p["kappa"] * dz}
            stacked = self.demean(np.column_stack([prediction, *(columns[name] for name in free)]))
            return stacked[:, 0], stacked[:, 1:]

        return evaluate

    def impact_paths(self, gamma: float, delta: float, kappa: float, rho: float) -> list[np.ndarray]:
        """Per session, the log-mid path with the fitted impact of the flow taken out, from its
        first to its last observed second (so its length is the part of the day it covers)."""
        paths = []
        for s in self.sessions:
            impact = gamma * _power(s.x, delta)[0]
            if kappa:
                impact = impact + kappa * _transient(s.x, rho)[0]
            filled = pl.Series(s.log_mid).fill_nan(None).fill_null(strategy="forward").to_numpy()
            observed = np.flatnonzero(np.isfinite(s.log_mid))
            span = slice(observed[0], observed[-1] + 1)
            paths.append(filled[span] - np.cumsum(np.r_[0.0, impact[1:]])[span])
        return paths

    def start(self) -> dict[str, float]:
        """Starting values: the best (delta, rho) on a grid, with gamma and kappa by OLS there
        (variable projection: the model is linear in gamma and kappa). One Gram matrix of all
        grid columns serves every grid point."""
        columns = [self.power(float(delta))[0] for delta in DELTA_GRID]
        columns += [self.transient(float(rho))[0] for rho in RHO_GRID]
        design = self.demean(np.column_stack(columns))
        gram, moments, total = design.T @ design, design.T @ self.y, float(np.sum(self.y**2))
        best = None
        for i, delta in enumerate(DELTA_GRID):
            for j, rho in enumerate(RHO_GRID, start=len(DELTA_GRID)):
                pair = [i, j]
                coef = np.linalg.lstsq(gram[np.ix_(pair, pair)], moments[pair], rcond=None)[0]
                sse = total - float(coef @ moments[pair])
                if best is None or sse < best[0]:
                    best = (sse, {"gamma": coef[0], "delta": float(delta), "kappa": coef[1], "rho": float(rho)})
        return best[1]


@dataclass(frozen=True)
class PriceResponseFit:
    gamma: Estimate
    delta: Estimate
    delta_free: Estimate
    kappa: Estimate
    rho: Estimate
    n_obs: int
    r2: float | None
    data: ResponseData
    final: NlsResult | None  # the reported model's fit (None when nothing could be fitted)

    def params(self) -> dict[str, float]:
        """Point values for prediction, with a missing transient as none and a missing delta as 1."""
        return {
            "gamma": self.gamma.value or 0.0,
            "delta": self.delta.value if self.delta.ok else 1.0,
            "kappa": self.kappa.value if self.kappa.ok and self.rho.ok else 0.0,
            "rho": self.rho.value if self.kappa.ok and self.rho.ok else 1.0,
        }

    def permanent_impact(self, size_frac_adv: float) -> Estimate:
        """gamma X^delta for an order of X ADV, with a delta-method interval. This is what the
        data pin down near X = 1e-3..1e-2; gamma alone is the extrapolation to X = 1."""
        if not self.gamma.ok or self.final is None:
            return Estimate.missing(self.gamma.reason or "no permanent impact fitted")
        p = self.params()
        value = p["gamma"] * size_frac_adv ** p["delta"]
        gradient = np.zeros(len(self.final.names))
        gradient[self.final.names.index("gamma")] = size_frac_adv ** p["delta"]
        if "delta" in self.final.names:
            gradient[self.final.names.index("delta")] = value * np.log(size_frac_adv)
        se = float(np.sqrt(max(gradient @ self.final.cov @ gradient, 0.0)))
        return Estimate.normal(value, se, "permanent impact")

    def residual_paths(self) -> list[np.ndarray]:
        p = self.params()
        return self.data.impact_paths(p["gamma"], p["delta"], p["kappa"], p["rho"])


_BOUNDS = {
    "gamma": (-np.inf, np.inf),
    "delta": DELTA_BOUNDS,
    "kappa": (-np.inf, np.inf),
    "rho": RHO_BOUNDS,
}


def _fit(data: ResponseData, free: Sequence[str], fixed: Mapping[str, float], start: Mapping[str, float]) -> NlsResult:
    return fit_nls(
        data.model(free, fixed),
        data.y,
        free,
        [start[n] for n in free],
        [_BOUNDS[n][0] for n in free],
        [_BOUNDS[n][1] for n in free],
        data.clusters,
    )


def fit_price_response(sessions: Sequence[Session], block_seconds: int = BLOCK_SECONDS) -> PriceResponseFit:
    """Estimate gamma, delta, kappa and rho (see the module docstring for the model and rules)."""
    data = ResponseData(sessions, block_seconds)
    n_obs, n_flow = len(data.y), int(np.count_nonzero(data.x))
    thin = None
    if n_obs < MIN_RETURNS:
        thin = f"only {n_obs} one-second returns (need {MIN_RETURNS})"
    elif n_flow < MIN_FLOW_SECONDS:
        thin = f"only {n_flow} seconds with trades (need {MIN_FLOW_SECONDS})"
    elif not np.any(data.y):
        thin = "the mid never moves"
    if thin:
        missing = Estimate.missing(thin)
        return PriceResponseFit(missing, missing, missing, missing, missing, n_obs, None, data, None)

    start = data.start()
    full = _fit(data, ("gamma", "delta", "kappa", "rho"), {}, start)
    kappa, rho = full.estimate("kappa"), full.estimate("rho", log_scale=True)
    transient = kappa.significant() and kappa.value > 0 and rho.ok
    if not transient:
        if not kappa.ok:
            why = f"transient impact not identified ({kappa.reason})"
        elif kappa.significant():  # significantly < 0: the response grows after trades
            why = (
                f"the response grows after trades instead of decaying (kappa = {kappa.value:.3g}, 95% CI "
                f"[{kappa.ci_low:.3g}, {kappa.ci_high:.3g}]): no Obizhaeva-Wang transient to fit"
            )
        else:
            why = (
                f"no significant transient impact (kappa = {kappa.value:.3g}, 95% CI "
                f"[{kappa.ci_low:.3g}, {kappa.ci_high:.3g}])"
            )
        kappa = Estimate.missing(why)
        rho = Estimate.missing(f"undefined without a transient impact: {why}")
    with_transient = ("kappa", "rho") if transient else ()
    no_transient = {} if transient else {"kappa": 0.0, "rho": 1.0}
    current = full if transient else _fit(data, ("gamma", "delta"), no_transient, start)
    start = {**start, **dict(zip(current.names, current.theta))}

    gamma_free = current.estimate("gamma")
    delta_free = current.estimate("delta")
    if not (gamma_free.significant() and gamma_free.value > 0):
        delta_free = Estimate.missing(
            f"no significant permanent impact to shape (gamma = {current.value('gamma'):.3g} at free delta)"
        )
    linear = not delta_free.ok or delta_free.covers(1.0)
    final = _fit(data, ("gamma", *with_transient), {"delta": 1.0, **no_transient}, start) if linear else current
    if delta_free.ok:
        delta = Estimate(1.0, delta_free.ci_low, delta_free.ci_high) if linear else delta_free
    else:
        delta = delta_free
    if transient:
        kappa, rho = final.estimate("kappa"), final.estimate("rho", log_scale=True)
    return PriceResponseFit(final.estimate("gamma"), delta, delta_free, kappa, rho, n_obs, final.r2, data, final)


def transient_response(fit: PriceResponseFit, max_lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model-free check of the kernel: lags, cumulative response to a unit of flow after the
    fitted permanent part is removed, and its standard error.

    Distributed-lag regression of the returns on x_k, ..., x_{k - max_lag}; its normal equations
    are Toeplitz (sums of lagged products of the flow), computed by FFT per session and solved by
    Levinson recursion. Edge terms of the sums (the first ``max_lag`` seconds, missing returns)
    are ignored: a diagnostic, not an estimator.
    """
    data, p = fit.data, fit.params()
    y = data.y - data.demean(p["gamma"] * data.power(p["delta"])[0])
    n = data.flow.shape[1]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    y_grid = np.zeros_like(data.flow)
    y_grid[:, 1:][data.valid] = y
    spectrum_x = np.fft.rfft(data.flow, size, axis=1)
    spectrum_y = np.fft.rfft(y_grid, size, axis=1)
    autocov = np.fft.irfft(np.sum(np.abs(spectrum_x) ** 2, axis=0), size)[: max_lag + 1]
    cross = np.fft.irfft(np.sum(spectrum_y * np.conj(spectrum_x), axis=0), size)[: max_lag + 1]
    coef = solve_toeplitz(autocov, cross)
    residual_var = max(float(y @ y) - float(coef @ cross), 0.0) / max(len(y) - max_lag - 1, 1)
    cov = np.linalg.inv(toeplitz(autocov)) * residual_var
    ones = np.tril(np.ones((max_lag + 1, max_lag + 1)))
    se = np.sqrt(np.einsum("ij,jk,ik->i", ones, cov, ones))
    return np.arange(max_lag + 1), np.cumsum(coef), se
