"""Export a collaboration's tables and documents: ``export(collab, what, fmt)`` → a ``Document``.

What can be exported, and as what (``WHAT_FORMATS``):

- ``table`` the responsibility table, ``subgoals`` the department sub-goals,
  ``issues`` the issue log, ``risks`` the risk register: .xlsx, .csv, Markdown;
- ``weekly`` the weekly progress list of an ISO week (the published report
  when there is one, else compiled as of ``now``): .xlsx, .csv, .docx, Markdown;
- ``minutes`` the minutes of a meeting (default: the kickoff): .docx, Markdown.

Headers are the product's translatable strings, so an export follows the
active language. The spreadsheets and CSV files are written by
``xietong.documents.tables`` (streamed, text cells made inert), the Word
documents by ``xietong.documents.word``, the Markdown by
``xietong.documents.markdown``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.charter.store import charter_snapshot
from xietong.collabs.models import Collaboration, SubGoal, Task, TaskStatus
from xietong.documents import markdown as md
from xietong.documents import word
from xietong.documents.tables import CSV_TYPE, XLSX_TYPE, Column, Row, Table, Tone, write_csv, write_xlsx
from xietong.documents.workbook import workbook_bytes
from xietong.meetings.models import Meeting, MeetingKind
from xietong.rules import snapshot as s
from xietong.tracking.boards import risk_level
from xietong.tracking.models import IssueEntry, IssueStatus, Level, Risk, RiskStatus, WeeklyReport
from xietong.tracking.sources import company_tz, compile_for, current_week
from xietong.tracking.weekly import Group, IsoWeek, WeeklyList, from_content
from xietong.tracking.weekly import Row as WeeklyRow

WHAT_FORMATS: dict[str, tuple[str, ...]] = {
    # The whole collaboration in the import template's layout: what `xietong import` reads back.
    "charter": ("xlsx",),
    "table": ("xlsx", "csv", "md"),
    "subgoals": ("xlsx", "csv", "md"),
    "weekly": ("xlsx", "csv", "docx", "md"),
    "minutes": ("docx", "md"),
    "issues": ("xlsx", "csv", "md"),
    "risks": ("xlsx", "csv", "md"),
}
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE, "docx": word.DOCX_TYPE, "md": md.MD_TYPE}


@dataclass(frozen=True)
class Document:
    filename: str  # slug-what[-week|-meeting].ext
    content_type: str
    data: bytes


class ExportRefused(ValueError):
    """The export cannot be made: an unknown what or format, a meeting without minutes …"""


@dataclass(frozen=True)
class _Context:
    collab: Collaboration
    now: datetime
    tz: tzinfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def url(self, name: str, *args: object) -> str:
        return settings.SITE_URL + reverse(name, args=[self.collab.slug, *args])


# --- the responsibility table


def _task_tone(task: Task, overdue: bool) -> Tone:
    if task.status == TaskStatus.DONE:
        return Tone.DONE
    if task.status == TaskStatus.BLOCKED:
        return Tone.BLOCKED
    if overdue:
        return Tone.OVERDUE
    return Tone.IN_PROGRESS if task.status == TaskStatus.IN_PROGRESS else Tone.NOT_STARTED


def _tasks(ctx: _Context) -> Iterator[Task]:
    return (
        Task.objects.filter(collaboration=ctx.collab)
        .select_related("department", "assignee")
        .prefetch_related("collaborators")
        .order_by("position", "id")
        .iterator(chunk_size=2000)
    )


def table_columns() -> list[Column]:
    """Return the responsibility table's columns (the benchmarks export rows under the same ones)."""
    return [
        Column("#", 6),
        Column(_("任务描述"), 40, wrap=True),
        Column(_("责任部门"), 14),
        Column(_("交付标准"), 36, wrap=True),
        Column(_("时间节点"), 12),
        Column(_("协作方"), 20),
        Column(_("状态"), 10, status=True),
        Column(_("完成百分比"), 10),
        Column(_("逾期天数"), 10),
        Column(_("执行人"), 12),  # added last: the columns before it keep their letters
    ]


