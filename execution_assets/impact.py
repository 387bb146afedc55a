"""Market-impact model shared by the synthetic market, the simulator and the closed forms.

Units (DESIGN section 4): impact is a price change as a fraction of the arrival price;
order sizes are fractions of ADV; trading rates are participations, i.e. the order's
rate divided by the average market volume rate ``ADV / session_seconds``, the seconds of the
instrument's trading day (its reference sessions). Parameters are therefore dimensionless and
comparable across instruments.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

US_EQUITY_SESSION_SECONDS = 23_400  # 09:30 to 16:00 New York: the default problem's and the synthetic market's day


@dataclass(frozen=True)
class ImpactParams:
    """Temporary, permanent and transient impact of one instrument.

    temporary:  eta * sign(q) * |p|^beta, p = (q / tau) / (ADV / session_seconds)
    permanent:  gamma * sign(q) * |q / ADV|^delta, charged once per share traded
    transient:  sum_j kappa * exp(-rho (t - t_j)) * q_j / ADV  (Obizhaeva-Wang kernel)
    """

    eta: float = 0.002
    beta: float = 1.0
    gamma: float = 0.05
    delta: float = 1.0
    kappa: float = 0.0
    transient_decay_per_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("eta", "beta", "gamma", "delta", "kappa", "transient_decay_per_s"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"ImpactParams.{name} must be finite and >= 0, got {value!r}")
        if self.kappa > 0 and self.transient_decay_per_s <= 0:
            raise ValueError("ImpactParams: transient impact (kappa > 0) needs transient_decay_per_s > 0")

    def with_(self, **changes: float) -> "ImpactParams":
        return replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def participation(
    shares: np.ndarray | float, step_seconds: float, adv_shares: float, session_seconds: float
) -> np.ndarray:
    """Signed trading rate as a multiple of the average market volume rate ``ADV / session_seconds``
    (ADV is per trading day of ``session_seconds``)."""
    return np.asarray(shares, dtype=float) / step_seconds / (adv_shares / session_seconds)


def temporary_impact(p: np.ndarray | float, params: ImpactParams) -> np.ndarray:
    """Price concession (fraction of arrival price) paid on the shares of one step."""
    p = np.asarray(p, dtype=float)
    return params.eta * np.sign(p) * np.abs(p) ** params.beta


def permanent_impact(size_frac_adv: np.ndarray | float, params: ImpactParams) -> np.ndarray:
    """Lasting mid move (fraction of arrival price) caused by trading ``size_frac_adv`` of ADV."""
    x = np.asarray(size_frac_adv, dtype=float)
    return params.gamma * np.sign(x) * np.abs(x) ** params.delta


def transient_decay_factor(dt_seconds: float, params: ImpactParams) -> float:
    """Multiplier applied to the transient-impact state over ``dt_seconds``."""
    return float(np.exp(-params.transient_decay_per_s * dt_seconds))
