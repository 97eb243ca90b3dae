"""Shared fixtures: the guide's demo at pinned dates, and people in each role."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

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


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Start every test with an empty cache.

    Cached snapshots are keyed by a collaboration's primary key, creation
    time and version; a rolled-back test frees its primary keys for the
    next one, and time-machine can give both the same creation time.
    """
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher() -> Iterator[None]:
    """Hash test passwords with MD5: PBKDF2's cost is the point in production, not in tests."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Start and end every test in the default language.

    A test client request in English leaves English active in the thread
    (LocaleMiddleware does not switch back), which would leak into the
    next test.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# The pages of one collaboration's workspace, by URL name.
WORKSPACE_PAGES = (
    "collabs:workspace",
    "collabs:goal",
    "collabs:departments",
    "collabs:table",
    "collabs:subgoals",
    "meetings:kickoff",
    "meetings:communication",
    "meetings:meetings",
    "dashboards:dashboard",
    "tracking:tracking",
    "tracking:closing",
    "tracking:changes",
    "tracking:issues",
    "tracking:risks",
    "tracking:sla",
    "tracking:resources",
)
# Pages only the initiator and administrators open.
INITIATOR_PAGES = ("audit:history", "audit:history_csv")


def page_urls(collab: Collaboration) -> list[str]:
    """Return the site-wide pages and every workspace page of ``collab``."""
    return [
        "/",
        "/new/",
        "/overview/",
        "/calendar/",
        "/notifications/",
        "/notifications/preferences/",
        *(reverse(name, args=[collab.slug]) for name in WORKSPACE_PAGES),
    ]
