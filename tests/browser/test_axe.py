"""axe-core on every page a person can reach: no serious or critical violation, on a desktop, a phone and in dark mode.

The pages come from the URL conf, not from a hand-written list: every named
route (Django's admin and the JSON API aside) is filled in with the demo's
objects (the parameter's segment names the kind, as in
``tests/test_outsiders.py``) and requested first with the signed-in
initiator's cookies. What answers a full HTML page is opened in Chromium,
axe-core (vendored in ``vendor/``, test-only) is run in it, and every
violation of impact *serious* or *critical* fails the test with its rule,
its elements and the page. What answers something else is listed as skipped
with the reason read from the answer (POST only, a download, an htmx
fragment checked inside its page, a redirect); a page refused to the
initiator is opened as a staff member; a route whose parameter this test
cannot fill fails until it is mapped or listed in ``NOT_OPENED``.

One browser context per person and mode, signed in once; the modes are a
1280 px desktop, a 390x844 touch phone (the IM suites' in-app browsers are
the same engine) and the desktop in dark mode (``prefers-color-scheme``).
docs/accessibility.md says what is checked and why.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.browser.conftest import PHONE, VIEWPORT, sign_in
from tests.browser.test_minutes import with_password
from tests.conftest import AS_OF
from tests.running import sqlite_pass_only
from xietong.collabs.models import (
    Collaboration,
    Metric,
    Nomination,
    NominationRole,
    Participant,
    SavedView,
    SubGoal,
    Task,
)
from xietong.discuss.models import Comment
from xietong.meetings.models import AgendaItem, CommunicationRule, Contribution, Meeting, MinutesItem
from xietong.notify.models import Delivery, Kind, Notification, Robot, Transport
from xietong.orgs.models import Person
from xietong.tracking.actions.weekly import do_publish_weekly_report
from xietong.tracking.models import Allocation, ChangeRequest, IssueEntry, Milestone, Risk, SlaRequest
from xietong.tracking.weekly import IsoWeek

# They judge markup and layout, which the database under the pages does not change: the SQLite pass.
pytestmark = [pytest.mark.browser, sqlite_pass_only]

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
# XIETONG_AXE_IMPACTS=minor,moderate,serious,critical shows the lesser findings too (as failures).
FAILING_IMPACTS = set(os.environ.get("XIETONG_AXE_IMPACTS", "serious,critical").split(","))

MODES: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": VIEWPORT},
    "phone": {"viewport": PHONE, "is_mobile": True, "has_touch": True},
    "dark": {"viewport": VIEWPORT, "color_scheme": "dark"},
}

# Routes not requested at all, and why (the rest are requested and classified by their answer).
NOT_OPENED: dict[str, str] = {
    "admin/": "Django's admin: its own templates, staff only",
    "api/": "the JSON API (its docs page /api/docs is opened)",
    "accounts/password_": "Django's own password pages, in the admin's look: the product links allauth's",
    "accounts/reset/": "Django's password-reset link: reached by its one-time token",
    "accounts/invite/": "an invitation's company sign-in: reached by its one-time token",
    "accounts/^": "allauth's e-mail confirmation and password-reset keys: reached by a one-time key",
    "accounts/oidc/": "a company sign-in: redirects to the identity provider",
    "accounts/dingtalk/": "a company sign-in: redirects to the identity provider",
    "accounts/feishu/": "a company sign-in: redirects to the identity provider",
    "accounts/wecom/": "a company sign-in: redirects to the identity provider",
    "accounts/2fa/recovery-codes/": "a second factor's pages: 404 until one is set up (tests/browser/test_signin_mfa.py)",
    "accounts/2fa/totp/deactivate/": "a second factor's pages: 404 until one is set up",
    "accounts/logout/": "POST only (Django's LogoutView answers GET with 405)",
    "invite/": "an account invitation: reached by its one-time token",
    "calendar/<str:token>": "a calendar feed (text/calendar): reached by its secret token",
    "notifications/unsubscribe/": "an unsubscribe link: reached by its signed token",
    "c/<str:slug>/export/": "downloads (xlsx, docx, csv, md, json)",
    "c/<str:slug>/meetings/<int:pk>.ics": "a download (text/calendar)",
    "c/<str:slug>/communication/<int:pk>.ics": "a download (text/calendar)",
    "c/<str:slug>/meetings/<int:pk>/materials/<int:item>/": "a meeting material's file: a download",
    "c/<str:slug>/attachments/<int:pk>/": "a comment's attachment: a download",
    "api-tokens/<int:pk>/": "POST only (revoke a token)",
    "org/invitations/<int:pk>/": "POST only (resend, revoke)",
    "org/heads/<int:pk>/": "POST only (confirm, reject a head proposal)",
    "org/people/<int:pk>/deactivate/": "POST only",
    "org/people/<int:pk>/reactivate/": "POST only",
    "notifications/failed/<int:pk>/": "POST only (resend)",
}
# Pages of a signed-out visitor, opened before signing in.
SIGNED_OUT = ["/accounts/login/", "/accounts/password/reset/"]


@dataclass
class Walk:
    """What the walk opened and skipped, and what it found wrong."""

    opened: dict[str, str] = field(default_factory=dict)  # url -> who
    skipped: dict[str, str] = field(default_factory=dict)  # route or url -> why
    problems: list[str] = field(default_factory=list)

    def report(self) -> str:
        opened = "\n".join(f"  {url} (as {who})" for url, who in self.opened.items())
        skipped = "\n".join(f"  {where}: {why}" for where, why in sorted(self.skipped.items()))
        return f"{len(self.opened)} pages opened:\n{opened}\nskipped:\n{skipped}"


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield route


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _segments(route: str) -> list[tuple[str, str]]:
    """Return (the segment before it, its name) for each parameter of ``route``."""
    return [
        (re.split(r"[/.]", route[: m.start()].rstrip("/."))[-1], m.group(1))
        for m in PARAMETER.finditer(route)
    ]


def _values(collab: Collaboration) -> dict[str, str]:
    """Return, for each segment before a parameter, the primary key of one of the demo's objects of that kind."""
    owner = collab.owner
    assert owner is not None
    kickoff = Meeting.objects.get(collaboration=collab, kind="kickoff")
    participant = Participant.objects.filter(collaboration=collab).first()
    task = Task.objects.filter(collaboration=collab).first()
    assert participant is not None and task is not None
    robot = Robot.objects.create(
        collaboration=collab, kind=Transport.WECOM, name="项目群", webhook_url="https://example.com/hook"
    )
    notification = Notification.objects.create(
        key="axe", kind=Kind.TASK_OVERDUE, collaboration=collab, recipient=owner, params={}
    )
    # a published weekly list (its page shows only what was published)
    week = IsoWeek.of(AS_OF)
    do_publish_weekly_report(collab, week.year, week.week, "本周重点:投诉分类提速", timezone.now(), owner)
    objects = {
        "metrics": Metric.objects.filter(goal__collaboration=collab).first(),
        "departments": participant,
        "table": task,
        "tasks": task,
        "board": task,
        "views": SavedView.objects.create(
            person=owner, collaboration=collab, name="技术部逾期", query="status=overdue"
        ),
        "accept": task,
        "progress": task,
        "subgoals": SubGoal.objects.filter(collaboration=collab).first(),
        "meetings": kickoff,
        "agenda": AgendaItem.objects.filter(meeting=kickoff).first(),
        "contributions": Contribution.objects.filter(meeting=kickoff).first(),
        "items": MinutesItem.objects.filter(meeting=kickoff).first(),
        "communication": CommunicationRule.objects.filter(collaboration=collab).first(),
        "changes": ChangeRequest.objects.filter(collaboration=collab).first(),
        "requests": SlaRequest.objects.filter(collaboration=collab).first(),
        "issues": IssueEntry.objects.filter(collaboration=collab).first(),
        "risks": Risk.objects.filter(collaboration=collab).first(),
        "allocations": Allocation.objects.create(
            collaboration=collab,
            resource="测试环境",
            from_department=participant.department,
            to_department=participant.department,
        ),
        "milestones": Milestone.objects.create(collaboration=collab, name="上线", due_date=date(2024, 9, 1)),
        "robots": robot,
        "deliveries": Delivery.objects.create(
            notification=notification, transport=robot.kind, target=f"robot:{robot.pk}", robot=robot
        ),
        "comments": Comment.objects.create(
            collaboration=collab, task=task, author=owner, body="请 @李工 确认"
        ),
        "people": owner,
        # a role offered to the initiator, waiting for their answer (its page is theirs alone)
        "nominations": Nomination.objects.create(
            collaboration=collab, person=owner, role=NominationRole.LIAISON, nominated_by=None
        ),
        "notifications": notification,
    }
    missing = [kind for kind, row in objects.items() if row is None]
    assert not missing, f"the demo has no {missing}"
    return {kind: str(row.pk) for kind, row in objects.items() if row is not None} | {"weekly": str(week)}


