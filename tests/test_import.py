"""Importing a charter stores everything or nothing; exporting gives it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.charter.format import CharterError, dump_charter, parse_charter
from xietong.charter.store import charter_snapshot, do_import_charter
from xietong.collabs.models import Collaboration, Metric, Participant, PendingPerson, SubGoal, Task
from xietong.collabs.snapshots import load_snapshots
from xietong.meetings.models import CommunicationRule, MinutesConfirmation
from xietong.orgs.models import Department, Person

GOOD = Path(__file__).parent / "charters" / "good.json"
pytestmark = pytest.mark.django_db


def good() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOOD.read_text(encoding="utf-8"))
    return data


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Collaboration,
            Task,
            SubGoal,
            Participant,
            Metric,
            CommunicationRule,
            MinutesConfirmation,
            Person,
            Department,
        )
    }


def test_it_stores_every_section_and_exports_it_unchanged() -> None:
    charter = parse_charter(good())
    # The heads round-trip only when trusted code applies them (a request only proposes them).
    stored = do_import_charter(charter, slug="complaints", org_authority=True)
    assert stored.slug == "complaints"
    assert Task.objects.filter(collaboration=stored).count() == len(charter.tasks)
    # Its people have no accounts: they wait as 待邀请, and the export still names them.
    exported = dump_charter(charter_snapshot(stored))
    assert parse_charter(exported) == charter


def test_it_derives_a_readable_unique_slug_from_the_title() -> None:
    first = do_import_charter(parse_charter(good()))
    second = do_import_charter(parse_charter(good()))
    assert first.slug == "客户投诉快速响应"
    assert second.slug == "客户投诉快速响应-2"


def test_it_reuses_departments_and_people_across_imports() -> None:
    do_import_charter(parse_charter(good()))
    before = (Department.objects.count(), Person.objects.count())
    do_import_charter(parse_charter(good()))
    assert (Department.objects.count(), Person.objects.count()) == before


def test_people_named_in_a_charter_get_no_account_and_wait_to_be_invited() -> None:
    stored = do_import_charter(parse_charter(good()))
    assert not Person.objects.exists()
    assert not Participant.objects.filter(liaison__isnull=False).exists()
    waiting = set(PendingPerson.objects.filter(collaboration=stored).values_list("name", flat=True))
    assert {"王经理", "李工", "赵总监"} <= waiting


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["departments"][1].update(liaison=["刘主管", "马主管"]), "departments[1].liaison"),
        (lambda d: d["departments"].append(dict(d["departments"][0])), "departments[4].name"),
        (lambda d: d["tasks"][3].update(department=["技术部", "产品部"]), "tasks[3].department"),
        (lambda d: d["subgoals"][0].update(metric="不存在的指标"), "subgoals[0].metric"),
        (lambda d: d.update(title=""), "title"),
        # Rules that never happen (issue 15): refused on import as the forms refuse them.
        (
            lambda d: d["subgoals"][0]["deadline"].update(rrule="FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"),
            "subgoals[0].deadline.rrule",
        ),
        (
            lambda d: d["communication"][1].update(
                frequency={"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31"}
            ),
            "communication[1].frequency",
        ),
    ],
)
def test_it_refuses_what_the_database_cannot_hold_and_stores_nothing(change: Any, path: str) -> None:
    data = good()
    change(data)
    before = row_counts()
    with pytest.raises(CharterError) as caught:
        do_import_charter(parse_charter(data))
    assert path in [p.path for p in caught.value.problems]
    assert row_counts() == before


def test_it_refuses_an_existing_slug_unless_told_to_replace() -> None:
    do_import_charter(parse_charter(good()), slug="c1")
    with pytest.raises(CharterError, match="c1"):
        do_import_charter(parse_charter(good()), slug="c1")
    data = good()
    data["tasks"] = data["tasks"][:2]
    replaced = do_import_charter(parse_charter(data), slug="c1", replace=True)
    assert Collaboration.objects.filter(slug="c1").count() == 1
    assert Task.objects.filter(collaboration=replaced).count() == 2


def test_it_stores_rows_the_rules_still_object_to() -> None:
    data = good()
    data["tasks"][0].update(department=None, standard="", deadline=None)
    stored = do_import_charter(parse_charter(data))
    task = Task.objects.get(collaboration=stored, position=0)
    assert (task.department, task.standard, task.deadline) == (None, "", None)


def test_loading_snapshots_costs_the_same_queries_for_one_or_many() -> None:
    for i in range(3):
        data = good()
        data["tasks"] = data["tasks"] * (1 + 10 * i)  # 8, 88 and 168 rows
        do_import_charter(parse_charter(data), slug=f"c{i}")
    collabs = list(Collaboration.objects.select_related("initiator_department", "owner").order_by("id"))
    with CaptureQueriesContext(connection) as one:
        load_snapshots(collabs[:1])
    with CaptureQueriesContext(connection) as many:
        snapshots = load_snapshots(collabs)
    assert len(one) == len(many) == 10  # nine sections, and the rows' watchers
    assert [len(snapshots[c.pk].tasks) for c in collabs] == [8, 88, 168]
