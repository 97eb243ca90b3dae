"""The charter workbook as office staff fill it (issue 19 §4): a corpus of workbooks made by code.

Each case starts from the exported template of tests/charters/good.json (8 tasks), changes it the
way people do in Excel (a merged title row, hidden rows, a sheet name with a trailing space, 协作方
separated by commas, a number or date typed wrong …) and states what reading it must give: the
tasks kept, the problems (each at its cell), the notices, and whether the import is refused even
with "import the valid rows". The import itself runs through ``xietong import`` with a real file.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from tests.api.conftest import person as api_person
from tests.documents.test_api import post_file
from tests.documents.test_pages import upload
from tests.documents.test_workbook import edit, read
from tests.helpers import signed_in
from xietong.charter.format import parse_charter
from xietong.collabs.models import Collaboration, Task
from xietong.documents.workbook import workbook_bytes
from xietong.orgs.models import Person

GOOD = Path(__file__).parent.parent / "charters" / "good.json"
TASKS = "部门职责分工表"
SUBGOALS = "子目标"
GOAL = "核心目标与指标"
INFO = "协作信息"
TASK_COLUMNS = "ABCDEFG"
command = importlib.import_module("xietong.commands.management.commands.import")


def good_bytes() -> bytes:
    return workbook_bytes(parse_charter(GOOD.read_bytes()))


def made(change: Callable[[Workbook], None]) -> bytes:
    """The template filled from good.json, then changed as ``change`` does."""
    return edit(good_bytes(), change)


# --- how people fill it


def title_row(sheet: str, text: str, last_column: str) -> Callable[[Workbook], None]:
    """A title typed above the sheet, merged across the table, as in the company's printed forms."""

    def change(book: Workbook) -> None:
        ws = book[sheet]
        ws.insert_rows(1)
        ws["A1"] = text
        ws.merge_cells(f"A1:{last_column}1")

    return change


def titles_everywhere(book: Workbook) -> None:
    for sheet, last in ((INFO, "B"), (GOAL, "F"), ("参与部门", "F"), (TASKS, "G"), (SUBGOALS, "J")):
        title_row(sheet, f"2024年 客户投诉快速响应 {sheet}", last)(book)


def title_and_form_line(book: Workbook) -> None:
    # A title, then a line of the company's form, above the header.
    ws = book[TASKS]
    ws.insert_rows(1, 2)
    ws["A1"] = "部门职责分工表"
    ws["A2"], ws["D2"] = "填表部门:售后部", "填表日期:2024-07-05"


def header_overwritten(book: Workbook) -> None:
    # The header row pasted over with data: nothing says which column is which.
    ws = book[TASKS]
    for index, value in enumerate(["任务X", "售后部", None, "标准X", None, "未开始", None], start=1):
        ws.cell(1, index, value)


def hide_rows(*rows: int) -> Callable[[Workbook], None]:
    def change(book: Workbook) -> None:
        for row in rows:
            book[TASKS].row_dimensions[row].hidden = True

    return change


def hidden_column_with_content(book: Workbook) -> None:
    ws = book[TASKS]
    ws["F3"] = "阻塞"
    ws["G3"] = "等待法务意见"
    ws.column_dimensions["G"].hidden = True


def hidden_empty_column(book: Workbook) -> None:
    book[TASKS].column_dimensions["G"].hidden = True


def trailing_space(book: Workbook) -> None:
    book[TASKS].title = TASKS + " "


def separators(book: Workbook) -> None:
    ws = book[TASKS]
    ws["C2"] = "产品部，技术部"
    ws["C3"] = "售后部/技术部"
    ws["C4"] = "技术部；售后部"
    ws["C5"] = "技术部, 售后部"
    ws["C6"] = "售后部、技术部"


def huge_numbers(book: Workbook) -> None:
    book[GOAL]["D5"] = 10**16  # a metric's target
    book[SUBGOALS]["D2"] = 10**20  # a sub-goal's target
    book[SUBGOALS]["I3"] = "1e400"  # SLA hours: infinity as text


def negative_date(book: Workbook) -> None:
    cell = book[TASKS]["E2"]
    cell.value = -5  # shown by Excel as 1899-12-25
    cell.number_format = "yyyy-mm-dd"


def zero_date(book: Workbook) -> None:
    cell = book[TASKS]["E2"]
    cell.value = 0  # Excel: 1900-01-00, i.e. 1899-12-31
    cell.number_format = "yyyy-mm-dd"