def _table(ctx: _Context) -> Table:
    columns = table_columns()

    def rows() -> Iterator[Row]:
        for number, task in enumerate(_tasks(ctx), start=1):
            overdue = task.is_overdue(ctx.today)
            yield Row(
                (
                    number,
                    task.description,
                    task.department.name if task.department else "",
                    task.standard,
                    task.deadline,
                    "、".join(d.name for d in task.collaborators.all()),
                    str(task.get_status_display()),
                    100 if task.status == TaskStatus.DONE else task.percent,
                    (ctx.today - task.deadline).days if overdue and task.deadline else None,
                    task.assignee.name if task.assignee else "",
                ),
                _task_tone(task, overdue),
            )

    return Table(_("部门职责分工表"), columns, rows(), ctx.tz)


def _table_md(ctx: _Context) -> str:
    items, counts = [], {k: 0 for k in Tone}
    for task in _tasks(ctx):
        overdue = task.is_overdue(ctx.today)
        tone = _task_tone(task, overdue)
        counts[tone] += 1
        parts = [
            f"[{_('逾期') if tone == Tone.OVERDUE else task.get_status_display()}]",
            md.escape(task.description) or "—",
            md.escape(task.department.name) if task.department else "—",
        ]
        if task.assignee:
            parts.append(_("执行人 %(name)s") % {"name": md.escape(task.assignee.name)})
        if task.deadline:
            parts.append(_("截止 %(day)s") % {"day": task.deadline.isoformat()})
        items.append(" ".join(parts[:2]) + " · " + " · ".join(parts[2:]))
    summary = " · ".join(
        f"{name} {counts[tone]}"
        for tone, name in (
            (Tone.DONE, _("已完成")),
            (Tone.IN_PROGRESS, _("进行中")),
            (Tone.OVERDUE, _("逾期")),
            (Tone.BLOCKED, _("阻塞")),
            (Tone.NOT_STARTED, _("未开始")),
        )
    )
    title = f"{ctx.collab.title} · {_('部门职责分工表')}"
    return md.document(title, summary, [("", items)], ctx.url("collabs:table"))


# --- sub-goals


def _time_limit(goal: SubGoal) -> str:
    from xietong.collabs.views.subgoals import time_limit_text

    if not goal.deadline_kind:
        return ""
    limit = s.TimeLimit(
        kind=s.DeadlineKind(goal.deadline_kind),
        date=goal.deadline_date,
        rrule=goal.rrule,
        hours=goal.sla_hours,
        trigger=goal.sla_trigger,
    )
    text = time_limit_text(limit)
    return "" if text == "—" else text


def _subgoals(ctx: _Context) -> Iterator[SubGoal]:
    return (
        SubGoal.objects.filter(collaboration=ctx.collab)
        .select_related("department", "metric")
        .order_by("position", "id")
        .iterator(chunk_size=2000)
    )


def _subgoal_table(ctx: _Context) -> Table:
    columns = [
        Column("#", 6),
        Column(_("子目标"), 40, wrap=True),
        Column(_("责任部门"), 14),
        Column(_("支撑指标"), 24),
        Column(_("目标值"), 10),
        Column(_("单位"), 8),
        Column(_("完成时限"), 30, wrap=True),
    ]

    def rows() -> Iterator[Row]:
        for number, goal in enumerate(_subgoals(ctx), start=1):
            yield Row(
                (
                    number,
                    goal.description,
                    goal.department.name if goal.department else "",
                    goal.metric.name if goal.metric else "",
                    goal.target.normalize() if goal.target is not None else None,
                    goal.unit,
                    _time_limit(goal),
                )
            )

    return Table(_("部门子目标"), columns, rows(), ctx.tz)