def every_url(collab: Collaboration, walk: Walk) -> list[str]:
    """Return the URL of every named route, filled in with the demo's objects; note the routes not opened."""
    values = _values(collab)
    urls: list[str] = []
    for route in dict.fromkeys(_routes(get_resolver().url_patterns)):
        start = next((start for start in NOT_OPENED if route.startswith(start)), None)
        if start is not None:
            walk.skipped[start] = NOT_OPENED[start]
            continue
        filled = {"slug": collab.slug}
        for before, name in _segments(route):
            if name in filled:
                continue
            if before not in values:
                raise AssertionError(
                    f"{route}: no demo object for parameter {name!r} after {before!r}: "
                    "add one to _values() or list the route in NOT_OPENED with the reason"
                )
            filled[name] = values[before]
        urls.append("/" + PARAMETER.sub(lambda m, filled=filled: filled[m.group(1)], route))
    # the table with a row open for editing (what /table/<pk>/edit/ redirects to without htmx)
    urls.append(f"/c/{collab.slug}/table/?edit={values['table']}")
    urls.append(f"/c/{collab.slug}/tracking/?edit={values['table']}")  # a row's progress form
    return urls


def _is_page(body: str) -> bool:
    start = body.lstrip()[:200].lower()
    return start.startswith(("<!doctype html", "<html"))