def negative_hours(book: Workbook) -> None:
    book[SUBGOALS]["I3"] = -1


def as_typed_by_hand(book: Workbook) -> None:
    # What works today and must keep working: dates as text or serials, percentages, spaces.
    ws = book[TASKS]
    ws["E2"] = "2024/7/12"
    ws["E3"] = "2024年7月26日"
    ws["E4"] = 45492  # the serial of 2024-07-19, in a General cell
    ws["B5"] = " 产品部 "
    book[GOAL]["D5"] = "80%"


def nothing(book: Workbook) -> None:
    pass


@dataclass(frozen=True)
class Case:
    make: Callable[[Workbook], None]
    tasks: int  # tasks the valid rows hold
    problems: tuple[str, ...] = ()  # each expected in one problem, "!E2" naming its cell
    notices: tuple[str, ...] = ()
    refused: bool = False  # refused even with "import the valid rows"
    problem_count: int | None = None


CORPUS: dict[str, Case] = {
    "the template as exported": Case(nothing, 8),
    "typed by hand": Case(as_typed_by_hand, 8),
    "merged title row": Case(title_row(TASKS, "2024年 部门职责分工表", "G"), 8, notices=("!1:", "标题行")),
    "a title row on every sheet": Case(titles_everywhere, 8, notices=("标题行",)),
    "a title and a form line": Case(title_and_form_line, 8, notices=(f"{TASKS}!2:", "填表日期")),
    "header overwritten": Case(header_overwritten, 0, problems=(f"{TASKS}!1:", "表头"), refused=True),
    "hidden rows": Case(hide_rows(3, 5), 6, notices=("2 个隐藏行", "3、5")),
    "hidden column with content": Case(
        hidden_column_with_content, 7, problems=(f"{TASKS}!G1(阻塞原因)", "隐藏", "第 3 行"), problem_count=1
    ),
    "hidden empty column": Case(hidden_empty_column, 8),
    "sheet name with a trailing space": Case(trailing_space, 8),
    "协作方 with other separators": Case(separators, 8),
    "numbers too large": Case(
        huge_numbers,
        8,
        problems=(f"{GOAL}!D5(目标值)", f"{SUBGOALS}!D2(目标值)", f"{SUBGOALS}!I3(时限(小时))", "超出"),
        problem_count=3,
    ),
    "-5 in a date cell": Case(negative_date, 7, problems=(f"{TASKS}!E2(时间节点)", "1899-12-25")),
    "0 in a date cell": Case(zero_date, 7, problems=(f"{TASKS}!E2(时间节点)", "1900-01-00")),
    "SLA hours -1": Case(negative_hours, 8, problems=(f"{SUBGOALS}!I3(时限(小时))", "大于 0")),
}


@pytest.mark.parametrize("name", list(CORPUS))
def test_the_corpus_reads_as_expected(name: str) -> None:
    case = CORPUS[name]
    result = read(made(case.make))
    problems = [str(p) for p in result.problems]
    notices = [str(n) for n in result.notices]
    for expected in case.problems:
        assert any(expected in p for p in problems), (expected, problems)
    if not case.problems:
        assert result.ok, problems
    if case.problem_count is not None:
        assert len(problems) == case.problem_count, problems
    for expected in case.notices:
        assert any(expected in n for n in notices), (expected, notices)
    assert bool(result.refused_sheets) == case.refused, result.refused_sheets
    assert not any("00:00:00" in p for p in problems)
    if not case.refused:
        assert len(parse_charter(result.charter).tasks) == case.tasks


def test_a_title_row_is_skipped_without_a_message_for_each_cell() -> None:
    result = read(made(title_row(TASKS, "2024年 部门职责分工表", "G")))
    assert result.ok, [str(p) for p in result.problems]
    assert [str(n) for n in result.notices] == [f"{TASKS}!1:标题行,已跳过:2024年 部门职责分工表"]
    assert result.kept["tasks"][0] == 3  # the first task is on row 3 now, and named so


def test_hidden_rows_are_not_read() -> None:
    result = read(made(hide_rows(3, 5)))
    descriptions = {t.description for t in parse_charter(result.charter).tasks}
    assert "上线投诉工单闭环时长看板" not in descriptions  # row 3
    assert "分析高频投诉对应的产品缺陷" not in descriptions  # row 5
    assert result.rows == read(good_bytes()).rows - 2