def _subgoals_md(ctx: _Context) -> str:
    items = []
    for goal in _subgoals(ctx):
        parts = [
            md.escape(goal.description) or "—",
            md.escape(goal.department.name) if goal.department else "—",
        ]
        limit = _time_limit(goal)
        if limit:
            parts.append(md.escape(limit))
        items.append(" · ".join(parts))
    title = f"{ctx.collab.title} · {_('部门子目标')}"
    return md.document(title, "", [("", items)], ctx.url("collabs:subgoals"))


# --- the issue log and the risk register


def _issue_tone(issue: IssueEntry, today: date) -> Tone:
    if issue.status == IssueStatus.CLOSED:
        return Tone.DONE
    if issue.due_date is not None and issue.due_date < today:
        return Tone.OVERDUE
    return Tone.IN_PROGRESS if issue.status == IssueStatus.DECIDED else Tone.NOT_STARTED


def _issues(ctx: _Context) -> Iterator[IssueEntry]:
    return (
        IssueEntry.objects.filter(collaboration=ctx.collab)
        .select_related("raised_by", "owner", "decided_in")
        .order_by("position", "id")
        .iterator(chunk_size=2000)
    )


def _meeting_name(meeting: Meeting | None) -> str:
    if meeting is None:
        return ""
    when = meeting.scheduled_at.astimezone(company_tz()).date().isoformat() if meeting.scheduled_at else ""
    return meeting.title or f"{meeting.get_kind_display()} {when}".strip()


def _issue_table(ctx: _Context) -> Table:
    columns = [
        Column("#", 6),
        Column(_("问题"), 36, wrap=True),
        Column(_("提出部门"), 12),
        Column(_("负责部门"), 12),
        Column(_("需要的决策"), 30, wrap=True),
        Column(_("决策会议"), 20),
        Column(_("解决方案"), 30, wrap=True),
        Column(_("期限"), 12),
        Column(_("状态"), 10, status=True),
    ]

    def rows() -> Iterator[Row]:
        for number, issue in enumerate(_issues(ctx), start=1):
            yield Row(
                (
                    number,
                    issue.title,
                    issue.raised_by.name if issue.raised_by else "",
                    issue.owner.name if issue.owner else "",
                    issue.decision_needed,
                    _meeting_name(issue.decided_in),
                    issue.resolution,
                    issue.due_date,
                    str(issue.get_status_display()),
                ),
                _issue_tone(issue, ctx.today),
            )

    return Table(_("问题跟踪表"), columns, rows(), ctx.tz)


def _issues_md(ctx: _Context) -> str:
    items = []
    for issue in _issues(ctx):
        parts = [f"[{issue.get_status_display()}] {md.escape(issue.title)}"]
        parts.append(md.escape(issue.owner.name) if issue.owner else "—")
        if issue.due_date:
            parts.append(_("截止 %(day)s") % {"day": issue.due_date.isoformat()})
        if _issue_tone(issue, ctx.today) == Tone.OVERDUE:
            parts.append(_("已逾期"))
        items.append(" · ".join(parts))
    title = f"{ctx.collab.title} · {_('问题跟踪表')}"
    return md.document(title, "", [("", items)], ctx.url("tracking:issues"))


def _risk_tone(risk: Risk) -> Tone:
    return {RiskStatus.CLOSED: Tone.DONE, RiskStatus.TRIGGERED: Tone.OVERDUE}.get(
        RiskStatus(risk.status), Tone.IN_PROGRESS
    )


def _risks(ctx: _Context) -> Iterator[Risk]:
    return (
        Risk.objects.filter(collaboration=ctx.collab)
        .select_related("owner")
        .order_by("position", "id")
        .iterator(chunk_size=2000)
    )


def _level(risk: Risk) -> tuple[int, str]:
    score, level = risk_level(risk.probability, risk.impact)
    return score, str(Level(level).label)


