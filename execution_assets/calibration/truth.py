"""The true parameters of a built-in synthetic instrument, to score a calibration against.

The ingest layer simulates a built-in instrument's day with ``synthetic_seed(instrument, date)``
in the normal regime when no landing file exists for it; the same call reproduces its truth.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from execution_assets.calibration.calibrate import ImpactCalibration
from execution_assets.calibration.estimate import Estimate
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.market.landing import discover_landing_days, synthetic_seed
from execution_assets.market.synthetic import normal_day_truth


def synthetic_truth(instrument: str, date: dt.date, landing_folder: Path) -> dict[str, Any] | None:
    """Truth of a simulated instrument-day, or None when the day came from real files."""
    if instrument not in DEFAULT_INSTRUMENTS or (instrument, date) in discover_landing_days(landing_folder):
        return None
    return normal_day_truth(instrument, date, synthetic_seed(instrument, date))


def score(calibration: ImpactCalibration, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Per parameter: estimate, interval, truth, relative error and whether the interval covers it."""
    pairs = {name: (e, truth.get(name)) for name, e in calibration.estimates().items()}
    pairs["permanent_1pct_adv"] = (
        calibration.response.permanent_impact(0.01),
        truth["gamma"] * 0.01 ** truth["delta"],
    )
    pairs["adv_shares"] = (Estimate(calibration.adv_shares), truth["adv_shares"])
    rows = []
    for name, (e, true) in pairs.items():
        if true == 0 and not e.ok:
            error = 0.0  # a true zero reported as "not detected" is right
        elif true and e.ok:
            error = (e.value - true) / true
        else:
            error = None
        rows.append(
            {
                "parameter": name,
                "estimate": e.value,
                "ci_low": e.ci_low,
                "ci_high": e.ci_high,
                "truth": true,
                "rel_error": error,
                "ci_covers": None if e.ci_low is None or true is None else bool(e.ci_low <= true <= e.ci_high),
            }
        )
    return rows


def volume_curve_l1(bucket_shares: np.ndarray, true_minute_share: np.ndarray) -> float:
    """L1 distance between an estimated bucket curve and the true per-minute curve summed into the same buckets."""
    bucket_minutes = len(true_minute_share) // len(bucket_shares)
    true_buckets = np.asarray(true_minute_share).reshape(len(bucket_shares), bucket_minutes).sum(axis=1)
    return float(np.abs(np.asarray(bucket_shares) - true_buckets).sum())
