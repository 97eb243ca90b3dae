"""The permission matrix: every role x every action, through the API and through the pages.

One expectation table says what each role may do; each case runs the action
through the API and through the page that does the same, and both must give
the expected outcome. So the API and the pages can never disagree. An action
without a page yet (``None``) is run through the API alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import ApiClient, Cast, token_for
from xietong.audit.models import AuditEntry
from xietong.collabs.models import Goal, Task
from xietong.meetings.actions.contributions import ContributionInput, do_save_contribution
from xietong.meetings.actions.minutes import do_request_correction
from xietong.meetings.models import AgendaItem, CommunicationRule, ContributionKind, Meeting, MeetingKind
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db


class Outcome(StrEnum):
    DONE = "done"  # 200 / 201 / 204; a page: 200, or its redirect after a successful POST
    FORBIDDEN = "forbidden"  # 403
    HIDDEN = "hidden"  # 404: may not even know it exists
    SIGNED_OUT = "signed out"  # the API: 401; a page: redirect to the login page


INSIDERS = ("admin", "initiator", "head", "liaison", "member", "viewer")
ROLES = (*INSIDERS, "outsider", "anonymous")


def allowed(*roles: str) -> dict[str, Outcome]:
    """Return the outcomes of one action: ``roles`` may do it; other insiders 403; the rest 404 / 401."""
    chosen = INSIDERS if roles == ("everyone",) else roles
    outcomes = {role: Outcome.DONE if role in chosen else Outcome.FORBIDDEN for role in INSIDERS}
    return {**outcomes, "outsider": Outcome.HIDDEN, "anonymous": Outcome.SIGNED_OUT}


# head and liaison are 技术部's
EXPECTED: dict[str, dict[str, Outcome]] = {
    "view collaboration": allowed("everyone"),
    "view charter": allowed("everyone"),
    "view findings": allowed("everyone"),
    "edit goal": allowed("admin", "initiator"),
    "add department": allowed("admin", "initiator"),
    "add task for 技术部": allowed("admin", "initiator", "head", "liaison"),
    "edit a 技术部 task": allowed("admin", "initiator", "head", "liaison"),
    "edit a 产品部 task": allowed("admin", "initiator"),
    "delete a task": allowed("admin", "initiator"),
    "view history": allowed("admin", "initiator"),
    # meetings (``None``: through the API alone, until its page is paired here)
    "list meetings": allowed("everyone"),
    "view a meeting": allowed("everyone"),
    "schedule the kickoff": allowed("admin", "initiator"),
    "add an agenda item": allowed("admin", "initiator"),
    "send the agenda": allowed("admin", "initiator"),
    "record a 技术部 need": allowed("admin", "initiator", "head", "liaison"),
    "record a 产品部 offer": allowed("admin", "initiator"),
    "turn a need asked of 技术部 into a task": allowed("admin", "initiator", "head", "liaison"),
    "turn a need asked of 法务部 into a task": allowed("admin", "initiator"),
    "write open minutes": allowed("admin", "initiator"),
    "issue minutes": allowed("admin", "initiator"),
    "confirm minutes for 技术部": allowed("head"),
    "ask a correction for 技术部": allowed("head"),
    "open a weekly meeting": allowed("admin", "initiator"),
    # step 7: progress updates and the weekly progress list
    "report progress on a 技术部 task": allowed("admin", "initiator", "head", "liaison"),
    "report progress on a 产品部 task": allowed("admin", "initiator"),
    "view the weekly list": allowed("everyone"),
    "publish the weekly list": allowed("admin", "initiator"),
    # notifications: the collaboration's group robots and their deliveries
    "view robots and deliveries": allowed("admin", "initiator"),
    "add a group robot": allowed("admin", "initiator"),
}


# --- how an answer reads


def api_outcome(response: Any) -> str:
    return {
        200: Outcome.DONE,
        201: Outcome.DONE,
        204: Outcome.DONE,
        401: Outcome.SIGNED_OUT,
        403: Outcome.FORBIDDEN,
        404: Outcome.HIDDEN,
    }.get(response.status_code, f"unexpected {response.status_code}: {response.content[:300]!r}")


def page_outcome(response: Any) -> str:
    if response.status_code == 302:
        to_login = response["Location"].startswith(reverse("login"))
        return Outcome.SIGNED_OUT if to_login else Outcome.DONE
    if response.status_code == 200 and response.request["REQUEST_METHOD"] == "GET":
        return Outcome.DONE
    return {403: Outcome.FORBIDDEN, 404: Outcome.HIDDEN}.get(
        response.status_code, f"unexpected {response.status_code}: {response.content[:300]!r}"
    )


# --- the actions, each through the API and through its page


def _goal_form(cast: Cast) -> dict[str, Any]:
    cast.collab.refresh_from_db()
    goal = Goal.objects.get(collaboration=cast.collab)
    return {
        "version": cast.collab.version,
        "title": cast.collab.title,
        "background": cast.collab.background,
        "expected_outcome": cast.collab.expected_outcome,
        "statement": goal.statement + "(修订)",
        "deadline": goal.deadline.isoformat() if goal.deadline else "",
        "achievable_reason": "",
        "relevant_reason": "",
    }


def _task_form(task: Task, prefix: str, **changes: Any) -> dict[str, Any]:
    task.refresh_from_db()
    values = {
        "description": task.description,
        "department": task.department_id,
        "standard": task.standard,
        "deadline": task.deadline.isoformat() if task.deadline else "",
        "status": task.status,
        "blocked_reason": task.blocked_reason,
        "version": task.version,
        **changes,
    }
    return {f"{prefix}-{key}": "" if value is None else value for key, value in values.items()}


def _api_goal(api: ApiClient, cast: Cast) -> Any:
    body = {k: v or None if k == "deadline" else v for k, v in _goal_form(cast).items()}
    return api.put(f"/api/collaborations/{cast.collab.slug}/goal", {**body, "metrics": []})


def _page_goal(client: Client, cast: Cast) -> Any:
    management = {"metrics-TOTAL_FORMS": 0, "metrics-INITIAL_FORMS": 0, "metrics-MIN_NUM_FORMS": 0}
    return client.post(reverse("collabs:goal", args=[cast.collab.slug]), {**_goal_form(cast), **management})


def _api_edit(department: str) -> Callable[[ApiClient, Cast], Any]:
    def edit(api: ApiClient, cast: Cast) -> Any:
        task = cast.task_of(department)
        return api.patch(
            f"/api/tasks/{task.pk}", {"version": task.version, "standard": task.standard + "(接口)"}
        )

    return edit


def _page_edit(department: str) -> Callable[[Client, Cast], Any]:
    def edit(client: Client, cast: Cast) -> Any:
        task = cast.task_of(department)
        data = _task_form(task, f"t{task.pk}", standard=task.standard + "(页面)")
        return client.post(reverse("collabs:task_edit", args=[cast.collab.slug, task.pk]), data)

    return edit


def _new_task(client: Client, cast: Cast) -> Any:
    data = {
        "new-description": "页面新增的技术任务",
        "new-department": cast.department("技术部").pk,
        "new-standard": "通过评审",
        "new-deadline": "2024-09-01",
        "new-status": "not_started",
    }
    return client.post(reverse("collabs:task_new", args=[cast.collab.slug]), data)


def _api_new_task(api: ApiClient, cast: Cast) -> Any:
    body = {
        "description": "接口新增的技术任务",
        "department": "技术部",
        "standard": "通过评审",
        "deadline": "2024-09-01",
    }
    return api.post(f"/api/collaborations/{cast.collab.slug}/tasks", body)


def _new_department(client: Client, cast: Cast) -> Any:
    data = {
        "add": "1",
        "new-department": "财务部",
        "new-liaison": "陈专员",  # people are picked from the directory (issue 18)
        "new-duties": "预算",
        "new-role": "support",
    }
    return client.post(reverse("collabs:departments", args=[cast.collab.slug]), data)


def _meeting(cast: Cast, day: str) -> str:
    """The URL of the demo's meeting of ``day`` (the kickoff is 2024-07-08)."""
    meeting = Meeting.objects.exclude(kind=MeetingKind.ADHOC).get(
        collaboration=cast.collab, scheduled_at__date=date.fromisoformat(day)
    )
    return f"/api/collaborations/{cast.collab.slug}/meetings/{meeting.pk}"


