"""Shared fixtures: the guide's demo at pinned dates, and people in each role."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Model
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from tests.helpers import Cast, head_of, liaison_of, owner_of, person
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration, MemberRole, Membership
from xietong.orgs.models import Department, Person

# The guide's own dates: kickoff Monday 2024-07-08, goal deadline 2024-09-30;
# the data runs up to the weekly meeting of 2024-08-12.
KICKOFF = date(2024, 7, 8)
AS_OF = date(2024, 8, 12)


# The demo's rows, per worker process: loading it runs every action of the
# guide; inserting its rows again (one INSERT per table) is far quicker.
# Keyed by the pinned moment (None when the clock runs) and the language.
DemoRows = dict[type[Model], list[tuple[Any, ...]]]
_demo_rows: dict[tuple[float | None, str], tuple[int, DemoRows]] = {}


def _frozen_now() -> float | None:
    """Return the moment the clock is stopped at (time-machine, tick=False), or None when it runs."""
    first = time.time()
    return first if time.time() == first else None


def _ours(models: set[type[Model]]) -> set[type[Model]]:
    """Return the project's models among ``models`` and the project's models they refer to."""
    related = {f.related_model for m in models for f in m._meta.get_fields() if f.is_relation and f.concrete}
    return {m for m in models | related if isinstance(m, type) and m.__module__.startswith("xietong.")}


def _load_demo_rows() -> tuple[Collaboration, DemoRows | None]:
    """Load the demo; return it and the rows it added (None when it may have reused rows already there)."""
    models = apps.get_models(include_auto_created=True)  # with the many-to-many tables
    before = {model: set(model._base_manager.values_list("pk", flat=True)) for model in models}
    collab = load_demo(KICKOFF, today=AS_OF)
    added: DemoRows = {}
    for model in models:
        columns = [field.attname for field in model._meta.concrete_fields]
        rows = model._base_manager.exclude(pk__in=before[model]).order_by("pk").values_list(*columns)
        if rows:
            added[model] = list(rows)
    if any(before[model] for model in _ours(set(added))):
        return collab, None
    return collab, added


@transaction.atomic  # one transaction: foreign keys are checked once every row is in (transactional tests too)
def _insert_demo_rows(rows: DemoRows) -> None:
    """Insert ``rows`` as they were (raw: no auto_now), primary keys included."""
    for model, values in rows.items():
        fields = model._meta.concrete_fields
        objects = [model(**dict(zip([f.attname for f in fields], row, strict=True))) for row in values]
        size = connection.ops.bulk_batch_size(fields, objects) or len(objects)
        for start in range(0, len(objects), size):
            model._base_manager._insert(objects[start : start + size], fields=fields, raw=True)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:  # PostgreSQL: sequences past the inserted primary keys
        for sql in connection.ops.sequence_reset_sql(no_style(), list(rows)):
            cursor.execute(sql)


@pytest.fixture
def demo(db: None) -> Collaboration:
    """The guide's demo: loaded once per worker (and pinned moment), its rows inserted again for each test.

    The rows are inserted only into tables (and the tables they refer to)
    without rows of their own; otherwise the demo is loaded again, as
    ``load_demo`` would have reused those rows.
    """
    key = (_frozen_now(), translation.get_language())
    pk, rows = _demo_rows.get(key, (0, {}))
    if not rows or any(model._base_manager.exists() for model in _ours(set(rows))):
        collab, added = _load_demo_rows()
        if added is not None:
            _demo_rows.setdefault(key, (collab.pk, added))
        return collab
    _insert_demo_rows(rows)
    return Collaboration.objects.get(pk=pk)


def make_person(username: str, *, department: Department | None = None, **extra: object) -> Person:
    return Person.objects.create_user(
        username, password="pw-" + username, display_name=username, department=department, **extra
    )


# --- the cast: the demo's people, one fixture per role (helpers in tests/helpers.py)


@pytest.fixture
def outsider(db: None) -> Person:
    """A signed-up person with no part in any collaboration."""
    return make_person("outsider")


@pytest.fixture
def admin_user(db: None) -> Person:
    """An administrator (staff and superuser): sees and edits everything."""
    return make_person("root", is_superuser=True, is_staff=True)


@pytest.fixture
def initiator(demo: Collaboration) -> Person:
    """The demo's owner, 王经理."""
    return owner_of(demo)


@pytest.fixture
def liaison(demo: Collaboration) -> Person:
    """技术部's liaison in the demo, 李工."""
    return liaison_of(demo, "技术部")


@pytest.fixture
def head(demo: Collaboration) -> Person:
    """技术部's head."""
    return head_of("技术部")


@pytest.fixture
def cast(demo: Collaboration, admin_user: Person, outsider: Person) -> Cast:
    """Every role at once, with a member and a viewer added to the demo."""
    member, viewer = person("member"), person("viewer")
    Membership.objects.create(collaboration=demo, person=member, role=MemberRole.MEMBER)
    Membership.objects.create(collaboration=demo, person=viewer, role=MemberRole.VIEWER)
    return Cast(
        collab=demo,
        admin=admin_user,
        initiator=owner_of(demo),
        head=head_of("技术部"),
        liaison=liaison_of(demo, "技术部"),
        member=member,
        viewer=viewer,
        outsider=outsider,
    )


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
    "collabs:board",
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
INITIATOR_PAGES = ("collabs:history", "collabs:history_csv")


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


# --- LDAP: Debian's slapd on a free loopback port with a small tree (tests/servers_ldap.py)


@pytest.fixture(scope="session")
def slapd_server() -> Iterator[Any]:
    """The session's OpenLDAP server (``tests.servers_ldap.Ldap``); skipped without python-ldap or slapd."""
    servers_ldap = pytest.importorskip(
        "tests.servers_ldap", reason="the ldap extra (python-ldap) is not installed"
    )
    yield from servers_ldap.run_slapd()