def _axe_violations(page: Any, source: str) -> list[dict[str, Any]]:
    """Run axe-core in ``page``; return its violations (rule, impact, help, the elements' selectors)."""
    # page.evaluate runs through the DevTools protocol, which the page's Content-Security-Policy
    # does not govern: the policy stays on for the page itself (no bypass_csp).
    page.evaluate(source)
    return list(
        page.evaluate(
            """async () => {
                const result = await axe.run(document, {resultTypes: ['violations']});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '')
                        .replace(/\\s+/g, ' ').slice(0, 240)),
                }));
            }"""
        )
    )


class Browsing:
    """One signed-in context per person for a mode, created on first use."""

    def __init__(self, browser: Any, base_url: str, mode: str, usernames: dict[str, str]) -> None:
        self.browser, self.base_url, self.mode = browser, base_url, mode
        self.usernames = usernames  # who -> username (people of make_person or with_password)
        self.contexts: dict[str, Any] = {}
        self.pages: dict[str, Any] = {}
        self.errors: list[str] = []

    def page(self, who: str) -> Any:
        if who not in self.pages:
            context = self.browser.new_context(**MODES[self.mode], locale="zh-CN", base_url=self.base_url)
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.on("pageerror", lambda error: self.errors.append(f"JavaScript error: {error} ({page.url})"))
            page.on(
                "console",
                lambda msg: (
                    self.errors.append(f"console.error: {msg.text} ({page.url})")
                    if msg.type == "error"
                    and "favicon.ico" not in msg.location.get("url", "")
                    # an answer's status is judged by the walk (the error page of a failed company sign-in is a 401)
                    and not msg.text.startswith("Failed to load resource")
                    else None
                ),
            )
            if who != "anonymous":
                sign_in(page, self.usernames[who])
            self.contexts[who], self.pages[who] = context, page
        return self.pages[who]

    def close(self) -> None:
        for context in self.contexts.values():
            context.close()


# The second pass, with the disclosures open, is left out on the phone: the same elements as on the
# desktop, where it runs (colours in both schemes), and the walk's time stays under a minute per mode.
DISCLOSURES_OPENED_IN = {"desktop", "dark"}
# Open every disclosure (<details>: add forms, comment threads loaded by htmx on "toggle", menus).
OPEN_DISCLOSURES = """() => {
  const closed = [...document.querySelectorAll('details:not([open])')];
  closed.forEach(d => { d.open = true; });
  return {opened: closed.length, loading: closed.filter(d => d.hasAttribute('hx-get')).length};
}"""


