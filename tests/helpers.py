"""The helpers every test file shares: the guide's time zone, a stopped clock, the cast and their clients.

Import them (``from tests.helpers import TZ, at, pinned, signed_in``) rather than
redefining them in a test file; the fixtures of the cast live in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test import Client

from xietong.charter.demo import charter_people
from xietong.collabs.models import Collaboration, Participant, Task
from xietong.orgs.actions import do_import_org
from xietong.orgs.models import Department, Person

# The guide's (and the default site's) time zone: every pinned moment is Beijing time.
TZ = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    """Return ``datetime(*args)`` in Beijing time."""
    return datetime(*args, tzinfo=TZ)  # type: ignore[arg-type,misc]


def pinned(moment: datetime) -> Callable[[], Iterator[None]]:
    """Return an autouse fixture that stops the clock at ``moment`` for every test of a module.

    Use it as ``_pinned = pinned(MONDAY)`` at a test module's top level.
    """

    @pytest.fixture(autouse=True)
    def _pinned() -> Iterator[None]:
        with time_machine.travel(moment, tick=False):
            yield

    return _pinned


def signed_in(person: Person | None) -> Client:
    """Return a test client signed in as ``person``."""
    assert person is not None
    client = Client()
    client.force_login(person)
    return client


def owner_of(collab: Collaboration) -> Person:
    """Return the collaboration's owner (its initiator)."""
    assert collab.owner is not None
    return collab.owner


def owner(collab: Collaboration) -> Client:
    """Return a client signed in as the collaboration's owner."""
    return signed_in(owner_of(collab))


def liaison_of(collab: Collaboration, department: str = "技术部") -> Person:
    """Return the liaison of ``department`` in ``collab``."""
    participant = Participant.objects.select_related("liaison").get(
        collaboration=collab, department__name=department
    )
    assert participant.liaison is not None
    return participant.liaison


def head_of(department: str) -> Person:
    """Return the head of the department named ``department``."""
    head = Department.objects.get(name=department).head
    assert head is not None
    return head


def row_counts() -> dict[str, int]:
    """Return the number of rows of every model's table (one query): equal before and after means nothing was added or deleted.

    Every change through an action also writes an audit entry, so a refused
    update shows here too, as a new row of ``audit_auditentry``.
    """
    tables = sorted({model._meta.db_table for model in apps.get_models()})
    counts = ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(table)})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")  # table names from the models, not input
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


def person(username: str, **extra: Any) -> Person:
    """Return a new person without a password: tokens and force_login need none, and hashing one is slow."""
    extra.setdefault("display_name", username)
    return Person.objects.create(username=username, password="!", **extra)


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


def add_charter_people(charter: dict[str, Any]) -> dict[str, Any]:
    """Give the people ``charter`` names an account first (an import never creates one); return it."""
    do_import_org(charter_people(charter))
    return charter
