"""An outsider learns nothing of a collaboration they cannot see, and changes nothing in it.

Every page (the URL conf) and every API operation (the OpenAPI schema) that
takes a collaboration, or an object of one, is requested by a signed-in
person with no part in the demo: pages with GET and POST, API operations
with their own method and a body that passes validation. Each must answer
404, as for a collaboration that does not exist (never 200, nor a 403 that
tells the collaboration is there), and write nothing: the number of rows of
every model, the audit log among them, and the collaboration's version are
the same before and after. New pages and endpoints are covered as they are
added; a route with a parameter this test does not know fails until it is
added to ``OBJECTS`` or, with a reason, to ``NOT_A_COLLABORATION``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import ApiClient, token_for
from tests.conftest import AS_OF, KICKOFF, make_person
from tests.helpers import row_counts, signed_in
from xietong.api.api import api
from xietong.charter.demo import load_demo
from xietong.collabs.access import access_for
from xietong.collabs.models import Collaboration, Metric, Participant, SavedView, SubGoal, Task
from xietong.discuss.models import Attachment, Comment
from xietong.documents.exports import WHAT_FORMATS
from xietong.meetings.models import (
    AgendaItem,
    CommunicationRule,
    Contribution,
    Material,
    Meeting,
    MinutesItem,
)
from xietong.notify.models import Delivery, Kind, Notification, Robot, Transport
from xietong.tracking.models import Allocation, ChangeRequest, IssueEntry, Milestone, Risk, SlaRequest
from xietong.tracking.weekly import IsoWeek

pytestmark = pytest.mark.django_db

# The segment before a route parameter names the collaboration's object it takes.
OBJECTS: dict[str, str] = {
    "metrics": "metric",
    "departments": "participant",
    "tasks": "task",
    "table": "task",
    "board": "task",
    "views": "saved_view",
    "accept": "task",
    "progress": "task",
    "subgoals": "subgoal",
    "meetings": "meeting",
    "agenda": "agenda_item",
    "agenda-items": "agenda_item",
    "materials": "material",
    "contributions": "contribution",
    "items": "minutes_item",
    "communication": "rule",
    "changes": "change_request",
    "change-requests": "change_request",
    "requests": "sla_request",
    "sla-requests": "sla_request",
    "issues": "issue",
    "risks": "risk",
    "allocations": "allocation",
    "milestones": "milestone",
    "robots": "robot",
    "deliveries": "delivery",
    "weekly": "week",
    "comments": "comment",
    "attachments": "attachment",
}
# Routes (by their first segment, after api/) that take no collaboration, and why.
NOT_A_COLLABORATION: dict[str, str] = {
    "admin": "Django's admin: staff only (tests/test_admin.py)",
    "accounts": "one's own account: sign-in and password reset",
    "api-tokens": "one's own API tokens: another person's is 404 (tests/api/test_tokens_revoked.py)",
    "tokens": "one's own API tokens: another person's is 404 (tests/api/test_tokens_revoked.py)",
    "calendar": "a personal calendar feed, reached by its secret token (tests/test_calendar.py)",
    "notifications": "one's own notifications: another person's is 404 (tests/notify/test_pages.py)",
    "nominations": "a nomination addressed to one person (tests/notify/test_nominations.py)",
    "org": "the organisation (head proposals, import, lockouts, invitations): staff only",
    "invite": "an account invitation, reached by its one-time secret token (tests/test_invitations.py)",
    "me": "one's own profile and preferences",
}
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\{(\w+)\}")


@dataclass(frozen=True)
class Call:
    method: str
    route: str  # as in the URL conf (<str:slug>) or the OpenAPI schema ({slug})
    body: Any = None

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _segments(route: str) -> list[tuple[str, str]]:
    """Return (segment before it, name) of each parameter of ``route``."""
    found = []
    for match in PARAMETER.finditer(route):
        before = re.split(r"[/.]", route[: match.start()].rstrip("/."))[-1]
        found.append((before, match.group(1) or match.group(2)))
    return found


def _takes_a_collaboration(route: str) -> bool:
    """Whether ``route`` takes a collaboration or one of its objects; fail on an unknown parameter."""
    first = route.removeprefix("/").removeprefix("api/").removeprefix("^").split("/")[0]
    if first in NOT_A_COLLABORATION:
        return False
    for before, name in _segments(route):
        if name not in ("slug", "what", "fmt") and before not in OBJECTS:
            raise AssertionError(
                f"{route}: unknown parameter {name!r}, add it to OBJECTS or NOT_A_COLLABORATION"
            )
    return bool(_segments(route))


# --- plausible bodies from the OpenAPI schema


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """Return a value that satisfies ``schema`` (a JSON Schema of the API): its required parts only."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[1]], components)
    if "default" in schema:
        return schema["default"]
    for combined in ("allOf", "anyOf", "oneOf"):
        if combined in schema:
            options = [s for s in schema[combined] if s.get("type") != "null"]
            return _example(options[0], components)
    if "enum" in schema:
        return schema["enum"][0]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _example(properties[name], components) for name in schema.get("required", [])}
    if kind == "array":
        return [_example(schema.get("items", {}), components) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return {"date": "2024-08-19", "date-time": "2024-08-19T10:00:00+08:00", "time": "10:00"}.get(fmt, "测试")


def _api_calls() -> list[Call]:
    schema = api.get_openapi_schema(path_prefix="/api/")
    components = schema["components"]["schemas"]
    calls = []
    for path, operations in schema["paths"].items():
        if not _takes_a_collaboration(path):
            continue
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = _example(content["application/json"]["schema"], components) if content else None
            calls.append(Call(method.upper(), path, body))
    return calls


def _page_calls() -> list[Call]:
    routes = [r for r in _walk(get_resolver().url_patterns) if not r.startswith("api/")]
    # A page is opened with GET and its forms are sent with POST: both are checked.
    return [
        Call(method, route) for route in routes if _takes_a_collaboration(route) for method in ("GET", "POST")
    ]


CALLS = [*_page_calls(), *_api_calls()]


# --- the demo, its objects, and an outsider: built once for the module


@dataclass
class World:
    slug: str
    pks: dict[str, int]
    page_client: Client
    api_client: ApiClient


def _objects(collab: Collaboration) -> dict[str, int]:
    """Return the primary key of one object of each kind in ``collab``, adding the kinds the demo lacks."""
    kickoff = Meeting.objects.get(collaboration=collab, kind="kickoff")
    participant = Participant.objects.filter(collaboration=collab).first()
    assert participant is not None and collab.owner is not None
    robot = Robot.objects.create(
        collaboration=collab, kind=Transport.WECOM, name="项目群", webhook_url="https://example.com/hook"
    )
    notification = Notification.objects.create(
        key="outsiders", kind=Kind.TASK_OVERDUE, collaboration=collab, recipient=collab.owner, params={}
    )
    objects = {
        "metric": Metric.objects.filter(goal__collaboration=collab).first(),
        "participant": participant,
        "task": Task.objects.filter(collaboration=collab).first(),
        "subgoal": SubGoal.objects.filter(collaboration=collab).first(),
        "meeting": kickoff,
        "agenda_item": AgendaItem.objects.filter(meeting=kickoff).first(),
        "material": Material.objects.create(
            meeting=kickoff, file="materials/x.pdf", name="x.pdf", size=1, content_type="application/pdf"
        ),
        "contribution": Contribution.objects.filter(meeting=kickoff).first(),
        "minutes_item": MinutesItem.objects.filter(meeting=kickoff).first(),
        "rule": CommunicationRule.objects.filter(collaboration=collab).first(),
        "change_request": ChangeRequest.objects.filter(collaboration=collab).first(),
        "sla_request": SlaRequest.objects.filter(collaboration=collab).first(),
        "issue": IssueEntry.objects.filter(collaboration=collab).first(),
        "risk": Risk.objects.filter(collaboration=collab).first(),
        "allocation": Allocation.objects.create(
            collaboration=collab,
            resource="测试环境",
            from_department=participant.department,
            to_department=participant.department,
        ),
        "milestone": Milestone.objects.create(collaboration=collab, name="上线", due_date=date(2024, 9, 1)),
        "robot": robot,
        "delivery": Delivery.objects.create(
            notification=notification, transport=robot.kind, target=f"robot:{robot.pk}", robot=robot
        ),
    }
    comment = Comment.objects.create(collaboration=collab, task=objects["task"], body="评论")
    objects["comment"] = comment
    objects["attachment"] = Attachment.objects.create(
        comment=comment, file="comments/x.pdf", name="x.pdf", size=1, content_type="application/pdf"
    )
    objects["saved_view"] = SavedView.objects.create(person=collab.owner, collaboration=collab, name="视图")
    missing = [kind for kind, row in objects.items() if row is None]
    assert not missing, f"the demo has no {missing}"
    return {kind: row.pk for kind, row in objects.items() if row is not None}


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The demo with one object of each kind, and clients of an outsider; rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        collab = load_demo(KICKOFF, today=AS_OF)
        outsider = make_person("outsider-of-the-demo")
        assert not access_for(outsider, collab).sees_anything
        yield World(collab.slug, _objects(collab), signed_in(outsider), ApiClient(token_for(outsider)))
        transaction.set_rollback(True)


def _url(route: str, world: World, what: str) -> str:
    """Return ``route`` with its parameters filled in from ``world`` (exports: the format of ``what``)."""
    values = {"slug": world.slug, "what": what, "fmt": WHAT_FORMATS[what][0]}
    for before, name in _segments(route):
        if name not in values:
            kind = OBJECTS[before]
            values[name] = str(IsoWeek.of(AS_OF)) if kind == "week" else str(world.pks[kind])
    url = PARAMETER.sub(lambda m: values[m.group(1) or m.group(2)], route)
    return url if url.startswith("/") else "/" + url


def _state(slug: str) -> tuple[dict[str, int], int]:
    """Return the rows of every table, counted, and the collaboration's version."""
    return row_counts(), Collaboration.objects.get(slug=slug).version


def _request(call: Call, world: World, url: str) -> int:
    if call.route.startswith("/api/"):
        return world.api_client._call(call.method.lower(), url, call.body).status_code
    return world.page_client.generic(call.method, url).status_code


@pytest.mark.parametrize("call", CALLS, ids=str)
def test_an_outsider_gets_404_and_writes_nothing(world: World, call: Call) -> None:
    exports = list(WHAT_FORMATS) if "<what>" in call.route or "{what}" in call.route else ["table"]
    for what in exports:
        url = _url(call.route, world, what)
        before = _state(world.slug)
        status = _request(call, world, url)
        # A page that takes only POST (or only GET) answers 405 to the other method
        # before looking anything up: the same for a collaboration that does not exist.
        allowed = {404, 405} if not call.route.startswith("/api/") else {404}
        assert status in allowed, f"{call.method} {url}: {status}"
        assert _state(world.slug) == before, f"{call.method} {url} wrote"


def test_every_kind_of_route_is_checked() -> None:
    """The walk finds the pages and the API: a broken walk must not pass by checking nothing."""
    routes = {call.route for call in CALLS}
    assert {"c/<str:slug>/", "c/<str:slug>/meetings/<int:pk>/agenda/<int:item>/delete/"} <= routes
    assert {"/api/collaborations/{slug}/tasks", "/api/tasks/{task_id}"} <= routes
    assert len(CALLS) > 150
