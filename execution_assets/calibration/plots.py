"""Diagnostic figures of a calibration (PNG bytes, for asset metadata and the report)."""

from __future__ import annotations

import numpy as np
import polars as pl

from execution_assets.calibration.calibrate import ImpactCalibration
from execution_assets.calibration.price_response import transient_response
from execution_assets.plots import figure_png, plt


def volume_curve_png(buckets: pl.DataFrame, title: str, true_minute_share: np.ndarray | None = None) -> bytes:
    """Smoothed curve over the raw per-bucket shares (and the truth, when known)."""
    minutes = int(buckets["bucket_minutes"][0])
    x = buckets["bucket"].to_numpy() * minutes / 60  # hours on the trading clock
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.bar(x, buckets["raw_share"].to_numpy(), width=minutes / 60, align="edge", alpha=0.35, label="mean of sessions")
    ax.step(x, buckets["volume_share"].to_numpy(), where="post", lw=1.5, label="smoothed (stored)")
    if true_minute_share is not None:
        truth = np.asarray(true_minute_share).reshape(len(x), minutes).sum(axis=1)
        ax.step(x, truth, where="post", lw=1.0, ls="--", color="black", label="truth")
    ax.set_xlabel(f"hours after the open ({buckets['bucket_start'][0]:%H:%M} local)")
    ax.set_ylabel(f"share of daily volume per {minutes} min")
    ax.set_title(title)
    ax.legend()
    return figure_png(fig)


def _binned(x: np.ndarray, y: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean of y and its standard error in quantile bins of x (bins with < 2 points dropped)."""
    edges = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)))
    index = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    centers, means, errors = [], [], []
    for b in range(len(edges) - 1):
        in_bin = index == b
        if in_bin.sum() >= 2:
            centers.append(x[in_bin].mean())
            means.append(y[in_bin].mean())
            errors.append(y[in_bin].std(ddof=1) / np.sqrt(in_bin.sum()))
    return np.array(centers), np.array(means), np.array(errors)


def impact_png(calibration: ImpactCalibration, title: str) -> bytes:
    """Temporary cost vs participation (prints) and the mid's 1-second response vs signed participation."""
    fig, (ax_t, ax_p) = plt.subplots(1, 2, figsize=(11, 4))
    t = calibration.temporary
    if t.n_obs:
        px, cy, ce = _binned(t.participation, t.concession * 1e4, 20)
        ax_t.errorbar(px, cy, yerr=1.96 * ce, fmt="o", ms=3, label="prints (bin mean, 95%)")
        if t.eta.ok:
            grid = np.geomspace(t.participation.min(), t.participation.max(), 100)
            beta = t.beta.value if t.beta.ok else 1.0
            offset = t.offset.value if t.offset.ok else 0.0
            label = f"fit: eta={t.eta.value:.3g}, beta={beta:.3g}"
            ax_t.plot(grid, (offset + t.eta.value * grid**beta) * 1e4, label=label)
        ax_t.set_xscale("log")
    ax_t.set_xlabel("participation p (side volume of the second / average rate)")
    ax_t.set_ylabel("cost beyond the touch (bps)")
    ax_t.set_title("temporary impact")
    ax_t.legend(fontsize=8)

    r = calibration.response
    if r.final is not None:
        p = r.params()
        data = r.data
        # the second's own response: the return less the fitted decay of earlier flow's transient
        earlier = p["kappa"] * (data.transient(p["rho"])[0] - data.x)
        y = (data.y - data.demean(earlier)) * 1e4
        signed_p = data.x * calibration.session_seconds
        traded = signed_p != 0
        px, ry, re = _binned(signed_p[traded], y[traded], 20)
        ax_p.errorbar(px, ry, yerr=1.96 * re, fmt="o", ms=3, label="seconds (bin mean, 95%)")
        grid = np.linspace(px.min(), px.max(), 200) if len(px) else np.zeros(0)
        xg = grid / calibration.session_seconds
        fitted = p["gamma"] * np.sign(xg) * np.abs(xg) ** p["delta"] + p["kappa"] * xg
        label = f"fit: gamma={p['gamma']:.3g}, delta={p['delta']:.3g}, kappa={p['kappa']:.3g}"
        ax_p.plot(grid, fitted * 1e4, label=label)
    ax_p.axhline(0, color="grey", lw=0.5)
    ax_p.set_xlabel("signed participation of the second")
    ax_p.set_ylabel("mid response in the second (bps)")
    ax_p.set_title("permanent + transient impact at lag 0")
    ax_p.legend(fontsize=8)
    fig.suptitle(title)
    return figure_png(fig)


def response_decay_png(calibration: ImpactCalibration, title: str, max_lag: int = 120) -> bytes:
    """Model-free cumulative transient response to a unit of flow (distributed lags) vs the fitted kernel."""
    fig, ax = plt.subplots(figsize=(9, 3.5))
    r = calibration.response
    if r.final is not None:
        lags, cumulative, se = transient_response(r, max_lag)
        ax.fill_between(lags, cumulative - 1.96 * se, cumulative + 1.96 * se, alpha=0.25, label="95% band")
        ax.plot(lags, cumulative, lw=1, label="distributed-lag estimate")
        p = r.params()
        if p["kappa"]:
            label = f"fit: {p['kappa']:.3g} exp(-{p['rho']:.3g} t)"
            ax.plot(lags, p["kappa"] * np.exp(-p["rho"] * lags), "k--", label=label)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("seconds after the trade")
    ax.set_ylabel("transient response (per unit of ADV)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return figure_png(fig)
