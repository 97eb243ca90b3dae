"""A whole collaboration as one charter document (format v1, docs/charter.md).

``CHARTER_SCHEMA`` describes the document in the OpenAPI spec, for both the
import (``POST /api/collaborations``) and the export (``GET …/charter``).
The parser (``xietong.collabs.charter``) stays the judge of what is
acceptable: it reads a department's liaison or a task's department as a
name or a list of names, reports the first offending path, and leaves
missing values to the rules.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

import json
from typing import Any

from django.db import DataError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from xietong.api.actions import do_import_as
from xietong.api.auth import caller
from xietong.api.common import collaboration
from xietong.api.errors import NOT_FOUND, Invalid, responses
from xietong.collabs.actions import ImportRefused
from xietong.collabs.charter import CharterError, dump_charter, parse_charter
from xietong.collabs.models import Collaboration
from xietong.collabs.snapshots import load_snapshot

router = Router(tags=["charter"])


def _text(max_length: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"]}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def _enum(*values: str) -> dict[str, Any]:
    return {"enum": [*values, None]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_NAMES = {
    "anyOf": [
        {"type": "string", "maxLength": 100},
        {"type": "array", "items": {"type": "string", "maxLength": 100}},
        {"type": "null"},
    ]
}
_NUMBER = {"type": ["number", "null"]}
_DATE = {"type": ["string", "null"], "format": "date"}
_MOMENT = {"type": ["string", "null"], "format": "date-time"}
_DEADLINE = _nullable(
    {
        "oneOf": [
            {
                "type": "object",
                "properties": {"kind": {"const": "fixed"}, "date": _DATE},
                "required": ["kind"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"kind": {"const": "recurring"}, "rrule": _text(500)},
                "required": ["kind"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"kind": {"const": "sla"}, "hours": _NUMBER, "trigger": _text(200)},
                "required": ["kind"],
                "additionalProperties": False,
            },
        ]
    }
)
_FREQUENCY = {
    "anyOf": [
        {"enum": ["realtime", "on_demand", None]},
        {
            "type": "object",
            "properties": {"rrule": {"type": "string", "maxLength": 500}},
            "required": ["rrule"],
            "additionalProperties": False,
        },
    ]
}

CHARTER_SCHEMA: dict[str, Any] = {
    "title": "Charter",
    "description": "A collaboration as one document: format v1 (DESIGN.md §4, docs/charter.md).",
    **_object(
        {
            "title": _text(200),
            "type": _enum("project", "problem_solving", "resource_coordination", "process_optimization"),
            "background": _text(),
            "expected_outcome": _text(),
            "initiator": _nullable(_object({"department": _text(100), "owner": _text(100)})),
            "goal": _nullable(
                _object(
                    {
                        "statement": _text(),
                        "deadline": _DATE,
                        "metrics": {
                            "type": ["array", "null"],
                            "items": _object(
                                {
                                    "name": _text(200),
                                    "unit": _text(40),
                                    "baseline": _NUMBER,
                                    "target": _NUMBER,
                                    "direction": _enum("increase", "decrease", "reach"),
                                    "scale_max": _NUMBER,
                                }
                            ),
                        },
                    }
                )
            ),
            "departments": {
                "type": ["array", "null"],
                "items": _object(
                    {
                        "name": _text(100),
                        "liaison": _NAMES,
                        "head": _text(100),
                        "duties": _text(),
                        "role": _enum("lead", "support"),
                    }
                ),
            },
            "kickoff": _nullable(
                _object(
                    {
                        "scheduled_at": _MOMENT,
                        "agenda_sent_at": _MOMENT,
                        "minutes_issued_at": _MOMENT,
                        "confirmations": {"type": ["object", "null"], "additionalProperties": _MOMENT},
                    }
                )
            ),
            "tasks": {
                "type": ["array", "null"],
                "items": _object(
                    {
                        "description": _text(),
                        "department": _NAMES,
                        "standard": _text(),
                        "deadline": _DATE,
                        "collaborators": _NAMES,
                        "status": _enum("not_started", "in_progress", "done", "blocked"),
                        "blocked_reason": _text(),
                    }
                ),
            },
            "subgoals": {
                "type": ["array", "null"],
                "items": _object(
                    {
                        "description": _text(),
                        "department": _text(100),
                        "metric": _text(200),
                        "target": _NUMBER,
                        "unit": _text(40),
                        "deadline": _DEADLINE,
                    }
                ),
            },
            "communication": {
                "type": ["array", "null"],
                "items": _object(
                    {
                        "scenario": _enum("progress_sync", "decision", "risk_warning", "other"),
                        "channel": _enum("im_group", "weekly_meeting", "adhoc_meeting", "email"),
                        "frequency": _FREQUENCY,
                        "outputs": {"type": ["array", "null"], "items": {"type": "string"}},
                        "owner": _text(200),
                        "admin": _text(200),
                    }
                ),
            },
        }
    ),
}

CHARTER_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CHARTER_SCHEMA}},
    }
}


def _nul_path(value: Any, path: str = "") -> str | None:
    """Return the path of the first text holding a NUL character (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(key, path) or _nul_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_path(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def import_charter(request: HttpRequest) -> Collaboration:
    """Store the charter in the request body as a new collaboration, or raise ``Invalid``."""
    try:
        data = json.loads(request.body)
    except RecursionError:
        # Thousands of nested [ or {: no charter is that deep (and parsing it again would fail the same way).
        raise Invalid.at("", _("JSON 嵌套层数过多,不是章程")) from None
    except ValueError:
        data = request.body  # let the parser say what is wrong with it, and where
    try:
        snapshot = parse_charter(data)
    except CharterError as exc:
        raise Invalid.at(exc.path, exc.reason) from None
    except TypeError:
        # The parser can trip over an object where it expects a value (a
        # sub-goal deadline whose "kind" is an object); it is still a malformed
        # charter, not a server error.
        raise Invalid.at("", _("不符合章程格式")) from None
    nul = _nul_path(data)
    if nul is not None:
        raise Invalid.at(nul, _("不能包含空字符 (NUL)"))
    try:
        return do_import_as(caller(request), snapshot)
    except ImportRefused as exc:
        raise Invalid([(p.path, p.reason) for p in exc.problems]) from None
    except DataError:
        # A value longer than its column (PostgreSQL checks; SQLite does not).
        raise Invalid.at("", _("有的值超出了可保存的长度或范围")) from None


@router.get(
    "/collaborations/{slug}/charter",
    response=responses({200: dict[str, Any]}, NOT_FOUND),
    openapi_extra={"responses": {200: {"content": {"application/json": {"schema": CHARTER_SCHEMA}}}}},
    summary="The whole charter",
)
def get_charter(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The collaboration as a charter document, as `xietong export` writes it."""
    collab, _access = collaboration(request, slug)
    return dump_charter(load_snapshot(collab))
