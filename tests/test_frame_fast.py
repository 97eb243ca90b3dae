"""The frame every workspace page pays for (issue 22): cached, read lazily, and still never stale.

The step bar and header are cached per page under ``Workspace.fragment_key``
(version, minute, language, the viewer's roles); the snapshot and the report
are read only when something rendered needs them; the collaboration and the
viewer's membership come in one query; the top navigation is a Jinja2
template (``{% topbar %}``).
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.http import Http404
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_person
from tests.helpers import Cast, signed_in
from xietong.collabs import workspace
from xietong.collabs.access import access_for, get_collaboration_for_user
from xietong.collabs.actions.common import bump_version
from xietong.collabs.models import Collaboration, MemberRole, Membership, Participant, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.collabs.workspace import open_workspace, render_step
from xietong.notify.models import Notification
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.django_db

# The step bar: the title, the score, the page buttons and the steps.
HEAD = re.compile(r'<div id="ws-head".*?</ol>\s*</nav>', re.S)
# Each response masks the CSRF token afresh.
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')


def _head(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    found = HEAD.search(response.content.decode())
    assert found is not None
    return found.group(0)


def _page(person: Person, collab: Collaboration, *, cached: bool, method: str = "get") -> str:
    """Render the frame alone (``collabs/workspace.html``), with or without its fragment key."""
    request = getattr(RequestFactory(), method)(f"/c/{collab.slug}/goal/")
    request.user = person
    ws = open_workspace(request, collab.slug)
    extra = {} if cached else {"frame_key": ""}
    html = render_step(request, ws, "collabs/workspace.html", 1, "目标", **extra).content.decode()
    return TOKEN.sub("", html)


def test_a_cached_frame_reads_no_snapshot_and_shows_what_an_uncached_one_shows(
    demo: Collaboration, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = demo.owner
    assert owner is not None
    uncached = _page(owner, demo, cached=False)
    assert _page(owner, demo, cached=True) == uncached  # filled the cache

    def unread(*args: object) -> None:
        raise AssertionError("a cached frame needs no snapshot or report")

    monkeypatch.setattr(workspace, "snapshot_of", unread)
    monkeypatch.setattr(workspace, "report_of", unread)
    assert _page(owner, demo, cached=True) == uncached
    with pytest.raises(AssertionError, match="no snapshot"):
        _page(owner, demo, cached=False)


def test_a_request_that_may_write_judges_before_it_writes(demo: Collaboration) -> None:
    owner = demo.owner
    assert owner is not None
    for method, eager in (("get", False), ("head", False), ("post", True)):
        request = getattr(RequestFactory(), method)("/")
        request.user = owner
        ws = open_workspace(request, demo.slug)
        assert ("snapshot" in ws.__dict__, "report" in ws.__dict__) == (eager, eager), method


def test_a_write_shows_in_the_frame_at_once(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    url = reverse("collabs:table", args=[demo.slug])
    before = _head(client, url)
    assert _head(client, url) == before  # cached
    Collaboration.objects.filter(pk=demo.pk).update(title="改过的协作标题")
    bump_version(demo)  # what every action does
    after = _head(client, url)
    assert "改过的协作标题" in after and after != before


def test_a_role_change_shows_in_the_frame_at_once(demo: Collaboration) -> None:
    viewer = make_person("newcomer")  # a viewer: no change history
    Membership.objects.create(collaboration=demo, person=viewer, role=MemberRole.VIEWER)
    client = signed_in(viewer)
    url = reverse("dashboards:dashboard", args=[demo.slug])
    history = reverse("collabs:history", args=[demo.slug])
    assert history not in _head(client, url)
    assert history not in _head(client, url)  # cached for this viewer's roles
    # An administrator now: nothing in the collaboration changed, its version neither.
    Person.objects.filter(pk=viewer.pk).update(is_superuser=True)
    assert history in _head(client, url)


def test_each_page_has_its_own_frame(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    for name in ("collabs:table", "dashboards:dashboard", "collabs:table"):
        url = reverse(name, args=[demo.slug])
        head = _head(client, url)
        if name == "collabs:table":
            assert re.search(r'<li class="[^"]* current">\s*<a href="[^"]+" aria-current="step"', head)
            assert 'aria-current="page"' not in head
        else:
            assert 'aria-current="step"' not in head and 'aria-current="page"' in head


def test_the_collaboration_and_the_viewers_roles_in_two_queries(cast: Cast) -> None:
    people = [cast.admin, cast.initiator, cast.head, cast.liaison, cast.member, cast.viewer]
    for person in people:
        with CaptureQueriesContext(connection) as queries:
            collab, access = get_collaboration_for_user(person, cast.collab.slug)
        assert len(queries) == 2, person.username
        # The same roles as the access layer's own reading, for every role.
        assert access == access_for(person, collab), person.username
    with pytest.raises(Http404):
        get_collaboration_for_user(cast.outsider, cast.collab.slug)


def test_a_cached_workspace_page_costs_a_fixed_handful_of_queries(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    url = reverse("collabs:workspace", args=[demo.slug])
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # session, person, the collaboration with the membership, the departments' roles, the inbox badge
    assert len(queries) <= 5 + 3, [q["sql"][:80] for q in queries.captured_queries]
    assert not [q for q in queries.captured_queries if "collabs_task" in q["sql"]]


def test_the_top_navigation(demo: Collaboration, admin_user: Person) -> None:
    person = make_person("zhang")
    person.display_name = '张 <三> & "四"'
    person.save(update_fields=["display_name"])
    Notification.objects.create(key="frame-test", recipient=person, kind="mentioned", collaboration=demo)
    page = signed_in(person).get(reverse("collabs:my_tasks")).content.decode()
    assert '<a href="/my/tasks/" aria-current="page">' in page
    assert '<span class="who">张 &lt;三&gt; &amp; &#34;四&#34;</span>' in page
    assert '<span id="inbox-badge" class="inbox-badge">1<span class="sr-only">条未读</span></span>' in page
    assert '<input name="next" type="hidden" value="/my/tasks/">' in page
    assert 'value="zh-hans" class="link current"' in page and 'aria-current="true">简体中文</button>' in page
    assert "xt-admin-menu" not in page
    # One token for the page: the same in htmx's header, the language form and signing out.
    tokens = set(re.findall(r'(?:csrfmiddlewaretoken" value="|X-CSRFToken": ")([^"]+)', page))
    assert len(tokens) == 1 and page.count("csrfmiddlewaretoken") == 2

    admin = signed_in(admin_user).get(reverse("collabs:home")).content.decode()
    assert '<a href="/" aria-current="page">' in admin
    for name in ("orgs:organisation", "notify:failed", "ops:page", "admin:index"):
        assert f'<a href="{reverse(name)}">' in admin
    assert 'class="inbox-badge"></span>' in admin  # nothing unread

    english = signed_in(person)
    english.cookies.load({"django_language": "en"})
    assert "My tasks" in english.get(reverse("collabs:home")).content.decode()

    anonymous = Client().get(reverse("account_login")).content.decode()
    assert "main-nav" in anonymous and "xt-account-menu" not in anonymous
    assert '<form action="/i18n/setlang/"' in anonymous


def test_the_snapshot_names_people_as_person_name_does(demo: Collaboration) -> None:
    """The snapshot reads people as values (no model rows): each name is still ``Person.name``."""
    task = Task.objects.filter(collaboration=demo).order_by("position").first()
    assert task is not None
    full = make_person("fullname")
    full.display_name, full.first_name, full.last_name = "", "Li", "Si"  # no display name: the full name
    full.save()
    bare = make_person("bare")
    bare.display_name = ""  # nothing but the login
    bare.save()
    Task.objects.filter(pk=task.pk).update(assignee=full)
    task.watchers.add(full, bare)
    participant = Participant.objects.filter(collaboration=demo).select_related("department").first()
    assert participant is not None
    Participant.objects.filter(pk=participant.pk).update(liaison=bare)
    Department.objects.filter(pk=participant.department_id).update(head=full)
    unassigned = Task.objects.filter(collaboration=demo, assignee__isnull=True).values_list("pk", flat=True)

    snapshot = load_snapshot(
        Collaboration.objects.select_related("initiator_department", "owner").get(pk=demo.pk)
    )
    row = next(t for t in snapshot.tasks if t.key == task.pk)
    assert (row.assignee, row.watchers) == ("Li Si", ("Li Si", "bare"))
    assert all(t.assignee == "" for t in snapshot.tasks if t.key in set(unassigned))
    department = next(d for d in snapshot.departments if d.key == participant.pk)
    assert (department.liaisons, department.head) == (("bare",), "Li Si")
