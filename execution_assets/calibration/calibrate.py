"""One instrument's impact calibration: every estimator run on the same window of sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from execution_assets.calibration.estimate import Estimate
from execution_assets.calibration.price_response import PriceResponseFit, fit_price_response, sessions_from_flow
from execution_assets.calibration.temporary import TemporaryImpactFit, fit_temporary_impact
from execution_assets.calibration.volatility import estimate_sigma_daily
from execution_assets.impact import ImpactParams
from execution_assets.market.reference import session_seconds

PARAMETERS = ("eta", "beta", "gamma", "delta", "kappa", "transient_decay_per_s", "sigma_daily", "half_spread_bps")


@dataclass(frozen=True)
class ImpactCalibration:
    instrument: str
    as_of: dt.date
    window_start: dt.date
    n_days: int
    adv_shares: float
    session_seconds: int  # of the instrument's trading day: ADV / session_seconds is the average rate
    temporary: TemporaryImpactFit
    response: PriceResponseFit
    sigma_daily: Estimate
    realized_vol_daily: Estimate
    half_spread_bps: Estimate

    def estimates(self) -> dict[str, Estimate]:
        return {
            "eta": self.temporary.eta,
            "beta": self.temporary.beta,
            "gamma": self.response.gamma,
            "delta": self.response.delta,
            "kappa": self.response.kappa,
            "transient_decay_per_s": self.response.rho,
            "sigma_daily": self.sigma_daily,
            "half_spread_bps": self.half_spread_bps,
        }

    def null_reason(self) -> str | None:
        reasons = [f"{name}: {e.reason}" for name, e in self.estimates().items() if not e.ok]
        return "; ".join(reasons) or None

    def row(self, calibrated_at: dt.datetime) -> pl.DataFrame:
        """The ``calibration.impact_params`` row (column names of sql/ddl/calibration_impact_params.sql)."""
        values: dict[str, object] = {
            "instrument": self.instrument,
            "as_of": self.as_of,
            "window_start": self.window_start,
            "n_days": self.n_days,
            "adv_shares": self.adv_shares,
            "session_seconds": self.session_seconds,
        }
        for name, estimate in self.estimates().items():
            values |= estimate.columns(name)
        at_1pct = self.response.permanent_impact(0.01)
        values |= {
            "permanent_1pct_adv_bps": None if not at_1pct.ok else at_1pct.value * 1e4,
            "permanent_1pct_adv_bps_ci_low": None if not at_1pct.ok else at_1pct.ci_low * 1e4,
            "permanent_1pct_adv_bps_ci_high": None if not at_1pct.ok else at_1pct.ci_high * 1e4,
            "delta_free": self.response.delta_free.value,
            "temporary_offset_bps": None if not self.temporary.offset.ok else self.temporary.offset.value * 1e4,
            "realized_vol_daily": self.realized_vol_daily.value,
            "n_obs": self.response.n_obs,
            "r2": self.response.r2,
            "temporary_n_obs": self.temporary.n_obs,
            "temporary_r2": self.temporary.r2,
            "null_reason": self.null_reason(),
            "calibrated_at": calibrated_at,
        }
        for name, value in values.items():
            if isinstance(value, float) and not np.isfinite(value):
                raise ValueError(f"calibration of {self.instrument}: {name} = {value} is not finite")
        schema = {
            name: (
                pl.String() if isinstance(values[name], str) or name in ("null_reason",)
                else pl.Date() if name in ("as_of", "window_start")
                else pl.Datetime("us") if name == "calibrated_at"
                else pl.Int64() if name in ("n_days", "n_obs", "temporary_n_obs", "session_seconds")
                else pl.Float64()
            )
            for name in values
        }
        return pl.DataFrame([values], schema=schema)

    def impact_params(self) -> ImpactParams:
        """Point estimates as the simulator's ``ImpactParams`` (see ``CalibratedParams`` for the rules)."""
        return impact_params_from_row(self.row(dt.datetime.now()).row(0, named=True))


