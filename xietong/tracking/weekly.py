"""The weekly progress list (周进度清单), compiled from the progress updates: pure functions.

``compile_weekly`` takes the responsibility table's rows, their progress
updates and an ISO week, and returns what the initiator reviews at the
weekly meeting: per department, the rows grouped 已完成 / 进行中 / 逾期 /
阻塞 / 未开始, each with the latest update of the week; what changed since
last week; the departments that have not reported in the week (T03's
question, asked per week); totals. No database: the caller reads the facts
(``xietong.tracking.sources``) and passes "now", so a list is reproducible.

- **As of when.** A week that is over is compiled as of its end (Sunday,
  24:00, in the company's time zone) from the updates alone: a row's state
  is its last update by then, and a row nobody reported on counts as not
  started. A week not over yet (the live week) shows the table as it is now,
  whoever changed it, with the week's updates beside it.
- **Overdue** is derived, never stored: a deadline before the as-of day and
  not done. The deadline day itself is on time; a done row is never overdue.
- **Escalation** of a blocked row is ``rules.escalation``'s, as T02 and the
  reminders count it, to the as-of day: level 1 (the initiator) once the
  working days exceed ``escalation_working_days``, level 2 (the department
  heads) once they exceed twice that.
- **Reported** is ``rules.reporting``'s, as T03 and the reminder judge it, as
  of the list's moment: 已汇报 (updated since the current period began,
  i.e. since the last weekly meeting), 待汇报 (reported for the last one,
  the next is ahead) or 未汇报 (missed the last weekly meeting). A
  participating department with open rows must report from the kickoff up
  to the goal's deadline (before the closing). One without open rows that
  did not report is 无需汇报: it is counted apart, never as 未汇报.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.lib.limits import clamp_moment
from xietong.rules.escalation import blocked_working_days, escalation_level
from xietong.rules.reporting import (
    REPORTING_PERIOD,
    Periods,
    ReportState,
    WeeklyMeeting,
    must_report,
    periods_at,
)
from xietong.rules.snapshot import TaskStatus
from xietong.rules.tracking import STATUS_NAMES as TRACKING_STATUS_NAMES

# The version of the frozen content (WeeklyReport.content).
CONTENT_FORMAT = 1

_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week (Monday to Sunday), written ``2024-W32``."""

    year: int
    week: int

    def __post_init__(self) -> None:
        if not 2000 <= self.year <= 2100:
            raise ValueError("the year of a week is 2000 to 2100")
        date.fromisocalendar(self.year, self.week, 1)  # ValueError for a week the year lacks

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Return the week ``2024-W32`` (also ``2024W32``, ``2024-w32``); ValueError otherwise."""
        found = _WEEK.match(text.strip())
        if found is None:
            raise ValueError(f"not an ISO week (YYYY-Www): {text!r}")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """Return the week of ``day``; a day stored outside the weeks counted is in the nearest one."""
        # Data from before the date window (xietong.lib.limits) may hold 0001-01-01
        # or 9999-12-31: a page must still show, not fail.
        day = min(max(day, date(2000, 1, 3)), date(2100, 12, 31))
        year, week, _weekday = day.isocalendar()
        return cls(year, week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def start(self, tz: tzinfo) -> datetime:
        """Monday 00:00 of the week in ``tz``."""
        return datetime.combine(self.monday, time.min, tzinfo=tz)

    def end(self, tz: tzinfo) -> datetime:
        """The next Monday 00:00 in ``tz``: the week is ``start <= t < end``."""
        return datetime.combine(self.monday + timedelta(weeks=1), time.min, tzinfo=tz)

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - timedelta(weeks=1))

    def next(self) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=1))


class Group(StrEnum):
    """Where a row stands in the week's list (逾期 is derived, the rest are statuses)."""

    DONE = "done"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    BLOCKED = "blocked"
    NOT_STARTED = "not_started"