def _day(cast: Cast, day: str) -> Meeting:
    return Meeting.objects.exclude(kind=MeetingKind.ADHOC).get(
        collaboration=cast.collab, scheduled_at__date=date.fromisoformat(day)
    )


def _need(cast: Cast, asked: str) -> tuple[Meeting, int]:
    """Record a need of 售后部 asked of ``asked`` at the kickoff; return the kickoff and the need's id."""
    kickoff = Meeting.objects.get(collaboration=cast.collab, kind=MeetingKind.KICKOFF)
    need = do_save_contribution(
        kickoff,
        ContributionInput(ContributionKind.NEED, cast.department("售后部"), "协助", cast.department(asked)),
    )
    return kickoff, need.pk


def _api_need_of(asked: str) -> Callable[[ApiClient, Cast], Any]:
    def turn(api: ApiClient, cast: Cast) -> Any:
        _kickoff, need = _need(cast, asked)
        return api.post(f"{_meeting(cast, '2024-07-08')}/contributions/{need}/task")

    return turn


def _page_need_of(asked: str) -> Callable[[Client, Cast], Any]:
    def turn(client: Client, cast: Cast) -> Any:
        kickoff, need = _need(cast, asked)
        return client.post(reverse("meetings:contribution_task", args=[cast.collab.slug, kickoff.pk, need]))

    return turn


