"""Shared fixtures: the guide's demo at pinned dates, and people in each role."""

from __future__ import annotations

from datetime import date

import pytest

from xietong.collabs.demo import load_demo
from xietong.collabs.models import Collaboration
from xietong.orgs.models import Department, Person

# The guide's own dates: kickoff Monday 2024-07-08, goal deadline 2024-09-30;
# the data runs up to the weekly meeting of 2024-08-12.
KICKOFF = date(2024, 7, 8)
AS_OF = date(2024, 8, 12)


@pytest.fixture
def demo(db: None) -> Collaboration:
    return load_demo(KICKOFF, today=AS_OF)


def make_person(username: str, *, department: Department | None = None, **extra: object) -> Person:
    return Person.objects.create_user(
        username, password="pw-" + username, display_name=username, department=department, **extra
    )


@pytest.fixture
def outsider(db: None) -> Person:
    return make_person("outsider")


@pytest.fixture
def admin_user(db: None) -> Person:
    return make_person("root", is_superuser=True, is_staff=True)
