"""Calibration: daily volume, ADV, intraday volume curve, impact parameters and volatility.

Plain library (no Dagster). Estimators take polars frames / numpy arrays; ``store`` moves them
in and out of the warehouse. Methods, assumptions and references: docs/calibration.md.
"""

from execution_assets.calibration.adv import rolling_adv
from execution_assets.calibration.calibrate import ImpactCalibration, calibrate_impact, impact_params_from_row
from execution_assets.calibration.daily_bars import SPLITS, find_daily_bars, read_daily_bars
from execution_assets.calibration.estimate import Estimate
from execution_assets.calibration.price_response import PriceResponseFit, Session, fit_price_response
from execution_assets.calibration.temporary import TemporaryImpactFit, fit_temporary_impact
from execution_assets.calibration.volatility import estimate_sigma_daily, two_scales_variance
from execution_assets.calibration.volume_curve import VolumeCurve, estimate_volume_curve

__all__ = [
    "SPLITS",
    "Estimate",
    "ImpactCalibration",
    "PriceResponseFit",
    "Session",
    "TemporaryImpactFit",
    "VolumeCurve",
    "calibrate_impact",
    "estimate_sigma_daily",
    "estimate_volume_curve",
    "find_daily_bars",
    "fit_price_response",
    "fit_temporary_impact",
    "impact_params_from_row",
    "read_daily_bars",
    "rolling_adv",
    "two_scales_variance",
]