def _reopened(cast: Cast, day: str) -> Meeting:
    """Reopen the confirmed minutes of the weekly meeting of ``day``; return the meeting."""
    meeting = _day(cast, day)
    assert meeting.scheduled_at is not None
    later = meeting.scheduled_at + timedelta(days=2)
    do_request_correction(meeting, cast.department("售后部"), "补充参会人", later)
    return meeting


def _api_write_minutes(api: ApiClient, cast: Cast) -> Any:
    _reopened(cast, "2024-07-15")
    return api.post(f"{_meeting(cast, '2024-07-15')}/minutes/items", {"kind": "decision", "text": "补充"})


def _api_issue(api: ApiClient, cast: Cast) -> Any:
    _reopened(cast, "2024-07-15")
    return api.post(f"{_meeting(cast, '2024-07-15')}/minutes/issue")


def _page_issue(client: Client, cast: Cast) -> Any:
    meeting = _reopened(cast, "2024-07-22")
    return client.post(
        reverse("meetings:minutes_issue", args=[cast.collab.slug, meeting.pk]), {"confirm": "1"}
    )


def _page_send_agenda(client: Client, cast: Cast) -> Any:
    meeting = _day(cast, "2024-08-12")
    # The API just sent it: an agenda item more, so that there is an update to send.
    AgendaItem.objects.create(meeting=meeting, position=99, title="补充议程")
    return client.post(reverse("meetings:send_agenda", args=[cast.collab.slug, meeting.pk]))


def _page_confirm(client: Client, cast: Cast) -> Any:
    url = reverse("meetings:minutes_confirm", args=[cast.collab.slug, _day(cast, "2024-08-05").pk])
    return client.post(url, {"department": cast.department("技术部").pk})


def _weekly_rule(cast: Cast) -> int:
    return CommunicationRule.objects.get(collaboration=cast.collab, channel="weekly_meeting").pk


