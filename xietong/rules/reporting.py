"""Progress reporting (周进度汇报): who must report, and who has, defined once.

The weekly list (``tracking.weekly``), rule T03 (``rules.tracking``) and the
weekly-update reminder (``notify.reminders``) all ask these questions; they
import the answers from here so that a page, a finding and a reminder never
disagree about the same department.

- A participating department **must report** when it has open rows (a row
  of the responsibility table that is not done). One whose rows are all
  done, or that has none, is exempt (无需汇报) and never counts as 未汇报.
- It **has reported** when its latest update is at or after the start of
  the period asked about (a week, the time since the last weekly meeting).
- Reporting starts with execution: the first report is due
  ``REPORTING_PERIOD`` after the kickoff, and a weekly meeting asks for an
  update only when the day before it (when the reminder goes out) comes
  after the kickoff.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from xietong.rules.snapshot import TaskStatus

# A department reports on its rows at least once a week.
REPORTING_PERIOD = timedelta(days=7)
# Departments are reminded this long before a weekly meeting.
UPDATE_WARNING = timedelta(hours=24)


def is_open(status: str) -> bool:
    """Return True for a row still to be worked on (anything but done)."""
    return status != TaskStatus.DONE


def must_report(statuses: Iterable[str]) -> bool:
    """Return whether a department with rows in ``statuses`` must report (it has an open row)."""
    return any(is_open(status) for status in statuses)


def has_reported(last_report: datetime | None, since: datetime) -> bool:
    """Return whether the department's latest update (None: never) is at or after ``since``."""
    return last_report is not None and last_report >= since


def first_report_due(kickoff: datetime) -> datetime:
    """Return when the first report after the kickoff is due."""
    return kickoff + REPORTING_PERIOD


def meeting_asks_for_update(kickoff: datetime | None, meeting_at: datetime) -> bool:
    """Return whether a weekly meeting at ``meeting_at`` asks departments to have updated first.

    Not before the kickoff is held: the first such meeting is the first one
    whose reminder (``UPDATE_WARNING`` before it) comes after the kickoff,
    so nobody is asked to report on rows agreed in a meeting that has not
    taken place.
    """
    return kickoff is not None and kickoff <= meeting_at - UPDATE_WARNING
