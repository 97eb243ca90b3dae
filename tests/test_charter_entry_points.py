"""Every way a charter comes in refuses the same bad charter with the same words, and stores nothing.

The ways in: the API's JSON import (``POST /api/collaborations``), the API's
workbook import (``POST /api/imports/workbook``), the workbook page
(``/import/``) and ``xietong import`` (a .json or an .xlsx file). They all call
``xietong.charter.store.import_charter_for`` and only translate its
``CharterError``: a 422 naming each path, the page's problem list (the upload
kept), or one line on stderr with exit code 2. The checks run before anything
is written, so SQLite and PostgreSQL refuse alike (PostgreSQL would otherwise
raise ``DataError`` for a value longer than its column or a number too large,
and cannot store a NUL character at all).

A workbook cannot hold a NUL, an object where a text belongs, or broken JSON,
so the workbook readers are given the charter directly (``read_workbook``
replaced): what is tested is how each way in maps the charter's refusal.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DataError
from django.urls import reverse
from openpyxl import load_workbook

from tests.api.conftest import as_person
from tests.helpers import signed_in
from xietong.charter import store
from xietong.charter.format import parse_charter
from xietong.collabs.models import Collaboration
from xietong.documents.workbook import TASKS, WorkbookRead, template_bytes, workbook_bytes
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db

GOOD = Path(__file__).parent / "charters" / "good.json"
NUL = "不能包含空字符 (NUL)"


def good() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOOD.read_text(encoding="utf-8"))
    return data


def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = good()
    change(data)
    return data


def _confirmed_by(data: dict[str, Any], name: str) -> None:
    data["kickoff"]["confirmations"][name] = "2024-07-09T09:00:00+08:00"


# (case, the charter, the path refused, a part of its reason)
BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("nul", changed(lambda d: d.update(background="投诉\x00处理")), "background", NUL),
    ("nul in a name", changed(lambda d: d["tasks"][0].update(collaborators=["产\x00品部"])), "tasks[0].collaborators", NUL),
    ("nul in a key", changed(lambda d: _confirmed_by(d, "技\x00术部")), "kickoff.confirmations", NUL),
    ("too long", changed(lambda d: d.update(title="题" * 250)), "title", "200"),
    ("too long name", changed(lambda d: d["departments"][0].update(name="部" * 101)), "departments[0].name", "100"),
    ("too long key", changed(lambda d: _confirmed_by(d, "部" * 101)), "kickoff.confirmations", "100"),
    ("number too large", changed(lambda d: d["goal"]["metrics"][0].update(target=1e20)), "goal.metrics[0].target", "10,000,000,000,000,000"),
    ("wrong type", changed(lambda d: d["tasks"][0].update(deadline=20240720)), "tasks[0].deadline", "YYYY-MM-DD"),
    ("wrong type of a section", changed(lambda d: d.update(goal="快点完成")), "goal", "应为对象"),
    ("impossible date", changed(lambda d: d["tasks"][1].update(deadline="2024-02-30")), "tasks[1].deadline", "2024-02-30"),
    ("unknown metric", changed(lambda d: d["subgoals"][0].update(metric="没有的指标")), "subgoals[0].metric", "没有的指标"),
    ("unknown key", changed(lambda d: d.update(priority="high")), "priority", "未知的键"),
    ("department twice", changed(lambda d: d["departments"].append(dict(d["departments"][0]))), "departments[4].name", "P03"),
]  # fmt: skip


@pytest.fixture(autouse=True)
def _staging_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


@pytest.fixture
def importer(db: None) -> Person:
    return Person.objects.create_user("importer", password="pw-importer", display_name="导入人")


def xlsx(tmp: Path) -> Path:
    """A real (empty) workbook: the ways in check the upload before reading it."""
    path = tmp / "charter.xlsx"
    path.write_bytes(template_bytes())
    return path


def read_as(charter: dict[str, Any]) -> Callable[..., WorkbookRead]:
    """A ``read_workbook`` that finds ``charter`` and nothing wrong with its rows."""
    return lambda *args, **kwargs: WorkbookRead(charter=charter, problems=[], rows=1, bad_rows=0)


# --- each way in, as the person using it sees a refusal


def api_json(person: Person, body: bytes) -> list[tuple[str, str]]:
    api = as_person(person)
    answer = api.client.post(
        "/api/collaborations", body, content_type="application/json", headers=api.headers
    )
    assert answer.status_code == 422, answer.content
    return [(p["path"], p["reason"]) for p in answer.json()["problems"]]


def api_workbook(
    person: Person, tmp: Path, monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]
) -> list[tuple[str, str]]:
    monkeypatch.setattr("xietong.api.documents.read_workbook", read_as(data))
    api = as_person(person)
    upload = SimpleUploadedFile("charter.xlsx", xlsx(tmp).read_bytes())
    answer = api.client.post("/api/imports/workbook", {"file": upload}, headers=api.headers)
    assert answer.status_code == 422, answer.content
    return [(p["path"], p["reason"]) for p in answer.json()["problems"]]


def page(person: Person, tmp: Path, monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]) -> list[str]:
    """The reasons the page lists; confirming anyway imports nothing and keeps the upload."""
    monkeypatch.setattr("xietong.documents.views.read_workbook", read_as(data))
    client = signed_in(person)
    upload = SimpleUploadedFile("charter.xlsx", xlsx(tmp).read_bytes())
    preview = client.post(reverse("documents:import"), {"file": upload})
    assert preview.status_code == 200 and preview.context["blocked"]
    confirmed = client.post(
        reverse("documents:import_confirm"), {"token": preview.context["token"], "choice": "all"}
    )
    assert confirmed.status_code == 200
    assert confirmed.context["token"] == preview.context["token"]  # the upload is kept to fix and retry
    return [p.reason for p in confirmed.context["read"].problems]


def cli(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    """The stderr of ``xietong import PATH``, which must exit 2."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        call_command("import", str(path), stdout=io.StringIO())
    assert exited.value.code == 2
    return capsys.readouterr().err


