"""The charter workbook: the template, the export, and reading it back with every bad row reported."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from xietong.charter.format import dump_charter, parse_charter
from xietong.collabs.models import Collaboration
from xietong.collabs.snapshots import load_snapshot
from xietong.documents.workbook import Problem, WorkbookRead, read_workbook, template_bytes, workbook_bytes

GOOD = Path(__file__).parent.parent / "charters" / "good.json"
SHEETS = ["填写说明", "协作信息", "核心目标与指标", "参与部门", "部门职责分工表", "子目标", "沟通机制"]


def good_bytes() -> bytes:
    return workbook_bytes(parse_charter(GOOD.read_bytes()))


def edit(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    book = load_workbook(io.BytesIO(data))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(data: bytes) -> WorkbookRead:
    return read_workbook(io.BytesIO(data))


def headers(ws: Any, row: int = 1) -> list[str]:
    return [c.value for c in ws[row] if c.value is not None]


# --- the template


def test_template_has_one_sheet_per_section_with_chinese_headers() -> None:
    book = load_workbook(io.BytesIO(template_bytes()))
    assert book.sheetnames == SHEETS
    assert headers(book["部门职责分工表"]) == [
        "任务描述",
        "责任部门",
        "协作方",
        "交付标准",
        "时间节点",
        "状态",
        "阻塞原因",
        "执行人",
        "关注人",
    ]
    assert headers(book["参与部门"]) == [
        "部门",
        "对接负责人",
        "部门负责人",
        "职责概要",
        "角色",
        "纪要确认时间",
    ]
    assert headers(book["子目标"])[:6] == ["子目标", "部门", "关联指标", "目标值", "单位", "时限类型"]
    assert headers(book["核心目标与指标"], 4)[0] == "指标名称"
    assert [r[0].value for r in book["协作信息"].iter_rows(max_col=1)][:2] == ["协作名称", "协作类型"]


def test_template_has_validation_lists_for_departments_status_and_type() -> None:
    book = load_workbook(io.BytesIO(template_bytes(["售后部", "技术部"])))
    tasks = {str(v.sqref): v.formula1 for v in book["部门职责分工表"].data_validations.dataValidation}
    assert tasks["B2:B1001"] == "'参与部门'!$A$2:$A$201"
    assert tasks["F2:F1001"] == '"未开始,进行中,已完成,阻塞"'
    info = {str(v.sqref): v.formula1 for v in book["协作信息"].data_validations.dataValidation}
    assert info["B2"] == '"项目型,问题解决型,资源协调型,流程优化型"'
    assert info["B5"] == "'参与部门'!$A$2:$A$201"
    kinds = {str(v.sqref): v.formula1 for v in book["子目标"].data_validations.dataValidation}
    assert kinds["F2:F1001"] == '"固定,周期,SLA"'
    assert [book["参与部门"].cell(r, 1).value for r in (2, 3)] == ["售后部", "技术部"]


def test_template_formats_date_columns_as_dates() -> None:
    book = load_workbook(io.BytesIO(template_bytes()))
    assert book["部门职责分工表"].column_dimensions["E"].number_format == "yyyy-mm-dd"
    assert book["子目标"].column_dimensions["G"].number_format == "yyyy-mm-dd"
    assert book["核心目标与指标"]["B2"].number_format == "yyyy-mm-dd"
    exported = load_workbook(io.BytesIO(good_bytes()))
    cell = exported["部门职责分工表"]["E2"]
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"


def test_the_empty_template_reads_as_an_empty_charter() -> None:
    result = read(template_bytes())
    assert result.ok, result.problems
    assert result.rows == 0
    assert parse_charter(result.charter).tasks == ()


# --- round trip


def test_a_charter_file_survives_the_workbook() -> None:
    result = read(good_bytes())
    assert result.ok, result.problems
    assert parse_charter(result.charter) == parse_charter(GOOD.read_bytes())
    assert result.bad_rows == 0 and result.rows > 20


def test_the_demo_round_trip_loses_nothing(demo: Collaboration) -> None:
    from xietong.charter.store import do_import_charter

    original = load_snapshot(demo)
    result = read(workbook_bytes(original))
    assert result.ok, result.problems
    stored = do_import_charter(parse_charter(result.charter), slug="demo-copy")
    assert json.dumps(dump_charter(load_snapshot(stored))) == json.dumps(dump_charter(original))


# --- bad rows


def at(result: WorkbookRead, sheet: str) -> dict[tuple[int | None, str | None], str]:
    return {(p.row, (p.column or "")[:1] or None): p.reason for p in result.problems if p.sheet == sheet}


def test_unknown_department_is_reported_with_sheet_row_and_column() -> None:
    def change(book: Workbook) -> None:
        book["部门职责分工表"]["B3"] = "市场部"
        book["部门职责分工表"]["C4"] = "售后部、财务部"
        book["子目标"]["B2"] = "人事部"

    result = read(edit(good_bytes(), change))
    assert "市场部" in at(result, "部门职责分工表")[(3, "B")]
    assert "财务部" in at(result, "部门职责分工表")[(4, "C")]
    assert "人事部" in at(result, "子目标")[(2, "B")]
    assert result.bad_rows == 3
    assert len(result.charter["tasks"]) == 6 and len(result.charter["subgoals"]) == 3


def test_missing_standard_and_duplicate_task_are_bad_rows() -> None:
    def change(book: Workbook) -> None:
        ws = book["部门职责分工表"]
        ws["D5"] = None
        for col in "ABCDEFG":
            ws[f"{col}10"] = ws[f"{col}2"].value
            ws[f"{col}10"].number_format = ws[f"{col}2"].number_format

    result = read(edit(good_bytes(), change))
    problems = at(result, "部门职责分工表")
    assert problems[(5, "D")] == "缺少交付标准"
    assert "重复" in problems[(10, "A")] and "第 2 行" in problems[(10, "A")]
    assert [t["description"] for t in result.charter["tasks"]].count("建立投诉接收与分类流程") == 1
    assert len(result.charter["tasks"]) == 7


@pytest.mark.parametrize("value", ["2024-02-30", "下周五", "2024/13/01"])
def test_unparsable_or_impossible_date(value: str) -> None:
    result = read(edit(good_bytes(), lambda book: book["部门职责分工表"].__setitem__("E7", value)))
    [problem] = result.problems
    assert (problem.sheet, problem.row, problem.column) == ("部门职责分工表", 7, "E(时间节点)")
    assert str(problem) == f"部门职责分工表!E7(时间节点):无法识别的日期 {value}"


def test_a_date_typed_as_text_is_read() -> None:
    result = read(edit(good_bytes(), lambda book: book["部门职责分工表"].__setitem__("E2", "2024/7/5")))
    assert result.ok, result.problems
    assert result.charter["tasks"][0]["deadline"] == "2024-07-05"


def test_formulas_are_reported_never_evaluated() -> None:
    def change(book: Workbook) -> None:
        book["部门职责分工表"]["A3"] = '=HYPERLINK("http://evil.example","点我")'
        book["参与部门"]["C2"] = "=cmd|' /C calc'!A0"
        book["协作信息"]["B1"] = "=1+1"

    result = read(edit(good_bytes(), change))
    assert at(result, "部门职责分工表")[(3, "A")] == "公式不被接受,请粘贴数值"
    assert at(result, "参与部门")[(2, "C")] == "公式不被接受,请粘贴数值"
    assert at(result, "协作信息")[(1, "B")] == "公式不被接受,请粘贴数值"
    assert "=" not in json.dumps(result.charter, ensure_ascii=False).replace("FREQ=", "").replace(
        "BYDAY=", ""
    ).replace("BYHOUR=", "").replace("BYMINUTE=", "")


def test_merged_cells_are_reported() -> None:
    result = read(edit(good_bytes(), lambda book: book["部门职责分工表"].merge_cells("F3:F4")))
    problems = at(result, "部门职责分工表")
    assert "合并单元格 F3:F4" in problems[(3, "F")]
    assert result.bad_rows == 2 and len(result.charter["tasks"]) == 6


def test_unknown_choice_and_bad_number_name_the_column() -> None:
    def change(book: Workbook) -> None:
        book["部门职责分工表"]["F2"] = "差不多了"
        book["核心目标与指标"]["D5"] = "八十"

    result = read(edit(good_bytes(), change))
    assert "差不多了" in at(result, "部门职责分工表")[(2, "F")]
    assert "应为数字" in at(result, "核心目标与指标")[(5, "D")]


def test_valid_rows_charter_parses_and_leaves_bad_rows_out() -> None:
    def change(book: Workbook) -> None:
        book["部门职责分工表"]["E2"] = "2024-02-30"

    result = read(edit(good_bytes(), change))
    assert not result.ok
    collab = parse_charter(result.charter)
    assert len(collab.tasks) == 7
    assert "建立投诉接收与分类流程" not in {t.description for t in collab.tasks}


def test_problem_str_names_sheet_cell_and_reason() -> None:
    assert (
        str(Problem("部门职责分工表", 7, "D", "无法识别的日期 2024-02-30"))
        == "部门职责分工表!D7:无法识别的日期 2024-02-30"
    )
    assert str(Problem("子目标", None, None, "缺少工作表 子目标")) == "子目标:缺少工作表 子目标"


def test_a_missing_sheet_and_header_are_problems() -> None:
    def change(book: Workbook) -> None:
        del book["沟通机制"]
        book["子目标"]["C1"] = "指标"

    result = read(edit(good_bytes(), change))
    messages = [str(p) for p in result.problems]
    assert any("缺少工作表 沟通机制" in m for m in messages)
    assert any("缺少列 关联指标" in m for m in messages)


def test_progress_is_reported_while_streaming() -> None:
    def change(book: Workbook) -> None:
        ws = book["部门职责分工表"]
        for n in range(1200):
            ws.append([f"任务{n}", "售后部", None, "标准", None, "未开始"])

    seen: list[int] = []
    result = read_workbook(io.BytesIO(edit(good_bytes(), change)), progress=seen.append)
    assert result.ok, result.problems[:3]
    assert seen[:2] == [500, 1000] and seen[-1] >= 1200
