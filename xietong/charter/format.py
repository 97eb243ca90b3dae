"""The charter format v1: one JSON document that describes a collaboration.

``parse_charter`` reads and validates a document into the rules' snapshot
(``xietong.rules.snapshot.Collab``); ``dump_charter`` writes a snapshot back;
``charter_json_schema`` describes the document (the API's OpenAPI spec), from
the same models that validate it. Validation is about *form*: malformed JSON,
unknown keys, wrong types, impossible dates, unknown enum values, texts longer
than their column or holding a NUL character, numbers larger than their column
are ``CharterError`` with the path of the offending value (``tasks[3].deadline``).
A missing or empty value is not a format error: it stays empty and the rules
judge it (R01, R03, P01 …). A department's ``liaison`` and a task's
``department`` may be a list in a malformed charter; they are kept as tuples
so that P02 and R02 can report them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import ErrorDetails

from xietong.collabs.models import Collaboration, Metric, SubGoal
from xietong.lib.limits import TEXT_LIMIT, check_date, check_length, limit_of
from xietong.meetings.models import MinutesConfirmation
from xietong.orgs.models import Department, Person
from xietong.rules import snapshot as s


def printable(text: str) -> str:
    """Return ``text`` with every unprintable character (a new line, a NUL …) escaped as Python writes it."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class Problem:
    """One reason a charter is refused: ``path`` names the value (``tasks[3].deadline``, "" the document)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class CharterError(ValueError):
    """The charter cannot be read or stored, and nothing was written; ``str()`` is one line.

    Every way in (the API, the workbook page, ``xietong import``) turns only
    this error into its medium. ``problems`` lists every reason, in order;
    ``path`` and ``reason`` are the first one's.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        assert problems
        # A key or a value quoted back may hold a new line or a NUL: escaped, so the
        # message stays one line on a terminal, in a log and in the API's answer.
        self.problems = [Problem(printable(p.path), printable(p.reason)) for p in problems]
        super().__init__("; ".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, path: str, reason: str) -> CharterError:
        """Return the error of one problem at ``path``."""
        return cls([Problem(path, reason)])

    @property
    def path(self) -> str:
        return self.problems[0].path

    @property
    def reason(self) -> str:
        return self.problems[0].reason


# PostgreSQL cannot store a NUL character in a text; SQLite can. Refusing it here
# makes both databases (and every way in) answer alike.
NUL = "\x00"


def _no_nul(text: str) -> str:
    if NUL in text:
        raise ValueError(_("不能包含空字符 (NUL)"))
    return text


# --- value types: each turns JSON into a Python value or raises a clear error


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(_("应为文本"))
    return _no_nul(value).strip()


def _filled(value: str) -> str:
    """Refuse an empty text where the format requires one (a proxy confirmation's who and why)."""
    if not value:
        raise ValueError(_("不能为空"))
    return value


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (_no_nul(value).strip(),) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(_no_nul(item).strip() for item in value if item.strip())
    raise ValueError(_("应为一个名称或名称列表"))


def _text_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(_no_nul(item).strip() for item in value if item.strip())
    raise ValueError(_("应为文本列表"))


def _number_limit() -> int:
    """Return the bound of every number of a charter: its columns hold 20 digits, 4 after the point."""
    field = Metric._meta.get_field("baseline")
    assert isinstance(field, models.DecimalField)
    return int(10 ** (field.max_digits - field.decimal_places))


NUMBER_LIMIT = _number_limit()


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    # bool is an int in Python, but true/false is never a target.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("应为数字"))
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(_("应为有限的数字"))
    number = Decimal(str(value))
    if abs(number) >= NUMBER_LIMIT:
        # PostgreSQL refuses it ("numeric field overflow"); SQLite would store it.
        raise ValueError(_("数值超出可保存的范围(绝对值须小于 %(limit)s)") % {"limit": f"{NUMBER_LIMIT:,}"})
    return number


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


def _schema(schema: dict[str, Any]) -> WithJsonSchema:
    """What a value accepts as JSON, for the spec: the validators above read more than the Python type."""
    return WithJsonSchema(schema)


def _text_schema(limit: int) -> WithJsonSchema:
    return _schema({"type": ["string", "null"], "maxLength": limit})