# The guide's order: 已完成 / 进行中 / 逾期 / 阻塞, then what has not started.
GROUP_ORDER = (Group.DONE, Group.IN_PROGRESS, Group.OVERDUE, Group.BLOCKED, Group.NOT_STARTED)
GROUP_NAMES: Mapping[Group, str | Promise] = {
    Group.DONE: _("已完成"),
    Group.IN_PROGRESS: _("进行中"),
    Group.OVERDUE: _("逾期"),
    Group.BLOCKED: _("阻塞"),
    Group.NOT_STARTED: _("未开始"),
}
STATUS_NAMES: Mapping[str, str | Promise] = TRACKING_STATUS_NAMES  # the statuses' names are T01's
ESCALATION_NAMES: Mapping[int, str | Promise] = {
    0: _("未到升级时限"),
    1: _("升级至发起部门负责人"),
    2: _("升级至相关部门负责人"),
}


# --- what goes in


@dataclass(frozen=True)
class TaskFacts:
    """A row of the responsibility table as it is now."""

    key: int
    description: str
    department: str  # "" when the row has none (R01)
    deadline: date | None
    status: str  # a TaskStatus
    percent: int = 0
    blocked_reason: str = ""
    blocked_since: datetime | None = None
    waiting_on: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class UpdateFacts:
    """A progress update (ProgressUpdate) of one row."""

    task: int
    department: str  # the department that reported (the row's responsible one then)
    at: datetime
    status: str
    percent: int = 0
    note: str = ""
    next_step: str = ""
    blocked_reason: str = ""
    waiting_on: str = ""
    author: str = ""
    # When the blocked run this update belongs to began, when the caller
    # knows it better than the updates it passes (an earlier run start).
    blocked_since: datetime | None = None


@dataclass(frozen=True)
class Execution:
    """When departments are expected to report: after the kickoff, up to the deadline, while open.

    ``meetings`` are the weekly meetings of the communication plan, which
    set when reports are due (``rules.reporting``).
    """

    kickoff: datetime | None = None
    deadline: date | None = None
    closed_at: datetime | None = None
    meetings: tuple[WeeklyMeeting, ...] = ()

    def expects_reports(self, week: IsoWeek, tz: tzinfo) -> bool:
        if self.kickoff is None or week.end(tz) <= clamp_moment(self.kickoff):
            return False
        if self.deadline is not None and week.monday > self.deadline:
            return False
        return self.closed_at is None or week.start(tz) < self.closed_at

    def periods(self, at: datetime, tz: tzinfo) -> Periods | None:
        """Return the reporting periods around ``at`` (None before the kickoff or without one)."""
        if self.kickoff is None:
            return None
        return periods_at(clamp_moment(self.kickoff), self.meetings, at, tz)


# --- what comes out


@dataclass(frozen=True)
class LatestUpdate:
    at: datetime
    author: str
    status: str
    percent: int
    note: str
    next_step: str

    @property
    def status_name(self) -> str | Promise:
        return STATUS_NAMES.get(self.status, self.status)


@dataclass(frozen=True)
class Blocker:
    reason: str
    waiting_on: str
    since: date | None
    working_days: int | None  # None when nobody knows since when
    level: int  # 0 none, 1 the initiator, 2 the department heads

    @property
    def level_name(self) -> str | Promise:
        return ESCALATION_NAMES[self.level]


@dataclass(frozen=True)
class Row:
    task: int
    description: str
    department: str
    deadline: date | None
    status: str  # the row's status as of the week (a TaskStatus)
    group: Group
    overdue: bool
    overdue_days: int
    percent: int
    update: LatestUpdate | None  # the latest update within the week
    blocker: Blocker | None

    @property
    def status_name(self) -> str | Promise:
        return STATUS_NAMES.get(self.status, self.status)

    @property
    def group_name(self) -> str | Promise:
        return GROUP_NAMES[self.group]


@dataclass(frozen=True)
class GroupRows:
    group: Group
    rows: tuple[Row, ...]

    @property
    def name(self) -> str | Promise:
        return GROUP_NAMES[self.group]