def _risk_table(ctx: _Context) -> Table:
    columns = [
        Column("#", 6),
        Column(_("风险描述"), 36, wrap=True),
        Column(_("发生概率"), 10),
        Column(_("影响程度"), 10),
        Column(_("风险等级"), 10),
        Column(_("负责部门"), 12),
        Column(_("风险应对方案"), 36, wrap=True),
        Column(_("触发条件"), 24, wrap=True),
        Column(_("状态"), 10, status=True),
        Column(_("触发时间"), 17),
    ]

    def rows() -> Iterator[Row]:
        for number, risk in enumerate(_risks(ctx), start=1):
            yield Row(
                (
                    number,
                    risk.description,
                    str(risk.get_probability_display()),
                    str(risk.get_impact_display()),
                    _level(risk)[1],
                    risk.owner.name if risk.owner else "",
                    risk.response_plan,
                    risk.trigger,
                    str(risk.get_status_display()),
                    risk.triggered_at,
                ),
                _risk_tone(risk),
            )

    return Table(_("风险登记表"), columns, rows(), ctx.tz)


def _risks_md(ctx: _Context) -> str:
    items = []
    for risk in _risks(ctx):
        parts = [f"[{risk.get_status_display()}] {md.escape(risk.description)}"]
        parts.append(_("风险等级") + " " + _level(risk)[1])
        parts.append(md.escape(risk.owner.name) if risk.owner else "—")
        items.append(" · ".join(parts))
    title = f"{ctx.collab.title} · {_('风险登记表')}"
    return md.document(title, "", [("", items)], ctx.url("tracking:risks"))


# --- the weekly progress list


def _weekly(ctx: _Context, week: IsoWeek) -> tuple[WeeklyList, str]:
    """Return the week's list (the published report when there is one) and the initiator's remarks."""
    published = WeeklyReport.objects.filter(
        collaboration=ctx.collab, iso_year=week.year, iso_week=week.week
    ).first()
    if published is not None and published.content:
        return from_content(published.content), published.remarks
    return compile_for(ctx.collab, week, ctx.now), ""


_GROUP_TONES = {
    Group.DONE: Tone.DONE,
    Group.IN_PROGRESS: Tone.IN_PROGRESS,
    Group.OVERDUE: Tone.OVERDUE,
    Group.BLOCKED: Tone.BLOCKED,
    Group.NOT_STARTED: Tone.NOT_STARTED,
}


def _weekly_table(ctx: _Context, weekly: WeeklyList) -> Table:
    columns = [
        Column(_("责任部门"), 14),
        Column(_("分组"), 10, status=True),
        Column(_("任务"), 36, wrap=True),
        Column(_("时间节点"), 12),
        Column(_("状态"), 10),
        Column(_("完成百分比"), 10),
        Column(_("进展说明"), 36, wrap=True),
        Column(_("下一步计划"), 30, wrap=True),
        Column(_("阻塞与升级"), 30, wrap=True),
        Column(_("更新时间"), 17),
    ]

    def blocker(row: WeeklyRow) -> str:
        if row.blocker is None:
            return ""
        parts = [row.blocker.reason]
        if row.blocker.waiting_on:
            parts.append(_("等待%(department)s") % {"department": row.blocker.waiting_on})
        if row.blocker.working_days is not None:
            parts.append(_("已阻塞 %(n)s 个工作日") % {"n": row.blocker.working_days})
        parts.append(str(row.blocker.level_name))
        return " · ".join(p for p in parts if p)

    def rows() -> Iterator[Row]:
        for department in weekly.departments:
            for row in department.rows:
                update = row.update
                yield Row(
                    (
                        row.department,
                        str(row.group_name),
                        row.description,
                        row.deadline,
                        str(row.status_name),
                        row.percent,
                        update.note if update else "",
                        update.next_step if update else "",
                        blocker(row),
                        update.at if update else None,
                    ),
                    _GROUP_TONES[row.group],
                )

    return Table(str(weekly.week), columns, rows(), ctx.tz)


# --- the entry point


def _filename(collab: Collaboration, what: str, fmt: str, suffix: str = "") -> str:
    return f"{collab.slug}-{what}{'-' + suffix if suffix else ''}.{fmt}"


