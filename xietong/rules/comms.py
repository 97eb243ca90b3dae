"""Step 6 (执行): the communication plan (常态化沟通机制).

Rules C01-C04: the three standard scenarios are covered, each rule says who
owns it, how often it happens and what it produces, recurring meetings have a
schedule, and IM groups have a group administrator (群管理员).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Context, Finding, Severity, lazy_format, lazy_join, rule
from xietong.rules.snapshot import Channel, Collab, CommunicationRule, FrequencyKind, Scenario
from xietong.rules.subgoals import is_valid_rrule

# The guide's own words for the scenarios and channels (步骤6 示例).
SCENARIO_NAMES: Mapping[Scenario, str | Promise] = {
    Scenario.PROGRESS_SYNC: _("进度同步"),
    Scenario.DECISION: _("问题决策"),
    Scenario.RISK_WARNING: _("风险预警"),
    Scenario.OTHER: _("其他"),
}
CHANNEL_NAMES: Mapping[Channel, str | Promise] = {
    Channel.IM_GROUP: _("即时通讯群"),
    Channel.WEEKLY_MEETING: _("周例会"),
    Channel.ADHOC_MEETING: _("专项沟通会"),
    Channel.EMAIL: _("邮件"),
}
STANDARD_SCENARIOS = (Scenario.PROGRESS_SYNC, Scenario.DECISION, Scenario.RISK_WARNING)


def rule_label(index: int, comm: CommunicationRule) -> str:
    """Return "第 N 条沟通规则(scenario,channel)" for a row of the plan."""
    return lazy_format(
        _("第 %(row)s 条沟通规则(%(scenario)s,%(channel)s)"),
        row=index + 1,
        scenario=SCENARIO_NAMES[comm.scenario] if comm.scenario else _("未填场景"),
        channel=CHANNEL_NAMES[comm.channel] if comm.channel else _("未填方式"),
    )


@rule("C01", Severity.WARNING, _("没有沟通机制"))
def no_communication_plan(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag a collaboration whose communication plan has no rule at all.

    C02 still reports each uncovered standard scenario: rules do not silence
    one another, so the score keeps falling as more is missing.
    """
    if not collab.communication:
        yield no_communication_plan.finding(
            "communication",
            _("没有约定沟通机制:请明确进度同步、问题决策、风险预警的沟通方式、频率、输出物和责任人"),
        )


@rule("C02", Severity.WARNING, _("标准沟通场景未覆盖"))
def scenario_not_covered(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each standard scenario (进度同步, 问题决策, 风险预警) that no rule covers.

    One finding per missing scenario, in that order. A rule covers its
    scenario even when it is incomplete (that is C03).
    """
    covered = {comm.scenario for comm in collab.communication}
    for scenario in STANDARD_SCENARIOS:
        if scenario not in covered:
            yield scenario_not_covered.finding(
                "communication",
                _("沟通机制没有覆盖“%(scenario)s”场景:请约定其沟通方式、频率、输出物和责任人"),
                scenario=SCENARIO_NAMES[scenario],
            )


@rule("C03", Severity.WARNING, _("沟通规则不完整"))
def incomplete_rule(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each communication rule that lacks owner, frequency or outputs, or a usable schedule.

    At most two findings per rule: one naming the missing fields (责任人,
    频率, 输出物), one for the schedule — a weekly meeting (周例会) whose
    frequency is "realtime" or "on_demand" instead of an RRULE, or an RRULE
    frequency that cannot be parsed. A weekly meeting with no frequency at
    all is reported once, as a missing frequency.
    """
    for i, comm in enumerate(collab.communication):
        path = f"communication[{i}]"
        missing = [
            label
            for label, absent in (
                (_("责任人"), not comm.owner),
                (_("频率"), comm.frequency is None),
                (_("输出物"), not comm.outputs),
            )
            if absent
        ]
        if missing:
            yield incomplete_rule.finding(
                path,
                _("%(rule)s缺少%(missing)s:请写明责任人、沟通频率和输出物"),
                rule=rule_label(i, comm),
                missing=lazy_join(missing),
            )
        if comm.frequency == FrequencyKind.RRULE:
            if not is_valid_rrule(comm.rrule):
                yield incomplete_rule.finding(
                    path,
                    _(
                        "%(rule)s的频率规则「%(rrule)s」无法解析:请使用 RFC 5545 RRULE,"
                        "如 FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0"
                    ),
                    rule=rule_label(i, comm),
                    rrule=comm.rrule,
                )
        elif comm.channel == Channel.WEEKLY_MEETING and comm.frequency is not None:
            yield incomplete_rule.finding(
                path,
                _(
                    "%(rule)s的频率不是固定日程:周例会须用 RRULE 写明开会时间,"
                    "如每周一10:00(FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0)"
                ),
                rule=rule_label(i, comm),
            )


@rule("C04", Severity.WARNING, _("即时通讯群没有群管理员"))
def im_group_without_admin(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each IM group rule with no group administrator (群管理员).

    The guide: 即时群需指定“群管理员”,及时回应问题并同步重要信息.
    """
    for i, comm in enumerate(collab.communication):
        if comm.channel == Channel.IM_GROUP and not comm.admin:
            yield im_group_without_admin.finding(
                f"communication[{i}]",
                _("%(rule)s没有指定群管理员:即时通讯群须指定群管理员,及时回应问题并同步重要信息"),
                rule=rule_label(i, comm),
            )
