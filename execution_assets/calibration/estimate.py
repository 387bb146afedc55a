"""One estimated parameter: a value with its 95% confidence interval, or a reason it has none.

The params table never holds a NaN: an estimate that is not finite, or that the data cannot
identify, becomes ``Estimate.missing(reason)`` and is stored as NULL with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95% normal quantile


@dataclass(frozen=True)
class Estimate:
    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    reason: str | None = None  # why value is None

    def __post_init__(self) -> None:
        if self.value is None:
            if not self.reason:
                raise ValueError("a missing estimate needs a reason")
            if self.ci_low is not None or self.ci_high is not None:
                raise ValueError("a missing estimate has no confidence interval")
            return
        for name in ("value", "ci_low", "ci_high"):
            number = getattr(self, name)
            if number is not None and not math.isfinite(number):
                raise ValueError(f"Estimate.{name} must be finite, got {number!r}")
        if self.ci_low is not None and self.ci_high is not None and not self.ci_low <= self.value <= self.ci_high:
            raise ValueError(f"confidence interval [{self.ci_low}, {self.ci_high}] does not contain {self.value}")

    @classmethod
    def missing(cls, reason: str) -> Estimate:
        return cls(None, reason=reason)

    @classmethod
    def normal(cls, value: float, se: float, what: str = "estimate") -> Estimate:
        """``value +- 1.96 se``, or missing when either is not finite."""
        if not (math.isfinite(value) and math.isfinite(se) and se >= 0):
            return cls.missing(f"{what} not finite (value {value!r}, standard error {se!r})")
        return cls(float(value), float(value - Z95 * se), float(value + Z95 * se))

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def se(self) -> float | None:
        """Standard error implied by a symmetric interval (None without one)."""
        if self.value is None or self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / (2 * Z95)

    def significant(self) -> bool:
        """Whether the 95% interval excludes zero."""
        if not self.ok or self.ci_low is None or self.ci_high is None:
            return False
        return self.ci_low > 0 or self.ci_high < 0

    def covers(self, truth: float) -> bool:
        return self.ok and self.ci_low is not None and self.ci_high is not None and self.ci_low <= truth <= self.ci_high

    def columns(self, name: str) -> dict[str, float | None]:
        """The table columns ``name``, ``name_ci_low``, ``name_ci_high``."""
        return {name: self.value, f"{name}_ci_low": self.ci_low, f"{name}_ci_high": self.ci_high}
