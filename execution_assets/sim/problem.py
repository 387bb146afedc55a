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

The discrete dynamics in full (q_k >= 0 shares, a_k = q_k / ADV, all terms fractions of S_0):

    P_k     = S_k + side S_0 (half_spread + eta p_k^beta),   p_k = a_k D / tau
    S_k     = S_0 (1 + U_k + side (Perm_k + J_k))            (the observed, pre-trade mid)
    U_{k+1} = U_k + sigma_step m(r_k) z_k + mu(r_k) tau / D + c_alpha I_k
    Perm_{k+1} = Perm_k + gamma a_k^delta
    J_{k+1} = (J_k + kappa a_k) exp(-rho tau)                (J_0 = 0; trade k sees J_k only)
    I_{k+1} = phi I_k + sqrt(1 - phi^2) e_{k+1},  I_0 ~ N(0, 1),  phi = exp(-theta tau)

D = ``session_seconds``, the trading day ADV, sigma_daily and the daily drifts are per (23,400 s
for US equities, 82,800 on CME Globex). U is the unaffected (exogenous) path; z, e are iid
N(0, 1). The signal is the exact sampling of the OU process dI = -theta I dt + sqrt(2 theta) dB,
and the mid drifts by
``signal_alpha_bps_per_s`` * 1e-4 * I_t per second, so the predicted move over step k is
c_alpha I_k with c_alpha = alpha 1e-4 (1 - phi) / theta (the integral of E[I_t | I_k] over
the step; ``signal_drift_per_unit``). Regimes r_k: "normal" (m = 1, mu = drift_per_day),
"volatile" (m = 2), "trending" (mu = drift_per_day + d trend_per_day, with the trend's direction
d = ``trend_sign``, or, when ``trend_sign`` is 0, d = +1 or -1 drawn per episode, equally likely,
from its own random stream: a trend is then something to detect, not a property of the side). With
``regime_switch_rate_per_s`` > 0 the regime is a hidden Markov chain that starts in ``regime``
and leaves it with that hazard rate to one of the two others (equally likely); the regime is
never observed. The risk objective is E[IS_bps] + risk_aversion * Var[IS_bps].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

import numpy as np

from execution_assets.impact import US_EQUITY_SESSION_SECONDS, ImpactParams

REGIMES = ("normal", "volatile", "trending")
REGIME_VOL_MULTIPLIER = {"normal": 1.0, "volatile": 2.0, "trending": 1.0}
# The scenario grid's mix of hidden regimes, the prior the agents train on (a third each).
TRAINING_REGIME_MIX: Mapping[str, float] = {"normal": 1 / 3, "volatile": 1 / 3, "trending": 1 / 3}


def prior_vol_multiplier(prior: Mapping[str, float] = TRAINING_REGIME_MIX) -> float:
    """The volatility a planner who knows only the regime prior uses: sqrt(E[m(r)^2]) (sqrt 2 for the mix)."""
    total = sum(prior.values())
    return float(np.sqrt(sum(w * REGIME_VOL_MULTIPLIER[r] ** 2 for r, w in prior.items()) / total))