@dataclass(frozen=True)
class DepartmentWeek:
    name: str  # "" for rows without a department
    participant: bool
    rows: tuple[Row, ...]  # in group order, then the table's order
    reported: bool  # updated since the current reporting period began (已汇报)
    expected: bool  # had to report this week (a participant with open rows, during execution)
    last_report: datetime | None  # the latest update by the department up to the as-of moment
    late: bool = False  # missed the last checkpoint and has not reported since (rules.reporting LATE)

    @property
    def not_reported(self) -> bool:
        """Had to report and missed the last weekly meeting (未汇报, T03's finding)."""
        return self.expected and self.late

    @property
    def pending(self) -> bool:
        """Had to report, reported for the last meeting, not yet for the next (待汇报)."""
        return self.expected and not self.reported and not self.late

    @property
    def exempt(self) -> bool:
        """A participant without open rows that did not report: nothing to report (无需汇报)."""
        return self.participant and not self.reported and not must_report(r.status for r in self.rows)

    @property
    def groups(self) -> list[GroupRows]:
        """The non-empty groups, in the guide's order."""
        by_group: dict[Group, list[Row]] = defaultdict(list)
        for row in self.rows:
            by_group[row.group].append(row)
        return [GroupRows(g, tuple(by_group[g])) for g in GROUP_ORDER if by_group[g]]

    def count(self, group: Group) -> int:
        return sum(1 for row in self.rows if row.group == group)


@dataclass(frozen=True)
class StatusChange:
    task: int
    description: str
    department: str
    before: str | None  # the status of the last update before the week; None: first report
    after: str  # the status of the last update in the week
    at: datetime

    @property
    def before_name(self) -> str | Promise:
        return STATUS_NAMES.get(self.before, self.before) if self.before else _("首次汇报")

    @property
    def after_name(self) -> str | Promise:
        return STATUS_NAMES.get(self.after, self.after)


@dataclass(frozen=True)
class RowRef:
    """A row named in a change list: a new row, or one that became overdue this week."""

    task: int
    description: str
    department: str
    day: date | None  # the day it was added, or its deadline


@dataclass(frozen=True)
class Totals:
    rows: int
    done: int
    in_progress: int
    overdue: int
    blocked: int
    not_started: int
    escalated: int  # blocked rows at escalation level 1 or 2
    departments: int  # participants that must report (open rows) or reported; the exempt ones are apart
    reported: int  # of those, the ones that reported in the current period
    not_reported: int  # of those, the ones that missed the last weekly meeting (未汇报)
    exempt: int = 0  # participants without open rows (无需汇报); 0 in lists frozen before it was counted
    pending: int = 0  # of those, the ones still to report for the next meeting (待汇报)

    def of(self, group: Group) -> int:
        return int(getattr(self, group.value))


@dataclass(frozen=True)
class WeeklyList:
    week: IsoWeek
    as_of: datetime
    live: bool  # the week is not over: the table as it is now
    escalation_working_days: int
    departments: tuple[DepartmentWeek, ...]
    changes: tuple[StatusChange, ...]
    new_rows: tuple[RowRef, ...]
    newly_overdue: tuple[RowRef, ...]
    totals: Totals
    # The current reporting period as of the list: since when updates count, and the next checkpoint.
    reporting_since: datetime | None = None
    report_due: datetime | None = None

    @property
    def not_reported(self) -> list[str]:
        return [d.name for d in self.departments if d.not_reported]

    @property
    def pending(self) -> list[str]:
        """The departments still to report for the next checkpoint (待汇报)."""
        return [d.name for d in self.departments if d.pending]

    @property
    def rows(self) -> list[Row]:
        return [row for d in self.departments for row in d.rows]

    def to_content(self) -> dict[str, Any]:
        """Return the list as JSON-ready data (what a published report freezes)."""
        return to_content(self)


# --- compiling


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return moment.astimezone(tz).date()


def _seen(moment: datetime, start: datetime, end: datetime, now: datetime) -> tuple[bool, bool]:
    """Return whether ``moment`` is known by the list (up to now, before the week's end) and within the week."""
    known = moment <= now and moment < end
    return known, known and moment >= start


def _blocked_run_start(history: Sequence[UpdateFacts]) -> datetime | None:
    """Return when the trailing run of blocked updates began (None when the last one is not blocked)."""
    start: datetime | None = None
    for update in history:
        if update.status == TaskStatus.BLOCKED:
            if start is None:
                start = update.blocked_since or update.at
        else:
            start = None
    return start


