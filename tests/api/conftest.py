"""The API's fixtures: the demo's people in every role, and clients that call as them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from xietong.api.actions import do_issue_token
from xietong.collabs.models import Collaboration, MemberRole, Membership, Participant, Task
from xietong.orgs.models import Department, Person


def token_for(person: Person, name: str = "tests") -> str:
    return do_issue_token(person, name).secret


class ApiClient:
    """Calls the API with a personal token (or none), JSON in and out."""

    def __init__(self, token: str | None = None, **headers: str) -> None:
        self.client = Client()
        self.headers = dict(headers)
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["data"] = body
            kwargs["content_type"] = "application/json"
        if params:
            kwargs["query_params"] = params
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("post", path, body if body is not None else {})

    def put(self, path: str, body: Any) -> Any:
        return self._call("put", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self._call("patch", path, body)

    def delete(self, path: str, **params: Any) -> Any:
        return self._call("delete", path, **params)


def as_person(person: Person) -> ApiClient:
    return ApiClient(token_for(person))


@dataclass
class Cast:
    """The demo's people, one per role (the head and the liaison are 技术部's)."""

    collab: Collaboration
    admin: Person
    initiator: Person
    head: Person
    liaison: Person
    member: Person
    viewer: Person
    outsider: Person

    def department(self, name: str) -> Department:
        return Department.objects.get(name=name)

    def task_of(self, department: str, index: int = 0) -> Task:
        return Task.objects.filter(collaboration=self.collab, department__name=department).order_by(
            "position"
        )[index]


def person(username: str, **extra: Any) -> Person:
    """A person without a password: tokens and force_login need none, and hashing one is slow."""
    return Person.objects.create(username=username, display_name=username, password="!", **extra)


@pytest.fixture
def cast(demo: Collaboration) -> Cast:
    tech = Participant.objects.select_related("liaison", "department__head").get(
        collaboration=demo, department__name="技术部"
    )
    member, viewer = person("member"), person("viewer")
    Membership.objects.create(collaboration=demo, person=member, role=MemberRole.MEMBER)
    Membership.objects.create(collaboration=demo, person=viewer, role=MemberRole.VIEWER)
    assert demo.owner is not None and tech.liaison is not None and tech.department.head is not None
    return Cast(
        collab=demo,
        admin=person("root", is_superuser=True, is_staff=True),
        initiator=demo.owner,
        head=tech.department.head,
        liaison=tech.liaison,
        member=member,
        viewer=viewer,
        outsider=person("outsider"),
    )


@pytest.fixture
def initiator_api(cast: Cast) -> ApiClient:
    return as_person(cast.initiator)
