"""Templates for the guide's four kinds of collaboration.

Each prefills the departments a collaboration of its kind usually needs, the
kickoff agenda (the guide's five items, plus what the kind must settle) and
the communication plan of the guide's step 6. The initiator keeps, removes
or renames any of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.collabs.models import CollabType
from xietong.rules import snapshot as s

# The guide's kickoff agenda: ①…⑤.
KICKOFF_AGENDA: tuple[str | Promise, ...] = (
    _("协作背景与目标宣讲"),
    _("部门职责初步讨论"),
    _("时间节点与资源需求确认"),
    _("沟通机制约定"),
    _("形成会议纪要并邮件同步"),
)


@dataclass(frozen=True)
class CommunicationPreset:
    scenario: s.Scenario
    channel: s.Channel
    frequency: s.FrequencyKind
    rrule: str
    outputs: tuple[str | Promise, ...]
    owner: str | Promise


# The guide's step 6 example: IM group for progress, weekly meeting for
# decisions (every Monday 10:00), ad-hoc meeting for risks.
COMMUNICATION: tuple[CommunicationPreset, ...] = (
    CommunicationPreset(
        s.Scenario.PROGRESS_SYNC,
        s.Channel.IM_GROUP,
        s.FrequencyKind.REALTIME,
        "",
        (_("群内消息"), _("文件共享")),
        _("发起部门对接负责人"),
    ),
    CommunicationPreset(
        s.Scenario.DECISION,
        s.Channel.WEEKLY_MEETING,
        s.FrequencyKind.RRULE,
        "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0",
        (_("周进度清单"), _("问题跟踪表")),
        _("发起部门负责人"),
    ),
    CommunicationPreset(
        s.Scenario.RISK_WARNING,
        s.Channel.ADHOC_MEETING,
        s.FrequencyKind.ON_DEMAND,
        "",
        (_("风险应对方案"),),
        _("风险部门负责人"),
    ),
)


@dataclass(frozen=True)
class Preset:
    type: CollabType
    summary: str | Promise  # what the kind must make clear, in the guide's words
    departments: tuple[tuple[str | Promise, str | Promise], ...]  # (name, duties)
    agenda_extra: tuple[str | Promise, ...]


PRESETS: dict[str, Preset] = {
    p.type: p
    for p in (
        Preset(
            CollabType.PROJECT,
            _("如新产品研发、市场活动推广:明确谁负责什么、何时完成、交付什么"),
            (
                (_("研发部"), _("方案设计与开发交付")),
                (_("市场部"), _("市场推广与活动策划")),
                (_("销售部"), _("客户反馈与销售目标")),
                (_("运营部"), _("上线运营与数据跟踪")),
            ),
            (_("里程碑与交付物确认"),),
        ),
        Preset(
            CollabType.PROBLEM_SOLVING,
            _("如客户重大投诉、流程故障:明确谁牵头、谁配合、解决时限"),
            (
                (_("售后部"), _("投诉接收、初步分类、客户反馈")),
                (_("产品部"), _("分析产品缺陷、优化方案制定")),
                (_("技术部"), _("技术问题排查、系统支持")),
                (_("法务部"), _("法律风险审核、合规建议")),
            ),
            (_("牵头部门与解决时限确认"),),
        ),
        Preset(
            CollabType.RESOURCE_COORDINATION,
            _("如预算分配、人才借用、场地共享:明确资源分配规则、使用责任、归还节点"),
            (
                (_("财务部"), _("预算核定与资金拨付")),
                (_("人力资源部"), _("人员借调与考核安排")),
                (_("行政部"), _("场地与设备协调")),
            ),
            (_("资源分配规则、使用责任与归还节点确认"),),
        ),
        Preset(
            CollabType.PROCESS_OPTIMIZATION,
            _("如审批简化、数据打通:明确流程责任部门、优化目标、落地时间表"),
            (
                (_("流程责任部门"), _("现有流程梳理与优化方案")),
                (_("信息技术部"), _("系统改造与数据打通")),
                (_("综合管理部"), _("制度发布与执行监督")),
            ),
            (_("流程责任部门、优化目标与落地时间表确认"),),
        ),
    )
}