def _group(status: str, overdue: bool) -> Group:
    if status == TaskStatus.DONE:
        return Group.DONE
    if status == TaskStatus.BLOCKED:
        return Group.BLOCKED
    if overdue:
        return Group.OVERDUE
    return Group.IN_PROGRESS if status == TaskStatus.IN_PROGRESS else Group.NOT_STARTED


def compile_weekly(
    tasks: Sequence[TaskFacts],
    updates: Iterable[UpdateFacts],
    week: IsoWeek,
    now: datetime,
    *,
    tz: tzinfo,
    departments: Sequence[str] = (),
    escalation_working_days: int = 2,
    execution: Execution | None = None,
    last_reports: Mapping[str, datetime] | None = None,
) -> WeeklyList:
    """Return the weekly progress list of ``week`` as of ``now``.

    ``tasks`` in the table's order; ``updates`` must hold at least every
    update of the week and each row's last update before it (more is fine);
    ``departments`` are the participating ones, in their order. Updates
    later than ``now`` are ignored. ``last_reports`` are each department's
    latest update up to the as-of moment, when the caller knows them better
    than ``updates`` do (an update from before the week). ``execution`` None
    expects every department with open rows to report by every Monday.
    """
    start, end = week.start(tz), week.end(tz)
    live = now < end
    as_of = now if live else end
    as_of_day = _local_day(now, tz) if live else week.sunday
    previous_sunday = week.monday - timedelta(days=1)
    limit = escalation_working_days

    history: dict[int, list[UpdateFacts]] = defaultdict(list)
    last_report: dict[str, datetime] = {}
    for update in sorted(updates, key=lambda u: u.at):
        if not _seen(update.at, start, end, now)[0]:
            continue
        history[update.task].append(update)
        if update.department:
            last_report[update.department] = update.at  # in time order: the last one wins

    rows_by_department: dict[str, list[Row]] = defaultdict(list)
    changes: list[StatusChange] = []
    new_rows: list[RowRef] = []
    newly_overdue: list[RowRef] = []
    for task in tasks:
        past = history.get(task.key, [])
        before = [u for u in past if u.at < start]
        in_week = [u for u in past if u.at >= start]
        prior = before[-1] if before else None
        latest = in_week[-1] if in_week else None
        if live:
            status, percent = task.status, task.percent
            reason, waiting_on, since = task.blocked_reason, task.waiting_on, task.blocked_since
        elif latest or prior:
            state = latest or prior
            assert state is not None
            status, percent = state.status, state.percent
            reason, waiting_on = state.blocked_reason, state.waiting_on
            since = _blocked_run_start(past)
        else:
            status, percent, reason, waiting_on, since = TaskStatus.NOT_STARTED, 0, "", "", None
        if status == TaskStatus.DONE:
            percent = 100
        overdue = task.deadline is not None and task.deadline < as_of_day and status != TaskStatus.DONE
        blocker = None
        if status == TaskStatus.BLOCKED:
            since_day = _local_day(since, tz) if since is not None else None
            days = blocked_working_days(since_day, as_of_day) if since_day is not None else None
            blocker = Blocker(reason, waiting_on, since_day, days, escalation_level(days, limit))
        row = Row(
            task=task.key,
            description=task.description,
            department=task.department,
            deadline=task.deadline,
            status=status,
            group=_group(status, overdue),
            overdue=overdue,
            overdue_days=(as_of_day - task.deadline).days if overdue and task.deadline else 0,
            percent=percent,
            update=LatestUpdate(
                latest.at, latest.author, latest.status, latest.percent, latest.note, latest.next_step
            )
            if latest
            else None,
            blocker=blocker,
        )
        rows_by_department[task.department].append(row)
        if latest is not None:
            was = prior.status if prior else None
            if (was or TaskStatus.NOT_STARTED) != latest.status:
                changes.append(
                    StatusChange(task.key, task.description, task.department, was, latest.status, latest.at)
                )
        if task.created_at is not None and _seen(task.created_at, start, end, now) == (True, True):
            new_rows.append(
                RowRef(task.key, task.description, task.department, _local_day(task.created_at, tz))
            )
        if overdue and task.deadline is not None and task.deadline >= previous_sunday:
            newly_overdue.append(RowRef(task.key, task.description, task.department, task.deadline))

    if execution is None:  # reports due every Monday 00:00
        execution = Execution(kickoff=start - REPORTING_PERIOD)
    expects = execution.expects_reports(week, tz)
    for name, at in (last_reports or {}).items():
        if at <= as_of and (name not in last_report or at > last_report[name]):
            last_report[name] = at
    periods = execution.periods(as_of, tz)
    participants = list(dict.fromkeys(d for d in departments))
    names = participants + [n for n in rows_by_department if n and n not in participants]
    if "" in rows_by_department:
        names.append("")
    weeks: list[DepartmentWeek] = []
    for name in names:
        rows = rows_by_department.get(name, [])
        ordered = sorted(rows, key=lambda r: GROUP_ORDER.index(r.group))  # stable: the table's order within
        is_participant = name in participants
        report_state = periods.state(last_report.get(name)) if periods is not None else None
        weeks.append(
            DepartmentWeek(
                name=name,
                participant=is_participant,
                rows=tuple(ordered),
                reported=report_state == ReportState.REPORTED,
                expected=expects
                and periods is not None
                and is_participant
                and must_report(r.status for r in rows),
                last_report=last_report.get(name),
                late=report_state == ReportState.LATE,
            )
        )
    all_rows = [r for d in weeks for r in d.rows]
    counted = [d for d in weeks if d.participant and not d.exempt]
    totals = Totals(
        rows=len(all_rows),
        done=sum(1 for r in all_rows if r.group == Group.DONE),
        in_progress=sum(1 for r in all_rows if r.group == Group.IN_PROGRESS),
        overdue=sum(1 for r in all_rows if r.group == Group.OVERDUE),
        blocked=sum(1 for r in all_rows if r.group == Group.BLOCKED),
        not_started=sum(1 for r in all_rows if r.group == Group.NOT_STARTED),
        escalated=sum(1 for r in all_rows if r.blocker is not None and r.blocker.level > 0),
        departments=len(counted),
        reported=sum(1 for d in counted if d.reported),
        not_reported=sum(1 for d in counted if d.not_reported),
        exempt=sum(1 for d in weeks if d.exempt),
        pending=sum(1 for d in counted if d.pending),
    )
    return WeeklyList(
        week=week,
        as_of=as_of,
        live=live,
        escalation_working_days=limit,
        departments=tuple(weeks),
        changes=tuple(changes),
        new_rows=tuple(new_rows),
        newly_overdue=tuple(newly_overdue),
        totals=totals,
        reporting_since=periods.current if periods is not None else None,
        report_due=periods.next if periods is not None else None,
    )