def cli_json(capsys: pytest.CaptureFixture[str], tmp: Path, body: bytes) -> str:
    path = tmp / "charter.json"
    path.write_bytes(body)
    return cli(capsys, path)


def cli_workbook(
    capsys: pytest.CaptureFixture[str], tmp: Path, monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]
) -> str:
    monkeypatch.setattr("xietong.documents.workbook.read_workbook", read_as(data))
    return cli(capsys, xlsx(tmp))


def line(path: str, reason: str) -> str:
    return f"{path}: {reason}" if path else reason


# --- the same refusal everywhere


@pytest.mark.parametrize(
    ("data", "path", "reason"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_every_way_in_refuses_a_bad_charter_alike_and_stores_nothing(
    importer: Person,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data: dict[str, Any],
    path: str,
    reason: str,
) -> None:
    before = Collaboration.objects.count()
    body = json.dumps(data, ensure_ascii=False).encode()
    problems = api_json(importer, body)
    assert problems[0][0] == path and reason in problems[0][1], problems
    assert api_workbook(importer, tmp_path, monkeypatch, data) == problems
    assert page(importer, tmp_path, monkeypatch, data) == [r for _p, r in problems]
    for err in (cli_json(capsys, tmp_path, body), cli_workbook(capsys, tmp_path, monkeypatch, data)):
        assert all(line(p, r) in err for p, r in problems), err
        assert "Traceback" not in err
    assert Collaboration.objects.count() == before


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b'{"title": "x",\n "tasks": [}', "第 2 行"), (b"[1, 2]", "JSON 对象"), (b"\xff\xfe{", "UTF-8")],
    ids=["malformed", "not an object", "not utf-8"],
)
def test_the_json_ways_in_refuse_what_is_not_a_charter_alike(
    importer: Person, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: bytes, reason: str
) -> None:
    problems = api_json(importer, body)
    [(path, said)] = problems
    assert path == "" and reason in said
    assert f"xietong: {tmp_path / 'charter.json'}: {said}\n" == cli_json(capsys, tmp_path, body)
    assert Collaboration.objects.count() == 0