def test_collaborators_are_split_on_every_separator() -> None:
    result = read(made(separators))
    tasks = parse_charter(result.charter).tasks
    assert [t.collaborators for t in tasks[:5]] == [
        ("产品部", "技术部"),
        ("售后部", "技术部"),
        ("技术部", "售后部"),
        ("技术部", "售后部"),
        ("售后部", "技术部"),
    ]


def test_a_hidden_column_is_not_imported_with_valid_rows() -> None:
    result = read(made(hidden_column_with_content))
    tasks = parse_charter(result.charter).tasks
    assert "上线投诉工单闭环时长看板" not in {t.description for t in tasks}
    assert all(not t.blocked_reason for t in tasks)


def test_a_sheet_whose_rows_are_all_bad_is_not_dropped_silently() -> None:
    def change(book: Workbook) -> None:
        for row in range(2, 10):
            book[TASKS][f"B{row}"] = "市场部"  # not a participating department

    result = read(made(change))
    assert result.refused_sheets == [TASKS]
    assert any("全部" in str(p) for p in result.problems)


# --- through the command, with a real file


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    out = io.StringIO()
    try:
        call_command("import", *args, stdout=out)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), capsys.readouterr().err


def saved(tmp_path: Path, change: Callable[[Workbook], None]) -> Path:
    path = tmp_path / "filled.xlsx"
    path.write_bytes(made(change))
    return path


@pytest.mark.django_db
def test_valid_rows_with_a_title_row_imports_every_task(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(tmp_path, title_row(TASKS, "2024年 部门职责分工表", "G"))
    code, out, err = run(capsys, str(path), "--slug", "t1", "--valid-rows")
    assert code == 0, err
    assert Task.objects.filter(collaboration__slug="t1").count() == 8
    assert "标题行" in out


@pytest.mark.django_db
def test_valid_rows_never_drops_a_sheet_whose_header_cannot_be_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(capsys, str(saved(tmp_path, header_overwritten)), "--slug", "t2", "--valid-rows")
    assert code == 2
    assert TASKS in err and "Traceback" not in err
    assert not Collaboration.objects.filter(slug="t2").exists()


@pytest.mark.django_db
def test_hidden_rows_are_skipped_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(saved(tmp_path, hide_rows(3, 5))), "--slug", "t3")
    assert code == 0, err
    assert "2 个隐藏行" in out
    assert Task.objects.filter(collaboration__slug="t3").count() == 6


@pytest.mark.django_db
def test_huge_numbers_are_row_errors_not_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = saved(tmp_path, huge_numbers)
    code, _out, err = run(capsys, str(path), "--slug", "t4")
    assert code == 2 and "Traceback" not in err
    assert f"{GOAL}!D5(目标值)" in err
    code, _out, err = run(capsys, str(path), "--slug", "t4", "--valid-rows")
    assert code == 0, err
    assert not Collaboration.objects.get(slug="t4").subgoals.filter(target__gte=10**15).exists()


# --- the import page and the API say the same


@pytest.fixture
def _staging_in_tmp(settings: object, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.usefixtures("_staging_in_tmp")
def test_the_page_shows_what_was_skipped_and_never_offers_to_drop_a_sheet(outsider: Person) -> None:
    client = signed_in(outsider)
    preview = client.post(reverse("documents:import"), {"file": upload(made(hide_rows(3, 5)))})
    html = preview.content.decode()
    assert "已跳过 2 个隐藏行" in html and preview.context["read"].ok

    preview = client.post(reverse("documents:import"), {"file": upload(made(header_overwritten))})
    html = preview.content.decode()
    assert "找不到表头" in html and "仅导入有效行" not in html
    token = preview.context["token"]
    answer = client.post(reverse("documents:import_confirm"), {"token": token, "choice": "valid"})
    assert answer.status_code == 200
    assert not Collaboration.objects.exists()


@pytest.mark.django_db
def test_the_api_refuses_an_unreadable_sheet_even_for_valid_rows() -> None:
    importer = api_person("importer")
    refused = post_file(importer, "/api/imports/workbook", made(header_overwritten), valid_rows="true")
    assert refused.status_code == 422
    assert any(p["path"].startswith(TASKS) for p in refused.json()["problems"])
    assert not Collaboration.objects.exists()
    done = post_file(
        importer, "/api/imports/workbook", made(title_row(TASKS, "标题", "G")), valid_rows="true"
    )
    assert done.status_code == 201, done.content
    assert done.json()["notices"][0]["reason"].startswith("标题行")
    assert Task.objects.filter(collaboration__slug=done.json()["slug"]).count() == 8
