"""Trading days of the built-in synthetic market: weekdays from its first session (no holidays)."""

from __future__ import annotations

import datetime as dt

SYNTHETIC_START = dt.date(2024, 1, 2)


def business_days(start: dt.date, count: int) -> list[dt.date]:
    """The first ``count`` weekdays from ``start`` (included when it is one)."""
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days