def impact_params_from_row(row: Mapping[str, object]) -> ImpactParams:
    """``ImpactParams`` from a ``calibration.impact_params`` row.

    A NULL exponent means its scale was fitted linearly (exponent 1); a NULL transient means
    none was detected (kappa = 0). A NULL eta or gamma has no stand-in: ``ValueError`` with
    the recorded reason. Negative point estimates (possible on noisy real data) also raise.
    """
    reason = row.get("null_reason") or ""
    for name in ("eta", "gamma"):
        if row[name] is None:
            raise ValueError(f"{row['instrument']} {row['as_of']}: {name} was not estimated ({reason})")
    transient = row["kappa"] is not None and row["transient_decay_per_s"] is not None
    try:
        return ImpactParams(
            eta=float(row["eta"]),
            beta=float(row["beta"]) if row["beta"] is not None else 1.0,
            gamma=float(row["gamma"]),
            delta=float(row["delta"]) if row["delta"] is not None else 1.0,
            kappa=float(row["kappa"]) if transient else 0.0,
            transient_decay_per_s=float(row["transient_decay_per_s"]) if transient else 0.0,
        )
    except ValueError as exc:
        raise ValueError(f"{row['instrument']} {row['as_of']}: calibrated parameters unusable: {exc}") from exc


def half_spread(flow_1s: pl.DataFrame, block_seconds: int = 300) -> Estimate:
    """Mean quoted half-spread (bps) over the seconds, with a 5-minute-block clustered interval."""
    if flow_1s.height == 0:
        return Estimate.missing("no book snapshots")
    blocks = flow_1s.group_by("date", pl.col("second") // block_seconds).agg(
        total=(pl.col("spread_bps") / 2).sum(), n=pl.len()
    )
    n = blocks["n"].to_numpy().astype(float)
    total = blocks["total"].to_numpy()
    mean = float(total.sum() / n.sum())
    if len(n) < 2:
        return Estimate.normal(mean, 0.0, "half_spread_bps")
    scores = total - mean * n  # ratio estimator, clustered by block
    se = float(np.sqrt(len(n) / (len(n) - 1) * np.sum(scores**2)) / n.sum())
    return Estimate.normal(mean, se, "half_spread_bps")


def calibrate_impact(
    instrument: str,
    dates: Sequence[dt.date],
    flow_1s: pl.DataFrame,
    prints: pl.DataFrame,
    adv: pl.DataFrame,
) -> ImpactCalibration:
    """Calibrate over the window's sessions ``dates`` (those with trades, in order) from their
    1-second flow (sql/calibration/flow_1s.sql), trade prints with pre-trade quotes
    (sql/calibration/trade_concessions.sql) and ``adv`` rows (date, adv_20d). Sessions without
    a book (a trades file alone) leave the book-based estimates NULL with the reason.

    Every size is a fraction of one ADV, the one on the window's last session (``adv_shares`` of
    the row), so the parameters refer to the ADV stored with them; rates are fractions of ADV
    over the instrument's session seconds (its reference row), and ``sigma_daily`` is over them.
    """
    if not dates:
        raise ValueError(f"{instrument}: no session in the calibration window")
    as_of = dates[-1]
    on_as_of = adv.filter(pl.col("date") == as_of)["adv_20d"]
    if on_as_of.len() == 0:
        raise ValueError(f"{instrument}: no ADV on {as_of}; materialize adv first")
    adv_shares = float(on_as_of[0])
    seconds = session_seconds(instrument)
    response = fit_price_response(sessions_from_flow(flow_1s, adv_shares))
    temporary = fit_temporary_impact(prints, adv_shares, seconds)
    if response.final is not None:
        sigma, _ = estimate_sigma_daily(response.residual_paths(), seconds)
    else:
        sigma = Estimate.missing(f"needs the flow's impact removed first: {response.gamma.reason}")
    realized, _ = estimate_sigma_daily(response.data.impact_paths(0.0, 1.0, 0.0, 1.0), seconds)
    return ImpactCalibration(
        instrument=instrument,
        as_of=as_of,
        window_start=dates[0],
        n_days=len(dates),
        adv_shares=adv_shares,
        session_seconds=seconds,
        temporary=temporary,
        response=response,
        sigma_daily=sigma,
        realized_vol_daily=realized,
        half_spread_bps=half_spread(flow_1s),
    )