def _names_schema(limit: int) -> WithJsonSchema:
    name = {"type": "string", "maxLength": limit}
    return _schema({"anyOf": [name, {"type": "array", "items": name}, {"type": "null"}]})


# A long text (background, a statement, duties, a standard) and the shorter
# columns; every limit is the database's (``xietong.lib.limits``). Null or missing is empty.
_TITLE = limit_of(Collaboration, "title")
_LABEL = limit_of(Metric, "name")
_UNIT = limit_of(Metric, "unit")
_RULE = limit_of(SubGoal, "rrule")
_NAME = limit_of(Department, "name")
Text = Annotated[str, BeforeValidator(_text), _fits(TEXT_LIMIT), _text_schema(TEXT_LIMIT)]
Title = Annotated[str, BeforeValidator(_text), _fits(_TITLE), _text_schema(_TITLE)]
# a metric, an owner, a trigger
Label = Annotated[str, BeforeValidator(_text), _fits(_LABEL), _text_schema(_LABEL)]
Unit = Annotated[str, BeforeValidator(_text), _fits(_UNIT), _text_schema(_UNIT)]
Rule = Annotated[str, BeforeValidator(_text), _fits(_RULE), _text_schema(_RULE)]
Name = Annotated[str, BeforeValidator(_text), _fits(_NAME), _text_schema(_NAME)]  # a department or person
_PERSON = limit_of(Person, "display_name")
_PROXY_REASON = limit_of(MinutesConfirmation, "proxy_reason")
Names = Annotated[tuple[str, ...], BeforeValidator(_names), _fits(_PERSON), _names_schema(_PERSON)]
PersonName = Annotated[str, BeforeValidator(_text), _fits(_PERSON), _text_schema(_PERSON)]
TextList = Annotated[
    tuple[str, ...],
    BeforeValidator(_text_list),
    _fits(TEXT_LIMIT),
    _schema({"type": ["array", "null"], "items": {"type": "string", "maxLength": TEXT_LIMIT}}),
]
Number = Annotated[
    Decimal | None,
    BeforeValidator(_number),
    _schema(
        {"type": ["number", "null"], "exclusiveMinimum": -NUMBER_LIMIT, "exclusiveMaximum": NUMBER_LIMIT}
    ),
]
Date = Annotated[
    date | None,
    BeforeValidator(_date),
    AfterValidator(check_date),
    _schema({"type": ["string", "null"], "format": "date"}),
]
DateTime = Annotated[
    datetime | None,
    BeforeValidator(_datetime),
    AfterValidator(check_date),
    _schema({"type": ["string", "null"], "format": "date-time"}),
]


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


class ProxyConfirmationIn(_Section):
    """代确认: who recorded a department's confirmation for its head, and why (both required)."""

    by: Annotated[
        str,
        BeforeValidator(_text),
        AfterValidator(_filled),
        _fits(_PERSON),
        _schema({"type": "string", "minLength": 1, "maxLength": _PERSON}),
    ]
    reason: Annotated[
        str,
        BeforeValidator(_text),
        AfterValidator(_filled),
        _fits(_PROXY_REASON),
        _schema({"type": "string", "minLength": 1, "maxLength": _PROXY_REASON}),
    ]


class KickoffIn(_Section):
    scheduled_at: DateTime = None
    agenda_sent_at: DateTime = None
    minutes_issued_at: DateTime = None
    # department name -> when it confirmed the minutes
    confirmations: dict[Name, DateTime] = {}
    # Optional (added to v1, so older charters and readers are unaffected): department
    # name -> the proxy of its confirmation; each is also a key of ``confirmations``.
    proxy_confirmations: dict[Name, ProxyConfirmationIn] = {}


class TaskIn(_Section):
    description: Text = ""
    department: Names = ()
    standard: Text = ""
    deadline: Date = None
    collaborators: Names = ()
    status: s.TaskStatus | None = None
    blocked_reason: Text = ""
    # Optional (added to v1, as ``proxy_confirmations`` was; docs/charter.md): the person of the
    # responsible department doing the row (执行人) and the people watching it (关注人), by name.
    assignee: PersonName = ""
    watchers: Names = ()


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
        return (s.FrequencyKind.RRULE, _no_nul(value["rrule"]).strip())
    raise ValueError(_('应为 "realtime"、"on_demand" 或 {"rrule": "…"}'))