def check(browsing: Browsing, who: str, url: str, source: str, walk: Walk) -> None:
    """Open ``url`` and run axe on it as it comes, then (desktop, dark) again with every disclosure open."""
    page = browsing.page(who)
    page.goto(url)
    page.wait_for_load_state("load")
    walk.opened[url] = who
    found = {(v["id"], tuple(v["targets"])): v for v in _axe_violations(page, source)}
    if browsing.mode not in DISCLOSURES_OPENED_IN:
        disclosures = {"opened": 0}
    else:
        disclosures = page.evaluate(OPEN_DISCLOSURES)
    if disclosures["opened"]:
        if disclosures["loading"]:
            page.wait_for_load_state("networkidle")  # the threads a disclosure loads when opened
        found |= {(v["id"], tuple(v["targets"])): v for v in _axe_violations(page, source)}
    for violation in found.values():
        if violation["impact"] in FAILING_IMPACTS:
            targets = "\n      ".join(violation["targets"][:8])
            walk.problems.append(
                f"[{browsing.mode}] {url} (as {who}): {violation['id']} ({violation['impact']}) "
                f"{violation['help']}\n      {targets}"
            )


def probe(browsing: Browsing, who: str, url: str) -> tuple[int, str, str]:
    """Request ``url`` with ``who``'s cookies, no redirect followed; return status, content type, body."""
    response = browsing.page(who).request.get(url, max_redirects=0)
    kind = response.headers.get("content-type", "")
    body = response.text() if kind.startswith("text/html") else ""
    return response.status, kind, body


def classify(browsing: Browsing, url: str, walk: Walk) -> str | None:
    """Return who opens ``url`` as a page (initiator or staff), or None with the reason noted in ``walk``."""
    answers = []
    for who in ("initiator", "staff"):
        status, kind, body = probe(browsing, who, url)
        answers.append(f"{status} to the {who}")
        if status in (200, 401) and kind.startswith("text/html"):
            if _is_page(body):
                return who
            walk.skipped[url] = "an htmx fragment: checked inside the page it is swapped into"
            return None
        if status == 200:
            walk.skipped[url] = f"a download or data ({kind.split(';')[0]})"
            return None
        if status == 405:
            walk.skipped[url] = "POST only"
            return None
        if status >= 500:
            walk.problems.append(f"[{browsing.mode}] {url}: HTTP {status} as {who}")
            return None
        # 3xx, 403, 404: maybe a staff page; the administrator is tried before giving up
    if status == 404:
        walk.problems.append(
            f"[{browsing.mode}] {url}: 404 to the initiator and to staff: map its parameters to an "
            "object of the demo, or list the route in NOT_OPENED with the reason"
        )
    elif 300 <= status < 400:
        walk.skipped[url] = f"redirects ({', '.join(answers)}) to {probe_location(browsing, url)}"
    else:
        walk.skipped[url] = f"answers {', '.join(answers)}: refused for the demo's state"
    return None


def probe_location(browsing: Browsing, url: str) -> str:
    response = browsing.page("staff").request.get(url, max_redirects=0)
    return str(response.headers.get("location", "?"))


@pytest.fixture
def people(transactional_db: None, demo: Collaboration, admin_user: Person) -> Collaboration:
    """The demo with its initiator (王经理) and a staff member (``root``) able to sign in."""
    with_password(demo.owner)
    return demo


@pytest.mark.parametrize("mode", list(MODES))
def test_no_page_has_a_serious_accessibility_violation(
    browser: Any, base_url: str, people: Collaboration, mode: str
) -> None:
    source = AXE.read_text(encoding="utf-8")
    walk = Walk()
    assert people.owner is not None
    browsing = Browsing(browser, base_url, mode, {"initiator": people.owner.username, "staff": "root"})
    try:
        for url in SIGNED_OUT:
            check(browsing, "anonymous", url, source, walk)
        for url in every_url(people, walk):
            who = classify(browsing, url, walk)
            if who is not None:
                check(browsing, who, url, source, walk)
    finally:
        browsing.close()
    print(walk.report())
    assert len(walk.opened) > 40, walk.report()
    problems = walk.problems + browsing.errors
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_the_walk_finds_the_workspace_and_skips_downloads(people: Collaboration) -> None:
    """The walk itself: a broken URL walk must not pass by opening nothing."""
    walk = Walk()
    urls = every_url(people, walk)
    slug = people.slug
    assert {f"/c/{slug}/", f"/c/{slug}/table/", "/overview/", "/org/"} <= set(urls)
    assert any(re.fullmatch(rf"/c/{slug}/meetings/\d+/", url) for url in urls)
    assert "c/<str:slug>/export/" in walk.skipped