def _minutes_meeting(collab: Collaboration, meeting: Meeting | None) -> Meeting:
    if meeting is None:
        found = (
            Meeting.objects.filter(collaboration=collab, kind=MeetingKind.KICKOFF)
            .select_related("collaboration__owner", "chair")
            .first()
        )
        if found is None:
            raise ExportRefused(_("该协作还没有启动会,没有可导出的纪要"))
        return found
    if meeting.collaboration_id != collab.pk:
        raise ExportRefused(_("该会议不属于此协作"))
    return meeting


_SHEETS: dict[str, Callable[[_Context], Table]] = {
    "table": _table,
    "subgoals": _subgoal_table,
    "issues": _issue_table,
    "risks": _risk_table,
}
_MARKDOWN: dict[str, Callable[[_Context], str]] = {
    "table": _table_md,
    "subgoals": _subgoals_md,
    "issues": _issues_md,
    "risks": _risks_md,
}


def _check(what: str, fmt: str) -> None:
    if what not in WHAT_FORMATS:
        raise ExportRefused(
            _("无法导出“%(what)s”:可导出 %(choices)s") % {"what": what, "choices": ", ".join(WHAT_FORMATS)}
        )
    if fmt not in WHAT_FORMATS[what]:
        raise ExportRefused(
            _("“%(what)s”不能导出为 %(format)s 格式:可用 %(choices)s")
            % {"what": what, "format": fmt, "choices": ", ".join(WHAT_FORMATS[what])}
        )


def export(
    collab: Collaboration,
    what: str,
    fmt: str,
    *,
    week: IsoWeek | None = None,
    meeting: Meeting | None = None,
    now: datetime | None = None,
) -> Document:
    """Return ``what`` of ``collab`` as ``fmt``; ExportRefused when that combination cannot be made.

    ``week`` is the weekly list's week (default: the week of ``now``);
    ``meeting`` the meeting whose minutes (default: the kickoff); ``now``
    the moment the export is as of (default: now), for overdue days and the
    live week.
    """
    _check(what, fmt)
    tz = company_tz()
    ctx = _Context(collab, now or timezone.now(), tz)
    content_type = CONTENT_TYPES[fmt]
    if what == "charter":
        return Document(_filename(collab, what, fmt), content_type, workbook_bytes(charter_snapshot(collab)))
    if what == "minutes":
        chosen = _minutes_meeting(collab, meeting)
        doc = word.read_minutes(chosen, tz)
        if doc.empty:
            raise ExportRefused(_("“%(meeting)s”还没有会议纪要") % {"meeting": doc.title})
        name = _filename(collab, what, fmt, str(chosen.pk))
        if chosen.kind == MeetingKind.KICKOFF:
            url = ctx.url("meetings:kickoff")
        else:
            url = ctx.url("meetings:meeting", chosen.pk)
        if fmt == "docx":
            return Document(name, content_type, word.minutes_docx(doc))
        return Document(name, content_type, md.minutes(doc, url).encode("utf-8"))
    if what == "weekly":
        chosen_week = week or current_week(ctx.now, tz)
        weekly, remarks = _weekly(ctx, chosen_week)
        name = _filename(collab, what, fmt, str(chosen_week))
        if fmt == "docx":
            return Document(name, content_type, word.weekly_docx(collab.title, weekly, tz, remarks))
        if fmt == "md":
            url = ctx.url("tracking:report", str(chosen_week))
            return Document(name, content_type, md.weekly(collab.title, weekly, url, remarks).encode("utf-8"))
        table = _weekly_table(ctx, weekly)
    elif fmt == "md":
        return Document(_filename(collab, what, fmt), content_type, _MARKDOWN[what](ctx).encode("utf-8"))
    else:
        name = _filename(collab, what, fmt)
        table = _SHEETS[what](ctx)
    data = write_xlsx(table) if fmt == "xlsx" else write_csv(table)
    return Document(name, content_type, data)
