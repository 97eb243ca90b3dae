"""The demo's meetings: the kickoff as the guide describes it, then the weekly meetings.

The kickoff gets its place, its offers and needs (each need already turned
into the row of the table or the sub-goal it became), its decisions and
action items (the first rows of the table) and its archived, confirmed
minutes. Every Monday 10:00 weekly meeting from the kickoff to ``as_of``
is opened with its carried-over agenda; the held ones have minutes issued
the same afternoon and confirmed by the heads, except the latest, which
still waits for two confirmations so that the home page has something to
show the heads.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from xietong.collabs.models import Collaboration, SubGoal, Task
from xietong.collabs.presets import KICKOFF_AGENDA
from xietong.meetings.actions.kickoff import add_agenda
from xietong.meetings.actions.minutes import (
    ItemInput,
    do_confirm_minutes,
    do_issue_minutes,
    do_save_minutes_item,
    do_save_minutes_summary,
)
from xietong.meetings.actions.occurrences import (
    do_open_occurrence,
    is_series,
    series_occurrences,
    series_window,
)
from xietong.meetings.models import (
    Contribution,
    ContributionKind,
    Meeting,
    MeetingKind,
    MinutesItem,
    MinutesItemKind,
    MinutesRevision,
)
from xietong.meetings.reads import revision_content
from xietong.orgs.models import Department

# (kind, department, counterpart, text, task description or sub-goal description it became)
_CONTRIBUTIONS = [
    (ContributionKind.OFFER, "售后部", None, "提供近三个月投诉明细、分类数据与典型案例", None),
    (
        ContributionKind.NEED,
        "售后部",
        "技术部",
        "技术类投诉 24 小时内给出排查结论",
        "sub:技术部24小时内输出技术问题结论",
    ),
    (ContributionKind.OFFER, "产品部", None, "每周评审一次与投诉相关的需求与缺陷", None),
    (
        ContributionKind.NEED,
        "产品部",
        "技术部",
        "提供投诉相关缺陷的修复成本评估",
        "task:修复 TOP3 高频产品缺陷",
    ),
    (ContributionKind.OFFER, "技术部", None, "开放工单系统接口,搭建处理时效看板", None),
    (
        ContributionKind.NEED,
        "技术部",
        "售后部",
        "投诉工单附带复现步骤、截图与日志",
        "task:梳理投诉受理与分类流程",
    ),
    (ContributionKind.OFFER, "法务部", None, "对高风险投诉提供合规审核与统一答复口径", None),
    (
        ContributionKind.NEED,
        "法务部",
        "售后部",
        "高风险投诉在受理当日转交法务部",
        "sub:法务部48小时内完成高风险投诉的合规审核",
    ),
]

_KICKOFF_DECISIONS = [
    "确认协作目标:本季度末 80% 的投诉 24 小时内闭环,客户满意度提升至 4.5 分",
    "建立“投诉快速响应”协作群,由售后部张经理任群管理员;每周一 10:00 召开周例会",
]
# The first rows of the table were agreed at the kickoff: they are its action items.
_KICKOFF_ACTIONS = 4

# What the weekly meetings decide, week by week (1 = the first Monday after the kickoff).
_WEEKLY = {
    1: (MinutesItemKind.DECISION, "投诉分类标准按 A/B/C 三级执行,A 类 2 小时内响应"),
    2: (MinutesItemKind.ISSUE, "是否为 VIP 客户投诉单独设立 2 小时响应通道"),
    3: (MinutesItemKind.DECISION, "工单自动分派规则上线,售后部负责每日抽检 20 单"),
    4: (MinutesItemKind.DECISION, "VIP 客户投诉并入 A 类处理,不单设通道(关闭第 2 周待决问题)"),
}


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _kickoff(collab: Collaboration) -> Meeting:
    kickoff = Meeting.objects.get(collaboration=collab, kind=MeetingKind.KICKOFF)
    kickoff.location, kickoff.duration_minutes = "总部 3 楼第一会议室", 120
    kickoff.minutes_summary = (
        "启动会由发起部门负责人王经理主持,售后部、产品部、技术部、法务部对接负责人及部门负责人参会。"
        "会议宣讲了协作背景与目标,讨论了各部门职责、时间节点与资源需求,约定了沟通机制。"
    )
    kickoff.save(update_fields=["location", "duration_minutes", "minutes_summary"])
    if not kickoff.agenda.exists():
        add_agenda(kickoff, KICKOFF_AGENDA)
    return kickoff


def _add_contributions(kickoff: Meeting, departments: dict[str, Department]) -> None:
    tasks = {t.description: t for t in Task.objects.filter(collaboration=kickoff.collaboration_id)}
    subgoals = {g.description: g for g in SubGoal.objects.filter(collaboration=kickoff.collaboration_id)}
    rows = []
    for position, (kind, department, counterpart, text, became) in enumerate(_CONTRIBUTIONS):
        kind_of_row, _sep, name = (became or "").partition(":")
        rows.append(
            Contribution(
                meeting=kickoff,
                position=position,
                kind=kind,
                department=departments[department],
                counterpart=departments[counterpart] if counterpart else None,
                text=text,
                task=tasks.get(name) if kind_of_row == "task" else None,
                subgoal=subgoals.get(name) if kind_of_row == "sub" else None,
            )
        )
    Contribution.objects.bulk_create(rows)


def _add_kickoff_minutes(kickoff: Meeting) -> None:
    """Write the kickoff's decisions and action items into its archived first revision."""
    items = [
        MinutesItem(meeting=kickoff, position=i, kind=MinutesItemKind.DECISION, text=text)
        for i, text in enumerate(_KICKOFF_DECISIONS)
    ]
    tasks = Task.objects.filter(collaboration=kickoff.collaboration_id).select_related("department")
    for i, task in enumerate(tasks[:_KICKOFF_ACTIONS], start=len(items)):
        items.append(
            MinutesItem(
                meeting=kickoff,
                position=i,
                kind=MinutesItemKind.ACTION,
                text=task.description,
                department=task.department,
                standard=task.standard,
                deadline=task.deadline,
                task=task,
            )
        )
    MinutesItem.objects.bulk_create(items)
    MinutesRevision.objects.filter(meeting=kickoff, number=1).update(content=revision_content(kickoff))


