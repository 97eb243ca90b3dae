"""One validation for every way in: the same bad charters refused alike by ``xietong check``,
``xietong import``, the API and the workbook page, with the path, on one line, without a traceback.

The commands run as real processes (the console script); the API and the page
through Django's test client. Nothing is written by any of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.api.conftest import as_person
from tests.helpers import signed_in
from tests.test_charter_entry_points import read_as, xlsx
from tests.test_cli import xietong
from xietong.collabs.models import Collaboration
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db

DEEP = 100_000
NUL = "不能包含空字符 (NUL)"

# (case, the JSON text, the path named, a part of the reason)
BAD: list[tuple[str, str, str, str]] = [
    ("nul in a text", json.dumps({"title": "投诉", "background": "a\x00b"}), "background", NUL),
    (
        "nul in a task",
        json.dumps({"title": "投诉", "tasks": [{"description": "x\x00"}]}),
        "tasks[0].description",
        NUL,
    ),
    ("nested 100,000 deep", '{"title": "投诉", "goal": ' + "[" * DEEP + "]" * DEEP + "}", "", "嵌套"),
    (
        "nested 100,000 deep in an object",
        '{"title": "投诉", "background": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}",
        "",
        "嵌套",
    ),
    (
        "a 10^16 number",
        '{"title": "投诉", "goal": {"metrics": [{"name": "m", "target": 10000000000000000}]}}',
        "goal.metrics[0].target",
        "10,000,000,000,000,000",
    ),
    (
        "a 5,000-digit number",
        '{"title": "投诉", "goal": {"metrics": [{"target": ' + "9" * 5000 + "}]}}",
        "",
        "数",
    ),
    ("an unknown key", json.dumps({"title": "投诉", "priority": "high"}), "priority", "未知的键"),
    (
        "an unknown key with a new line",
        json.dumps({"title": "投诉", "pri\nority\x00": "high"}),
        "pri\\nority\\x00",
        "未知的键",
    ),
    (
        "a bad time with a new line",
        json.dumps({"title": "投诉", "kickoff": {"scheduled_at": "2024-02-30T10:00\nxietong: ok"}}),
        "kickoff.scheduled_at",
        "不存在的日期时间",
    ),
]
IDS = [case[0] for case in BAD]
CASES = [case[1:] for case in BAD]


def one_line(err: str, path: str, reason: str) -> None:
    assert "Traceback" not in err and "Error" not in err, err
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert "\x00" not in err
    assert (f": {path}: " if path else ": ") in err and reason in err, err


@pytest.mark.parametrize(("text", "path", "reason"), CASES, ids=IDS)
def test_xietong_check_exits_2_with_one_line_naming_the_path(
    tmp_path: Path, text: str, path: str, reason: str
) -> None:
    charter = tmp_path / "charter.json"
    charter.write_text(text, encoding="utf-8")
    done = xietong("check", str(charter), tmp=tmp_path)
    assert done.returncode == 2, done
    one_line(done.stderr, path, reason)
    assert done.stdout == ""


@pytest.mark.parametrize(("text", "path", "reason"), CASES[:3], ids=IDS[:3])
def test_xietong_import_exits_2_with_the_same_line(tmp_path: Path, text: str, path: str, reason: str) -> None:
    charter = tmp_path / "charter.json"
    charter.write_text(text, encoding="utf-8")
    done = xietong("import", str(charter), tmp=tmp_path)
    assert done.returncode == 2, done
    one_line(done.stderr, path, reason)


@pytest.fixture
def importer(db: None) -> Person:
    return Person.objects.create_user("importer", password="pw-importer", display_name="导入人")


@pytest.mark.parametrize(("text", "path", "reason"), CASES, ids=IDS)
def test_the_api_answers_422_with_the_path(importer: Person, text: str, path: str, reason: str) -> None:
    api = as_person(importer)
    answer = api.client.post(
        "/api/collaborations", text.encode(), content_type="application/json", headers=api.headers
    )
    assert answer.status_code == 422, answer.content
    (first, *_rest) = answer.json()["problems"]
    assert first["path"] == path and reason in first["reason"], first
    assert "\n" not in first["reason"] and "\x00" not in first["reason"]
    assert not Collaboration.objects.exists()


# What a workbook can hold: a text with a NUL, a number too large (cells cannot nest or add keys).
PAGE = [
    ({"title": "投诉", "background": "a\x00b"}, NUL),
    ({"title": "投诉", "goal": {"metrics": [{"name": "m", "target": 10**16}]}}, "10,000,000,000,000,000"),
]


@pytest.mark.parametrize(("data", "reason"), PAGE, ids=["nul", "10^16"])
def test_the_import_page_shows_the_error_and_writes_nothing(
    importer: Person,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    data: dict[str, Any],
    reason: str,
) -> None:
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr("xietong.documents.views.read_workbook", read_as(data))
    client = signed_in(importer)
    upload = SimpleUploadedFile("charter.xlsx", xlsx(tmp_path).read_bytes())
    preview = client.post(reverse("documents:import"), {"file": upload})
    assert preview.status_code == 200 and preview.context["blocked"]
    assert reason in preview.content.decode()
    confirmed = client.post(
        reverse("documents:import_confirm"), {"token": preview.context["token"], "choice": "all"}
    )
    assert confirmed.status_code == 200 and reason in confirmed.content.decode()
    assert not Collaboration.objects.exists()
