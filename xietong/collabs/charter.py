"""The charter format v1: one JSON document that describes a collaboration.

``parse_charter`` reads and validates a document into the rules' snapshot
(``xietong.rules.snapshot.Collab``); ``dump_charter`` writes a snapshot back.
Validation is about *form*: unknown keys, wrong types, impossible dates and
unknown enum values are ``CharterError`` with the path of the offending value
(``tasks[3].deadline``). A missing or empty value is not a format error: it
stays empty and the rules judge it (R01, R03, P01 …). A department's
``liaison`` and a task's ``department`` may be a list in a malformed charter;
they are kept as tuples so that P02 and R02 can report them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator
from pydantic_core import ErrorDetails

from xietong.collabs.models import Collaboration, Metric, SubGoal
from xietong.lib.limits import TEXT_LIMIT, check_date, check_length, limit_of
from xietong.orgs.models import Department, Person
from xietong.rules import snapshot as s


class CharterError(ValueError):
    """The document cannot be read as a charter; ``str()`` is a one-line reason."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


# --- value types: each turns JSON into a Python value or raises a clear error


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(_("应为文本"))
    return value.strip()


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    raise ValueError(_("应为一个名称或名称列表"))


def _text_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    raise ValueError(_("应为文本列表"))


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    # bool is an int in Python, but true/false is never a target.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("应为数字"))
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(_("应为有限的数字"))
    return Decimal(str(value))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(_("应为日期 YYYY-MM-DD"))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("不存在的日期 %(value)s") % {"value": value}) from None


def _datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError(_("应为日期时间,如 2024-07-08T10:00:00+08:00"))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(_("不存在的日期时间 %(value)s") % {"value": value}) from None
    if moment.tzinfo is None:
        # A time without an offset is the company's local time.
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


def _fits(limit: int) -> AfterValidator:
    """Refuse a text, or a name of a list, longer than ``limit`` (what PostgreSQL's column holds)."""
    one = check_length(limit)

    def check(value: Any) -> Any:
        for text in value if isinstance(value, tuple) else (value,):
            one(text)
        return value

    return AfterValidator(check)


