"""`xietong import FILE.xlsx`: output, exit codes, all or nothing, and --valid-rows."""

from __future__ import annotations

import importlib
import io
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from xietong.charter.format import dump_charter, parse_charter
from xietong.charter.store import charter_snapshot
from xietong.collabs.models import Collaboration, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.documents.workbook import template_bytes, workbook_bytes

GOOD = Path(__file__).parent.parent / "charters" / "good.json"
command = importlib.import_module("xietong.commands.management.commands.import")


def good_workbook(tmp: Path, name: str = "charter.xlsx") -> Path:
    path = tmp / name
    path.write_bytes(workbook_bytes(parse_charter(GOOD.read_bytes())))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    out = io.StringIO()
    try:
        call_command("import", *args, stdout=out)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), capsys.readouterr().err


@pytest.mark.django_db
def test_import_of_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The operator applies the heads the workbook names (by default they are only proposed).
    code, out, err = run(capsys, str(good_workbook(tmp_path)), "--slug", "c1", "--apply-org-changes")
    assert code == 0, err
    assert "已导入 c1:任务 8 项,子目标 4 个" in out
    stored = Collaboration.objects.get(slug="c1")
    # Its people have no accounts (待邀请): the export still names them where they were given.
    assert parse_charter(dump_charter(charter_snapshot(stored))) == parse_charter(GOOD.read_bytes())


@pytest.mark.django_db
def test_the_demo_round_trips_through_the_command(
    demo: Collaboration, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.XLSX"
    call_command("export", demo.slug, "--what", "charter", "-o", str(path))
    assert path.read_bytes()[:2] == b"PK"
    code, _out, err = run(capsys, str(path), "--slug", "demo-2")
    assert code == 0, err
    copy = Collaboration.objects.get(slug="demo-2")
    assert dump_charter(load_snapshot(copy)) == dump_charter(load_snapshot(demo))


def break_rows(path: Path) -> Path:
    book = load_workbook(path)
    tasks = book["部门职责分工表"]
    tasks["B3"] = "市场部"  # unknown department
    tasks["D4"] = None  # missing standard
    tasks["E5"] = "2024-02-30"  # impossible date
    tasks["A6"] = '=HYPERLINK("http://x","y")'  # formula
    for col in "ABCDEFG":  # row 10 repeats row 2
        tasks[f"{col}10"] = tasks[f"{col}2"].value
    tasks.merge_cells("G7:G8")
    book.save(path)
    return path


@pytest.mark.django_db
def test_bad_rows_are_listed_and_nothing_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, str(break_rows(good_workbook(tmp_path))))
    assert code == 2
    assert out == ""
    assert not Collaboration.objects.exists()
    for expected in (
        "部门职责分工表!B3(责任部门):未知的部门 市场部",
        "部门职责分工表!D4(交付标准):缺少交付标准",
        "部门职责分工表!E5(时间节点):无法识别的日期 2024-02-30",
        "部门职责分工表!A6(任务描述):公式不被接受,请粘贴数值",
        "部门职责分工表!G7:合并单元格 G7:G8",
        "部门职责分工表!A10(任务描述):重复的任务",
    ):
        assert expected in err, err
    assert "--valid-rows" in err
    assert "Traceback" not in err


@pytest.mark.django_db
def test_valid_rows_stores_only_the_valid_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(break_rows(good_workbook(tmp_path))), "--slug", "c2", "--valid-rows")
    assert code == 0, err
    assert "已跳过 7 行" in out
    assert "市场部" in err
    descriptions = set(Task.objects.filter(collaboration__slug="c2").values_list("description", flat=True))
    assert len(descriptions) == 2
    assert "上线投诉工单闭环时长看板" not in descriptions  # row 3, the unknown department


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"title,type\nx,y\n", "不是 Excel 工作簿"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504, "加密"),
    ],
)
def test_a_refused_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    code, _out, err = run(capsys, str(path))
    assert code == 2
    assert err.startswith(f"xietong: {path}: ") and reason in err
    assert err.count("\n") == 1
    assert not Collaboration.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, str(tmp_path / "nope.xlsx"))
    assert code == 2 and "nope.xlsx" in err


@pytest.mark.django_db
def test_an_unstorable_workbook_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(template_bytes())
    code, _out, err = run(capsys, str(path))
    assert code == 2 and "协作名称" in err
    assert not Collaboration.objects.exists()


@pytest.mark.django_db
def test_ten_thousand_rows_import_with_a_progress_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = good_workbook(tmp_path, "big.xlsx")
    book = load_workbook(path)
    tasks = book["部门职责分工表"]
    tasks.delete_rows(2, 20)
    for n in range(10_000):
        tasks.append(
            [f"任务 {n}", ("售后部", "技术部", "产品部")[n % 3], "法务部", f"标准 {n}", None, "未开始"]
        )
    book.save(path)
    started = time.monotonic()
    code, out, err = run(capsys, str(path), "--slug", "big")
    elapsed = time.monotonic() - started
    assert code == 0, err[-500:]
    assert "任务 10000 项" in out
    assert Task.objects.filter(collaboration__slug="big").count() == 10_000
    assert "读取中 [" in err and "#" * 30 in err
    assert elapsed < 120  # loose: a guard against something quadratic, not a benchmark


def test_progress_bar_is_silent_for_short_files() -> None:
    stream = io.StringIO()
    bar = command.ProgressBar(100, stream)
    bar(50)
    bar.close()
    assert stream.getvalue() == ""
    bar = command.ProgressBar(4000, stream)
    bar(2000)
    bar.close()
    assert stream.getvalue() == (
        "\r读取中 [" + "#" * 15 + "." * 15 + "] 2000/4000 行" + "\r读取中 [" + "#" * 30 + "] 4000/4000 行\n"
    )


def test_the_console_script_refuses_a_docx_renamed_xlsx(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from docx import Document

    path = tmp_path / "charter.xlsx"
    Document().save(str(path))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["XIETONG_DATA"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-m", "xietong.cli", "import", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == f"xietong: {path}: 文件是 Word 文档,不是 Excel 工作簿(.xlsx)\n"
