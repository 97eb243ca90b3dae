"""Progress reporting (周进度汇报): who must report, by when, and who has, defined once.

The weekly list (``tracking.weekly``), rule T03 (``rules.tracking``), the
weekly-update reminder (``notify.reminders``) and the closing's scorecards
all ask these questions and import the answers from here, so that a page, a
finding and a reminder never disagree about the same department at the
same moment.

The guide (step 7) has departments report their progress before each
weekly meeting (周例会), where the initiator reviews the 周进度清单:

- **Checkpoints.** Reports are due at each weekly meeting of the
  communication plan (its ``weekly_meeting`` rows with a recurrence rule,
  holidays applied as the row says). A plan without one still expects a
  weekly report: the checkpoints are then every ``REPORTING_PERIOD`` from
  the kickoff. Only meetings whose reminder (``UPDATE_WARNING`` before)
  comes after the kickoff count: nobody reports on rows agreed in a meeting
  that has not taken place.
- **Periods.** The kickoff opens the first period; each checkpoint closes
  one and opens the next.
- A participating department **must report** when it has open rows (a row
  not done). One whose rows are all done, or that has none, is exempt
  (无需汇报) and never counts as 未汇报.
- Its **state** at a moment depends on its latest update by then:
  已汇报 (``REPORTED``) when it updated since the current period began;
  未汇报 (``LATE``) when the last checkpoint passed and it has not updated
  since the period before it began (it missed that meeting, and a late
  report clears it); otherwise 待汇报 (``DUE``): it reported for the last
  meeting and the next one is still ahead.

T03 flags ``LATE``; the weekly list shows the three states; the reminder
goes, the day before a checkpoint, to each department not ``REPORTED``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from xietong.lib.schedule import occurrences
from xietong.rules.snapshot import Channel, Collab, FrequencyKind, TaskStatus

# Without a weekly meeting in the plan, a department reports once a week from the kickoff.
REPORTING_PERIOD = timedelta(days=7)
# Departments are reminded this long before a checkpoint.
UPDATE_WARNING = timedelta(hours=24)
# How far around a moment the meetings are looked for: two periods of a
# meeting held as rarely as monthly, and a meeting postponed over a holiday.
LOOKBACK = timedelta(days=92)
LOOKAHEAD = timedelta(days=40)


class ReportState(StrEnum):
    REPORTED = "reported"  # 已汇报
    DUE = "due"  # 待汇报
    LATE = "late"  # 未汇报


@dataclass(frozen=True)
class WeeklyMeeting:
    """A weekly-meeting row of the communication plan: its RFC 5545 rule and holiday policy."""

    rrule: str
    holiday_policy: str = "postpone"


@dataclass(frozen=True)
class Periods:
    """The reporting periods around a moment: the one it falls in and its neighbours."""

    previous: datetime | None  # when the period before the current one began (None: the current is the first)
    current: datetime  # when the current period began (the kickoff or the last checkpoint)
    next: datetime | None  # the next checkpoint (None: none is planned)

    def state(self, last_report: datetime | None) -> ReportState:
        """Return where a department whose latest update (by then) is ``last_report`` stands."""
        if has_reported(last_report, self.current):
            return ReportState.REPORTED
        if self.previous is not None and not has_reported(last_report, self.previous):
            return ReportState.LATE
        return ReportState.DUE


def is_open(status: str) -> bool:
    """Return True for a row still to be worked on (anything but done)."""
    return status != TaskStatus.DONE


def must_report(statuses: Iterable[str]) -> bool:
    """Return whether a department with rows in ``statuses`` must report (it has an open row)."""
    return any(is_open(status) for status in statuses)


def has_reported(last_report: datetime | None, since: datetime) -> bool:
    """Return whether the department's latest update (None: never) is at or after ``since``."""
    return last_report is not None and last_report >= since


def meeting_asks_for_update(kickoff: datetime | None, meeting_at: datetime) -> bool:
    """Return whether a weekly meeting at ``meeting_at`` is a checkpoint (its reminder comes after the kickoff)."""
    return kickoff is not None and kickoff <= meeting_at - UPDATE_WARNING


def checkpoints(
    kickoff: datetime, meetings: Sequence[WeeklyMeeting], start: datetime, until: datetime, tz: tzinfo
) -> list[datetime]:
    """Return the checkpoints after the kickoff from ``start`` to ``until`` (inclusive), in time order.

    The weekly meetings' times when the plan has any that can be read, else
    every ``REPORTING_PERIOD`` from the kickoff. A rule that cannot be read
    is the plan's finding (C-rules), not a reason to expect nothing.
    """
    found: set[datetime] = set()
    readable = False
    for meeting in meetings:
        try:
            held = occurrences(meeting.rrule, start.astimezone(tz), until, meeting.holiday_policy)
        except ValueError:
            continue
        readable = True
        found.update(o.at for o in held if o.at is not None and start <= o.at <= until)
    if readable:
        return sorted(at for at in found if meeting_asks_for_update(kickoff, at))
    first = max(1, -(-(start - kickoff) // REPORTING_PERIOD))  # the first multiple at or after start
    last = (until - kickoff) // REPORTING_PERIOD
    return [kickoff + i * REPORTING_PERIOD for i in range(first, last + 1)]


def periods_at(
    kickoff: datetime, meetings: Sequence[WeeklyMeeting], at: datetime, tz: tzinfo
) -> Periods | None:
    """Return the reporting periods around ``at`` (None before the kickoff)."""
    if at < kickoff:
        return None
    around = checkpoints(kickoff, meetings, max(kickoff, at - LOOKBACK), at + LOOKAHEAD, tz)
    past = [kickoff] + [c for c in around if c <= at]
    ahead = [c for c in around if c > at]
    return Periods(
        previous=past[-2] if len(past) > 1 else None,
        current=past[-1],
        next=ahead[0] if ahead else None,
    )


def weekly_meetings(collab: Collab) -> tuple[WeeklyMeeting, ...]:
    """Return the weekly-meeting rows of a collaboration's communication plan."""
    return tuple(
        WeeklyMeeting(rule.rrule, rule.holiday_policy)
        for rule in collab.communication
        if rule.channel == Channel.WEEKLY_MEETING and rule.frequency == FrequencyKind.RRULE and rule.rrule
    )