Api = Callable[[ApiClient, Cast], Any]
Page = Callable[[Client, Cast], Any]
ACTIONS: dict[str, tuple[Api, Page | None]] = {
    "view collaboration": (
        lambda api, cast: api.get(f"/api/collaborations/{cast.collab.slug}"),
        lambda client, cast: client.get(reverse("collabs:workspace", args=[cast.collab.slug])),
    ),
    "view charter": (
        lambda api, cast: api.get(f"/api/collaborations/{cast.collab.slug}/charter"),
        lambda client, cast: client.get(reverse("collabs:goal", args=[cast.collab.slug])),
    ),
    "view findings": (
        lambda api, cast: api.get(f"/api/collaborations/{cast.collab.slug}/findings"),
        lambda client, cast: client.get(reverse("collabs:table", args=[cast.collab.slug])),
    ),
    "edit goal": (_api_goal, _page_goal),
    "add department": (
        lambda api, cast: api.post(
            f"/api/collaborations/{cast.collab.slug}/departments",
            {"department": "人事部", "liaison": "陈专员"},
        ),
        _new_department,
    ),
    "add task for 技术部": (_api_new_task, _new_task),
    "edit a 技术部 task": (_api_edit("技术部"), _page_edit("技术部")),
    "edit a 产品部 task": (_api_edit("产品部"), _page_edit("产品部")),
    "delete a task": (
        lambda api, cast: api.delete(f"/api/tasks/{cast.task_of('售后部', 0).pk}"),
        lambda client, cast: client.post(
            reverse("collabs:task_delete", args=[cast.collab.slug, cast.task_of("售后部", 1).pk]),
            {"confirm": "1"},
        ),
    ),
    "view history": (
        lambda api, cast: api.get(f"/api/collaborations/{cast.collab.slug}/history"),
        lambda client, cast: client.get(reverse("collabs:history", args=[cast.collab.slug])),
    ),
    "list meetings": (
        lambda api, cast: api.get(f"/api/collaborations/{cast.collab.slug}/meetings"),
        lambda client, cast: client.get(reverse("meetings:meetings", args=[cast.collab.slug])),
    ),
    "view a meeting": (
        lambda api, cast: api.get(_meeting(cast, "2024-08-12")),
        lambda client, cast: client.get(
            reverse("meetings:meeting", args=[cast.collab.slug, _day(cast, "2024-08-12").pk])
        ),
    ),
    "schedule the kickoff": (
        lambda api, cast: api.post(
            f"/api/collaborations/{cast.collab.slug}/kickoff", {"scheduled_at": "2024-07-08T14:00:00+08:00"}
        ),
        None,
    ),
    "add an agenda item": (
        lambda api, cast: api.post(f"{_meeting(cast, '2024-08-12')}/agenda-items", {"title": "风险复盘"}),
        None,
    ),
    "send the agenda": (
        lambda api, cast: api.post(f"{_meeting(cast, '2024-08-12')}/send-agenda", {"confirm_late": True}),
        _page_send_agenda,
    ),
    "record a 技术部 need": (
        lambda api, cast: api.post(
            f"{_meeting(cast, '2024-08-12')}/contributions",
            {"kind": "need", "department": "技术部", "counterpart": "产品部", "text": "缺陷复现环境"},
        ),
        None,
    ),
    "record a 产品部 offer": (
        lambda api, cast: api.post(
            f"{_meeting(cast, '2024-08-12')}/contributions",
            {"kind": "offer", "department": "产品部", "text": "需求评审"},
        ),
        None,
    ),
    "turn a need asked of 技术部 into a task": (_api_need_of("技术部"), _page_need_of("技术部")),
    "turn a need asked of 法务部 into a task": (_api_need_of("法务部"), _page_need_of("法务部")),
    "write open minutes": (_api_write_minutes, None),
    "issue minutes": (_api_issue, _page_issue),
    "confirm minutes for 技术部": (
        lambda api, cast: api.post(
            f"{_meeting(cast, '2024-08-05')}/minutes/confirm", {"department": "技术部"}
        ),
        _page_confirm,
    ),
    "ask a correction for 技术部": (
        lambda api, cast: api.post(
            f"{_meeting(cast, '2024-08-05')}/minutes/corrections", {"department": "技术部", "comment": "有误"}
        ),
        None,
    ),
    "open a weekly meeting": (
        lambda api, cast: api.post(
            f"/api/collaborations/{cast.collab.slug}/communication/{_weekly_rule(cast)}/occurrences",
            {"at": "2024-08-19T10:00:00+08:00"},
        ),
        None,
    ),
}


