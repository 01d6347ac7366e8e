"""Swedish working days, for deadlines such as "a meeting within N working days".

Public administration in Sweden is closed on public holidays and also on midsommarafton,
julafton and nyårsafton (de facto holidays, SFS 1977:480 7 §), so those count as non-working.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from holidays.constants import DE_FACTO, PUBLIC

SATURDAY = 5


@lru_cache(maxsize=64)
def _holidays_in(year: int) -> frozenset[date]:
    # Weekends are handled by weekday below; Sundays are asked out explicitly because older
    # versions of the library counted every Sunday as a holiday.
    calendar = holidays.Sweden(years=year, categories=(PUBLIC, DE_FACTO), include_sundays=False)
    return frozenset(calendar.keys())


def is_working_day(d: date) -> bool:
    return d.weekday() < SATURDAY and d not in _holidays_in(d.year)


def add_working_days(start: date, n: int) -> date:
    """The date n working days after start (before it when n is negative); start itself if 0."""
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    current = start
    while remaining:
        current += step
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after start up to and including end; negative when end is before start.

    For n >= 0 the inverse of add_working_days: working_days_between(d, add_working_days(d, n))
    == n.
    """
    if end < start:
        return -working_days_between(end, start)
    days = (end - start).days
    return sum(1 for i in range(1, days + 1) if is_working_day(start + timedelta(days=i)))