# A long text (background, a statement, duties, a standard) and the shorter
# columns; every limit is the database's (``xietong.lib.limits``).
Text = Annotated[str, BeforeValidator(_text), _fits(TEXT_LIMIT)]
Title = Annotated[str, BeforeValidator(_text), _fits(limit_of(Collaboration, "title"))]
# a metric, an owner, a trigger
Label = Annotated[str, BeforeValidator(_text), _fits(limit_of(Metric, "name"))]
Unit = Annotated[str, BeforeValidator(_text), _fits(limit_of(Metric, "unit"))]
Rule = Annotated[str, BeforeValidator(_text), _fits(limit_of(SubGoal, "rrule"))]
Name = Annotated[str, BeforeValidator(_text), _fits(limit_of(Department, "name"))]  # a department or person
Names = Annotated[tuple[str, ...], BeforeValidator(_names), _fits(limit_of(Person, "display_name"))]
TextList = Annotated[tuple[str, ...], BeforeValidator(_text_list), _fits(TEXT_LIMIT)]
Number = Annotated[Decimal | None, BeforeValidator(_number)]
Date = Annotated[date | None, BeforeValidator(_date), AfterValidator(check_date)]
DateTime = Annotated[datetime | None, BeforeValidator(_datetime), AfterValidator(check_date)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Initiator(_Section):
    department: Name = ""
    owner: Name = ""


class MetricIn(_Section):
    name: Label = ""
    unit: Unit = ""
    baseline: Number = None
    target: Number = None
    direction: s.Direction | None = None
    scale_max: Number = None


class GoalIn(_Section):
    statement: Text = ""
    deadline: Date = None
    metrics: list[MetricIn] = []


class DepartmentIn(_Section):
    name: Name = ""
    liaison: Names = ()
    head: Name = ""
    duties: Text = ""
    role: Literal["lead", "support"] | None = None


class KickoffIn(_Section):
    scheduled_at: DateTime = None
    agenda_sent_at: DateTime = None
    minutes_issued_at: DateTime = None
    confirmations: dict[str, DateTime] = {}


class TaskIn(_Section):
    description: Text = ""
    department: Names = ()
    standard: Text = ""
    deadline: Date = None
    collaborators: Names = ()
    status: s.TaskStatus | None = None
    blocked_reason: Text = ""


_DEADLINE_KEYS = {
    s.DeadlineKind.FIXED: {"kind", "date"},
    s.DeadlineKind.RECURRING: {"kind", "rrule"},
    s.DeadlineKind.SLA: {"kind", "hours", "trigger"},
}


class DeadlineIn(_Section):
    kind: s.DeadlineKind
    date: Date = None
    rrule: Rule = ""
    hours: Number = None
    trigger: Label = ""

    @model_validator(mode="before")
    @classmethod
    def _keys_fit_kind(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("kind"), str) and data["kind"] in _DEADLINE_KEYS:
            stray = sorted(set(data) - _DEADLINE_KEYS[s.DeadlineKind(data["kind"])])
            if stray:
                raise ValueError(
                    _("%(keys)s 不属于 %(kind)s 类型的时限")
                    % {"keys": ", ".join(stray), "kind": data["kind"]}
                )
        return data


class SubGoalIn(_Section):
    description: Text = ""
    department: Name = ""
    metric: Label = ""
    target: Number = None
    unit: Unit = ""
    deadline: DeadlineIn | None = None


def _frequency(value: Any) -> tuple[s.FrequencyKind | None, str]:
    if value is None or value == "":
        return (None, "")
    if value in (s.FrequencyKind.REALTIME, s.FrequencyKind.ON_DEMAND):
        return (s.FrequencyKind(value), "")
    if isinstance(value, dict) and set(value) == {"rrule"} and isinstance(value["rrule"], str):
        return (s.FrequencyKind.RRULE, value["rrule"].strip())
    raise ValueError(_('应为 "realtime"、"on_demand" 或 {"rrule": "…"}'))


class CommunicationIn(_Section):
    scenario: s.Scenario | None = None
    channel: s.Channel | None = None
    frequency: Annotated[tuple[s.FrequencyKind | None, str], BeforeValidator(_frequency)] = (None, "")
    outputs: TextList = ()
    owner: Label = ""
    admin: Label = ""


class CharterIn(_Section):
    title: Title = ""
    type: s.CollabType | None = None
    background: Text = ""
    expected_outcome: Text = ""
    initiator: Initiator | None = None
    goal: GoalIn | None = None
    departments: list[DepartmentIn] = []
    kickoff: KickoffIn | None = None
    tasks: list[TaskIn] = []
    subgoals: list[SubGoalIn] = []
    communication: list[CommunicationIn] = []


# --- reading


def _path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _reason(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _("未知的键")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("应为对象")
    if kind in ("list_type", "tuple_type"):
        return _("应为列表")
    if kind == "missing":
        return _("缺少此项")
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        return _("不是允许的值(可选:%(expected)s)") % {"expected": expected}
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return error["msg"]


def parse_charter(raw: str | bytes | dict[str, Any]) -> s.Collab:
    """Return the snapshot of a charter given as JSON text or a decoded object.

    Raises ``CharterError`` naming the first offending path.
    """
    if isinstance(raw, str | bytes):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CharterError(
                "",
                _("不是有效的 JSON(第 %(line)s 行第 %(col)s 列:%(msg)s)")
                % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            ) from None
        except UnicodeDecodeError:
            raise CharterError("", _("文件不是 UTF-8 编码")) from None
        except RecursionError:
            # A hostile file of 100,000 nested brackets exhausts the parser's stack.
            raise CharterError("", _("JSON 嵌套层数过多,不是章程")) from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise CharterError("", _("章程应为 JSON 对象"))
    try:
        charter = CharterIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CharterError(_path(first["loc"]), _reason(first)) from None
    return to_snapshot(charter)


def to_snapshot(charter: CharterIn) -> s.Collab:
    goal = None
    if charter.goal is not None:
        goal = s.Goal(
            statement=charter.goal.statement,
            deadline=charter.goal.deadline,
            metrics=tuple(
                s.Metric(
                    name=m.name,
                    unit=m.unit,
                    baseline=m.baseline,
                    target=m.target,
                    direction=m.direction,
                    scale_max=m.scale_max,
                )
                for m in charter.goal.metrics
            ),
        )
    kickoff = None
    if charter.kickoff is not None:
        kickoff = s.Kickoff(
            scheduled_at=charter.kickoff.scheduled_at,
            agenda_sent_at=charter.kickoff.agenda_sent_at,
            minutes_issued_at=charter.kickoff.minutes_issued_at,
            confirmations={k.strip(): v for k, v in charter.kickoff.confirmations.items() if v is not None},
        )
    initiator = charter.initiator or Initiator()
    return s.Collab(
        title=charter.title,
        type=charter.type,
        background=charter.background,
        expected_outcome=charter.expected_outcome,
        initiator_department=initiator.department,
        initiator_owner=initiator.owner,
        goal=goal,
        departments=tuple(
            s.Department(
                name=d.name, liaisons=d.liaison, head=d.head, duties=d.duties, role=d.role or "support"
            )
            for d in charter.departments
        ),
        kickoff=kickoff,
        tasks=tuple(
            s.Task(
                description=t.description,
                departments=t.department,
                standard=t.standard,
                deadline=t.deadline,
                collaborators=t.collaborators,
                status=t.status or s.TaskStatus.NOT_STARTED,
                blocked_reason=t.blocked_reason,
            )
            for t in charter.tasks
        ),
        subgoals=tuple(
            s.SubGoal(
                description=g.description,
                department=g.department,
                metric=g.metric,
                target=g.target,
                unit=g.unit,
                time_limit=None
                if g.deadline is None
                else s.TimeLimit(
                    kind=g.deadline.kind,
                    date=g.deadline.date,
                    rrule=g.deadline.rrule,
                    hours=g.deadline.hours,
                    trigger=g.deadline.trigger,
                ),
            )
            for g in charter.subgoals
        ),
        communication=tuple(
            s.CommunicationRule(
                scenario=c.scenario,
                channel=c.channel,
                frequency=c.frequency[0],
                rrule=c.frequency[1],
                outputs=c.outputs,
                owner=c.owner,
                admin=c.admin,
            )
            for c in charter.communication
        ),
    )


# --- writing


def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _one_or_many(names: tuple[str, ...]) -> str | list[str] | None:
    if not names:
        return None
    return names[0] if len(names) == 1 else list(names)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time_limit(limit: s.TimeLimit | None) -> dict[str, Any] | None:
    if limit is None:
        return None
    if limit.kind == s.DeadlineKind.FIXED:
        return {"kind": "fixed", "date": limit.date.isoformat() if limit.date else None}
    if limit.kind == s.DeadlineKind.RECURRING:
        return {"kind": "recurring", "rrule": limit.rrule}
    return {"kind": "sla", "hours": _num(limit.hours), "trigger": limit.trigger}


def _frequency_out(rule: s.CommunicationRule) -> str | dict[str, str] | None:
    if rule.frequency == s.FrequencyKind.RRULE:
        return {"rrule": rule.rrule}
    return str(rule.frequency) if rule.frequency else None


def dump_charter(collab: s.Collab) -> dict[str, Any]:
    """Return the charter document (a JSON-ready dict) of a snapshot."""
    goal = collab.goal
    kickoff = collab.kickoff
    return {
        "title": collab.title,
        "type": str(collab.type) if collab.type else None,
        "background": collab.background,
        "expected_outcome": collab.expected_outcome,
        "initiator": {"department": collab.initiator_department, "owner": collab.initiator_owner},
        "goal": None
        if goal is None
        else {
            "statement": goal.statement,
            "deadline": goal.deadline.isoformat() if goal.deadline else None,
            "metrics": [
                {
                    "name": m.name,
                    "unit": m.unit,
                    "baseline": _num(m.baseline),
                    "target": _num(m.target),
                    "direction": str(m.direction) if m.direction else None,
                    "scale_max": _num(m.scale_max),
                }
                for m in goal.metrics
            ],
        },
        "departments": [
            {
                "name": d.name,
                "liaison": _one_or_many(d.liaisons),
                "head": d.head,
                "duties": d.duties,
                "role": d.role,
            }
            for d in collab.departments
        ],
        "kickoff": None
        if kickoff is None
        else {
            "scheduled_at": _iso(kickoff.scheduled_at),
            "agenda_sent_at": _iso(kickoff.agenda_sent_at),
            "minutes_issued_at": _iso(kickoff.minutes_issued_at),
            "confirmations": {name: moment.isoformat() for name, moment in kickoff.confirmations.items()},
        },
        "tasks": [
            {
                "description": t.description,
                "department": _one_or_many(t.departments),
                "standard": t.standard,
                "deadline": t.deadline.isoformat() if t.deadline else None,
                "collaborators": list(t.collaborators),
                "status": str(t.status),
                "blocked_reason": t.blocked_reason or None,
            }
            for t in collab.tasks
        ],
        "subgoals": [
            {
                "description": g.description,
                "department": g.department,
                "metric": g.metric,
                "target": _num(g.target),
                "unit": g.unit,
                "deadline": _time_limit(g.time_limit),
            }
            for g in collab.subgoals
        ],
        "communication": [
            {
                "scenario": str(c.scenario) if c.scenario else None,
                "channel": str(c.channel) if c.channel else None,
                "frequency": _frequency_out(c),
                "outputs": list(c.outputs),
                "owner": c.owner,
                "admin": c.admin or None,
            }
            for c in collab.communication
        ],
    }
