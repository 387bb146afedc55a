"""Intraday volume curve: the expected share of a session's volume traded in each bucket.

Method: each session's per-minute volume shares (so every session weighs the same, whatever
its total), averaged over sessions, then smoothed across minutes by a local-linear Gaussian
kernel smoother (no bias at the open and close edges, where the U-shape is steepest), with
the bandwidth chosen by generalized cross-validation (Craven and Wahba, 1979). Shares are
clipped at 0, renormalized to sum to 1, and summed into buckets of 1 to 30 minutes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from execution_assets.impact import SESSION_SECONDS

SESSION_MINUTES = SESSION_SECONDS // 60  # 390
BANDWIDTHS_MIN = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0)
OPEN = dt.datetime(2000, 1, 1, 9, 30)


@dataclass(frozen=True)
class VolumeCurve:
    minute_share: np.ndarray  # smoothed, (390,), sums to 1
    daily_minute_share: np.ndarray  # (n_days, 390) each session's shares
    bandwidth_min: float

    @property
    def n_days(self) -> int:
        return self.daily_minute_share.shape[0]

    def buckets(self, bucket_minutes: int) -> pl.DataFrame:
        """``bucket, bucket_start, bucket_minutes, volume_share, raw_share, raw_share_se`` per bucket."""
        check_bucket_minutes(bucket_minutes)
        n = SESSION_MINUTES // bucket_minutes
        smooth = self.minute_share.reshape(n, bucket_minutes).sum(axis=1)
        daily = self.daily_minute_share.reshape(self.n_days, n, bucket_minutes).sum(axis=2)
        se = daily.std(axis=0, ddof=1) / np.sqrt(self.n_days) if self.n_days > 1 else np.full(n, np.nan)
        return pl.DataFrame(
            {
                "bucket": np.arange(n, dtype=np.int32),
                "bucket_start": [(OPEN + dt.timedelta(minutes=int(b * bucket_minutes))).time() for b in range(n)],
                "bucket_minutes": np.full(n, bucket_minutes, dtype=np.int32),
                "volume_share": smooth,
                "raw_share": daily.mean(axis=0),
                "raw_share_se": se,
            }
        ).with_columns(pl.col("raw_share_se").fill_nan(None))


def check_bucket_minutes(bucket_minutes: int) -> None:
    if not (1 <= bucket_minutes <= 30 and SESSION_MINUTES % bucket_minutes == 0):
        allowed = [m for m in range(1, 31) if SESSION_MINUTES % m == 0]
        raise ValueError(
            f"bucket_minutes must divide the 390-minute session and be <= 30: one of {allowed}, got {bucket_minutes}"
        )


def minute_shares(minute_volume: pl.DataFrame) -> np.ndarray:
    """(n_days, 390) per-session shares from ``date, minute, volume`` rows (absent minutes are 0)."""
    if minute_volume.height == 0:
        raise ValueError("no trades: a volume curve needs at least one session with volume")
    bad = minute_volume.filter(~pl.col("minute").is_between(0, SESSION_MINUTES - 1) | (pl.col("volume") < 0))
    if bad.height:
        raise ValueError(f"minute volume row {bad.row(0, named=True)}: minute must be in [0, 389] and volume >= 0")
    dates = minute_volume["date"].unique().sort()
    index = {d: i for i, d in enumerate(dates.to_list())}
    volume = np.zeros((len(index), SESSION_MINUTES))
    rows = np.array([index[d] for d in minute_volume["date"].to_list()])
    np.add.at(volume, (rows, minute_volume["minute"].to_numpy()), minute_volume["volume"].to_numpy())
    totals = volume.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise ValueError("a session in the minute volume has no volume at all")
    return volume / totals


@cache
def _smoother(bandwidth_min: float) -> np.ndarray:
    """Hat matrix of the local-linear Gaussian smoother on the 390 minute centres."""
    x = np.arange(SESSION_MINUTES, dtype=float)
    hat = np.empty((SESSION_MINUTES, SESSION_MINUTES))
    for i in range(SESSION_MINUTES):
        d = x - x[i]
        w = np.exp(-0.5 * (d / bandwidth_min) ** 2)
        s0, s1, s2 = w.sum(), (w * d).sum(), (w * d * d).sum()
        hat[i] = w * (s2 - s1 * d) / (s0 * s2 - s1 * s1)
    return hat


def estimate_volume_curve(minute_volume: pl.DataFrame, bandwidth_min: float | None = None) -> VolumeCurve:
    """Smoothed curve from ``date, minute, volume`` rows; ``bandwidth_min=None`` chooses it by GCV."""
    daily = minute_shares(minute_volume)
    raw = daily.mean(axis=0)

    def gcv(h: float) -> float:
        hat = _smoother(h)
        residual = raw - hat @ raw
        return SESSION_MINUTES * float(residual @ residual) / (SESSION_MINUTES - np.trace(hat)) ** 2

    h = bandwidth_min if bandwidth_min is not None else min(BANDWIDTHS_MIN, key=gcv)
    if not h > 0:
        raise ValueError(f"bandwidth must be > 0 minutes, got {h}")
    smooth = np.clip(_smoother(float(h)) @ raw, 0.0, None)
    return VolumeCurve(smooth / smooth.sum(), daily, float(h))