# --- frozen content (JSON) and back


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _row_content(row: Row) -> dict[str, Any]:
    update = row.update
    blocker = row.blocker
    return {
        "task": row.task,
        "description": row.description,
        "department": row.department,
        "deadline": _iso(row.deadline),
        "status": row.status,
        "group": row.group.value,
        "overdue": row.overdue,
        "overdue_days": row.overdue_days,
        "percent": row.percent,
        "update": {
            "at": update.at.isoformat(),
            "author": update.author,
            "status": update.status,
            "percent": update.percent,
            "note": update.note,
            "next_step": update.next_step,
        }
        if update
        else None,
        "blocker": {
            "reason": blocker.reason,
            "waiting_on": blocker.waiting_on,
            "since": _iso(blocker.since),
            "working_days": blocker.working_days,
            "level": blocker.level,
        }
        if blocker
        else None,
    }


def _ref_content(ref: RowRef) -> dict[str, Any]:
    return {
        "task": ref.task,
        "description": ref.description,
        "department": ref.department,
        "day": _iso(ref.day),
    }


def to_content(weekly: WeeklyList) -> dict[str, Any]:
    """Return ``weekly`` as JSON-ready data; ``from_content`` reads it back."""
    totals = weekly.totals
    return {
        "format": CONTENT_FORMAT,
        "week": str(weekly.week),
        "starts": weekly.week.monday.isoformat(),
        "ends": weekly.week.sunday.isoformat(),
        "as_of": weekly.as_of.isoformat(),
        "live": weekly.live,
        "escalation_working_days": weekly.escalation_working_days,
        "reporting_since": _iso(weekly.reporting_since),
        "report_due": _iso(weekly.report_due),
        "departments": [
            {
                "name": d.name,
                "participant": d.participant,
                "reported": d.reported,
                "expected": d.expected,
                "not_reported": d.not_reported,
                "late": d.late,
                "pending": d.pending,
                "exempt": d.exempt,
                "last_report": _iso(d.last_report),
                "rows": [_row_content(r) for r in d.rows],
            }
            for d in weekly.departments
        ],
        "changes": [
            {
                "task": c.task,
                "description": c.description,
                "department": c.department,
                "before": c.before,
                "after": c.after,
                "at": c.at.isoformat(),
            }
            for c in weekly.changes
        ],
        "new_rows": [_ref_content(r) for r in weekly.new_rows],
        "newly_overdue": [_ref_content(r) for r in weekly.newly_overdue],
        "not_reported": weekly.not_reported,
        "totals": {
            "rows": totals.rows,
            "done": totals.done,
            "in_progress": totals.in_progress,
            "overdue": totals.overdue,
            "blocked": totals.blocked,
            "not_started": totals.not_started,
            "escalated": totals.escalated,
            "departments": totals.departments,
            "reported": totals.reported,
            "not_reported": totals.not_reported,
            "exempt": totals.exempt,
            "pending": totals.pending,
        },
    }


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _row_from(data: Mapping[str, Any]) -> Row:
    update, blocker = data.get("update"), data.get("blocker")
    at = _moment(update["at"]) if update else None
    return Row(
        task=int(data["task"]),
        description=str(data["description"]),
        department=str(data["department"]),
        deadline=_day(data.get("deadline")),
        status=str(data["status"]),
        group=Group(data["group"]),
        overdue=bool(data["overdue"]),
        overdue_days=int(data.get("overdue_days", 0)),
        percent=int(data["percent"]),
        update=LatestUpdate(
            at=at,
            author=str(update.get("author", "")),
            status=str(update["status"]),
            percent=int(update["percent"]),
            note=str(update.get("note", "")),
            next_step=str(update.get("next_step", "")),
        )
        if update and at is not None
        else None,
        blocker=Blocker(
            reason=str(blocker.get("reason", "")),
            waiting_on=str(blocker.get("waiting_on", "")),
            since=_day(blocker.get("since")),
            working_days=blocker.get("working_days"),
            level=int(blocker.get("level", 0)),
        )
        if blocker
        else None,
    )


