"""How the order book predicts forward mid returns: the short-horizon alpha signal.

For each horizon ``h`` (seconds) the scenarios' decisions are taken at (each grid horizon
divided by its step count, ``scenarios.n_steps_for``: 5, 30, 60 and 390 s on a US-equity day),
and 1 s, the forward log mid return over ``[t, t + h]`` (bps; both mids of the same date, so a
return never crosses a day) is regressed on each predictor separately::

    r(t, t + h) = a + b_h z(t) + e,     z = (x - mean) / std   (over the window's seconds)

- ``imbalance_1``: level-1 size imbalance ``(bid - ask) / (bid + ask)``;
- ``imbalance_5``: the same over levels 1-5;
- ``signed_flow``: aggressor-signed volume over the previous ``h`` seconds ``(t - h, t]``, in
  shares, standardized by its own std over the window (per horizon): no ADV is needed, and the
  coefficient is per one standard deviation like the imbalances'.

So ``b_h`` is bps of return over ``h`` per one standard deviation of the predictor. Samples are
non-overlapping (``t`` a multiple of ``h`` on the trading clock): the returns of consecutive
samples share no second. Their standard errors are still Newey-West (HAC, Bartlett kernel,
``floor(4 (n / 100)^(2/9))`` lags, autocovariances within a day only): the quoted mid's tick
rounding makes consecutive non-overlapping returns negatively correlated and the predictor is
persistent, which plain OLS errors ignore. Intervals are ``b +- 1.96 se``.

Significance: a predictor "rejects zero" at a horizon when its Holm-adjusted p-value (Holm
1979; family: that predictor's horizons, 1 s included) is below 0.05, i.e. its Holm-step
interval excludes 0. A predictor is significant when it rejects zero at one of the scenarios'
decision intervals at least (the 1-s row alone does not count).

Decay: the simulator's signal (``ExecutionProblem``: an OU signal ``I`` of unit variance, mean
reversion ``theta`` per second, drift ``A`` bps/s per unit) predicts ``E[r over h | I] = A (1 -
exp(-theta h)) / theta``. That curve is fitted to the level-1 coefficients across the horizons
by weighted nonlinear least squares (weights ``1 / se_h^2``; ``theta`` on a log grid over
``THETA_BOUNDS``, ``A`` profiled out in closed form, then refined). Intervals come from a
moving-block bootstrap (blocks of ``BLOCK_SECONDS`` seconds of one day, drawn with replacement;
``N_BOOTSTRAP`` replicates, fixed seed): each replicate recomputes every horizon's coefficient
from the blocks drawn and refits the curve; the 2.5% and 97.5% percentiles bound A and theta.
(The coefficients at different horizons share data and are correlated, which per-horizon
standard errors cannot express; days alone are too few clusters for a bootstrap.)

The fitted ``A`` is the predictive power of the *observed* imbalance: where the book is a noisy
proxy of the true signal (the synthetic market's level-1 sizes are tilted by the hidden OU
signal plus noise) it is attenuated by their correlation; ``theta`` is not (the noise does not
change how fast the prediction decays). That is the strength an agent that sees the book can use.

The signal is "significant" (and scenarios use ``A`` and ``theta``) when the level-1 imbalance is
significant as above, the fit's ``A`` interval lies above 0 and neither interval reaches a bound
of the ``theta`` search; otherwise ``reason`` says which failed. Nothing is ever NaN: a number
the data cannot give is NULL with its reason.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import polars as pl
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from execution_assets.calibration.estimate import Estimate
from execution_assets.market import reference
from execution_assets.scenarios import horizons_for, n_steps_for
from execution_assets.warehouse import replace_partition, run_sql_file

PREDICTORS = ("imbalance_1", "imbalance_5", "signed_flow")
DECAY_PREDICTOR = "imbalance_1"
LEVEL = 0.05  # family-wise error rate of the Holm procedure
MIN_OBS = 30  # samples a horizon's regression needs
BLOCK_SECONDS = 1800  # bootstrap block: half an hour of one day
MIN_BLOCKS = 10  # blocks a bootstrap interval needs
N_BOOTSTRAP = 500
THETA_BOUNDS = (1e-4, 20.0)  # search range of the mean reversion, per second
_THETA_GRID = np.geomspace(*THETA_BOUNDS, 2001)  # 0.6% apart


def signal_horizons(session_seconds: float) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(every horizon regressed, the scenarios' decision intervals), in seconds, ascending.

    The decision intervals are each grid horizon (``scenarios.horizons_for``) over its step
    count (``scenarios.n_steps_for``); 1 s is added for the decay fit."""
    decisions = sorted({int(h) // n_steps_for(h) for h in horizons_for(float(session_seconds))})
    return tuple(sorted({1, *decisions})), tuple(decisions)


@dataclass(frozen=True)
class Regression:
    """One predictor regressed at one horizon (see the module docstring for the units)."""

    predictor: str
    horizon_s: int
    decision_interval: bool  # one of the scenarios' decision intervals (else the 1-s row)
    n_obs: int  # non-overlapping samples
    predictor_mean: float | None  # over the window's seconds, in the predictor's units
    predictor_std: float | None
    coef_bps: Estimate  # bps over h per one std of the predictor, 95% HAC interval
    se_bps: float | None = None
    t_stat: float | None = None
    p_value: float | None = None  # two-sided, unadjusted
    r2: float | None = None
    hac_lags: int = 0
    p_value_holm: float | None = None

    @property
    def rejects_zero(self) -> bool | None:
        """Holm-adjusted p < LEVEL (None when not tested)."""
        return None if self.p_value_holm is None else self.p_value_holm < LEVEL

    @property
    def null_reason(self) -> str | None:
        return self.coef_bps.reason


@dataclass(frozen=True)
class DecayFit:
    """``A (1 - exp(-theta h)) / theta`` fitted to the level-1 coefficients."""

    alpha_bps_per_s: Estimate
    mean_reversion_per_s: Estimate
    n_bootstrap: int  # replicates behind the intervals (0: none)
    n_blocks: int  # bootstrap blocks in the window
    horizons_s: tuple[int, ...] = ()  # horizons the curve was fitted to

    def predicted_bps(self, horizon_s: float) -> float | None:
        a, theta = self.alpha_bps_per_s.value, self.mean_reversion_per_s.value
        if a is None or theta is None:
            return None
        return float(a * -math.expm1(-theta * horizon_s) / theta)

    @classmethod
    def without_interval(cls, a: float, theta: float, reason: str, n_blocks: int, horizons_s: tuple[int, ...]) -> DecayFit:
        """A point fit without an interval: NULL (every stored value has one), the point
        estimates kept in the reason."""
        detail = f"{reason} (point fit A = {a:.4g} bps/s, theta = {theta:.4g}/s)"
        return cls(Estimate.missing(detail), Estimate.missing(detail), 0, n_blocks, horizons_s)


@dataclass(frozen=True)
class SignalCalibration:
    """One instrument's signal calibration over a window of sessions."""

    instrument: str
    as_of: dt.date
    window_start: dt.date
    n_days: int  # sessions with book seconds
    session_seconds: int
    regressions: list[Regression]
    decay: DecayFit
    significant: bool
    reason: str | None  # why not significant (None when significant)
    block_seconds: int = BLOCK_SECONDS
    scales: dict[str, float | None] = field(default_factory=dict)  # imbalance means and stds

    def regression(self, predictor: str, horizon_s: int) -> Regression:
        for r in self.regressions:
            if r.predictor == predictor and r.horizon_s == horizon_s:
                return r
        raise KeyError(f"no regression of {predictor} at {horizon_s} s")

    def rows(self, calibrated_at: dt.datetime) -> pl.DataFrame:
        """The ``calibration.signal_params`` rows (sql/ddl/calibration_signal_params.sql)."""
        fit = {
            **self.decay.alpha_bps_per_s.columns("alpha_bps_per_s"),
            **self.decay.mean_reversion_per_s.columns("mean_reversion_per_s"),
            "decay_n_bootstrap": self.decay.n_bootstrap,
            "bootstrap_block_s": self.block_seconds,
            "significant": self.significant,
            "reason": self.reason,
            "calibrated_at": calibrated_at,
        }
        records = []
        for r in self.regressions:
            record = {
                "instrument": self.instrument,
                "as_of": self.as_of,
                "window_start": self.window_start,
                "n_days": self.n_days,
                "session_seconds": self.session_seconds,
                "predictor": r.predictor,
                "horizon_s": r.horizon_s,
                "decision_interval": r.decision_interval,
                "n_obs": r.n_obs,
                **r.coef_bps.columns("coef_bps"),
                "coef_se_bps": r.se_bps,
                "t_stat": r.t_stat,
                "p_value": r.p_value,
                "p_value_holm": r.p_value_holm,
                "rejects_zero": r.rejects_zero,
                "r2": r.r2,
                "hac_lags": r.hac_lags,
                "predictor_mean": r.predictor_mean,
                "predictor_std": r.predictor_std,
                "decay_fit_bps": self.decay.predicted_bps(r.horizon_s) if r.predictor == DECAY_PREDICTOR else None,
                "null_reason": r.null_reason,
                **fit,
            }
            for name, value in record.items():
                if isinstance(value, float) and not math.isfinite(value):
                    raise ValueError(f"signal calibration of {self.instrument}: {name} = {value} is not finite")
            records.append(record)
        return pl.DataFrame(records, schema=ROW_SCHEMA)


ROW_SCHEMA: dict[str, pl.DataType] = {
    "instrument": pl.String(),
    "as_of": pl.Date(),
    "window_start": pl.Date(),
    "n_days": pl.Int32(),
    "session_seconds": pl.Int32(),
    "predictor": pl.String(),
    "horizon_s": pl.Int32(),
    "decision_interval": pl.Boolean(),
    "n_obs": pl.Int64(),
    "coef_bps": pl.Float64(),
    "coef_bps_ci_low": pl.Float64(),
    "coef_bps_ci_high": pl.Float64(),
    "coef_se_bps": pl.Float64(),
    "t_stat": pl.Float64(),
    "p_value": pl.Float64(),
    "p_value_holm": pl.Float64(),
    "rejects_zero": pl.Boolean(),
    "r2": pl.Float64(),
    "hac_lags": pl.Int32(),
    "predictor_mean": pl.Float64(),
    "predictor_std": pl.Float64(),
    "decay_fit_bps": pl.Float64(),
    "null_reason": pl.String(),
    "alpha_bps_per_s": pl.Float64(),
    "alpha_bps_per_s_ci_low": pl.Float64(),
    "alpha_bps_per_s_ci_high": pl.Float64(),
    "mean_reversion_per_s": pl.Float64(),
    "mean_reversion_per_s_ci_low": pl.Float64(),
    "mean_reversion_per_s_ci_high": pl.Float64(),
    "decay_n_bootstrap": pl.Int32(),
    "bootstrap_block_s": pl.Int32(),
    "significant": pl.Boolean(),
    "reason": pl.String(),
    "calibrated_at": pl.Datetime("us"),
}


# ---------------------------------------------------------------- the window as dense arrays


@dataclass(frozen=True)
class _Grid:
    """The window's seconds as (day, trading-clock second) arrays, NaN where no snapshot."""

    log_mid: np.ndarray
    predictors: dict[str, np.ndarray]  # imbalance_1, imbalance_5
    flow: np.ndarray  # signed volume of the second, 0 where no snapshot
    present: np.ndarray  # bool: a snapshot row in that second


def _grid(frame: pl.DataFrame, session_seconds: int) -> _Grid:
    dates = frame["date"].unique().sort().cast(pl.Int64).to_numpy()
    n_days = len(dates)
    day_index = np.searchsorted(dates, frame["date"].cast(pl.Int64).to_numpy())
    second = frame["second"].to_numpy().astype(np.int64)
    if second.size and (second.min() < 0 or second.max() >= session_seconds):
        raise ValueError(f"trading-clock seconds outside [0, {session_seconds})")

    def dense(values: np.ndarray, fill: float) -> np.ndarray:
        out = np.full((n_days, session_seconds), fill)
        out[day_index, second] = values
        return out

    mid = frame["mid"].cast(pl.Float64).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mid = np.where(mid > 0, np.log(mid), np.nan)
    predictors = {
        name: dense(frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy(), np.nan)
        for name in ("imbalance_1", "imbalance_5")
    }
    flow = dense(frame["signed_volume_1s"].cast(pl.Float64).fill_null(0.0).to_numpy(), 0.0)
    present = np.zeros((n_days, session_seconds), bool)
    present[day_index, second] = True
    return _Grid(dense(log_mid, np.nan), predictors, flow, present)


def _trailing_flow(grid: _Grid, h: int) -> np.ndarray:
    """Signed volume over seconds (t - h, t] of the same day, NaN unless all h are present."""
    n_days, n_seconds = grid.flow.shape
    zero = np.zeros((n_days, 1))
    volume = np.concatenate([zero, np.cumsum(grid.flow, axis=1)], axis=1)
    count = np.concatenate([zero, np.cumsum(grid.present, axis=1)], axis=1)
    out = np.full((n_days, n_seconds), np.nan)
    if h <= n_seconds:
        complete = count[:, h:] - count[:, :-h] == h
        out[:, h - 1 :] = np.where(complete, volume[:, h:] - volume[:, :-h], np.nan)
    return out


def _forward_return_bps(grid: _Grid, h: int) -> np.ndarray:
    """1e4 (log mid(t + h) - log mid(t)), both in the same day; NaN where either is missing."""
    out = np.full(grid.log_mid.shape, np.nan)
    if h < grid.log_mid.shape[1]:
        out[:, :-h] = (grid.log_mid[:, h:] - grid.log_mid[:, :-h]) * 1e4
    return out


# ---------------------------------------------------------------- one regression


def newey_west_lags(n: int) -> int:
    return int(math.floor(4 * (n / 100) ** (2 / 9))) if n > 0 else 0


def _regress(
    predictor: str, h: int, decision: bool, z: np.ndarray, y: np.ndarray, day: np.ndarray, mean: float, std: float
) -> Regression:
    """OLS of y on [1, z] with a Newey-West variance (autocovariances within a day)."""
    n = len(y)
    common = dict(predictor=predictor, horizon_s=h, decision_interval=decision, n_obs=n, predictor_mean=mean, predictor_std=std)
    if n < MIN_OBS:
        return Regression(**common, coef_bps=Estimate.missing(f"{n} non-overlapping samples (< {MIN_OBS})"))
    zc, yc = z - z.mean(), y - y.mean()
    sxx = float(zc @ zc)
    if not sxx > 0:
        return Regression(**common, coef_bps=Estimate.missing("the predictor does not vary across the samples"))
    b = float(zc @ yc) / sxx
    resid = yc - b * zc
    syy = float(yc @ yc)
    r2 = 1.0 - float(resid @ resid) / syy if syy > 0 else None
    if r2 is None:
        return Regression(**common, coef_bps=Estimate.missing("forward returns are all equal (no price move)"))
    score = zc * resid
    lags = newey_west_lags(n)
    meat = float(score @ score)
    for lag in range(1, min(lags, n - 1) + 1):
        same_day = day[lag:] == day[:-lag]
        meat += 2 * (1 - lag / (lags + 1)) * float(np.sum(score[lag:] * score[:-lag] * same_day))
    var = max(meat, 0.0) * n / (n - 2) / sxx**2
    se = math.sqrt(var)
    estimate = Estimate.normal(b, se, f"{predictor} coefficient at {h} s")
    if not estimate.ok or se == 0:
        return Regression(**common, coef_bps=estimate if not estimate.ok else Estimate.missing("zero standard error"))
    t = b / se
    return Regression(
        **common,
        coef_bps=estimate,
        se_bps=se,
        t_stat=t,
        p_value=float(2 * norm.sf(abs(t))),
        r2=float(r2),
        hac_lags=lags,
    )


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (None stays None and is not counted in the family)."""
    tested = [(p, i) for i, p in enumerate(p_values) if p is not None]
    out: list[float | None] = [None] * len(p_values)
    running, m = 0.0, len(tested)
    for rank, (p, i) in enumerate(sorted(tested)):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


# ---------------------------------------------------------------- the decay curve


def _profile(y: np.ndarray, w: np.ndarray, horizons: np.ndarray, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of ``y`` (replicates x horizons) and each theta: the weighted least-squares A
    and the criterion (sum w g y)^2 / sum w g^2 that the best theta maximizes."""
    g = -np.expm1(-np.outer(thetas, horizons)) / thetas[:, None]  # thetas x horizons
    gwg = (g * g) @ w
    gwy = (y * w) @ g.T  # replicates x thetas
    return gwy / gwg, gwy**2 / gwg


def _fit_curve(y: np.ndarray, w: np.ndarray, horizons: np.ndarray) -> tuple[float, float, bool]:
    """(A, theta, theta on a bound of the search) for one set of coefficients."""
    a_grid, crit = _profile(y[None, :], w, horizons, _THETA_GRID)
    i = int(np.argmax(crit[0]))
    if i in (0, len(_THETA_GRID) - 1):
        return float(a_grid[0, i]), float(_THETA_GRID[i]), True

    def loss(log_theta: float) -> float:
        return -float(_profile(y[None, :], w, horizons, np.array([math.exp(log_theta)]))[1][0, 0])

    best = minimize_scalar(
        loss, bounds=(math.log(_THETA_GRID[i - 1]), math.log(_THETA_GRID[i + 1])), method="bounded",
        options={"xatol": 1e-6},
    )  # fmt: skip
    theta = math.exp(best.x)
    a = float(_profile(y[None, :], w, horizons, np.array([theta]))[0][0, 0])
    return a, theta, False


def _seed(instrument: str, as_of: dt.date) -> int:
    return zlib.crc32(f"{instrument}|{as_of.isoformat()}".encode())


def fit_decay(
    regressions: Sequence[Regression],
    block_stats: dict[int, np.ndarray],
    seed: int,
    n_bootstrap: int = N_BOOTSTRAP,
) -> DecayFit:
    """Fit the decay curve to the level-1 regressions; ``block_stats[h]`` holds, per bootstrap
    block, (n, sum z, sum y, sum z^2, sum z y) of horizon h's samples."""
    usable = [r for r in regressions if r.coef_bps.ok and r.se_bps]
    n_blocks = next(iter(block_stats.values())).shape[0] if block_stats else 0
    if len(usable) < 3:
        reason = f"{len(usable)} horizons with a level-1 coefficient (the curve has 2 parameters: needs 3)"
        return DecayFit(Estimate.missing(reason), Estimate.missing(reason), 0, n_blocks)
    horizons = np.array([r.horizon_s for r in usable], float)
    y = np.array([r.coef_bps.value for r in usable])
    w = 1.0 / np.array([r.se_bps for r in usable]) ** 2
    a, theta, at_bound = _fit_curve(y, w, horizons)
    used = tuple(r.horizon_s for r in usable)
    if at_bound:
        side = "lower" if theta <= THETA_BOUNDS[0] else "upper"
        reason = (
            f"mean reversion ended on the {side} bound of its search ({theta:.3g}/s): "
            + ("the prediction does not level off within the horizons" if side == "lower"
               else "the prediction decays within a second")
        )
        return DecayFit(Estimate.missing(reason), Estimate.missing(reason), 0, n_blocks, used)
    if n_blocks < MIN_BLOCKS:
        reason = f"{n_blocks} bootstrap blocks in the window (< {MIN_BLOCKS}): no interval"
        return DecayFit.without_interval(a, theta, reason, n_blocks, used)

    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n_blocks, np.full(n_blocks, 1.0 / n_blocks), size=n_bootstrap).astype(float)
    replicate = np.empty((n_bootstrap, len(usable)))
    for j, r in enumerate(usable):
        n, sz, sy, szz, szy = (counts @ block_stats[r.horizon_s]).T
        with np.errstate(divide="ignore", invalid="ignore"):
            replicate[:, j] = (szy - sz * sy / n) / (szz - sz * sz / n)
    keep = np.all(np.isfinite(replicate), axis=1)
    replicate = replicate[keep]
    if replicate.shape[0] < n_bootstrap // 2:
        reason = f"only {replicate.shape[0]} of {n_bootstrap} bootstrap replicates could be fitted"
        return DecayFit.without_interval(a, theta, reason, n_blocks, used)
    a_grid, crit = _profile(replicate, w, horizons, _THETA_GRID)
    best = np.argmax(crit, axis=1)
    a_boot = a_grid[np.arange(len(best)), best]
    theta_boot = _THETA_GRID[best]
    a_low, a_high = np.quantile(a_boot, [0.025, 0.975])
    t_low, t_high = np.quantile(theta_boot, [0.025, 0.975])
    a_est = _percentile_estimate(a, a_low, a_high, "alpha_bps_per_s")
    theta_est = _percentile_estimate(theta, t_low, t_high, "mean_reversion_per_s")
    return DecayFit(a_est, theta_est, int(replicate.shape[0]), n_blocks, used)


def _percentile_estimate(value: float, low: float, high: float, name: str) -> Estimate:
    if not low <= value <= high:
        return Estimate.missing(
            f"{name}: the bootstrap interval [{low:.4g}, {high:.4g}] does not contain the estimate {value:.4g} "
            "(a skewed, badly identified fit)"
        )
    return Estimate(float(value), float(low), float(high))


# ---------------------------------------------------------------- the whole calibration


def estimate_signal(
    instrument: str,
    dates: Sequence[dt.date],
    seconds: pl.DataFrame,
    session_seconds: int,
    *,
    horizons_s: Sequence[int] | None = None,
    n_bootstrap: int = N_BOOTSTRAP,
    block_seconds: int = BLOCK_SECONDS,
) -> SignalCalibration:
    """Calibrate the signal of ``instrument`` over the window ``dates`` from its book seconds
    (sql/calibration/signal_1s.sql: date, second on the trading clock, mid, imbalance_1,
    imbalance_5, signed_volume_1s). ``horizons_s`` defaults to ``signal_horizons``; the
    decision intervals are always the scenarios'. An empty window gives NULL rows with the reason.
    """
    if not dates:
        raise ValueError(f"{instrument}: no session in the signal calibration window")
    if block_seconds < 1 or n_bootstrap < 1:
        raise ValueError(f"block_seconds and n_bootstrap must be >= 1, got {block_seconds}, {n_bootstrap}")
    all_horizons, decisions = signal_horizons(session_seconds)
    horizons = tuple(sorted({int(h) for h in horizons_s})) if horizons_s is not None else all_horizons
    if not horizons or horizons[0] < 1:
        raise ValueError(f"horizons must be whole seconds >= 1, got {horizons_s!r}")
    as_of, window_start = dates[-1], dates[0]
    common = dict(
        instrument=instrument, as_of=as_of, window_start=window_start,
        session_seconds=int(session_seconds), block_seconds=block_seconds,
    )  # fmt: skip

    if seconds.height == 0:
        reason = f"no book seconds in the window {window_start} to {as_of} (features.book_1s empty for its sessions)"
        regressions = [
            Regression(p, h, h in decisions, 0, None, None, Estimate.missing(reason)) for p in PREDICTORS for h in horizons
        ]
        decay = DecayFit(Estimate.missing(reason), Estimate.missing(reason), 0, 0)
        scales = {f"{p}_{s}": None for p in ("imbalance_1", "imbalance_5") for s in ("mean", "std")}
        return SignalCalibration(
            **common, n_days=0, regressions=regressions, decay=decay, significant=False, reason=reason, scales=scales
        )

    grid = _grid(seconds, int(session_seconds))
    n_days, n_seconds = grid.log_mid.shape
    day_of = np.broadcast_to(np.arange(n_days)[:, None], (n_days, n_seconds))
    blocks_per_day = -(-n_seconds // block_seconds)
    block_of = day_of * blocks_per_day + np.arange(n_seconds)[None, :] // block_seconds
    scales: dict[str, float | None] = {}
    for name in ("imbalance_1", "imbalance_5"):
        values = grid.predictors[name][np.isfinite(grid.predictors[name])]
        scales[f"{name}_mean"] = float(values.mean()) if values.size else None
        scales[f"{name}_std"] = float(values.std(ddof=1)) if values.size > 1 else None

    regressions: list[Regression] = []
    block_stats: dict[int, np.ndarray] = {}
    used_blocks = np.zeros(n_days * blocks_per_day, bool)
    for h in horizons:
        forward = _forward_return_bps(grid, h)
        sampled = np.zeros(n_seconds, bool)
        sampled[::h] = True
        for predictor in PREDICTORS:
            if predictor == "signed_flow":
                x = _trailing_flow(grid, h)
                mean, std = _moments(x)
            else:
                x = grid.predictors[predictor]
                mean, std = scales[f"{predictor}_mean"], scales[f"{predictor}_std"]
            ok = sampled[None, :] & np.isfinite(forward) & np.isfinite(x)
            if mean is None or not std:
                reason = "no value of the predictor in the window" if mean is None else "the predictor is constant"
                missing = Estimate.missing(f"{reason} over the window" if mean is not None else reason)
                regressions.append(Regression(predictor, h, h in decisions, int(ok.sum()), mean, std, missing))
                continue
            z = (x[ok] - mean) / std
            y = forward[ok]
            regressions.append(_regress(predictor, h, h in decisions, z, y, day_of[ok], mean, std))
            if predictor == DECAY_PREDICTOR:
                blocks = block_of[ok]
                used_blocks[blocks] = True
                stats = np.zeros((n_days * blocks_per_day, 5))
                for k, column in enumerate((np.ones_like(z), z, y, z * z, z * y)):
                    np.add.at(stats[:, k], blocks, column)
                block_stats[h] = stats
    block_stats = {h: s[used_blocks] for h, s in block_stats.items()}

    regressions = _with_holm(regressions)
    level_1 = [r for r in regressions if r.predictor == DECAY_PREDICTOR]
    decay = fit_decay(level_1, block_stats, _seed(instrument, as_of), n_bootstrap)
    significant, reason = _verdict(level_1, decay)
    return SignalCalibration(
        **common, n_days=int(n_days), regressions=regressions, decay=decay, significant=significant, reason=reason, scales=scales
    )


def _moments(x: np.ndarray) -> tuple[float | None, float | None]:
    values = x[np.isfinite(x)]
    if values.size < 2:
        return (float(values.mean()) if values.size else None), None
    return float(values.mean()), float(values.std(ddof=1))


def _with_holm(regressions: list[Regression]) -> list[Regression]:
    out = list(regressions)
    for predictor in PREDICTORS:
        index = [i for i, r in enumerate(out) if r.predictor == predictor]
        adjusted = holm([out[i].p_value for i in index])
        for i, p in zip(index, adjusted):
            out[i] = replace(out[i], p_value_holm=p)
    return out


def _verdict(level_1: Sequence[Regression], decay: DecayFit) -> tuple[bool, str | None]:
    """Whether scenarios may use the fitted signal, else every reason why not."""
    reasons = []
    decisions = [r for r in level_1 if r.decision_interval]
    if not any(r.rejects_zero for r in decisions):
        tested = ", ".join(
            f"{r.horizon_s} s: " + (f"p_holm = {r.p_value_holm:.2g}" if r.p_value_holm is not None else str(r.null_reason))
            for r in decisions
        )
        reasons.append(f"the level-1 imbalance predicts no decision interval's return (Holm, 5%): {tested}")
    a, theta = decay.alpha_bps_per_s, decay.mean_reversion_per_s
    low, high = THETA_BOUNDS
    if not a.ok or not theta.ok:
        reasons.append(f"decay fit: {a.reason or theta.reason}")
    elif a.ci_low is None or a.ci_high is None or a.ci_low <= 0:
        what = "the opposite sign to the simulator's (a bid-heavy book predicting a fall)" if a.value < 0 else "an interval reaching 0"
        reasons.append(f"decay fit: A = {a.value:.4g} bps/s [{a.ci_low:.4g}, {a.ci_high:.4g}] has {what}")
    elif theta.ci_low is None or theta.ci_high is None or theta.ci_low <= low * 1.0001 or theta.ci_high >= high * 0.9999:
        reasons.append(
            f"decay fit: the mean reversion's interval [{theta.ci_low:.4g}, {theta.ci_high:.4g}]/s reaches a bound "
            f"of its search [{low:g}, {high:g}]: not identified"
        )
    return (not reasons), "; ".join(reasons) or None


def coefficient_table(calibration: SignalCalibration) -> pl.DataFrame:
    """The regressions as a small frame for people: one row per predictor and horizon."""

    def fmt(e: Estimate) -> str:
        return f"{e.value:.3g} [{e.ci_low:.3g}, {e.ci_high:.3g}]" if e.ok else f"NULL: {e.reason}"

    return pl.DataFrame(
        [
            {
                "predictor": r.predictor,
                "horizon_s": r.horizon_s,
                "decision": r.decision_interval,
                "n_obs": r.n_obs,
                "coef_bps [95% CI]": fmt(r.coef_bps),
                "t": r.t_stat,
                "p_holm": r.p_value_holm,
                "rejects_zero": r.rejects_zero,
                "r2": r.r2,
                "decay_fit_bps": calibration.decay.predicted_bps(r.horizon_s) if r.predictor == DECAY_PREDICTOR else None,
            }
            for r in sorted(calibration.regressions, key=lambda r: (PREDICTORS.index(r.predictor), r.horizon_s))
        ],
        schema_overrides={"t": pl.Float64, "p_holm": pl.Float64, "r2": pl.Float64, "decay_fit_bps": pl.Float64},
    )


# ---------------------------------------------------------------- the warehouse


def calibrate_signal_params(
    con: duckdb.DuckDBPyConnection,
    instrument: str,
    lookback_days: int,
    calibrated_at: dt.datetime,
    *,
    n_bootstrap: int = N_BOOTSTRAP,
    block_seconds: int = BLOCK_SECONDS,
) -> tuple[SignalCalibration, pl.DataFrame]:
    """Calibrate over the impact calibration's window (``store.calibration_window``: the last
    ``lookback_days`` sessions with trades, as_of the last) and replace the instrument's rows
    of that as_of in ``calibration.signal_params``; returns the calibration and the rows."""
    from execution_assets.calibration.store import calibration_window

    window = calibration_window(con, instrument, lookback_days)
    seconds = run_sql_file(con, "calibration/signal_1s", window.clock_params)
    calibration = estimate_signal(
        instrument,
        window.dates,
        seconds,
        reference.session_seconds(instrument),
        n_bootstrap=n_bootstrap,
        block_seconds=block_seconds,
    )
    rows = calibration.rows(calibrated_at)
    replace_partition(con, "calibration.signal_params", rows, {"instrument": instrument, "as_of": calibration.as_of})
    return calibration, rows


def latest_signal_params(con: duckdb.DuckDBPyConnection, instrument: str) -> pl.DataFrame:
    """The rows of the instrument's latest calibration (empty when it has none)."""
    return run_sql_file(con, "calibration/latest_signal_params", {"instrument": instrument})


def signal_scales(con: duckdb.DuckDBPyConnection, instrument: str) -> dict[str, object]:
    """Mean and standard deviation of the level-1 and level-5 imbalance over the latest signal
    calibration's window, to standardize a recorded imbalance the way the coefficients are:
    ``{"instrument", "as_of", "window_start", "imbalance_1_mean", "imbalance_1_std",
    "imbalance_5_mean", "imbalance_5_std"}`` (a std is None where the window has no variation).
    ``ValueError`` when the instrument has no signal calibration (materialize signal_params)."""
    rows = latest_signal_params(con, instrument)
    if rows.height == 0:
        raise ValueError(f"{instrument}: no calibration in calibration.signal_params; materialize signal_params")
    out: dict[str, object] = {
        "instrument": instrument,
        "as_of": rows["as_of"][0],
        "window_start": rows["window_start"][0],
    }
    for name in ("imbalance_1", "imbalance_5"):
        row = rows.filter(pl.col("predictor") == name).row(0, named=True)
        out[f"{name}_mean"], out[f"{name}_std"] = row["predictor_mean"], row["predictor_std"]
    return out
