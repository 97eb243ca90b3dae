"""Exports of the demo as .xlsx, .csv and Markdown: reopened and read back, cell by cell."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import pytest
from django.conf import settings
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from tests.conftest import AS_OF
from xietong.collabs.models import Collaboration, Task
from xietong.documents.exports import WHAT_FORMATS, Document, ExportRefused, export
from xietong.documents.tables import TONE_FILLS, Column, Row, Table, Tone, write_csv, write_xlsx
from xietong.meetings.models import Meeting, MeetingKind
from xietong.tracking.sources import company_tz
from xietong.tracking.weekly import IsoWeek

# The weekly meeting's evening: the data of the demo runs up to it.
NOW = datetime.combine(AS_OF, time(18, 0), tzinfo=company_tz())
WEEK = IsoWeek(2024, 32)
XLSX_MAGIC = b"PK\x03\x04"
BOM = b"\xef\xbb\xbf"


def sheet(document: Document) -> Worksheet:
    assert document.data.startswith(XLSX_MAGIC)
    ws = load_workbook(io.BytesIO(document.data)).active
    assert isinstance(ws, Worksheet)
    return ws


def values(ws: Worksheet) -> list[list[object]]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def csv_rows(document: Document) -> list[list[str]]:
    assert document.data.startswith(BOM)
    return list(csv.reader(io.StringIO(document.data[len(BOM) :].decode("utf-8"))))


def fill(cell: object) -> str:
    return str(cell.fill.fgColor.rgb)[-6:]  # type: ignore[attr-defined]


def made(demo: Collaboration, what: str, fmt: str, **kw: object) -> Document:
    if what == "weekly":
        kw.setdefault("week", WEEK)
    return export(demo, what, fmt, now=NOW, **kw)  # type: ignore[arg-type]


# --- every combination


@pytest.mark.parametrize(("what", "fmt"), [(w, f) for w, fs in WHAT_FORMATS.items() for f in fs])
def test_every_combination_exports_with_its_name_and_type(demo: Collaboration, what: str, fmt: str) -> None:
    document = made(demo, what, fmt)
    assert document.filename.startswith(f"demo-{what}")
    assert document.filename.endswith("." + fmt)
    assert document.data
    expected = {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv": "text/csv",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "md": "text/markdown",
    }[fmt]
    assert document.content_type.startswith(expected)


def test_the_weekly_and_minutes_names_carry_the_week_and_the_meeting(demo: Collaboration) -> None:
    kickoff = Meeting.objects.get(collaboration=demo, kind=MeetingKind.KICKOFF)
    assert made(demo, "weekly", "csv").filename == "demo-weekly-2024-W32.csv"
    assert made(demo, "minutes", "md").filename == f"demo-minutes-{kickoff.pk}.md"


@pytest.mark.parametrize(
    ("what", "fmt"), [("minutes", "xlsx"), ("table", "docx"), ("nothing", "csv"), ("table", "pdf")]
)
def test_an_unknown_combination_is_refused_with_the_choices(demo: Collaboration, what: str, fmt: str) -> None:
    with pytest.raises(ExportRefused) as refused:
        made(demo, what, fmt)
    assert what in str(refused.value)


def test_a_meeting_without_minutes_is_refused(demo: Collaboration) -> None:
    upcoming = Meeting.objects.filter(collaboration=demo, minutes_revision=0, minutes_summary="").last()
    assert upcoming is not None and not upcoming.minutes_items.exists()
    with pytest.raises(ExportRefused, match="纪要"):
        made(demo, "minutes", "docx", meeting=upcoming)


def test_a_meeting_of_another_collaboration_is_refused(demo: Collaboration) -> None:
    other = Collaboration.objects.create(slug="other", title="另一个协作")
    stranger = Meeting.objects.create(collaboration=other, kind=MeetingKind.KICKOFF)
    with pytest.raises(ExportRefused):
        made(demo, "minutes", "md", meeting=stranger)
    with pytest.raises(ExportRefused, match="启动会"):
        made(Collaboration.objects.create(slug="bare", title="空协作"), "minutes", "md")


# --- xlsx


def test_the_table_workbook_has_frozen_headers_filters_widths_colours_and_dates(demo: Collaboration) -> None:
    ws = sheet(made(demo, "table", "xlsx"))
    rows = values(ws)
    assert rows[0] == [
        "#",
        "任务描述",
        "责任部门",
        "交付标准",
        "时间节点",
        "协作方",
        "状态",
        "完成百分比",
        "逾期天数",
        "执行人",
    ]
    assert len(rows) == 1 + Task.objects.filter(collaboration=demo).count()
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:J{len(rows)}"
    assert ws.column_dimensions["B"].width == 40
    assert ws["A1"].font.bold
    # Row 2 of the table: in progress, deadline 2024-07-22, 21 days overdue on 2024-08-12.
    assert rows[2][:3] == [2, "建立投诉工单系统自动分派规则", "技术部"]
    assert rows[2][6:9] == ["进行中", 80, 21]
    deadline = ws["E3"]
    assert deadline.is_date and deadline.value.date() == date(2024, 7, 22)
    assert deadline.number_format == "yyyy-mm-dd"
    assert fill(ws["G3"]) == TONE_FILLS[Tone.OVERDUE]
    assert fill(ws["G2"]) == TONE_FILLS[Tone.DONE]  # row 1 is done
    statuses = {r[6]: fill(ws.cell(i + 1, 7)) for i, r in enumerate(rows) if i}
    assert statuses["阻塞"] == TONE_FILLS[Tone.BLOCKED]
    assert statuses["未开始"] == TONE_FILLS[Tone.NOT_STARTED]
    assert statuses["已完成"] == TONE_FILLS[Tone.DONE]
    assert rows[1][5] == "产品部、技术部"


def test_the_subgoal_workbook(demo: Collaboration) -> None:
    ws = sheet(made(demo, "subgoals", "xlsx"))
    rows = values(ws)
    assert rows[0] == ["#", "子目标", "责任部门", "支撑指标", "目标值", "单位", "完成时限"]
    assert rows[2][:6] == [2, "技术部24小时内输出技术问题结论", "技术部", "平均处理时长", 24, "小时"]
    assert "24 小时内" in str(rows[2][6])
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G5"


def test_the_issue_workbook(demo: Collaboration) -> None:
    ws = sheet(made(demo, "issues", "xlsx"))
    rows = values(ws)
    assert rows[0][:2] == ["#", "问题"] and rows[0][-2:] == ["期限", "状态"]
    closed, open_ = rows[1], rows[2]
    assert closed[1] == "VIP 客户投诉是否单独设立 2 小时响应通道" and closed[-1] == "已关闭"
    assert closed[5] == "周例会(2024-07-15)"
    assert fill(ws["I2"]) == TONE_FILLS[Tone.DONE]
    assert open_[-1] == "待处理" and ws["H3"].is_date and ws["H3"].value.date() == date(2024, 8, 15)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I3"


def test_the_risk_workbook(demo: Collaboration) -> None:
    ws = sheet(made(demo, "risks", "xlsx"))
    rows = values(ws)
    assert rows[0][:5] == ["#", "风险描述", "发生概率", "影响程度", "风险等级"]
    triggered = rows[2]
    assert triggered[1] == "缺陷修复延期导致同类投诉持续"
    assert triggered[2:6] == ["高", "中", "高", "技术部"]
    assert triggered[8] == "已触发"
    assert fill(ws["I3"]) == TONE_FILLS[Tone.OVERDUE]
    assert ws["J3"].is_date and ws["J3"].number_format == "yyyy-mm-dd hh:mm"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:J3"


def test_the_weekly_workbook_colours_each_group(demo: Collaboration) -> None:
    ws = sheet(made(demo, "weekly", "xlsx"))
    assert ws.title == "2024-W32"
    rows = values(ws)
    assert rows[0][:5] == ["责任部门", "分组", "任务", "时间节点", "状态"]
    by_task = {r[2]: (i + 1, r) for i, r in enumerate(rows) if i}
    line, overdue = by_task["建立投诉工单系统自动分派规则"]
    assert overdue[:2] == ["技术部", "逾期"] and overdue[4:6] == ["进行中", 80]
    assert fill(ws.cell(line, 2)) == TONE_FILLS[Tone.OVERDUE]
    line, done = by_task["梳理投诉受理与分类流程"]
    assert done[1] == "已完成" and fill(ws.cell(line, 2)) == TONE_FILLS[Tone.DONE]
    assert ws.cell(line, 10).is_date  # the update's time
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:J{len(rows)}"


def test_a_published_week_is_exported_as_published(demo: Collaboration) -> None:
    from xietong.tracking.models import WeeklyReport
    from xietong.tracking.sources import compile_for

    content = compile_for(demo, WEEK, NOW).to_content()
    content["departments"][0]["rows"][0]["description"] = "发布时的描述"
    WeeklyReport.objects.create(
        collaboration=demo,
        iso_year=2024,
        iso_week=32,
        content=content,
        published_at=NOW,
        remarks="请技术部补报",
    )
    assert "发布时的描述" in [r[2] for r in values(sheet(made(demo, "weekly", "xlsx")))]
    assert "请技术部补报" in made(demo, "weekly", "md").data.decode()


# --- csv


@pytest.mark.parametrize("what", ["table", "subgoals", "weekly", "issues", "risks"])
def test_every_csv_starts_with_the_bom_and_parses_with_its_chinese(demo: Collaboration, what: str) -> None:
    document = made(demo, what, "csv")
    rows = csv_rows(document)
    xlsx_rows = values(sheet(made(demo, what, "xlsx")))
    assert rows[0] == xlsx_rows[0]
    assert len(rows) == len(xlsx_rows)
    assert any("部" in cell for cell in rows[1])


def test_the_table_csv_row(demo: Collaboration) -> None:
    rows = csv_rows(made(demo, "table", "csv"))
    assert rows[2] == [
        "2",
        "建立投诉工单系统自动分派规则",
        "技术部",
        "工单按类别自动分派,准确率≥95%,上线运行",
        "2024-07-22",
        "售后部",
        "进行中",
        "80",
        "21",
        "",
    ]


# --- formula neutralisation


def test_formulas_in_cells_come_out_inert_in_csv_and_xlsx(demo: Collaboration) -> None:
    first, second, third = Task.objects.filter(collaboration=demo).order_by("position", "id")[:3]
    Task.objects.filter(pk=first.pk).update(description="=1+1")
    Task.objects.filter(pk=second.pk).update(description="@SUM(A1)")
    Task.objects.filter(pk=third.pk).update(description="-2+3", standard="+cmd|' /C calc'!A0")
    rows = csv_rows(made(demo, "table", "csv"))
    assert [r[1] for r in rows[1:4]] == ["'=1+1", "'@SUM(A1)", "'-2+3"]
    assert rows[3][3] == "'+cmd|' /C calc'!A0"
    ws = sheet(made(demo, "table", "xlsx"))
    assert [ws.cell(r, 2).value for r in (2, 3, 4)] == ["'=1+1", "'@SUM(A1)", "'-2+3"]
    assert all(ws.cell(r, 2).data_type == "s" for r in (2, 3, 4))
    assert ws["D4"].value == "'+cmd|' /C calc'!A0" and ws["D4"].data_type == "s"


def test_the_writers_stream_rows_and_neutralise_every_text_cell() -> None:
    def rows() -> object:
        for i in range(3):
            yield Row((f"=A{i}", date(2024, 1, i + 1), i, None), Tone.DONE if i else None)

    table = Table("a/b:c*d?", [Column("=x", status=True), Column("日"), Column("n"), Column("空")], rows())  # type: ignore[arg-type]
    ws = load_workbook(io.BytesIO(write_xlsx(table))).active
    assert ws.title == "a b c d"
    assert [c.value for c in ws[1]] == ["'=x", "日", "n", "空"]
    assert ws["A2"].value == "'=A0" and ws["A2"].data_type == "s"
    assert ws["B4"].value.date() == date(2024, 1, 3) and ws["D4"].value is None
    assert fill(ws["A3"]) == TONE_FILLS[Tone.DONE]
    again = Table("t", [Column("a"), Column("b")], iter([Row(("@x", 1))]))
    assert write_csv(again) == BOM + b"a,b\r\n'@x,1\r\n"


# --- Markdown


def test_the_table_markdown_is_compact_with_the_link(demo: Collaboration) -> None:
    text = made(demo, "table", "md").data.decode("utf-8")
    assert text.startswith("**客户投诉快速响应 · 部门职责分工表**\n")
    assert "已完成 6 · 进行中 1 · 逾期 1 · 阻塞 1 · 未开始 1" in text
    assert "- [逾期] 建立投诉工单系统自动分派规则 · 技术部 · 截止 2024-07-22" in text
    assert text.rstrip().endswith(f"{settings.SITE_URL}/c/demo/table/")
    assert "|" not in text  # no tables: IM groups do not render them


def test_the_weekly_markdown_lists_what_needs_attention(demo: Collaboration) -> None:
    text = made(demo, "weekly", "md").data.decode("utf-8")
    assert "周进度清单 2024-W32" in text
    assert "已完成 6 · 进行中 2 · 逾期 1 · 阻塞 0 · 未开始 1" in text
    assert "**逾期**\n- 建立投诉工单系统自动分派规则 · 技术部 · 截止 2024-07-22 · 80% · 逾期 20 天" in text
    # 技术部 reported before the meeting of 5 August, not yet for the one of the 12th.
    assert "**待汇报的部门**\n- 技术部" in text and "未汇报的部门" not in text
    assert f"{settings.SITE_URL}/c/demo/tracking/weekly/2024-W32/" in text


def test_the_minutes_markdown(demo: Collaboration) -> None:
    text = made(demo, "minutes", "md").data.decode("utf-8")
    assert text.startswith(
        "**客户投诉快速响应 · 启动会**\n2024-07-08 10:00 · 总部 3 楼第一会议室 · 纪要第 1 版"
    )
    assert "已确认 4/4 个部门" in text
    assert "- 梳理投诉受理与分类流程 · 售后部 · 截止 2024-07-15" in text
    assert "**决议**" in text and "**尚未确认**" not in text
    assert f"{settings.SITE_URL}/c/demo/kickoff/" in text
    weekly = Meeting.objects.get(collaboration=demo, title="周例会(2024-08-05)")
    text = made(demo, "minutes", "md", meeting=weekly).data.decode("utf-8")
    assert "已确认 2/4 个部门" in text and "**尚未确认**" in text
    assert f"/c/demo/meetings/{weekly.pk}/" in text


def test_the_issue_and_risk_markdown(demo: Collaboration) -> None:
    issues = made(demo, "issues", "md").data.decode("utf-8")
    assert "- [待处理] 缺陷修复优先级与版本排期冲突 · 产品部 · 截止 2024-08-15" in issues
    risks = made(demo, "risks", "md").data.decode("utf-8")
    assert "- [已触发] 缺陷修复延期导致同类投诉持续 · 风险等级 高 · 技术部" in risks
    subgoals = made(demo, "subgoals", "md").data.decode("utf-8")
    assert "- 产品部每周五前提交优化方案 · 产品部 · 每周五前" in subgoals


def test_markdown_escapes_markup_in_user_text(demo: Collaboration) -> None:
    Task.objects.filter(collaboration=demo, position=0).update(description="**粗体** [链接](x)\n第二行")
    first = Task.objects.filter(collaboration=demo).order_by("position", "id").first()
    assert first is not None
    text = made(demo, "table", "md").data.decode("utf-8")
    assert r"\*\*粗体\*\* \[链接\](x) 第二行" in text


# --- English


def test_english_exports_use_the_translated_headers(demo: Collaboration) -> None:
    with translation.override("en"):
        rows = values(sheet(made(demo, "table", "xlsx")))
        text = made(demo, "issues", "md").data.decode("utf-8")
    assert rows[0][1:4] == ["Task description", "Responsible department", "Delivery standard"]
    assert "Issue log" in text
