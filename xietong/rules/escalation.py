"""Escalation of a blocked row (阻塞升级), defined once.

Rule T02 (``rules.tracking``), the weekly list (``tracking.weekly``) and the
escalation reminders of the sweep (``notify.reminders``) all count the same
working days and derive the same level from them.

A row is counted from the day it became blocked (in the company's time
zone) up to today, in working days on the Chinese statutory calendar
(``lib.workdays``, make-up working days included, holidays excluded). With
a limit of N working days (``XIETONG_ESCALATION_WORKING_DAYS``, default 2):

- level 1, to the initiator (发起部门负责人), once the count exceeds N
  (a row blocked on Friday is flagged from Wednesday with N = 2);
- level 2, to the heads of the departments concerned, once it exceeds 2 × N.

``escalated_runs`` states the same count and level for the days rows became
blocked, in runs, for a database query to compare timestamps with instead of
counting per row (a test holds it equal to the two functions below).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from xietong.lib.workdays import working_days_between

NONE, INITIATOR, HEADS = 0, 1, 2


def blocked_working_days(since: date, today: date) -> int:
    """Return the working days a row blocked on ``since`` has been blocked by ``today`` (never negative)."""
    return max(0, working_days_between(since, today))


def escalation_level(working_days: int | None, limit: int) -> int:
    """Return ``NONE`` (0), ``INITIATOR`` (1: beyond ``limit`` working days) or ``HEADS`` (2: beyond twice it).

    ``working_days`` None (nobody knows since when the row is blocked) is never escalated.
    """
    if working_days is None:
        return NONE
    if working_days > 2 * limit:
        return HEADS
    return INITIATOR if working_days > limit else NONE


@dataclass(frozen=True)
class Run:
    """Blocker days ``since`` ≤ day < ``until`` that count the same ``days`` and so share ``level``."""

    since: date
    until: date
    days: int
    level: int


def escalated_runs(blocked_on: Iterable[date], today: date, limit: int) -> list[Run]:
    """The escalated days among ``blocked_on`` (days rows became blocked), as runs of one count, earliest first.

    A row blocked on one of those days has been blocked ``run.days`` working
    days at level ``run.level`` when a run holds its day, and is not escalated
    when none does: ``blocked_working_days`` and ``escalation_level``, computed
    once per day instead of once per row. A run joins the given days of equal
    count; the days between them count the same (the count only grows as the
    day moves earlier), so a run is exact for every day it holds. One pass back
    from ``today``: the days after ``d`` are those after ``d + 1`` plus day
    ``d + 1`` itself.
    """
    wanted = {d for d in blocked_on if d <= today}
    runs: list[Run] = []
    one = timedelta(days=1)
    day, days = today, 0  # blocked_working_days(today, today)
    first = min(wanted, default=today + one)
    while day >= first:
        level = escalation_level(days, limit)
        if day in wanted and level != NONE:
            if runs and runs[-1].days == days:
                runs[-1] = Run(day, runs[-1].until, days, level)
            else:
                runs.append(Run(day, day + one, days, level))
        day -= one
        days += blocked_working_days(day, day + one)
    return runs[::-1]
