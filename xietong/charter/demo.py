"""The demo: the guide's own example, "客户投诉快速响应", with weeks of data.

The timeline is laid out from the kickoff day (a Monday): by default five
weeks before today, so a newcomer sees a collaboration in mid-execution;
``--kickoff 2024-07-08`` reproduces the guide's own dates (goal deadline
2024-09-30, "2024年Q3末"). Task statuses and metric readings are what they
would be on ``as_of`` (today, or the deadline if that has passed).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.actions import do_record_reading
from xietong.collabs.models import Collaboration, Metric, Phase, SubGoal, Task, TaskStatus
from xietong.meetings.demo import add_demo_meetings
from xietong.notify.demo import add_demo_mailboxes
from xietong.orgs.actions import OrgRow, do_import_org
from xietong.tracking.demo import add_demo_progress
from xietong.tracking.demo_registers import add_demo_registers

DEMO_SLUG = "demo"


def default_kickoff(today: date) -> date:
    """Return the Monday five weeks before ``today``."""
    return today - timedelta(days=today.weekday()) - timedelta(weeks=5)


def _quarter_end(day: date) -> date:
    last_month = (day.month - 1) // 3 * 3 + 3
    first_of_next = date(day.year + (last_month == 12), last_month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


# (description, department, standard, days after kickoff (-1: the goal's deadline), collaborators)
# fmt: off
_TASKS: list[tuple[str, str, str, int, list[str]]] = [
    ("梳理投诉受理与分类流程", "售后部", "流程图与分类标准文档,经产品部、技术部评审通过", 7, ["产品部", "技术部"]),
    ("建立投诉工单系统自动分派规则", "技术部", "工单按类别自动分派,准确率≥95%,上线运行", 14, ["售后部"]),
    ("制定法律风险投诉识别清单", "法务部", "覆盖赔偿、隐私、监管三类风险的识别清单与处理口径", 10, ["售后部"]),
    ("分析近半年投诉中的产品缺陷", "产品部", "TOP10 缺陷清单,含影响用户数与根因", 14, ["技术部", "售后部"]),
    ("上线投诉处理时效看板", "技术部", "看板展示24小时闭环率与平均处理时长,数据每日更新", 21, ["售后部"]),
    ("修复 TOP3 高频产品缺陷", "技术部", "三个缺陷修复上线,回归测试通过,相关投诉下降50%", 42, ["产品部"]),
    ("制定客户回访话术与满意度调查方案", "售后部", "话术脚本与问卷,经法务部审核", 21, ["法务部"]),
    ("输出产品优化方案(第一版)", "产品部", "方案含需求、排期与预期效果,经各部门评审", 28, ["技术部"]),
    ("售后团队时效培训", "售后部", "全员完成培训并通过考核,合格率100%", 35, []),
    ("季度复盘与验收材料准备", "售后部", "最终指标数据、各部门记分卡与复盘报告初稿", -1, ["产品部", "技术部", "法务部"]),
]
# fmt: on


def demo_charter(kickoff: date, as_of: date) -> dict[str, Any]:
    """Return the demo charter with statuses as they stand on ``as_of``."""
    tz = ZoneInfo(settings.TIME_ZONE)

    def at(day: date, hour: int, minute: int = 0) -> str:
        return datetime.combine(day, time(hour, minute), tzinfo=tz).isoformat()

    deadline = _quarter_end(kickoff + timedelta(weeks=10))
    quarter = (deadline.month - 1) // 3 + 1
    tasks = []
    for i, (description, department, standard, days, collaborators) in enumerate(_TASKS):
        due = deadline if days < 0 else kickoff + timedelta(days=days)
        status, reason = "not_started", None
        if due <= as_of - timedelta(days=2):
            status = "done"
        elif due <= as_of + timedelta(days=21):
            status = "in_progress"
        if i == 5 and as_of < due:  # the defect fixes wait on a product decision
            status, reason = "blocked", "等待产品部确认缺陷修复优先级"
        if i == 1 and as_of > due:  # one row left overdue, as in real life
            status = "in_progress"
        tasks.append(
            {
                "description": description,
                "department": department,
                "standard": standard,
                "deadline": due.isoformat(),
                "collaborators": collaborators,
                "status": status,
                "blocked_reason": reason,
            }
        )
    return {
        "title": "客户投诉快速响应",
        "type": "problem_solving",
        "background": "为提升客户满意度,解决售后响应慢问题。上季度投诉平均处理时长约48小时,"
        "24小时内闭环率仅45%,客户满意度3.8分。",
        "expected_outcome": "投诉处理时长缩短至24小时,客户满意度提升,形成跨部门投诉快速响应机制。",
        "initiator": {"department": "售后部", "owner": "王经理"},
        "goal": {
            "statement": f"本次“客户投诉快速响应”跨部门协作,目标为:{deadline.year}年Q{quarter}末,"
            "实现80%的投诉在24小时内闭环,客户满意度评分提升至4.5分(满分5分)。",
            "deadline": deadline.isoformat(),
            "metrics": [
                {
                    "name": "24小时内闭环率",
                    "unit": "%",
                    "baseline": 45,
                    "target": 80,
                    "direction": "increase",
                },
                {
                    "name": "客户满意度评分",
                    "unit": "分",
                    "baseline": 3.8,
                    "target": 4.5,
                    "direction": "increase",
                    "scale_max": 5,
                },
                {
                    "name": "平均处理时长",
                    "unit": "小时",
                    "baseline": 48,
                    "target": 24,
                    "direction": "decrease",
                },
            ],
        },
        "departments": [
            {
                "name": "售后部",
                "liaison": "张经理",
                "head": "王经理",
                "duties": "投诉接收、初步分类、客户反馈",
                "role": "lead",
            },
            {
                "name": "产品部",
                "liaison": "刘主管",
                "head": "孙总监",
                "duties": "分析产品缺陷、优化方案制定",
                "role": "support",
            },
            {
                "name": "技术部",
                "liaison": "李工",
                "head": "赵总监",
                "duties": "技术问题排查、系统支持",
                "role": "support",
            },
            {
                "name": "法务部",
                "liaison": "陈专员",
                "head": "周总监",
                "duties": "法律风险审核、合规建议",
                "role": "support",
            },
        ],
        "kickoff": {
            "scheduled_at": at(kickoff, 10),
            "agenda_sent_at": at(kickoff - timedelta(days=4), 17),
            "minutes_issued_at": at(kickoff, 16, 30),
            "confirmations": {
                "售后部": at(kickoff, 17),
                "产品部": at(kickoff + timedelta(days=1), 9, 30),
                "技术部": at(kickoff + timedelta(days=1), 10),
                "法务部": at(kickoff + timedelta(days=1), 11, 15),
            },
        },
        "tasks": tasks,
        "subgoals": [
            {
                "description": "售后部每日10点前完成投诉分类",
                "department": "售后部",
                "metric": "24小时内闭环率",
                "target": 100,
                "unit": "%",
                "deadline": {"kind": "recurring", "rrule": "FREQ=DAILY;BYHOUR=10;BYMINUTE=0"},
            },
            {
                "description": "技术部24小时内输出技术问题结论",
                "department": "技术部",
                "metric": "平均处理时长",
                "target": 24,
                "unit": "小时",
                "deadline": {"kind": "sla", "hours": 24, "trigger": "接到售后需求"},
            },
            {
                "description": "产品部每周五前提交优化方案",
                "department": "产品部",
                "metric": "客户满意度评分",
                "target": 1,
                "unit": "份/周",
                "deadline": {"kind": "recurring", "rrule": "FREQ=WEEKLY;BYDAY=FR"},
            },
            {
                "description": "法务部48小时内完成高风险投诉的合规审核",
                "department": "法务部",
                "metric": "24小时内闭环率",
                "target": 100,
                "unit": "%",
                "deadline": {"kind": "sla", "hours": 48, "trigger": "接到售后部高风险投诉转交"},
            },
        ],
        "communication": [
            {
                "scenario": "progress_sync",
                "channel": "im_group",
                "frequency": "realtime",
                "outputs": ["群内消息", "文件共享"],
                "owner": "售后部张经理",
                "admin": "张经理",
            },
            {
                "scenario": "decision",
                "channel": "weekly_meeting",
                "frequency": {"rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0"},
                "outputs": ["周进度清单", "问题跟踪表"],
                "owner": "发起部门负责人",
                "admin": None,
            },
            {
                "scenario": "risk_warning",
                "channel": "adhoc_meeting",
                "frequency": "on_demand",
                "outputs": ["风险应对方案"],
                "owner": "风险部门负责人",
                "admin": None,
            },
        ],
    }


def charter_people(charter: dict[str, Any]) -> list[OrgRow]:
    """Return the people a charter document names, each in their department (login = name).

    A charter import never creates accounts (names that match nobody wait as
    待邀请), so trusted loaders such as the demo bring the people in first,
    as the organisation import does: without a usable password until an
    administrator sets one or invites them.
    """
    initiator = charter.get("initiator") or {}
    named = [(initiator.get("owner") or "", initiator.get("department") or "")]
    for dept in charter.get("departments") or []:
        liaisons = dept.get("liaison") or []
        for name in [liaisons] if isinstance(liaisons, str) else liaisons:
            named.append((name, dept.get("name") or ""))
        named.append((dept.get("head") or "", dept.get("name") or ""))
    people = dict.fromkeys((name, department) for name, department in named if name)
    return [
        OrgRow(row=i, login=name, name=name, department=department)
        for i, (name, department) in enumerate(people)
    ]


# Weekly readings move from the baseline toward the target, a little short of
# a straight line, as real metrics do.
_PROGRESS_SHARE = Decimal("0.85")


@transaction.atomic
def load_demo(
    kickoff: date | None = None, *, today: date | None = None, replace: bool = False, slug: str = DEMO_SLUG
) -> Collaboration:
    """Load the demo collaboration and its weekly metric readings; return it."""
    today = today or timezone.localdate()
    kickoff = kickoff or default_kickoff(today)
    charter = demo_charter(kickoff, as_of=today)
    deadline = date.fromisoformat(charter["goal"]["deadline"])
    as_of = min(today, deadline)
    do_import_org(charter_people(charter))
    # Trusted code: the demo's departments come with their heads.
    stored = do_import_charter(parse_charter(charter), slug=slug, replace=replace, org_authority=True)
    stored.phase = Phase.MONITORING if as_of < deadline else Phase.CLOSING
    stored.save(update_fields=["phase"])
    tz = ZoneInfo(settings.TIME_ZONE)
    blocked_day = datetime.combine(as_of - timedelta(days=1), time(9), tzinfo=tz)
    Task.objects.filter(collaboration=stored, status=TaskStatus.BLOCKED).update(blocked_since=blocked_day)
    # The rows were agreed at the kickoff, not today: the weekly list must not call them new this week.
    Task.objects.filter(collaboration=stored).update(
        created_at=datetime.combine(kickoff, time(16), tzinfo=tz)
    )
    # … and so were the sub-goals: their recurring duties are owed from then.
    SubGoal.objects.filter(collaboration=stored).update(
        created_at=datetime.combine(kickoff, time(16), tzinfo=tz)
    )
    add_demo_mailboxes()
    add_demo_meetings(stored, as_of)
    add_demo_progress(stored, kickoff, as_of)
    add_demo_registers(stored, kickoff, as_of)

    span = max((deadline - kickoff).days, 1)
    for metric in Metric.objects.filter(goal__collaboration=stored):
        assert metric.baseline is not None and metric.target is not None
        day = kickoff
        while day <= as_of:
            share = Decimal((day - kickoff).days) / Decimal(span) * _PROGRESS_SHARE
            value = metric.baseline + (metric.target - metric.baseline) * share
            do_record_reading(metric, day, value.quantize(Decimal("0.1")), note="周例会通报")
            day += timedelta(weeks=1)
    return stored
