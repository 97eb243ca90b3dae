"""Issue 15 (4, 6): dates within a sane window, lengths enforced whichever the database.

Every date a person enters lies between 2000-01-01 and twenty years ahead;
every text fits its column (or the product's limit for long texts) in the
forms, the API (422 naming the field), the actions, the charter and workbook
imports. Pages survive the extremes that older versions let in.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from tests.api.conftest import as_person
from tests.conftest import AS_OF
from tests.documents.test_workbook import edit, good_bytes, read
from tests.helpers import TZ
from tests.test_no_server_errors import workspace_urls
from xietong.charter.format import CharterError, parse_charter
from xietong.collabs.actions.goal import GoalInput
from xietong.collabs.actions.tasks import TaskInput
from xietong.collabs.forms.tasks import TaskForm
from xietong.collabs.models import Collaboration, Goal
from xietong.documents.serve import WHAT_FORMATS
from xietong.lib.limits import EARLIEST, TEXT_LIMIT, LimitError, latest
from xietong.meetings.actions.feeds import do_open_calendar_feed
from xietong.meetings.feeds import feed_token
from xietong.meetings.models import CommunicationRule, Meeting
from xietong.notify.outbox import sweep
from xietong.tracking.actions.registers import IssueInput

pytestmark = pytest.mark.django_db

# What an older version stored: the extremes of Python's dates. A stored
# moment keeps eight hours of slack so that the site's time zone can show it.
EXTREMES = {
    "earliest": (date(1, 1, 1), datetime(1, 1, 1, 0, 0, tzinfo=UTC)),
    "latest": (date(9999, 12, 31), datetime(9999, 12, 31, 15, 0, tzinfo=UTC)),
}
APPS = ("collabs", "meetings", "tracking")


def store_extreme(day: date, moment: datetime) -> None:
    """Write ``day`` / ``moment`` into every date of one row of each model, bypassing validation."""
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            values: dict[str, object] = {}
            for field in model._meta.concrete_fields:
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                    continue
                if isinstance(field, models.DateTimeField):
                    values[field.name] = moment
                elif isinstance(field, models.DateField):
                    values[field.name] = day
            first = model.objects.order_by("pk").first()
            if values and first is not None:
                model.objects.filter(pk=first.pk).update(**values)


@pytest.mark.parametrize("extreme", list(EXTREMES))
def test_every_page_survives_stored_extreme_dates(demo: Collaboration, extreme: str) -> None:
    store_extreme(*EXTREMES[extreme])
    sweep(datetime.combine(AS_OF, time(9), tzinfo=TZ))  # reminders, too
    client = Client(raise_request_exception=False)
    client.force_login(demo.owner)
    urls = [*workspace_urls(demo), reverse("dashboards:dashboard", args=[demo.slug])]
    urls += [f"/c/{demo.slug}/export/{what}.{fmt}" for what, fmts in WHAT_FORMATS.items() for fmt in fmts]
    for meeting in Meeting.objects.filter(collaboration=demo):
        urls += [
            reverse(name, args=[demo.slug, meeting.pk])
            for name in ("meetings:meeting", "meetings:meeting_ics")
        ]
        urls.append(f"/c/{demo.slug}/export/minutes.docx?meeting={meeting.pk}")
    for rule in CommunicationRule.objects.filter(collaboration=demo):
        urls.append(reverse("meetings:series_ics", args=[demo.slug, rule.pk]))
    urls.append(reverse("meetings:feed", args=[feed_token(do_open_calendar_feed(demo.owner))]))
    # and every list of the API about it
    paths = client.get("/api/openapi.json").json()["paths"]
    urls += [
        "/api" * (not path.startswith("/api")) + path.replace("{slug}", demo.slug)
        for path, operations in paths.items()
        if "get" in operations and "{" not in path.replace("{slug}", "")
    ]
    failed = [url for url in urls if client.get(url).status_code >= 500]
    assert failed == []


GOOD = Path(__file__).parent / "charters" / "good.json"
WINDOW = f"{EARLIEST.isoformat()} 与 {latest().isoformat()} 之间"


def test_the_window_runs_from_2000_to_twenty_years_ahead() -> None:
    assert date(2000, 1, 1) == EARLIEST
    assert latest(date(2026, 6, 1)) == date(2046, 12, 31)


def test_the_dashboard_survives_a_stored_deadline_of_9999_12_31(demo: Collaboration) -> None:
    Goal.objects.filter(collaboration=demo).update(deadline=date(9999, 12, 31))
    client = Client()
    client.force_login(demo.owner)
    assert client.get(reverse("dashboards:dashboard", args=[demo.slug])).status_code == 200


# --- forms


def _task_form(**values: str) -> TaskForm:
    data = {"description": "梳理投诉流程", "status": "not_started", **values}
    return TaskForm(data=data, departments=[])


@pytest.mark.parametrize("deadline", ["0001-01-01", "1999-12-31", "9999-12-31"])
def test_a_form_refuses_a_date_outside_the_window(deadline: str) -> None:
    form = _task_form(deadline=deadline)
    assert not form.is_valid()
    assert WINDOW in form.errors["deadline"][0]
    assert _task_form(deadline="2024-09-30").is_valid()


def test_a_form_refuses_a_text_beyond_its_limit_and_says_so_to_the_browser() -> None:
    form = _task_form(description="述" * (TEXT_LIMIT + 1))
    assert not form.is_valid()
    assert "description" in form.errors
    assert f'maxlength="{TEXT_LIMIT}"' in str(_task_form()["standard"])
    assert f'max="{latest().isoformat()}"' in str(_task_form()["deadline"])


# --- the API: 422 naming the field


def test_the_api_refuses_dates_outside_the_window_naming_the_field(demo: Collaboration) -> None:
    api = as_person(demo.owner)
    for deadline in ("0001-01-01", "9999-12-31"):
        refused = api.post(
            f"/api/collaborations/{demo.slug}/tasks",
            {"description": "新任务", "department": "技术部", "deadline": deadline},
        )
        assert refused.status_code == 422
        assert refused.json()["path"] == "body.deadline"
        assert WINDOW in refused.json()["detail"]
    issue = api.post(f"/api/collaborations/{demo.slug}/issues", {"title": "问题", "due_date": "0001-01-01"})
    assert (issue.status_code, issue.json()["path"]) == (422, "body.due_date")


def test_the_api_refuses_a_text_longer_than_its_column_naming_the_field(demo: Collaboration) -> None:
    api = as_person(demo.owner)
    refused = api.post(
        f"/api/collaborations/{demo.slug}/tasks", {"description": "述" * 30_000, "department": "技术部"}
    )
    assert (refused.status_code, refused.json()["path"]) == (422, "body.description")


# --- the actions: a direct call refuses too, whichever the database


def test_an_action_input_refuses_over_long_texts_and_out_of_window_dates() -> None:
    with pytest.raises(LimitError) as long_title:
        GoalInput("题" * 250, "", "", "", None, "", "")
    assert long_title.value.field == "title"
    with pytest.raises(LimitError) as far:
        TaskInput("任务", None, "", date(9999, 12, 31), [], "not_started", "")
    assert far.value.field == "deadline"
    with pytest.raises(LimitError) as long_text:
        TaskInput("述" * 30_000, None, "", None, [], "not_started", "")
    assert long_text.value.field == "description"
    with pytest.raises(LimitError):
        IssueInput(title="问题", due_date=date(1, 1, 1))


# --- the charter import


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("title",), "题" * 250),
        (("tasks", 0, "description"), "述" * 30_000),
        (("tasks", 0, "deadline"), "0001-01-01"),
        (("goal", "deadline"), "9999-12-31"),
        (("kickoff", "scheduled_at"), "9999-12-31T10:00:00+08:00"),
    ],
)
def test_the_charter_refuses_what_the_database_or_the_window_would_not_take(
    path: tuple[str | int, ...], value: str
) -> None:
    data = json.loads(GOOD.read_text())
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(CharterError) as refused:
        parse_charter(data)
    expected = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    assert refused.value.path == expected


def test_the_charter_api_names_the_over_long_title(demo: Collaboration) -> None:
    data = json.loads(GOOD.read_text())
    data["title"] = "题" * 250
    refused = as_person(demo.owner).post("/api/collaborations", data)
    assert (refused.status_code, refused.json()["path"]) == (422, "title")


# --- the workbook import: sheet, row and column


@pytest.mark.parametrize(
    ("cell", "value"), [("E7", "9999-12-31"), ("E7", "1999-12-31"), ("A7", "述" * 30_000)]
)
def test_the_workbook_names_the_cell_of_an_out_of_window_date_or_over_long_text(
    cell: str, value: str
) -> None:
    result = read(edit(good_bytes(), lambda book: book["部门职责分工表"].__setitem__(cell, value)))
    [problem] = result.problems
    assert (problem.sheet, problem.row, (problem.column or "")[:1]) == ("部门职责分工表", 7, cell[0])
    assert WINDOW in problem.reason if cell[0] == "E" else "20000" in problem.reason