@dataclass(frozen=True)
class ExecutionProblem:
    size_frac_adv: float = 0.05  # X / ADV
    side: int = 1  # +1 buy, -1 sell
    horizon_s: float = 1800.0
    n_steps: int = 30
    impact: ImpactParams = field(default_factory=ImpactParams)
    sigma_daily: float = 0.02  # volatility, fraction of price per sqrt(session)
    half_spread_bps: float = 1.0
    drift_per_day: float = 0.0  # mid drift in every regime, fraction of price per session
    risk_aversion: float = 0.0  # lambda of the objective E[IS_bps] + lambda * Var[IS_bps]
    signal_mean_reversion_per_s: float = 0.0  # OU imbalance signal; 0 disables the signal
    signal_alpha_bps_per_s: float = 0.0  # expected mid drift (bps/s) per unit of signal
    regime: str = "normal"
    adv_shares: float = 1_000_000.0
    arrival_price: float = 100.0
    trend_per_day: float = 0.02  # size of the extra drift in the "trending" regime, fraction per session
    trend_sign: int = 0  # the trend's direction: +1 up, -1 down, 0 drawn per episode (equally likely)
    regime_switch_rate_per_s: float = 0.0  # hazard of leaving the current regime; 0 = static
    session_seconds: float = float(US_EQUITY_SESSION_SECONDS)  # the trading day ADV, sigma and drifts are per
    regime_hidden: bool = False  # the regime was drawn from TRAINING_REGIME_MIX, unseen by the trader (the scenario grid)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not np.isfinite(value):
                raise ValueError(f"ExecutionProblem.{f.name} must be finite, got {value!r}")
        if self.trend_sign not in (-1, 0, 1):
            raise ValueError(f"trend_sign must be -1, 0 (drawn per episode) or +1, got {self.trend_sign!r}")
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
        if self.signal_mean_reversion_per_s < 0 or self.regime_switch_rate_per_s < 0:
            raise ValueError("signal_mean_reversion_per_s and regime_switch_rate_per_s must be >= 0")
        if self.signal_alpha_bps_per_s != 0 and self.signal_mean_reversion_per_s == 0:
            raise ValueError("signal_alpha_bps_per_s != 0 needs signal_mean_reversion_per_s > 0 (the OU signal)")
        if not self.session_seconds > 0:
            raise ValueError(f"session_seconds must be > 0, got {self.session_seconds!r}")
        if self.adv_shares <= 0 or self.arrival_price <= 0:
            raise ValueError(f"adv_shares and arrival_price must be > 0, got {self.adv_shares}, {self.arrival_price}")

    @property
    def tau_s(self) -> float:
        return self.horizon_s / self.n_steps

    @property
    def total_shares(self) -> float:
        return self.size_frac_adv * self.adv_shares

    @property
    def sigma_step(self) -> float:
        """Std of the mid's fractional move over one step (nominal: the normal regime's)."""
        return self.sigma_daily * np.sqrt(self.tau_s / self.session_seconds)

    @property
    def has_signal(self) -> bool:
        return self.signal_mean_reversion_per_s > 0

    @property
    def signal_phi(self) -> float:
        """AR(1) coefficient of the signal per step (0 when the signal is off)."""
        return float(np.exp(-self.signal_mean_reversion_per_s * self.tau_s)) if self.has_signal else 0.0

    @property
    def signal_drift_per_unit(self) -> float:
        """c_alpha: E[U_{k+1} - U_k | I_k] / I_k, fraction of arrival price."""
        if not self.has_signal:
            return 0.0
        return self.signal_alpha_bps_per_s * 1e-4 * (1.0 - self.signal_phi) / self.signal_mean_reversion_per_s

    @property
    def random_trend(self) -> bool:
        """Whether the trend's direction is drawn per episode (and matters: a nonzero trend)."""
        return self.trend_sign == 0 and self.trend_per_day != 0

    def regime_drift_per_day(self, regime: str) -> float:
        """The regime's drift; a trend whose direction is drawn per episode contributes its mean, 0."""
        return self.drift_per_day + (self.trend_sign * self.trend_per_day if regime == "trending" else 0.0)

    def regime_adjusted(self) -> "ExecutionProblem":
        """The same problem with its static regime folded into sigma_daily and drift_per_day.

        Closed forms that know nothing of regimes are exact for the simulator on this problem.
        A trending regime needs a known direction (``with_(trend_sign=...)``): with a direction
        drawn per episode the drift is a random variable, not a parameter.
        """
        if self.regime_switch_rate_per_s > 0:
            raise ValueError("regime_adjusted: the regime switches (regime_switch_rate_per_s > 0); no static regime")
        if self.regime == "trending" and self.random_trend:
            raise ValueError("regime_adjusted: the trend's direction is drawn per episode; fix it with trend_sign=+1 or -1")
        return replace(
            self,
            sigma_daily=self.sigma_daily * REGIME_VOL_MULTIPLIER[self.regime],
            drift_per_day=self.regime_drift_per_day(self.regime),
            regime="normal",
            trend_sign=0,
        )

    def with_(self, **changes) -> "ExecutionProblem":
        return replace(self, **changes)