class CommunicationIn(_Section):
    scenario: s.Scenario | None = None
    channel: s.Channel | None = None
    frequency: Annotated[
        tuple[s.FrequencyKind | None, str],
        BeforeValidator(_frequency),
        _schema(
            {
                "anyOf": [
                    {"enum": [s.FrequencyKind.REALTIME.value, s.FrequencyKind.ON_DEMAND.value, None]},
                    {
                        "type": "object",
                        "properties": {"rrule": {"type": "string", "maxLength": _RULE}},
                        "required": ["rrule"],
                        "additionalProperties": False,
                    },
                ]
            }
        ),
    ] = (None, "")
    outputs: TextList = ()
    owner: Label = ""
    admin: Label = ""


class CharterIn(_Section):
    """A collaboration as one document: format v1 (DESIGN.md §4, docs/charter.md)."""

    model_config = ConfigDict(title="Charter")

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


# --- the schema


def charter_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of a charter document, derived from ``CharterIn``.

    Definitions are inlined (an OpenAPI operation holds the schema as it is),
    without pydantic's per-field titles and defaults, and a sub-goal deadline
    is one object per kind, as ``DeadlineIn`` accepts it.
    """
    schema = CharterIn.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})
    fields = defs["DeadlineIn"]["properties"]
    defs["DeadlineIn"] = {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "kind": {"const": kind.value},
                    **{name: fields[name] for name in fields if name in keys and name != "kind"},
                },
                "required": ["kind"],
                "additionalProperties": False,
            }
            for kind, keys in _DEADLINE_KEYS.items()
        ]
    }
    return {"title": schema.pop("title"), **_inlined(schema, defs)}


def _inlined(node: Any, defs: dict[str, Any]) -> Any:
    """Return ``node`` with every ``$ref`` replaced by its definition (none is recursive)."""
    if isinstance(node, list):
        return [_inlined(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = {k: v for k, v in defs[node["$ref"].rsplit("/", 1)[-1]].items() if k != "title"}
        return _inlined({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
    out = {key: _inlined(value, defs) for key, value in node.items()}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {
            name: {k: v for k, v in prop.items() if k not in ("title", "default")}
            for name, prop in out["properties"].items()
        }
    return out


# --- reading


def _path(loc: Iterable[int | str]) -> str:
    parts = list(loc)
    if "[key]" in parts:
        # A bad key of a mapping (a confirmation's department): name the mapping, not the key.
        parts = parts[: parts.index("[key]") - 1]
    path = ""
    for part in parts:
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
            raise CharterError.at(
                "",
                _("不是有效的 JSON(第 %(line)s 行第 %(col)s 列:%(msg)s)")
                % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg},
            ) from None
        except UnicodeDecodeError:
            raise CharterError.at("", _("文件不是 UTF-8 编码")) from None
        except RecursionError:
            # A hostile file of 100,000 nested brackets exhausts the parser's stack.
            raise CharterError.at("", _("JSON 嵌套层数过多,不是章程")) from None
        except ValueError:
            # Python refuses to read an integer of more than 4,300 digits (CVE-2020-10735).
            raise CharterError.at("", _("JSON 中的数字位数过多,不是章程")) from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise CharterError.at("", _("章程应为 JSON 对象"))
    try:
        charter = CharterIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CharterError.at(_path(first["loc"]), _reason(first)) from None
    except (TypeError, RecursionError):
        # An object where a value belongs can trip a validator, and a decoded object
        # thousands of levels deep exhausts the stack: still a malformed charter.
        raise CharterError.at("", _("不符合章程格式")) from None
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
            proxies={
                k.strip(): s.ProxyConfirmation(by=v.by, reason=v.reason)
                for k, v in charter.kickoff.proxy_confirmations.items()
            },
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
                assignee=t.assignee.strip(),
                watchers=tuple(dict.fromkeys(w for w in t.watchers if w)),
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
            # written only when there is one, so charters without proxies read as before
            **(
                {
                    "proxy_confirmations": {
                        name: {"by": p.by, "reason": p.reason} for name, p in kickoff.proxies.items()
                    }
                }
                if kickoff.proxies
                else {}
            ),
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
                # written only when there is one, so charters without them read as before
                **({"assignee": t.assignee} if t.assignee else {}),
                **({"watchers": list(t.watchers)} if t.watchers else {}),
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
