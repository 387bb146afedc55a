"""The OU alpha signal as the planners see it: a per-step AR(1) and the mid drift it predicts.

The simulator samples the OU signal exactly at the step times (``ExecutionProblem`` docstring):
I_{k+1} = phi I_k + sqrt(1 - phi^2) e, I_0 ~ N(0, 1), and the expected exogenous mid move over
step k given I_k is c_alpha I_k. A signal with no alpha (c_alpha = 0) is inactive for planning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from execution_assets.sim.problem import ExecutionProblem


@dataclass(frozen=True)
class SignalModel:
    phi: float  # AR(1) coefficient per step
    innovation_std: float  # std of I_{k+1} given I_k
    drift_per_unit: float  # c_alpha: E[mid move over the step | I_k] / I_k, fraction of arrival price
    stationary_std: float

    @property
    def active(self) -> bool:
        return self.drift_per_unit != 0.0


NO_SIGNAL = SignalModel(phi=0.0, innovation_std=0.0, drift_per_unit=0.0, stationary_std=0.0)


def signal_model(problem: ExecutionProblem) -> SignalModel:
    """Per-step signal dynamics of ``problem`` (``NO_SIGNAL`` when it carries no alpha)."""
    if not problem.has_signal or problem.signal_drift_per_unit == 0.0:
        return NO_SIGNAL
    phi = problem.signal_phi
    return SignalModel(
        phi=phi,
        innovation_std=float(np.sqrt(1.0 - phi**2)),
        drift_per_unit=problem.signal_drift_per_unit,
        stationary_std=1.0,
    )
