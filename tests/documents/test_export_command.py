"""``xietong export SLUG --what … --format … -o FILE`` and ``--template``: files written, clear refusals."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from docx import Document as open_docx
from openpyxl import load_workbook

from xietong.collabs.models import Collaboration
from xietong.documents.exports import WHAT_FORMATS
from xietong.meetings.models import Meeting


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("export", *args, stdout=out)
    return out.getvalue()


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as caught:
        call_command("export", *args)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("xietong: ") and "Traceback" not in err
    return err


@pytest.mark.parametrize(("what", "fmt"), [(w, f) for w, fs in WHAT_FORMATS.items() for f in fs])
def test_each_what_and_format_writes_its_file(
    demo: Collaboration, tmp_path: Path, what: str, fmt: str
) -> None:
    target = tmp_path / f"out.{fmt}"
    extra = ["--week", "2024-W32"] if what == "weekly" else []
    run("demo", "--what", what, "--format", fmt, "-o", str(target), *extra)
    data = target.read_bytes()
    if fmt == "xlsx":
        assert load_workbook(io.BytesIO(data)).active.max_row >= 2
    elif fmt == "docx":
        assert open_docx(io.BytesIO(data)).tables
    elif fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) >= 2
    else:
        assert "客户投诉快速响应" in data.decode("utf-8")


def test_the_format_follows_the_file_name(demo: Collaboration, tmp_path: Path) -> None:
    target = tmp_path / "周进度.docx"
    run("demo", "--what", "weekly", "--week", "2024-W32", "-o", str(target))
    doc = open_docx(str(target))
    assert doc.paragraphs[0].text == "周进度清单 2024-W32"


def test_the_minutes_of_a_chosen_meeting(demo: Collaboration, tmp_path: Path) -> None:
    weekly = Meeting.objects.get(collaboration=demo, title="周例会(2024-07-15)")
    text = run("demo", "--what", "minutes", "--format", "md", "--meeting", str(weekly.pk))
    assert text.startswith("**客户投诉快速响应 · 周例会(2024-07-15)**")


def test_csv_and_markdown_go_to_standard_output(demo: Collaboration) -> None:
    text = run("demo", "--what", "risks", "--format", "csv")
    assert text.startswith("\ufeff#,风险描述")
    assert "缺陷修复延期导致同类投诉持续" in run("demo", "--what", "risks", "--format", "md")


def test_without_what_the_charter_json_is_exported_as_before(demo: Collaboration) -> None:
    charter = json.loads(run("demo"))
    assert charter["title"] == "客户投诉快速响应"
    assert len(charter["tasks"]) == 10


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--what", "minutes", "--format", "xlsx"), "xlsx"),
        (("--what", "everything", "--format", "csv"), "everything"),
        (("--what", "table", "--format", "docx"), "docx"),
        (("--what", "weekly", "--week", "2024-W99"), "2024-W99"),
        (("--what", "minutes", "--meeting", "99999"), "99999"),
        (("--what", "table", "--format", "xlsx"), "-o"),
        (("--format", "csv"), "--what"),
    ],
)
def test_a_bad_request_exits_2_with_one_clear_line(
    demo: Collaboration, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], said: str
) -> None:
    assert said in refused(capsys, "demo", *args)


def test_an_unknown_slug_or_none_exits_2(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert "nobody" in refused(capsys, "nobody", "--what", "table", "--format", "csv")
    assert "--template" in refused(capsys, "--what", "table")


def test_a_meeting_without_minutes_exits_2(demo: Collaboration, capsys: pytest.CaptureFixture[str]) -> None:
    upcoming = Meeting.objects.filter(collaboration=demo, minutes_revision=0, minutes_summary="").last()
    assert upcoming is not None
    assert "纪要" in refused(
        capsys, "demo", "--what", "minutes", "--format", "md", "--meeting", str(upcoming.pk)
    )


def test_the_template_is_written(db: None, tmp_path: Path) -> None:
    pytest.importorskip("xietong.documents.workbook")
    target = tmp_path / "template.xlsx"
    run("--template", "-o", str(target))
    workbook = load_workbook(target)
    assert workbook.sheetnames
