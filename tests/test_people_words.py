"""Pages speak to people: objects, fields, people and numbers in words, rows by position.

Findings name what they point at ("任务 #2「…」", "技术部") while ``check
--json`` keeps the paths; the history shows "指标读数" and "记录人" with the
person's name; numbers read "45", not "45.0000"; the table numbers its rows
1, 2, 3 after a deletion; ``xietong run`` after ``xietong demo`` keeps the
demo; a chosen administrator password is named as such.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import make_person
from tests.helpers import add_charter_people, signed_in
from tests.test_views import charter_with_tasks
from xietong.charter.demo import DEMO_SLUG, load_demo
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.actions import do_record_reading
from xietong.collabs.actions.tasks import do_delete_task
from xietong.collabs.models import Collaboration, Metric, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.commands.management.commands.run import ADMIN_USERNAME, Command
from xietong.meetings.models import Meeting
from xietong.orgs.models import Person
from xietong.rules.engine import object_label

pytestmark = pytest.mark.django_db


@pytest.fixture
def collab() -> Collaboration:
    """The guide's example with three rows; the second has no department (R01)."""
    data = charter_with_tasks(3)
    data["tasks"][1]["department"] = None  # type: ignore[index]
    data["tasks"][1]["description"] = "建立投诉工单系统自动分派规则"  # type: ignore[index]
    return do_import_charter(parse_charter(add_charter_people(data)), slug="words")


def test_the_dashboard_names_a_findings_row_as_people_do(collab: Collaboration) -> None:
    page = signed_in(collab.owner).get(f"/c/{collab.slug}/dashboard/").content.decode()
    assert "任务 #2「建立投诉工单系统自动分派规则」" in page
    assert not re.search(r"(tasks|departments|subgoals)\[\d+\]", page)


def test_labels_name_rows_by_position_and_departments_by_name(collab: Collaboration) -> None:
    snapshot = load_snapshot(collab)
    assert object_label(snapshot, "tasks[1]") == "任务 #2「建立投诉工单系统自动分派规则」"
    assert object_label(snapshot, "departments[0]") == snapshot.departments[0].name
    assert object_label(snapshot, "goal") == "核心目标"
    assert object_label(snapshot, "tasks[99]") == ""


def test_the_api_keeps_the_paths(collab: Collaboration) -> None:
    from xietong.rules.clock import context_for
    from xietong.rules.engine import run_rules

    report = run_rules(load_snapshot(collab), context_for(None)).as_dict()
    assert ("R01", "tasks[1]") in {(f["rule"], f["object"]) for f in report["findings"]}


def test_the_history_shows_models_fields_and_people_in_words(collab: Collaboration) -> None:
    owner = collab.owner
    assert owner is not None
    metric = Metric.objects.filter(goal__collaboration=collab).first()
    assert metric is not None
    do_record_reading(metric, date(2024, 7, 15), Decimal("45"), actor=owner)
    page = signed_in(owner).get(f"/c/{collab.slug}/history/").content.decode()
    row = page[page.index("指标读数") :]
    row = row[: row.index("</tr>")]
    assert "记录人" in row and "测量日期" in row and owner.name in row
    assert "recorded_by" not in page and "measured_on" not in page and "collabs.metricreading" not in page
    assert "45.0000" not in page


def test_numbers_read_as_people_write_them(collab: Collaboration) -> None:
    metric = Metric.objects.filter(goal__collaboration=collab).first()
    assert metric is not None
    do_record_reading(metric, date(2024, 7, 15), Decimal("45"), actor=collab.owner)
    client = signed_in(collab.owner)
    for page in ("closing", "dashboard", "history"):
        html = client.get(f"/c/{collab.slug}/{page}/").content.decode()
        assert not re.search(r"\d\.0000\b", html), page


def test_an_agenda_sent_after_the_meeting_reads_after_not_minus(collab: Collaboration) -> None:
    now = timezone.now()
    kickoff = (
        Meeting.objects.get(collaboration=collab, kind="kickoff")
        if Meeting.objects.filter(collaboration=collab, kind="kickoff").exists()
        else None
    )
    if kickoff is None:
        pytest.skip("the example has no kickoff")
    Meeting.objects.filter(pk=kickoff.pk).update(
        scheduled_at=now - timedelta(hours=70), agenda_sent_at=now - timedelta(hours=10)
    )
    page = signed_in(collab.owner).get(f"/c/{collab.slug}/kickoff/").content.decode()
    assert "会前 -" not in page
    assert "会后 60 小时" in page


def test_the_table_numbers_rows_by_position(collab: Collaboration) -> None:
    first = Task.objects.filter(collaboration=collab).order_by("position").first()
    assert first is not None
    do_delete_task(first, actor=collab.owner)
    page = signed_in(collab.owner).get(f"/c/{collab.slug}/table/").content.decode()
    numbers = re.findall(r'<td class="row-number"[^>]*>(\d+)</td>', page)
    assert numbers == ["1", "2"]


def test_run_after_demo_keeps_the_demo_and_creates_the_administrator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load_demo()  # `xietong demo`
    monkeypatch.delenv("XIETONG_ADMIN_PASSWORD", raising=False)
    note = Command()._first_start()  # `xietong run` on the same data folder
    assert Collaboration.objects.filter(slug=DEMO_SLUG).count() == 1
    assert Person.objects.filter(username=ADMIN_USERNAME, is_superuser=True).exists()
    assert "只显示这一次" in note
    assert "密码见首次启动" in Command()._first_start()  # a later start


def test_a_chosen_admin_password_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XIETONG_ADMIN_PASSWORD", "chosen-secret-123")
    note = Command()._first_start()
    assert "XIETONG_ADMIN_PASSWORD" in note
    assert "密码见首次启动" not in note and "chosen-secret-123" not in note
    admin = Person.objects.get(username=ADMIN_USERNAME)
    assert admin.check_password("chosen-secret-123")
    make_person("someone")


def test_the_smart_panel_shows_a_and_r_answered_after_a_save(collab: Collaboration) -> None:
    from xietong.collabs.models import Goal

    client = signed_in(collab.owner)
    before = client.get(f"/c/{collab.slug}/goal/").content.decode()
    assert '<span class="flag no">可实现 A</span>' in before
    Goal.objects.filter(collaboration=collab).update(
        achievable_reason="技术部已有工单系统", relevant_reason="投诉响应是年度重点"
    )
    page = client.get(f"/c/{collab.slug}/goal/").content.decode()
    assert '<span class="flag yes">可实现 A</span>' in page
    assert '<span class="flag yes">相关 R</span>' in page
    assert "请在下方说明" not in page
    fragment = client.post(
        "/smart/",
        {"statement": "三个月内从48小时缩短至24小时", "achievable_reason": "有系统", "relevant_reason": ""},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert '<span class="flag yes">可实现 A</span>' in fragment
    assert '<span class="flag no">相关 R</span>' in fragment


def test_the_history_shows_a_nested_record_without_failing() -> None:
    # Audit entries of revisions and time limits store nested objects (the history page answered 500).
    from xietong.audit.models import AuditEntry
    from xietong.audit.words import changes

    entry = AuditEntry(object_type="subgoal", before=None, after={"deadline": {"kind": "sla", "hours": 24}})
    assert [c.after for c in changes(entry)] == ["kind: sla; hours: 24"]
