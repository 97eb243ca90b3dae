"""Working days on the Chinese statutory calendar (法定节假日 and 调休).

A working day is one people work: Monday to Friday unless it is a statutory
holiday, plus the weekend days that are made-up working days (调休上班), such
as Sunday 2024-09-29 and Saturday 2024-10-12 around the 2024 National Day
holiday. The calendar comes from the maintained ``chinese_calendar`` library
(package ``chinesecalendar``), which knows the years the State Council has
published. Outside those years (the library raises ``NotImplementedError``)
we fall back to Monday-Friday: a plain week is the best guess for a year whose
holidays are not yet announced, and a deadline computation must never crash
because of it. Upgrade the library each December when the next year's
arrangement is published.

All functions are pure and take local calendar dates: convert a datetime to
the company's time zone and take ``.date()`` first, because a timestamp alone
does not say which day it is in Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar

_ONE_DAY = timedelta(days=1)


def _local_date(d: date) -> date:
    # datetime is a subclass of date; accepting one would silently use its
    # wall-clock date in whatever zone it happens to carry.
    if isinstance(d, datetime):
        raise TypeError("pass a local date, not a datetime")
    return d


@lru_cache(maxsize=8192)
def is_workday(d: date) -> bool:
    """Return True when ``d`` is a working day (make-up workdays included).

    Years the library does not cover fall back to Monday-Friday. Cached: the
    library checks each date against every year it knows (about 0.15 ms a call),
    and the reminder sweep asks about the same few weeks for every collaboration.
    """
    d = _local_date(d)
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return d.weekday() < 5


def add_working_days(d: date, n: int) -> date:
    """Return the date ``n`` working days after ``d`` (before it when ``n`` < 0).

    ``d`` itself is not counted and need not be a working day; ``n == 0``
    returns ``d`` unchanged. So one working day after Monday 2024-09-30 is
    Tuesday 2024-10-08 (1-7 October is the National Day holiday).
    """
    current = _local_date(d)
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    remaining = abs(n)
    while remaining:
        current += step
        if is_workday(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Return how many working days lie after ``start`` up to and including ``end``.

    This is how many working days have passed since ``start``: from a Friday
    to the next Monday is 1. It is 0 when ``end == start`` and negative
    (minus the count from ``end`` to ``start``) when ``end`` is earlier.
    """
    start, end = _local_date(start), _local_date(end)
    if end < start:
        return -working_days_between(end, start)
    count = 0
    current = start
    while current < end:
        current += _ONE_DAY
        if is_workday(current):
            count += 1
    return count