def _ref_from(data: Mapping[str, Any]) -> RowRef:
    return RowRef(int(data["task"]), str(data["description"]), str(data["department"]), _day(data.get("day")))


def from_content(content: Mapping[str, Any]) -> WeeklyList:
    """Return the list frozen by ``to_content`` (a published report), to show it as published."""
    as_of = _moment(content["as_of"])
    assert as_of is not None
    return WeeklyList(
        week=IsoWeek.parse(content["week"]),
        as_of=as_of,
        live=bool(content.get("live", False)),
        escalation_working_days=int(content.get("escalation_working_days", 2)),
        departments=tuple(
            DepartmentWeek(
                name=str(d["name"]),
                participant=bool(d["participant"]),
                rows=tuple(_row_from(r) for r in d["rows"]),
                reported=bool(d["reported"]),
                expected=bool(d["expected"]),
                last_report=_moment(d.get("last_report")),
                # Lists frozen before the states had only "not reported in the week".
                late=bool(d.get("late", d.get("not_reported", False))),
            )
            for d in content["departments"]
        ),
        changes=tuple(
            StatusChange(
                task=int(c["task"]),
                description=str(c["description"]),
                department=str(c["department"]),
                before=c.get("before"),
                after=str(c["after"]),
                at=datetime.fromisoformat(c["at"]),
            )
            for c in content["changes"]
        ),
        new_rows=tuple(_ref_from(r) for r in content.get("new_rows", [])),
        newly_overdue=tuple(_ref_from(r) for r in content.get("newly_overdue", [])),
        totals=Totals(**{k: int(v) for k, v in content["totals"].items()}),
        reporting_since=_moment(content.get("reporting_since")),
        report_due=_moment(content.get("report_due")),
    )
