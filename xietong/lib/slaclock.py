"""SLA clocks: how much of a time limit a request between departments has used.

A clock runs from a request's start to its answer (or to now), stands still
during pauses (waiting on the requester), and counts either calendar hours
or working hours. Working hours are the hours of the working day
(``WorkingDay``, 09:00-18:00 by default) on working days of the Chinese
statutory calendar (``lib.workdays``: holidays off, make-up workdays on).

Pure functions over aware datetimes: no database, no clock of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from xietong.lib.workdays import is_workday

CALENDAR, WORKING = "calendar", "working"


@dataclass(frozen=True)
class WorkingDay:
    """The hours of a working day, in local wall time."""

    start: time = time(9)
    end: time = time(18)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a working day ends after it starts")

    @classmethod
    def parse(cls, text: str) -> WorkingDay:
        """Read ``"09:00-18:00"``; raise ValueError for anything else."""
        try:
            first, last = (part.strip() for part in text.split("-"))
            return cls(time.fromisoformat(first), time.fromisoformat(last))
        except ValueError as error:
            raise ValueError(f"not a working day like 09:00-18:00: {text!r}") from error


Span = tuple[datetime, datetime]


def _subtract(span: Span, pauses: Iterable[Span]) -> list[Span]:
    """Return ``span`` with the ``pauses`` cut out of it, in order."""
    parts = [span]
    for pause_start, pause_end in sorted(pauses):
        kept: list[Span] = []
        for start, end in parts:
            if pause_end <= start or pause_start >= end:
                kept.append((start, end))
                continue
            if start < pause_start:
                kept.append((start, pause_start))
            if pause_end < end:
                kept.append((pause_end, end))
        parts = kept
    return parts


def _working_windows(start: datetime, end: datetime, tz: ZoneInfo, day: WorkingDay) -> Iterator[Span]:
    """Yield the working hours of each working day between ``start`` and ``end``."""
    current = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while current <= last:
        if is_workday(current):
            yield (
                datetime.combine(current, day.start, tzinfo=tz),
                datetime.combine(current, day.end, tzinfo=tz),
            )
        current += timedelta(days=1)


def elapsed(
    start: datetime,
    end: datetime,
    *,
    pauses: Iterable[Span] = (),
    clock: str = CALENDAR,
    tz: ZoneInfo,
    day: WorkingDay | None = None,
) -> timedelta:
    """Return how much clock time passed from ``start`` to ``end``, pauses excluded.

    ``clock`` is ``CALENDAR`` (every hour counts) or ``WORKING`` (only the
    working hours of working days). A pause still running is given with
    its end at ``end``. Zero when ``end`` is not after ``start``.
    """
    if end <= start:
        return timedelta(0)
    running = _subtract((start, end), [(max(s, start), min(e, end)) for s, e in pauses if e > s])
    if clock == CALENDAR:
        return sum((e - s for s, e in running), timedelta(0))
    if clock != WORKING:
        raise ValueError(f"unknown clock {clock!r}")
    day = day or WorkingDay()
    total = timedelta(0)
    for window_start, window_end in _working_windows(start, end, tz, day):
        for s, e in running:
            overlap = min(e, window_end) - max(s, window_start)
            if overlap > timedelta(0):
                total += overlap
    return total


def deadline_of(
    start: datetime,
    hours: float,
    *,
    pauses: Iterable[Span] = (),
    clock: str = CALENDAR,
    tz: ZoneInfo,
    day: WorkingDay | None = None,
) -> datetime:
    """Return when a clock started at ``start`` with ``hours`` runs out, given the ``pauses`` so far.

    A pause still running should be given with its end at the moment of
    asking: the deadline is then where it would be if the clock resumed now.
    """
    budget = timedelta(hours=hours)
    if clock == CALENDAR:
        moment = start + budget
        # Each pause pushes the end back by its length within the running clock.
        for pause_start, pause_end in sorted(pauses):
            if pause_start < moment:
                moment += pause_end - max(pause_start, start)
        return moment
    day = day or WorkingDay()
    horizon = start + timedelta(days=3660)
    running = _subtract((start, horizon), list(pauses))
    remaining = budget
    current = start.astimezone(tz).date()
    while True:
        if current > horizon.astimezone(tz).date():
            # A budget beyond ten years of working hours (bad data): not due within the
            # horizon. Walking on day by day would take minutes, and stall the sweep.
            return horizon
        if is_workday(current):
            window = (
                datetime.combine(current, day.start, tzinfo=tz),
                datetime.combine(current, day.end, tzinfo=tz),
            )
            for s, e in running:
                lo, hi = max(s, window[0]), min(e, window[1])
                if hi <= lo:
                    continue
                if hi - lo >= remaining:
                    return lo + remaining
                remaining -= hi - lo
        current += timedelta(days=1)