def _hold_weekly_meetings(collab: Collaboration, as_of: date, departments: dict[str, Department]) -> None:
    rule = next((r for r in collab.communication_rules.all() if is_series(r)), None)
    if rule is None:
        return
    # Meetings of earlier days were held; the one of ``as_of`` itself is opened, not yet held.
    times = [o.at for o in series_occurrences(rule, series_window(collab)) if o.at is not None]
    held = [at for at in times if at < _local(as_of, 0)]
    today = [at for at in times if _local(as_of, 0) <= at <= _local(as_of, 23, 59)]
    for at in today:
        do_open_occurrence(rule, at, actor=collab.owner)
    participants = list(collab.participants.select_related("department__head"))
    for week, at in enumerate(held, start=1):
        meeting = do_open_occurrence(rule, at, actor=collab.owner)
        do_save_minutes_summary(
            meeting, "各部门对照部门职责分工表汇报本周进展,更新周进度清单。", actor=collab.owner
        )
        if week in _WEEKLY:
            kind, text = _WEEKLY[week]
            do_save_minutes_item(meeting, ItemInput(kind=kind, text=text), actor=collab.owner)
        if week == 4:
            MinutesItem.objects.filter(meeting__collaboration=collab, kind=MinutesItemKind.ISSUE).update(
                resolved=True
            )
        issued = at + timedelta(hours=5)
        do_issue_minutes(meeting, issued, actor=collab.owner)
        # The latest meeting's minutes still wait for two heads.
        confirming = participants if week < len(held) else participants[:2]
        for i, participant in enumerate(confirming):
            department = departments[participant.department.name]
            do_confirm_minutes(
                meeting, department, issued + timedelta(hours=1 + i), actor=participant.department.head
            )


def add_demo_meetings(collab: Collaboration, as_of: date) -> None:
    """Give the demo collaboration its kickoff details and its weekly meetings up to ``as_of``."""
    departments = {d.name: d for d in Department.objects.filter(participations__collaboration=collab)}
    kickoff = _kickoff(collab)
    _add_contributions(kickoff, departments)
    _add_kickoff_minutes(kickoff)
    _hold_weekly_meetings(collab, as_of, departments)
