"""The minutes and the weekly report as Word documents, reopened with python-docx."""

from __future__ import annotations

import io

from docx import Document as open_docx
from docx.document import Document as DocxDocument

from tests.documents.test_exports import made
from xietong.collabs.models import Collaboration
from xietong.meetings.models import Meeting, MeetingKind, MinutesConfirmation
from xietong.tracking.sources import company_tz


def opened(data: bytes) -> DocxDocument:
    assert data.startswith(b"PK\x03\x04")
    return open_docx(io.BytesIO(data))


def headings(doc: DocxDocument) -> list[str]:
    return [
        p.text
        for p in doc.paragraphs
        if p.style is not None and p.style.name.startswith(("Heading", "Title"))
    ]


def table_rows(doc: DocxDocument, index: int) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in doc.tables[index].rows]


def table_with(doc: DocxDocument, header: str) -> list[list[str]]:
    for i, table in enumerate(doc.tables):
        if table.rows[0].cells[0].text == header:
            return table_rows(doc, i)
    raise AssertionError(f"no table headed {header}")


def test_the_kickoff_minutes(demo: Collaboration) -> None:
    doc = opened(made(demo, "minutes", "docx").data)
    assert headings(doc) == [
        "会议纪要:启动会",
        "会议议程",
        "纪要概述",
        "决议",
        "行动项",
        "待决问题",
        "纪要确认",
    ]
    assert "客户投诉快速响应" in [p.text for p in doc.paragraphs]
    meta = dict((r[0], r[1]) for r in table_rows(doc, 0)[1:])
    assert meta["会议时间"] == "2024-07-08 10:00"
    assert meta["地点"] == "总部 3 楼第一会议室"
    assert meta["主持人"] == "王经理"
    assert meta["纪要版本"] == "1"
    assert meta["状态"] == "已确认存档"
    assert "王经理" in meta["参会人"]
    actions = table_with(doc, "内容")
    assert actions[0] == ["内容", "责任部门", "交付标准", "时间节点"]
    assert actions[1][0] == "梳理投诉受理与分类流程"
    assert actions[1][1] == "售后部" and actions[1][3] == "2024-07-15"
    confirmations = table_with(doc, "参与部门")
    assert confirmations[0] == ["参与部门", "部门负责人", "确认时间", "确认人"]
    assert len(confirmations) == 1 + 4
    kickoff = Meeting.objects.get(collaboration=demo, kind=MeetingKind.KICKOFF)
    first = MinutesConfirmation.objects.filter(meeting=kickoff).select_related("department").first()
    assert first is not None
    row = next(r for r in confirmations if r[0] == first.department.name)
    assert row[2] == first.confirmed_at.astimezone(company_tz()).strftime("%Y-%m-%d %H:%M")
    assert row[1] and row[1] != "—"  # the head
    assert "纪要第 1 版的确认情况:" in [p.text for p in doc.paragraphs]
    agenda = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "List Number"]
    assert len(agenda) >= 5


def test_minutes_waiting_for_confirmations_say_so(demo: Collaboration) -> None:
    weekly = Meeting.objects.get(collaboration=demo, title="周例会(2024-08-05)")
    doc = opened(made(demo, "minutes", "docx", meeting=weekly).data)
    assert headings(doc)[0] == "会议纪要:周例会(2024-08-05)"
    confirmations = table_with(doc, "参与部门")
    assert sum(1 for r in confirmations[1:] if r[2] == "尚未确认") == 2
    assert dict((r[0], r[1]) for r in table_rows(doc, 0)[1:])["状态"] == "已发出,待确认"


def test_the_weekly_report(demo: Collaboration) -> None:
    doc = opened(made(demo, "weekly", "docx").data)
    titles = headings(doc)
    assert titles[0] == "周进度清单 2024-W32"
    assert titles[1] == "汇总"
    assert titles[2:] == ["已完成(6)", "进行中(2)", "逾期(1)", "未开始(1)", "未汇报的部门", "待汇报的部门"]
    assert any(p.text.startswith("2024-08-05 至 2024-08-11") for p in doc.paragraphs)
    summary = table_with(doc, "分组")
    assert summary[1:6] == [["已完成", "6"], ["进行中", "2"], ["逾期", "1"], ["阻塞", "0"], ["未开始", "1"]]
    assert ["已汇报的部门", "3/4"] in summary
    overdue = table_rows(doc, 3)
    assert overdue[0] == ["任务", "责任部门", "时间节点", "完成", "进展说明"]
    assert overdue[1][:4] == ["建立投诉工单系统自动分派规则", "技术部", "2024-07-22", "80%"]
    assert "逾期 20 天" in overdue[1][4]
    # 技术部 reported before the meeting of 5 August, not yet for the one of the 12th: 待汇报.
    listed = [p.text for p in doc.paragraphs if p.style is not None and p.style.name == "List Number"]
    assert "技术部" in listed
    assert "(无)" in [p.text for p in doc.paragraphs]


def test_the_live_week_shows_the_blocked_row_and_its_escalation(demo: Collaboration) -> None:
    from tests.documents.test_exports import NOW
    from xietong.tracking.weekly import IsoWeek

    doc = opened(made(demo, "weekly", "docx", week=IsoWeek.of(NOW.date())).data)
    assert "阻塞(1)" in headings(doc)
    blocked = next(t for t in doc.tables if t.rows[1].cells[0].text == "修复 TOP3 高频产品缺陷")
    assert "阻塞原因" in blocked.rows[1].cells[4].text
