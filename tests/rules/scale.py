"""A large, realistic collaboration snapshot built in Python, for scaling tests and benchmarks.

Eight departments with liaisons, a kickoff a week before ``NOW`` with the
minutes confirmed by all but one head, a goal with metrics, sub-goals of
every time-limit kind, a communication plan, and ``tasks`` rows with mixed
statuses, deadlines (some overdue, some missing), collaborators (some not
participants), blocked rows with and without reasons, and every
``duplicate_every``-th row repeating an earlier description in another
spelling (full-width, spaces, punctuation), so that every task rule has
something to find at any size.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from tests.helpers import TZ
from xietong.rules import snapshot as s
from xietong.rules.engine import Context

NOW = datetime(2024, 7, 15, 12, 0, tzinfo=TZ)
DEPARTMENTS = ("客服部", "技术部", "产品部", "质量部", "运营部", "财务部", "法务部", "人事部")
STATUSES = (s.TaskStatus.NOT_STARTED, s.TaskStatus.IN_PROGRESS, s.TaskStatus.DONE, s.TaskStatus.BLOCKED)


def context() -> Context:
    return Context(now=NOW, tz=TZ)


def description(i: int) -> str:
    return f"建立第{i}类投诉的分类与升级流程"


def twin(i: int) -> str:
    """Return ``description(i)`` spelt differently but the same task after normalisation."""
    return f"建立 第{i}类投诉的分类与升级流程。".replace("流程", "流程 ").upper()


def task(i: int, duplicate_every: int) -> s.Task:
    status = STATUSES[i % 4]
    owner = DEPARTMENTS[i % len(DEPARTMENTS)]
    helper = DEPARTMENTS[(i + 3) % len(DEPARTMENTS)]
    # Every duplicate_every-th row repeats the row duplicate_every // 2 earlier.
    duplicate = duplicate_every and i % duplicate_every == duplicate_every - 1
    return s.Task(
        description=twin(i - duplicate_every // 2) if duplicate else description(i),
        departments=() if i % 97 == 5 else (owner,),
        standard="" if i % 89 == 7 else "流程文件经评审发布,覆盖 95% 的投诉类型",
        deadline=None if i % 83 == 11 else date(2024, 7, 1) + timedelta(days=i % 60),
        collaborators=(helper, "外包商") if i % 71 == 3 else (helper,),
        status=status,
        blocked_reason="" if status == s.TaskStatus.BLOCKED and i % 8 == 3 else "等待技术部接口",
        blocked_since=NOW - timedelta(days=i % 20) if status == s.TaskStatus.BLOCKED else None,
        key=i,
    )


def collab(tasks: int, duplicate_every: int = 50) -> s.Collab:
    """Return a collaboration of ``tasks`` rows (see the module's docstring)."""
    kickoff_at = NOW - timedelta(days=7)
    metrics = (
        s.Metric("投诉处理时长", "小时", Decimal(48), Decimal(24), s.Direction.DECREASE),
        s.Metric("客户满意度", "%", Decimal(80), Decimal(92), s.Direction.INCREASE),
    )
    subgoals = tuple(
        s.SubGoal(
            description=f"{name}子目标",
            department=name,
            metric=metrics[i % 2].name,
            target=Decimal(10 + i),
            unit="件",
            time_limit=(
                s.TimeLimit(s.DeadlineKind.FIXED, date=date(2024, 9, 30)),
                s.TimeLimit(s.DeadlineKind.RECURRING, rrule="FREQ=WEEKLY;BYDAY=FR"),
                s.TimeLimit(s.DeadlineKind.SLA, hours=Decimal(24), trigger="接到投诉"),
            )[i % 3],
        )
        for i, name in enumerate(DEPARTMENTS)
    )
    return s.Collab(
        title="客户投诉快速响应",
        type=s.CollabType.PROBLEM_SOLVING,
        background="投诉处理慢",
        expected_outcome="投诉 24 小时内闭环",
        initiator_department=DEPARTMENTS[0],
        initiator_owner="王经理",
        goal=s.Goal(
            statement="2024年9月30日前,将投诉平均处理时长从48小时降至24小时",
            deadline=date(2024, 9, 30),
            metrics=metrics,
        ),
        departments=tuple(
            s.Department(
                name=name,
                liaisons=(f"{name}联络人",),
                head=f"{name}负责人",
                duties="负责本部门任务",
                role="lead" if i == 0 else "support",
                last_report=NOW - timedelta(days=2 + 4 * i),
            )
            for i, name in enumerate(DEPARTMENTS)
        ),
        kickoff=s.Kickoff(
            scheduled_at=kickoff_at,
            agenda_sent_at=kickoff_at - timedelta(days=4),
            minutes_issued_at=kickoff_at + timedelta(hours=20),
            confirmations={name: kickoff_at + timedelta(days=1) for name in DEPARTMENTS[:-1]},
        ),
        tasks=tuple(task(i, duplicate_every) for i in range(tasks)),
        subgoals=subgoals,
        communication=(
            s.CommunicationRule(
                s.Scenario.PROGRESS_SYNC,
                s.Channel.WEEKLY_MEETING,
                s.FrequencyKind.RRULE,
                "FREQ=WEEKLY;BYDAY=MO",
                ("周进度清单",),
                "王经理",
            ),
            s.CommunicationRule(
                s.Scenario.DECISION,
                s.Channel.ADHOC_MEETING,
                s.FrequencyKind.ON_DEMAND,
                "",
                ("决策纪要",),
                "王经理",
            ),
            s.CommunicationRule(
                s.Scenario.RISK_WARNING,
                s.Channel.IM_GROUP,
                s.FrequencyKind.REALTIME,
                "",
                ("预警",),
                "王经理",
                "李",
            ),
        ),
        reports_known=True,
    )
