"""The plain, immutable form of a collaboration that the rules judge.

It is built either from a charter file (``xietong.charter.format``) or from
the database (``xietong.collabs.snapshots``), so the same rules lint files and
judge stored collaborations. Values that are missing stay ``None`` or empty:
judging them is the rules' job, not the loader's. Fields that a malformed
charter may hold as lists (a department's liaison, a task's department) are
tuples here, so that P02 and R02 can see two names.

``key`` is the database id of a stored row (None for a charter), so a page can
link a finding's object path back to the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"
    REACH = "reach"


class TaskStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class DeadlineKind(StrEnum):
    FIXED = "fixed"
    RECURRING = "recurring"
    SLA = "sla"


class Scenario(StrEnum):
    PROGRESS_SYNC = "progress_sync"
    DECISION = "decision"
    RISK_WARNING = "risk_warning"
    OTHER = "other"


class Channel(StrEnum):
    IM_GROUP = "im_group"
    WEEKLY_MEETING = "weekly_meeting"
    ADHOC_MEETING = "adhoc_meeting"
    EMAIL = "email"


class FrequencyKind(StrEnum):
    REALTIME = "realtime"
    ON_DEMAND = "on_demand"
    RRULE = "rrule"


class CollabType(StrEnum):
    PROJECT = "project"
    PROBLEM_SOLVING = "problem_solving"
    RESOURCE_COORDINATION = "resource_coordination"
    PROCESS_OPTIMIZATION = "process_optimization"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    unit: str = ""
    baseline: Decimal | None = None
    target: Decimal | None = None
    direction: Direction | None = None
    scale_max: Decimal | None = None
    key: int | None = None


@dataclass(frozen=True, slots=True)
class Goal:
    statement: str = ""
    deadline: date | None = None
    metrics: tuple[Metric, ...] = ()


@dataclass(frozen=True, slots=True)
class Department:
    """A participating department as listed in the collaboration."""

    name: str
    liaisons: tuple[str, ...] = ()
    head: str = ""
    duties: str = ""
    role: str = "support"
    # When the department last reported progress on its rows (T03).
    last_report: datetime | None = None
    key: int | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """One row of the responsibility table (部门职责分工表)."""

    description: str = ""
    departments: tuple[str, ...] = ()
    standard: str = ""
    deadline: date | None = None
    collaborators: tuple[str, ...] = ()
    status: TaskStatus = TaskStatus.NOT_STARTED
    blocked_reason: str = ""
    blocked_since: datetime | None = None
    escalated_at: datetime | None = None
    # The closing verdict on the deliverable: None until it is judged (A01).
    accepted: bool | None = None
    # 执行人 and 关注人 by name (a charter's optional ``assignee`` and ``watchers``); no rule judges them.
    assignee: str = ""
    watchers: tuple[str, ...] = ()
    key: int | None = None


@dataclass(frozen=True, slots=True)
class TimeLimit:
    kind: DeadlineKind
    date: date | None = None
    rrule: str = ""
    hours: Decimal | None = None
    trigger: str = ""


@dataclass(frozen=True, slots=True)
class SubGoal:
    description: str = ""
    department: str = ""
    metric: str = ""
    target: Decimal | None = None
    unit: str = ""
    time_limit: TimeLimit | None = None
    key: int | None = None


@dataclass(frozen=True, slots=True)
class CommunicationRule:
    scenario: Scenario | None = None
    channel: Channel | None = None
    frequency: FrequencyKind | None = None
    rrule: str = ""
    # What a meeting falling on a day off does (lib.schedule: postpone, skip, keep).
    holiday_policy: str = "postpone"
    outputs: tuple[str, ...] = ()
    owner: str = ""
    admin: str = ""
    key: int | None = None


@dataclass(frozen=True, slots=True)
class ProxyConfirmation:
    """A confirmation of the minutes recorded for a department's head by someone else (代确认)."""

    by: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Kickoff:
    scheduled_at: datetime | None = None
    agenda_sent_at: datetime | None = None
    minutes_issued_at: datetime | None = None
    # department name -> when its head confirmed the minutes
    confirmations: Mapping[str, datetime] = field(default_factory=dict)
    key: int | None = None
    # department name -> who recorded its confirmation for the head and why (代确认);
    # a subset of ``confirmations``
    proxies: Mapping[str, ProxyConfirmation] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Collab:
    title: str = ""
    type: CollabType | None = None
    background: str = ""
    expected_outcome: str = ""
    initiator_department: str = ""
    initiator_owner: str = ""
    goal: Goal | None = None
    departments: tuple[Department, ...] = ()
    kickoff: Kickoff | None = None
    tasks: tuple[Task, ...] = ()
    subgoals: tuple[SubGoal, ...] = ()
    communication: tuple[CommunicationRule, ...] = ()
    closed_at: datetime | None = None
    has_retrospective: bool = False
    # Progress reports exist only in the database: a charter file says nothing
    # about them, so T03 stays quiet on one.
    reports_known: bool = False
    key: int | None = None

    @property
    def department_names(self) -> frozenset[str]:
        return frozenset(d.name for d in self.departments if d.name)
