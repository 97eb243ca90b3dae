"""The permission matrix: every role x every action, through the API and through the pages.

One expectation table says what each role may do; each case runs the action
through the API and through the page that does the same, and both must give
the expected outcome. So the API and the pages can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import ApiClient, Cast, token_for
from xietong.collabs.models import Goal, Task
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
        "new-liaison": "钱会计",
        "new-duties": "预算",
        "new-role": "support",
    }
    return client.post(reverse("collabs:departments", args=[cast.collab.slug]), data)


Api = Callable[[ApiClient, Cast], Any]
Page = Callable[[Client, Cast], Any]
ACTIONS: dict[str, tuple[Api, Page]] = {
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
            {"department": "人事部", "liaison": "孙专员"},
        ),
        _new_department,
    ),
    "add task for 技术部": (_api_new_task, _new_task),
    "edit a 技术部 task": (_api_edit("技术部"), _page_edit("技术部")),
    "edit a 产品部 task": (_api_edit("产品部"), _page_edit("产品部")),
    "delete a task": (
        lambda api, cast: api.delete(f"/api/tasks/{cast.task_of('售后部', 0).pk}"),
        lambda client, cast: client.post(
            reverse("collabs:task_delete", args=[cast.collab.slug, cast.task_of("售后部", 1).pk])
        ),
    ),
    "view history": (
        lambda api, cast: api.get(f"/api/collaborations/{cast.collab.slug}/history"),
        lambda client, cast: client.get(reverse("audit:history", args=[cast.collab.slug])),
    ),
}


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
    assert (api_outcome(through_api(api, cast)), page_outcome(through_page(page, cast))) == (
        expected,
        expected,
    )