def test_the_workbook_ways_in_name_an_unknown_department_at_the_same_cell(
    importer: Person, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A task's department must be listed among the workbook's departments (its drop-down list);
    in a JSON charter it is a finding of the rules (R05), not a refusal (DESIGN.md §4)."""
    book = load_workbook(io.BytesIO(workbook_bytes(parse_charter(good()))))
    sheet = book[TASKS.name]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == "技术部")
    cell.value = "市场部"
    path = tmp_path / "unknown.xlsx"
    book.save(path)
    reason = "未知的部门 市场部(不在参与部门表中)"
    where = f"{TASKS.name}!{cell.coordinate}"

    api = as_person(importer)
    answer = api.client.post(
        "/api/imports/workbook",
        {"file": SimpleUploadedFile("unknown.xlsx", path.read_bytes())},
        headers=api.headers,
    )
    assert answer.status_code == 422
    assert {"path": where, "reason": reason} in answer.json()["problems"]
    preview = signed_in(importer).post(
        reverse("documents:import"), {"file": SimpleUploadedFile("unknown.xlsx", path.read_bytes())}
    )
    assert any(
        (p.sheet, f"{p.column or ''}"[:1] + str(p.row), p.reason) == (TASKS.name, cell.coordinate, reason)
        for p in preview.context["read"].problems
    )
    err = cli(capsys, path)
    assert f"{where}" in err and reason in err
    assert Collaboration.objects.count() == 0


# --- what only the database would notice


def test_a_database_error_is_the_same_refusal_everywhere_and_undoes_everything(
    importer: Person, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value the checks missed meets the database after the collaboration row was written."""

    def refused_by_the_database(*args: Any, **kwargs: Any) -> None:
        raise DataError("value too long for type character varying(100)")

    monkeypatch.setattr(store, "_store_kickoff", refused_by_the_database)
    said = [("", "有的值超出了可保存的长度或范围")]
    body = GOOD.read_bytes()
    assert api_json(importer, body) == said
    monkeypatch.setattr("xietong.api.documents.read_workbook", read_as(good()))
    api = as_person(importer)
    answer = api.client.post(
        "/api/imports/workbook",
        {"file": SimpleUploadedFile("c.xlsx", xlsx(tmp_path).read_bytes())},
        headers=api.headers,
    )
    assert (answer.status_code, answer.json()["problems"]) == (422, [{"path": "", "reason": said[0][1]}])
    monkeypatch.setattr("xietong.documents.views.read_workbook", read_as(good()))
    client = signed_in(importer)
    token = client.post(
        reverse("documents:import"), {"file": SimpleUploadedFile("c.xlsx", xlsx(tmp_path).read_bytes())}
    ).context["token"]
    confirmed = client.post(reverse("documents:import_confirm"), {"token": token, "choice": "all"})
    assert confirmed.context["failed"] == [said[0][1]]
    assert "未导入:有的值超出了可保存的长度或范围" in cli_json(capsys, tmp_path, body)
    assert Collaboration.objects.count() == 0


def test_the_slug_an_operator_gives_must_fit_its_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "charter.json"
    path.write_bytes(GOOD.read_bytes())
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        call_command("import", str(path), "--slug", "s" * 121, stdout=io.StringIO())
    assert exited.value.code == 2
    assert "slug: 不能超过 120 个字符" in capsys.readouterr().err
    assert Collaboration.objects.count() == 0


def test_a_good_charter_comes_in_by_every_way(importer: Person, tmp_path: Path) -> None:
    """The refusals above are not a way in that refuses everything."""
    api = as_person(importer)
    created = api.client.post(
        "/api/collaborations", GOOD.read_bytes(), content_type="application/json", headers=api.headers
    )
    assert created.status_code == 201
    path = tmp_path / "charter.json"
    path.write_bytes(GOOD.read_bytes())
    call_command("import", str(path), stdout=io.StringIO())
    assert Collaboration.objects.count() == 2
