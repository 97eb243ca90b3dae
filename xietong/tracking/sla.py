"""SLA requests and recurring sub-goals, judged: clock states, occurrences, compliance rates.

Pure functions over plain values (the pages and the sweep read the rows and
call these), so the judgement is tested without a database. The clock
rules are in ``lib.slaclock``; occurrences of recurring sub-goals come from
their RRULE (``lib.schedule.planned_times``) on working days only: a
"daily before 10:00" duty is not owed on a Sunday or during the National
Day holiday, but it is owed on a make-up working Sunday.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from xietong.lib.limits import clamp_moment
from xietong.lib.schedule import has_time_of_day, planned_times
from xietong.lib.slaclock import CALENDAR, Span, WorkingDay, deadline_of, elapsed
from xietong.lib.workdays import is_workday

# A clock at 80 % of its budget is about to breach (the sweep warns then).
AT_RISK_SHARE = 0.8


class ClockState(StrEnum):
    RUNNING = "running"
    AT_RISK = "at_risk"
    PAUSED = "paused"
    BREACHED = "breached"  # still open past its budget
    MET = "met"  # answered within the budget
    LATE = "late"  # answered after the budget


@dataclass(frozen=True)
class Clock:
    state: ClockState
    used: timedelta
    budget: timedelta
    deadline: datetime  # when the budget runs out (if it resumed now, for a paused clock)

    @property
    def compliant(self) -> bool | None:
        """True / False once decided (answered, or open past the budget); None while it can still go either way."""
        if self.state == ClockState.MET:
            return True
        if self.state in (ClockState.LATE, ClockState.BREACHED):
            return False
        return None


def clock_of(
    started_at: datetime,
    answered_at: datetime | None,
    pauses: Iterable[tuple[datetime, datetime | None]],
    hours: float,
    clock: str,
    now: datetime,
    tz: ZoneInfo,
    day: WorkingDay | None = None,
) -> Clock:
    """Return the state of an SLA request's clock at ``now`` (a running pause ends at ``now``)."""
    # A time stored before the date window is computed at its edge.
    started_at, now = clamp_moment(started_at), clamp_moment(now)
    answered_at = clamp_moment(answered_at) if answered_at is not None else None
    pauses = [(clamp_moment(s), clamp_moment(e) if e is not None else None) for s, e in pauses]
    end = answered_at or now
    spans: list[Span] = [(s, e or end) for s, e in pauses if (e or end) > s]
    used = elapsed(started_at, end, pauses=spans, clock=clock or CALENDAR, tz=tz, day=day)
    budget = timedelta(hours=hours)
    deadline = deadline_of(started_at, hours, pauses=spans, clock=clock or CALENDAR, tz=tz, day=day)
    if answered_at is not None:
        state = ClockState.MET if used <= budget else ClockState.LATE
    elif used > budget:
        state = ClockState.BREACHED
    elif any(e is None for _s, e in pauses):
        state = ClockState.PAUSED
    elif used >= budget * AT_RISK_SHARE:
        state = ClockState.AT_RISK
    else:
        state = ClockState.RUNNING
    return Clock(state, used, budget, deadline)


class CheckState(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"


@dataclass(frozen=True)
class Occurrence:
    due_at: datetime
    done_at: datetime | None
    state: CheckState


def due_times(rrule: str, start: datetime, until: datetime) -> list[datetime]:
    """Return when a recurring sub-goal is due between ``start`` and ``until``, on working days only.

    A rule without a time of day ("每周五前") is due at the end of its day.
    """
    tz = start.tzinfo
    times = planned_times(rrule, start, until)
    if not has_time_of_day(rrule):
        times = [datetime.combine(t.date(), time(23, 59, 59), tzinfo=tz) for t in times]
    return [t for t in times if is_workday(t.date()) and start <= t <= until]


def occurrences(
    due: Iterable[datetime], done: Mapping[datetime, datetime | None], now: datetime
) -> list[Occurrence]:
    """Judge each due time: met when done by it, missed when done late or still undone after it."""
    result = []
    for due_at in due:
        done_at = done.get(due_at)
        if done_at is not None:
            state = CheckState.MET if done_at <= due_at else CheckState.MISSED
        else:
            state = CheckState.MISSED if now > due_at else CheckState.PENDING
        result.append(Occurrence(due_at, done_at, state))
    return result


@dataclass(frozen=True)
class Rate:
    met: int
    decided: int

    @property
    def share(self) -> float | None:
        return self.met / self.decided if self.decided else None


def compliance(
    outcomes: Iterable[tuple[str, datetime, bool | None]], tz: ZoneInfo
) -> dict[tuple[str, str], Rate]:
    """Return compliance rates by (department, ISO week "2024-W32") from (department, moment, met?) outcomes.

    Undecided outcomes (None) are left out; a department's total over all
    weeks is under the week "".
    """
    met: dict[tuple[str, str], int] = defaultdict(int)
    decided: dict[tuple[str, str], int] = defaultdict(int)
    for department, moment, ok in outcomes:
        if ok is None:
            continue
        year, week, _day = moment.astimezone(tz).isocalendar()
        for key in ((department, f"{year}-W{week:02d}"), (department, "")):
            decided[key] += 1
            met[key] += int(ok)
    return {key: Rate(met[key], decided[key]) for key in decided}


def week_bounds(year: int, week: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return Monday 00:00 and the next Monday 00:00 of an ISO week, in ``tz``."""
    monday = datetime.fromisocalendar(year, week, 1).replace(tzinfo=tz)
    return monday, monday + timedelta(days=7)
