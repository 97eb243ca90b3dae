"""Word documents (.docx): a meeting's minutes and the weekly progress report.

- **Minutes** (of the kickoff or any meeting that has them): the title, a
  table of time, place, chair, attendees, revision and state; the agenda;
  the summary; the decisions; the action items as a table (content,
  department, standard, deadline); the open issues; the confirmation list of
  the revision in force (department, head, confirmed at, by whom; a
  confirmation recorded for the head reads "由 X 代确认(理由)").
- **Weekly report**: the ISO week as the heading, the as-of time, a table of
  counts per group, one table per non-empty group (task, department,
  deadline, percent, progress / blocker), the departments that did not
  report, and the initiator's remarks of a published report.

Times are shown in the company's time zone. The body font names a Chinese
face for East Asian text, so Word does not fall back to a Western one.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from django.utils.translation import gettext as _
from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Pt

from xietong.collabs.models import Participant
from xietong.meetings.actions.minutes import STATE_LABELS, MinutesState, minutes_state
from xietong.meetings.models import AgendaItem, Meeting, MinutesConfirmation, MinutesItem, MinutesItemKind
from xietong.tracking.weekly import GROUP_NAMES, GROUP_ORDER, Row, WeeklyList

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EAST_ASIAN_FONT = "SimSun"
TABLE_STYLE = "Table Grid"


@dataclass(frozen=True)
class ItemLine:
    text: str
    department: str
    standard: str
    deadline: date | None


@dataclass(frozen=True)
class ConfirmationLine:
    department: str
    head: str
    confirmed_at: datetime | None
    confirmed_by: str
    # 代确认: who recorded it for the head, and why (empty: the head's own)
    proxy_by: str = ""
    proxy_reason: str = ""

    @property
    def by_proxy(self) -> bool:
        return bool(self.proxy_reason)

    @property
    def who(self) -> str:
        """Who confirmed, as the documents show it: the head, or "由 X 代确认(理由)"."""
        if not self.by_proxy:
            return self.confirmed_by
        proxy = _("由 %(who)s 代确认(%(reason)s)") % {
            "who": self.proxy_by or "—",
            "reason": self.proxy_reason,
        }
        return f"{self.confirmed_by} · {proxy}" if self.confirmed_by else proxy


@dataclass(frozen=True)
class MinutesDoc:
    collab_title: str
    title: str
    kind_name: str
    scheduled_at: datetime | None  # local time
    duration_minutes: int
    location: str
    chair: str
    attendees: list[str]
    agenda: list[tuple[str, str]]
    summary: str
    decisions: list[ItemLine]
    actions: list[ItemLine]
    issues: list[ItemLine]
    revision: int
    state: MinutesState
    issued_at: datetime | None  # local time
    confirmations: list[ConfirmationLine]

    @property
    def empty(self) -> bool:
        return not (self.revision or self.summary or self.decisions or self.actions or self.issues)

    @property
    def state_name(self) -> str:
        return str(STATE_LABELS[self.state])


def _local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    return moment.astimezone(tz) if moment is not None else None


def read_minutes(meeting: Meeting, tz: tzinfo) -> MinutesDoc:
    """Read what the minutes of ``meeting`` show (a handful of queries)."""
    collab = meeting.collaboration
    items = list(MinutesItem.objects.filter(meeting=meeting).select_related("department"))

    def lines(kind: str) -> list[ItemLine]:
        return [
            ItemLine(i.text, i.department.name if i.department else "", i.standard, i.deadline)
            for i in items
            if i.kind == kind
        ]

    state = minutes_state(meeting)
    in_force: dict[int, MinutesConfirmation] = {}
    if state != MinutesState.REOPENED and meeting.minutes_revision:
        in_force = {
            c.department_id: c
            for c in MinutesConfirmation.objects.filter(
                meeting=meeting, revision=meeting.minutes_revision
            ).select_related("confirmed_by", "proxy_by")
        }
    confirmations = []
    for p in Participant.objects.filter(collaboration=collab).select_related("department__head"):
        found = in_force.get(p.department_id)
        head = p.department.head
        confirmations.append(
            ConfirmationLine(
                department=p.department.name,
                head=head.name if head else "",
                confirmed_at=_local(found.confirmed_at, tz) if found else None,
                confirmed_by=found.confirmed_by.name if found and found.confirmed_by else "",
                proxy_by=found.proxy_by.name if found and found.proxy_by else "",
                proxy_reason=found.proxy_reason if found else "",
            )
        )
    chair = meeting.chair or collab.owner
    return MinutesDoc(
        collab_title=collab.title,
        title=meeting.title or str(meeting.get_kind_display()),
        kind_name=str(meeting.get_kind_display()),
        scheduled_at=_local(meeting.scheduled_at, tz),
        duration_minutes=meeting.duration_minutes,
        location=meeting.location,
        chair=chair.name if chair else "",
        attendees=[p.name for p in meeting.attendees.all()],
        agenda=[(a.title, a.notes) for a in AgendaItem.objects.filter(meeting=meeting)],
        summary=meeting.minutes_summary,
        decisions=lines(MinutesItemKind.DECISION),
        actions=lines(MinutesItemKind.ACTION),
        issues=lines(MinutesItemKind.ISSUE),
        revision=meeting.minutes_revision,
        state=state,
        issued_at=_local(meeting.minutes_issued_at, tz),
        confirmations=confirmations,
    )


# --- writing


def _minute(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "—"


def _new() -> DocxDocument:
    doc = new_document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    r_pr = normal.element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    return doc


def _table(doc: DocxDocument, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = doc.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    doc.add_paragraph()


def _list(doc: DocxDocument, items: Sequence[str], empty: str) -> None:
    if not items:
        doc.add_paragraph(empty)
    for item in items:
        doc.add_paragraph(item, style="List Number")


def _save(doc: DocxDocument) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def minutes_docx(minutes: MinutesDoc) -> bytes:
    doc = _new()
    doc.core_properties.title = f"{minutes.collab_title} · {minutes.title}"
    doc.add_heading(_("会议纪要:%(title)s") % {"title": minutes.title}, level=0)
    doc.add_paragraph(minutes.collab_title)
    meta = [
        (_("会议类型"), minutes.kind_name),
        (_("会议时间"), _minute(minutes.scheduled_at)),
        (_("时长(分钟)"), str(minutes.duration_minutes)),
        (_("地点"), minutes.location or "—"),
        (_("主持人"), minutes.chair or "—"),
        (_("参会人"), "、".join(minutes.attendees) or "—"),
        (_("纪要版本"), str(minutes.revision) if minutes.revision else "—"),
        (_("纪要发出时间"), _minute(minutes.issued_at)),
        (_("状态"), minutes.state_name),
    ]
    _table(doc, [_("项目"), _("内容")], meta)

    doc.add_heading(_("会议议程"), level=1)
    _list(doc, [f"{t}:{n}" if n else t for t, n in minutes.agenda], _("(无)"))
    if minutes.summary:
        doc.add_heading(_("纪要概述"), level=1)
        for paragraph in minutes.summary.splitlines():
            if paragraph.strip():
                doc.add_paragraph(paragraph)

    doc.add_heading(_("决议"), level=1)
    _list(doc, [i.text for i in minutes.decisions], _("(无)"))
    doc.add_heading(_("行动项"), level=1)
    if minutes.actions:
        _table(
            doc,
            [_("内容"), _("责任部门"), _("交付标准"), _("时间节点")],
            [
                [
                    i.text,
                    i.department or "—",
                    i.standard or "—",
                    i.deadline.isoformat() if i.deadline else "—",
                ]
                for i in minutes.actions
            ],
        )
    else:
        doc.add_paragraph(_("(无)"))
    doc.add_heading(_("待决问题"), level=1)
    _list(doc, [i.text for i in minutes.issues], _("(无)"))

    doc.add_heading(_("纪要确认"), level=1)
    if minutes.revision:
        doc.add_paragraph(_("纪要第 %(n)s 版的确认情况:") % {"n": minutes.revision})
    _table(
        doc,
        [_("参与部门"), _("部门负责人"), _("确认时间"), _("确认人")],
        [
            [
                c.department,
                c.head or "—",
                _minute(c.confirmed_at) if c.confirmed_at else _("尚未确认"),
                c.who or "—",
            ]
            for c in minutes.confirmations
        ],
    )
    return _save(doc)


def _progress(row: Row) -> str:
    parts = []
    if row.update is not None:
        if row.update.note:
            parts.append(row.update.note)
        if row.update.next_step:
            parts.append(_("下一步:%(step)s") % {"step": row.update.next_step})
    if row.blocker is not None:
        blocker = row.blocker
        text = _("阻塞原因:%(reason)s") % {"reason": blocker.reason or "—"}
        if blocker.waiting_on:
            text += " · " + _("等待%(department)s") % {"department": blocker.waiting_on}
        if blocker.working_days is not None:
            text += " · " + _("已阻塞 %(n)s 个工作日") % {"n": blocker.working_days}
        parts.append(text + " · " + str(blocker.level_name))
    if row.overdue:
        parts.append(_("逾期 %(n)s 天") % {"n": row.overdue_days})
    return "\n".join(parts) or "—"


def weekly_docx(collab_title: str, weekly: WeeklyList, tz: tzinfo, remarks: str = "") -> bytes:
    doc = _new()
    week = weekly.week
    doc.core_properties.title = f"{collab_title} · {week}"
    doc.add_heading(_("周进度清单 %(week)s") % {"week": week}, level=0)
    doc.add_paragraph(collab_title)
    doc.add_paragraph(
        _("%(monday)s 至 %(sunday)s,截至 %(as_of)s")
        % {
            "monday": week.monday.isoformat(),
            "sunday": week.sunday.isoformat(),
            "as_of": _minute(weekly.as_of.astimezone(tz)),
        }
    )
    totals = weekly.totals
    doc.add_heading(_("汇总"), level=1)
    _table(
        doc,
        [_("分组"), _("数量")],
        [[str(GROUP_NAMES[g]), str(totals.of(g))] for g in GROUP_ORDER]
        + [
            [_("合计"), str(totals.rows)],
            [_("已汇报的部门"), f"{totals.reported}/{totals.departments}"],
        ],
    )
    rows_by_group: dict[str, list[Row]] = {g: [] for g in GROUP_ORDER}
    for row in weekly.rows:
        rows_by_group[row.group].append(row)
    for group in GROUP_ORDER:
        rows = rows_by_group[group]
        if not rows:
            continue
        doc.add_heading(f"{GROUP_NAMES[group]}({len(rows)})", level=1)
        _table(
            doc,
            [_("任务"), _("责任部门"), _("时间节点"), _("完成"), _("进展说明")],
            [
                [
                    r.description,
                    r.department or "—",
                    r.deadline.isoformat() if r.deadline else "—",
                    f"{r.percent}%",
                    _progress(r),
                ]
                for r in rows
            ],
        )
    doc.add_heading(_("未汇报的部门"), level=1)
    _list(doc, [n for n in weekly.not_reported if n], _("(无)"))
    doc.add_heading(_("待汇报的部门"), level=1)
    _list(doc, [n for n in weekly.pending if n], _("(无)"))
    if remarks:
        doc.add_heading(_("发起部门备注"), level=1)
        doc.add_paragraph(remarks)
    return _save(doc)