def _api_progress(department: str) -> Api:
    def report(api: ApiClient, cast: Cast) -> Any:
        task = cast.task_of(department)
        body = {"version": task.version, "status": "in_progress", "percent": 60, "note": "接口汇报"}
        return api.post(f"/api/tasks/{task.pk}/progress", body)

    return report


def _page_progress(department: str) -> Page:
    def report(client: Client, cast: Cast) -> Any:
        task = cast.task_of(department)
        task.refresh_from_db()
        data = {"status": "in_progress", "percent": 70, "note": "页面汇报", "version": task.version}
        return client.post(reverse("tracking:progress", args=[cast.collab.slug, task.pk]), data)

    return report


ACTIONS.update(
    {
        "report progress on a 技术部 task": (_api_progress("技术部"), _page_progress("技术部")),
        "report progress on a 产品部 task": (_api_progress("产品部"), _page_progress("产品部")),
        "view the weekly list": (
            lambda api, cast: api.get(f"/api/collaborations/{cast.collab.slug}/weekly", week="2024-W32"),
            lambda client, cast: client.get(reverse("tracking:tracking", args=[cast.collab.slug])),
        ),
        "publish the weekly list": (
            lambda api, cast: api.post(
                f"/api/collaborations/{cast.collab.slug}/weekly/2024-W32/publish", {"remarks": "接口"}
            ),
            lambda client, cast: client.post(
                reverse("tracking:publish", args=[cast.collab.slug, "2024-W31"]), {"remarks": "页面"}
            ),
        ),
    }
)


_ROBOT = {
    "kind": "wecom",
    "name": "项目群",
    "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
}

ACTIONS.update(
    {
        "view robots and deliveries": (
            lambda api, cast: api.get(f"/api/collaborations/{cast.collab.slug}/robots"),
            lambda client, cast: client.get(reverse("notify:robots", args=[cast.collab.slug])),
        ),
        "add a group robot": (
            lambda api, cast: api.post(f"/api/collaborations/{cast.collab.slug}/robots", _ROBOT),
            lambda client, cast: client.post(reverse("notify:robots", args=[cast.collab.slug]), _ROBOT),
        ),
    }
)


def person_in(cast: Cast, role: str) -> Person | None:
    return None if role == "anonymous" else getattr(cast, role)


def test_the_table_covers_every_role_and_action() -> None:
    assert set(EXPECTED) == set(ACTIONS)
    assert all(set(row) == set(ROLES) for row in EXPECTED.values())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_the_api_and_the_pages_allow_the_same(cast: Cast, action: str, role: str) -> None:
    person = person_in(cast, role)
    api = ApiClient(token_for(person) if person else None)
    page = Client()
    if person is not None:
        page.force_login(person)
    through_api, through_page = ACTIONS[action]
    expected = EXPECTED[action][role]
    written_before = written_by(person)
    if through_page is None:  # an action only the API offers so far
        assert api_outcome(through_api(api, cast)) == expected
    else:
        assert (api_outcome(through_api(api, cast)), page_outcome(through_page(page, cast))) == (
            expected,
            expected,
        )
    if expected != Outcome.DONE and person is not None:
        # A refusal writes nothing: every write goes through an action, which records its actor.
        # (Some actions prepare their object first, as another person: not counted here; the
        # anonymous are turned away before any view runs.)
        assert written_by(person) == written_before


def written_by(person: Person | None) -> int:
    """Return how many audit entries ``person`` (None: nobody signed in) has caused so far."""
    return (
        AuditEntry.objects.filter(actor=person).count()
        if person
        else AuditEntry.objects.filter(actor=None).count()
    )
