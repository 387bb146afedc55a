"""One execution task in the parametric market, in the dimensionless units of DESIGN section 4.

Timing convention shared by the simulator, the closed forms and the oracle (the discrete
Almgren-Chriss one): the order of X shares is worked in ``n_steps`` steps of
``tau = horizon_s / n_steps`` seconds. At step k (0-based) the strategy sends q_k shares;
they fill at the pre-trade mid S_k (which already carries the permanent and transient impact
of earlier child orders) plus side * (half spread + temporary impact of q_k). Then the mid
moves to S_{k+1}: diffusion and drift over tau, alpha from the signal, the permanent impact
of q_k, and the transient state's update. Whatever remains at the last step is executed then.

Implementation shortfall (IS) in bps of arrival notional, signed (positive = cost):
    IS = side * sum_k q_k (P_k - S_0) / (X S_0) * 1e4
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from execution_assets.impact import SESSION_SECONDS, ImpactParams

REGIMES = ("normal", "volatile", "trending")


@dataclass(frozen=True)
class ExecutionProblem:
    size_frac_adv: float = 0.05  # X / ADV
    side: int = 1  # +1 buy, -1 sell
    horizon_s: float = 1800.0
    n_steps: int = 30
    impact: ImpactParams = field(default_factory=ImpactParams)
    sigma_daily: float = 0.02  # volatility, fraction of price per sqrt(session)
    half_spread_bps: float = 1.0
    drift_per_day: float = 0.0  # mid drift, fraction of price per session (trending regime)
    risk_aversion: float = 0.0  # lambda of the objective E[IS_bps] + lambda * Var[IS_bps]
    signal_mean_reversion_per_s: float = 0.0  # OU imbalance signal; 0 disables the signal
    signal_alpha_bps_per_s: float = 0.0  # expected mid drift (bps/s) per unit of signal
    regime: str = "normal"
    adv_shares: float = 1_000_000.0
    arrival_price: float = 100.0

    def __post_init__(self) -> None:
        if self.side not in (1, -1):
            raise ValueError(f"side must be +1 (buy) or -1 (sell), got {self.side!r}")
        if self.n_steps < 1 or self.horizon_s <= 0:
            raise ValueError(f"need n_steps >= 1 and horizon_s > 0, got {self.n_steps}, {self.horizon_s}")
        if not self.size_frac_adv > 0:
            raise ValueError(f"size_frac_adv must be > 0, got {self.size_frac_adv}")
        if self.regime not in REGIMES:
            raise ValueError(f"regime must be one of {REGIMES}, got {self.regime!r}")
        if self.sigma_daily < 0 or self.risk_aversion < 0 or self.half_spread_bps < 0:
            raise ValueError("sigma_daily, risk_aversion and half_spread_bps must be >= 0")

    @property
    def tau_s(self) -> float:
        return self.horizon_s / self.n_steps

    @property
    def total_shares(self) -> float:
        return self.size_frac_adv * self.adv_shares

    @property
    def sigma_step(self) -> float:
        """Std of the mid's fractional move over one step."""
        return self.sigma_daily * np.sqrt(self.tau_s / SESSION_SECONDS)

    def with_(self, **changes) -> "ExecutionProblem":
        return replace(self, **changes)
