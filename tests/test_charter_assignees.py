"""The charter carries a row's assignee (执行人) and watchers (关注人): optional keys of format v1."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import make_person
from tests.helpers import Cast, row_counts
from xietong.charter.format import CharterError, dump_charter, parse_charter
from xietong.charter.store import charter_snapshot, do_import_charter
from xietong.collabs.actions.tasks import do_assign_task, do_watch_task
from xietong.collabs.models import Collaboration, Membership, Task
from xietong.documents.workbook import read_workbook, workbook_bytes
from xietong.orgs.models import Department

GOOD = Path(__file__).parent / "charters" / "good.json"


def good() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOOD.read_text(encoding="utf-8"))
    return data


def test_a_v1_charter_without_the_keys_reads_and_writes_as_before() -> None:
    data = good()
    assert all("assignee" not in t and "watchers" not in t for t in data["tasks"])
    written = dump_charter(parse_charter(data))
    assert all("assignee" not in t and "watchers" not in t for t in written["tasks"])


def test_the_keys_are_read_and_written_back() -> None:
    data = good()
    data["tasks"][0]["assignee"] = " 李工 "
    data["tasks"][0]["watchers"] = ["王经理", "王经理", "赵总监"]
    snapshot = parse_charter(data)
    assert snapshot.tasks[0].assignee == "李工"
    assert snapshot.tasks[0].watchers == ("王经理", "赵总监")
    assert dump_charter(snapshot)["tasks"][0]["watchers"] == ["王经理", "赵总监"]


def test_a_wrong_type_is_a_format_error_with_its_path() -> None:
    data = good()
    data["tasks"][1]["assignee"] = {"name": "x"}
    with pytest.raises(CharterError) as refused:
        parse_charter(data)
    assert refused.value.path == "tasks[1].assignee"


@pytest.mark.django_db
def test_export_then_import_gives_the_same_assignee_and_watchers(cast: Cast) -> None:
    task = cast.task_of("技术部")
    member = make_person("tech-1", department=cast.department("技术部"))
    do_assign_task(task, member, actor=cast.liaison)
    do_watch_task(task, cast.viewer, True)
    exported = dump_charter(charter_snapshot(cast.collab))
    row = next(t for t in exported["tasks"] if t.get("assignee"))
    assert row["assignee"] == "tech-1" and row["watchers"] == ["viewer"]
    copy = do_import_charter(parse_charter(exported), slug="copy")
    again = Task.objects.get(collaboration=copy, description=task.description)
    assert again.assignee == member and list(again.watchers.all()) == [cast.viewer]
    # The assignee had no role in the copy: they joined it as a member, to see their row.
    assert Membership.objects.filter(collaboration=copy, person=member).exists()
    assert dump_charter(charter_snapshot(copy))["tasks"] == exported["tasks"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "value", "path", "words"),
    [
        ("assignee", "无此人", "tasks[0].assignee", "找不到"),
        ("assignee", "legal-1", "tasks[0].assignee", "不是该行责任部门的人员"),
        ("watchers", ["无此人"], "tasks[0].watchers", "找不到"),
    ],
)
def test_a_name_that_cannot_hold_the_row_refuses_the_whole_import(
    demo: Collaboration, key: str, value: Any, path: str, words: str
) -> None:
    make_person("legal-1", department=Department.objects.get(name="法务部"))
    data = good()
    data["tasks"][0][key] = value
    before = row_counts()
    with pytest.raises(CharterError) as refused:
        do_import_charter(parse_charter(data), slug="refused")
    assert refused.value.path == path and words in refused.value.reason
    assert row_counts() == before


@pytest.mark.django_db
def test_the_workbook_carries_them_and_an_unknown_name_is_a_row_error(cast: Cast) -> None:
    task = cast.task_of("技术部")
    member = make_person("tech-1", department=cast.department("技术部"))
    do_assign_task(task, member, actor=cast.liaison)
    do_watch_task(task, cast.viewer, True)
    data = workbook_bytes(charter_snapshot(cast.collab))
    sheet = load_workbook(io.BytesIO(data))["部门职责分工表"]
    headers = [c.value for c in sheet[1]]
    assert headers[-2:] == ["执行人", "关注人"]
    read = read_workbook(io.BytesIO(data))
    assert read.ok, read.problems
    row = next(t for t in read.charter["tasks"] if t.get("assignee"))
    assert row["assignee"] == "tech-1" and row["watchers"] == ["viewer"]
    copy = do_import_charter(parse_charter(read.charter), slug="from-workbook")
    assert Task.objects.get(collaboration=copy, description=task.description).assignee == member
    # A name nobody has: the import is refused at the row's 执行人 cell, nothing stored.
    row["assignee"] = "无此人"
    before = row_counts()
    with pytest.raises(CharterError) as refused:
        do_import_charter(parse_charter(read.charter), slug="refused")
    assert row_counts() == before
    index = read.charter["tasks"].index(row)
    place = str(read.place(refused.value.path, refused.value.reason))
    assert place.startswith(f"部门职责分工表!H{read.kept['tasks'][index]}(执行人)") and "无此人" in place


@pytest.mark.django_db
def test_a_workbook_without_the_new_columns_reads_as_before(demo: Collaboration) -> None:
    data = workbook_bytes(charter_snapshot(demo))
    book = load_workbook(io.BytesIO(data))
    sheet = book["部门职责分工表"]
    sheet.delete_cols(8, 2)
    out = io.BytesIO()
    book.save(out)
    read = read_workbook(io.BytesIO(out.getvalue()))
    assert read.ok, read.problems
    assert all("assignee" not in t for t in read.charter["tasks"])
