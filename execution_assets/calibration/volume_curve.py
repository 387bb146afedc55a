"""Intraday volume curve: the expected share of a session's volume traded in each bucket.

Method: each session's per-minute volume shares (so every session weighs the same, whatever
its total), averaged over sessions, then smoothed across minutes by a local-linear Gaussian
kernel smoother (no bias at the open and close edges, where the U-shape is steepest), with
the bandwidth chosen by generalized cross-validation (Craven and Wahba, 1979). Shares are
clipped at 0, renormalized to sum to 1, and summed into buckets of 1 to 30 minutes.

Minutes are those of the instrument's trading clock (``Instrument.session_clock``: its sessions
back to back from the first open), so a Globex curve has 1,380 minutes from 17:00 Chicago and a
US equity one 390 from 09:30 New York. A session the data cover only in part (a few minutes of a
sample) has its volume in the minutes they cover.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from execution_assets.market.reference import Instrument

BANDWIDTHS_MIN = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0)


@dataclass(frozen=True)
class VolumeCurve:
    minute_share: np.ndarray  # smoothed, (session minutes,), sums to 1
    daily_minute_share: np.ndarray  # (n_days, session minutes) each session's shares
    bandwidth_min: float
    clock: Instrument  # the reference row whose trading clock the minutes are on

    @property
    def n_days(self) -> int:
        return self.daily_minute_share.shape[0]

    def buckets(self, bucket_minutes: int) -> pl.DataFrame:
        """``bucket, bucket_start, bucket_minutes, volume_share, raw_share, raw_share_se`` per bucket."""
        check_bucket_minutes(bucket_minutes, self.clock)
        n = len(self.minute_share) // bucket_minutes
        smooth = self.minute_share.reshape(n, bucket_minutes).sum(axis=1)
        daily = self.daily_minute_share.reshape(self.n_days, n, bucket_minutes).sum(axis=2)
        se = daily.std(axis=0, ddof=1) / np.sqrt(self.n_days) if self.n_days > 1 else np.full(n, np.nan)
        return pl.DataFrame(
            {
                "bucket": np.arange(n, dtype=np.int32),
                "bucket_start": [self.clock.clock_time(b * bucket_minutes * 60) for b in range(n)],
                "bucket_minutes": np.full(n, bucket_minutes, dtype=np.int32),
                "volume_share": smooth,
                "raw_share": daily.mean(axis=0),
                "raw_share_se": se,
            }
        ).with_columns(pl.col("raw_share_se").fill_nan(None))


def session_minutes(clock: Instrument) -> int:
    return clock.session_seconds // 60


def check_bucket_minutes(bucket_minutes: int, clock: Instrument) -> None:
    minutes = session_minutes(clock)
    if not (1 <= bucket_minutes <= 30 and minutes % bucket_minutes == 0):
        allowed = [m for m in range(1, 31) if minutes % m == 0]
        raise ValueError(
            f"bucket_minutes must divide {clock.instrument}'s {minutes}-minute trading day and be <= 30: "
            f"one of {allowed}, got {bucket_minutes}"
        )


def minute_shares(minute_volume: pl.DataFrame, minutes: int) -> np.ndarray:
    """(n_days, minutes) per-session shares from ``date, minute, volume`` rows (absent minutes are 0)."""
    if minute_volume.height == 0:
        raise ValueError("no trades: a volume curve needs at least one session with volume")
    bad = minute_volume.filter(~pl.col("minute").is_between(0, minutes - 1) | (pl.col("volume") < 0))
    if bad.height:
        raise ValueError(
            f"minute volume row {bad.row(0, named=True)}: minute must be in [0, {minutes - 1}] and volume >= 0"
        )
    dates = minute_volume["date"].unique().sort()
    index = {d: i for i, d in enumerate(dates.to_list())}
    volume = np.zeros((len(index), minutes))
    rows = np.array([index[d] for d in minute_volume["date"].to_list()])
    np.add.at(volume, (rows, minute_volume["minute"].to_numpy()), minute_volume["volume"].to_numpy())
    totals = volume.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise ValueError("a session in the minute volume has no volume at all")
    return volume / totals


def _smoother(bandwidth_min: float, minutes: int) -> np.ndarray:
    """Hat matrix of the local-linear Gaussian smoother on the minute centres (not cached: a
    Globex day's is 1,380 x 1,380, and building it takes milliseconds)."""
    x = np.arange(minutes, dtype=float)
    d = x[None, :] - x[:, None]  # row i: distances from minute i
    w = np.exp(-0.5 * (d / bandwidth_min) ** 2)
    s0, s1, s2 = (np.sum(w * d**j, axis=1, keepdims=True) for j in range(3))
    return w * (s2 - s1 * d) / (s0 * s2 - s1 * s1)


def estimate_volume_curve(
    minute_volume: pl.DataFrame, clock: Instrument, bandwidth_min: float | None = None
) -> VolumeCurve:
    """Smoothed curve from ``date, minute, volume`` rows (minutes of ``clock``'s trading clock);
    ``bandwidth_min=None`` chooses the bandwidth by GCV."""
    minutes = session_minutes(clock)
    daily = minute_shares(minute_volume, minutes)
    raw = daily.mean(axis=0)

    def gcv(h: float) -> float:
        hat = _smoother(h, minutes)
        residual = raw - hat @ raw
        return minutes * float(residual @ residual) / (minutes - np.trace(hat)) ** 2

    h = bandwidth_min if bandwidth_min is not None else min(BANDWIDTHS_MIN, key=gcv)
    if not h > 0:
        raise ValueError(f"bandwidth must be > 0 minutes, got {h}")
    smooth = np.clip(_smoother(float(h), minutes) @ raw, 0.0, None)
    return VolumeCurve(smooth / smooth.sum(), daily, float(h), clock)
