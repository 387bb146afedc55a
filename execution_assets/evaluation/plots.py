"""Figures of the evaluation and its reports, as PNG bytes (``execution_assets.plots.figure_png``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from execution_assets.plots import figure_png

COLORS = {
    "twap": "black",
    "vwap": "tab:gray",
    "pov": "tab:brown",
    "almgren_chriss": "tab:blue",
    "obizhaeva_wang": "tab:cyan",
    "oracle": "tab:green",
    "dqn": "tab:orange",
    "ppo": "tab:red",
    "sac": "tab:purple",
    "hindsight": "tab:olive",
}


def _color(name: str) -> str | None:
    return COLORS.get(name)


def remaining_curves_png(curves: Mapping[str, np.ndarray], title: str, ylabel: str = "remaining share of the order") -> bytes:
    """Remaining-order curves x_0..x_N (fractions), one per label, on a common time axis."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for name, x in curves.items():
        t = np.linspace(0.0, 1.0, len(x))
        ax.step(t, x, where="post", label=name, color=_color(name), lw=1.4)
    ax.set_xlabel("time (fraction of the horizon)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=8, ncol=2)
    return figure_png(fig)


def cost_distributions_png(costs: Mapping[str, np.ndarray], title: str) -> bytes:
    """Histogram of per-episode IS (bps) per strategy, sharing bins."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    values = np.concatenate([np.asarray(v, dtype=float) for v in costs.values()])
    lo, hi = np.quantile(values, [0.005, 0.995])
    bins = np.linspace(lo, hi, 60)
    for name, v in costs.items():
        ax.hist(np.clip(v, lo, hi), bins=bins, histtype="step", lw=1.3, label=f"{name} (mean {np.mean(v):.2f})", color=_color(name))
    ax.set_xlabel("implementation shortfall (bps, signed; tails clipped for display)")
    ax.set_ylabel("episodes")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return figure_png(fig)


def frontier_png(
    frontier_std: np.ndarray, frontier_mean: np.ndarray, points: Mapping[str, tuple[float, float]], title: str
) -> bytes:
    """Efficient frontier (std vs mean IS, bps) with strategies' simulated (std, mean) points."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(frontier_std, frontier_mean, color="tab:blue", lw=1.5, label="AC frontier (closed form)")
    for name, (std, mean) in points.items():
        ax.scatter([std], [mean], label=name, color=_color(name), zorder=3, s=30)
    ax.set_xlabel("std of IS (bps)")
    ax.set_ylabel("expected IS (bps)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return figure_png(fig)


def improvement_ci_png(labels: Sequence[str], series: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]], title: str, xlabel: str) -> bytes:
    """Horizontal error bars: for each label, each series' (estimate, low, high)."""
    n = len(labels)
    fig, ax = plt.subplots(figsize=(7.5, min(0.1 * n * max(len(series), 1) + 1.8, 14)))
    offsets = np.linspace(-0.3, 0.3, max(len(series), 1))
    y = np.arange(n)
    for offset, (name, (mid, low, high)) in zip(offsets, series.items()):
        mid, low, high = (np.asarray(a, dtype=float) for a in (mid, low, high))
        ax.errorbar(mid, y + offset, xerr=[mid - low, high - mid], fmt="o", ms=3, capsize=2, label=name, color=_color(name))
    ax.axvline(0.0, color="black", lw=0.8)
    values = np.concatenate([np.asarray(v, dtype=float).ravel() for triple in series.values() for v in triple])
    values = np.abs(values[np.isfinite(values)])
    if values.size and values.max() > 100 * max(np.median(values), 1e-9):  # outliers would flatten the rest
        ax.set_xscale("symlog", linthresh=1.0)  # linear within +-1, logarithmic beyond
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="best")
    return figure_png(fig)


def bar_png(frame: pl.DataFrame, label: str, value: str, title: str, xlabel: str) -> bytes:
    """Horizontal bars of ``value`` per ``label``."""
    fig, ax = plt.subplots(figsize=(7, 0.3 * frame.height + 1.2))
    labels = frame[label].cast(pl.String).to_list()
    ax.barh(np.arange(frame.height), frame[value].to_numpy(), color=[_color(x) or "tab:blue" for x in labels])
    ax.set_yticks(np.arange(frame.height), labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return figure_png(fig)


def lines_png(x: np.ndarray, lines: Mapping[str, np.ndarray], title: str, xlabel: str, ylabel: str) -> bytes:
    """A few labelled lines over a shared x axis (training curves, paths)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for name, y in lines.items():
        ax.plot(x[: len(y)], y, label=name, color=_color(name), lw=1.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return figure_png(fig)


def schedules_over_mid_png(
    mid: np.ndarray, step_s: int, executed: Mapping[str, np.ndarray], title: str, start_label: str = "order arrival"
) -> bytes:
    """One replayed episode: the recorded mid (one point per second) above every strategy's
    executed share of the order at each decision (steps), on a shared axis of minutes."""
    fig, (ax_mid, ax_done) = plt.subplots(2, 1, figsize=(8, 5.2), sharex=True, height_ratios=(1.2, 1))
    minutes = np.arange(mid.size) / 60.0
    ax_mid.plot(minutes, mid, lw=0.8, color="black")
    ax_mid.set_ylabel("recorded mid")
    ax_mid.set_title(title)
    for name, shares in executed.items():
        done = np.concatenate([[0.0], np.cumsum(shares)]) / max(float(np.sum(shares)), 1e-300)
        t = np.arange(done.size) * step_s / 60.0
        ax_done.step(t, done, where="post", label=name, color=_color(name), lw=2.0 if name == "hindsight" else 1.2)
    ax_done.set_ylabel("executed share of the order")
    ax_done.set_xlabel(f"minutes after {start_label}")
    ax_done.set_ylim(-0.02, 1.02)
    ax_done.legend(fontsize=7, ncol=3)
    return figure_png(fig)
