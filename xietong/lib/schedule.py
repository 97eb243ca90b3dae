"""When a regular meeting of the communication plan (例会) takes place.

The plan keeps an RFC 5545 rule ("every Monday 10:00"); companies in China
do not meet on statutory holidays. Each row of the plan says what a meeting
that falls on a day off does (``HolidayPolicy``): move to the next working
day at the same time (顺延), be cancelled for that week, or keep its day. A
day off is what ``lib.workdays`` says: a statutory holiday, or a weekend day
that is not a make-up working day (调休上班). So a weekly Monday meeting
never moves onto a make-up Sunday (it is not Monday), while a daily rule
with ``skip`` or ``postpone`` is held on that Sunday and not on ordinary
weekends; with ``keep`` a daily rule runs every day, weekends included.

Pure functions: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import chinese_calendar
from django.utils.translation import get_language
from django.utils.translation import gettext as _

# A series never yields more than MAX_OCCURRENCES (a daily rule over ten years
# would otherwise fill a calendar file with 3,650 events); ``expand`` also
# bounds the search, so a rule that never occurs costs no time.
from xietong.lib.recurrence import MAX_OCCURRENCES as MAX_OCCURRENCES
from xietong.lib.recurrence import expand
from xietong.lib.workdays import add_working_days, is_workday

POSTPONE, SKIP, KEEP = "postpone", "skip", "keep"


@dataclass(frozen=True)
class Occurrence:
    """One occurrence: when the rule puts it, and when it really happens (None: cancelled)."""

    planned: datetime
    at: datetime | None

    @property
    def moved(self) -> bool:
        return self.at is not None and self.at != self.planned

    @property
    def cancelled(self) -> bool:
        return self.at is None


def day_off_name(day: date) -> str:
    """Return why ``day`` is a day off: the holiday's name (国庆节) in the active language, or 周末."""
    try:
        _is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        name = None
    if name:
        chinese = next((h.chinese for h in chinese_calendar.Holiday if h.value == name), name)
        return str(chinese if (get_language() or "zh").startswith("zh") else name)
    return _("周末")


def has_time_of_day(rrule: str) -> bool:
    """Return True when the rule names an hour ("10:00"); without one a meeting is all-day."""
    return "BYHOUR=" in rrule.upper()


def planned_times(rrule: str, start: datetime, until: datetime) -> list[datetime]:
    """Return the rule's occurrences from ``start``'s day to ``until``, in ``start``'s time zone.

    The rule is read in local wall time (10:00 stays 10:00 in Shanghai),
    at most ``MAX_OCCURRENCES``, by the bounded ``lib.recurrence.expand``.
    Raises ValueError when it cannot be read.
    """
    tz = start.tzinfo
    return expand(rrule, start.astimezone(tz), until)


def occurrences(rrule: str, start: datetime, until: datetime, policy: str) -> list[Occurrence]:
    """Return the occurrences between ``start``'s day and ``until`` with ``policy`` applied to days off.

    A postponed occurrence that would land on a day that already has one
    (a daily meeting after a holiday) is cancelled instead: nobody holds
    the same meeting twice in a morning.
    """
    planned = planned_times(rrule, start, until)
    if policy == KEEP:
        return [Occurrence(p, p) for p in planned]
    taken = {p.date() for p in planned if is_workday(p.date())}
    result: list[Occurrence] = []
    for p in planned:
        if is_workday(p.date()):
            result.append(Occurrence(p, p))
            continue
        if policy == POSTPONE:
            day = add_working_days(p.date(), 1)
            if day not in taken:
                taken.add(day)
                result.append(Occurrence(p, datetime.combine(day, p.timetz())))
                continue
        result.append(Occurrence(p, None))
    return result
