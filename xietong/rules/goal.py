"""Step 1 (启动): the core goal must be Specific, Measurable and Time-bound.

Rules G01-G06. Achievable and Relevant are confirmed by a person with a
written reason; no rule guesses them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Context, Finding, Severity, lazy_format, rule
from xietong.rules.snapshot import Collab, Direction, Goal, Metric
from xietong.rules.statement import deadline_passed, is_vague


def has_numeric_target(goal: Goal | None) -> bool:
    """Return True when the goal has at least one metric with a numeric target."""
    return goal is not None and any(m.target is not None for m in goal.metrics)


def metric_label(index: int, metric: Metric) -> str:
    """Return the metric's name, or its position when it has none."""
    return metric.name or lazy_format(_("第 %(row)s 个指标"), row=index + 1)


def number(value: Decimal) -> str:
    """Return a Decimal as people write it: 80, not 80.0 or 8E+1."""
    return f"{value.normalize():f}"


@rule("G01", Severity.ERROR, _("核心目标缺失或表述模糊"))
def goal_missing_or_vague(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag a missing goal, or an empty or vague statement with no measurable metric.

    Fires when there is no goal at all, or when the statement is empty or
    vague (``statement.is_vague``: 提升效率, 尽快, 加强, 优化 …) *and* no metric has a
    numeric target. Quiet as soon as one metric has a numeric target: the
    metric makes the goal measurable even when the sentence is loose.
    """
    goal = collab.goal
    if goal is None:
        yield goal_missing_or_vague.finding(
            "goal", _("没有核心目标:请书面写明要达成的结果、衡量指标和截止日期(SMART 原则)")
        )
        return
    if has_numeric_target(goal):
        return
    if not goal.statement:
        yield goal_missing_or_vague.finding(
            "goal", _("核心目标为空,也没有带数值目标的指标:请写明要达成什么、达到多少、何时完成")
        )
    elif is_vague(goal.statement):
        yield goal_missing_or_vague.finding(
            "goal",
            _(
                "核心目标「%(statement)s」表述模糊,且没有带数值目标的指标:"
                "请改为可衡量的表述,如“将投诉平均处理时长从48小时缩短至24小时”"
            ),
            statement=goal.statement,
        )


@rule("G02", Severity.ERROR, _("没有带数值目标的指标"))
def no_numeric_target(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag a goal (or a missing goal) with no metric that has a numeric target.

    Without a number nobody can say at the end whether the goal was reached.
    Quiet when at least one metric has a target.
    """
    if not has_numeric_target(collab.goal):
        yield no_numeric_target.finding(
            "goal", _("核心目标没有带数值目标的指标,无法衡量是否达成:请至少设定一个指标及其目标值")
        )


@rule("G03", Severity.WARNING, _("指标缺少基线值"))
def metric_without_baseline(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each metric without a baseline: the change cannot be measured without a starting point."""
    if collab.goal is None:
        return
    for i, metric in enumerate(collab.goal.metrics):
        if metric.baseline is None:
            yield metric_without_baseline.finding(
                f"goal.metrics[{i}]",
                _("指标「%(name)s」没有基线值,无法衡量变化:请填写当前水平"),
                name=metric_label(i, metric),
            )


@rule("G04", Severity.ERROR, _("核心目标没有截止日期"))
def goal_without_deadline(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag a goal (or a missing goal) without a deadline: it is not time-bound."""
    if collab.goal is None or collab.goal.deadline is None:
        yield goal_without_deadline.finding(
            "goal", _("核心目标没有截止日期,不满足“时间限制”:请写明完成日期,如 2024-09-30")
        )


@rule("G05", Severity.ERROR, _("指标的目标值不是改进"))
def target_not_an_improvement(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each metric whose target does not improve on its baseline in its direction.

    increase needs target > baseline, decrease needs target < baseline.
    ``reach`` (hold or attain a level) and a missing direction are not
    judged: we infer nothing from a direction nobody stated. A missing
    baseline or target is G03 / G02's business, not this rule's.
    """
    if collab.goal is None:
        return
    for i, metric in enumerate(collab.goal.metrics):
        if metric.baseline is None or metric.target is None:
            continue
        if metric.direction == Direction.INCREASE and metric.target <= metric.baseline:
            message = _(
                "指标「%(name)s」要求提升,但目标值 %(target)s 不高于基线值 %(baseline)s:请检查目标值或方向"
            )
        elif metric.direction == Direction.DECREASE and metric.target >= metric.baseline:
            message = _(
                "指标「%(name)s」要求降低,但目标值 %(target)s 不低于基线值 %(baseline)s:请检查目标值或方向"
            )
        else:
            continue
        yield target_not_an_improvement.finding(
            f"goal.metrics[{i}]",
            message,
            name=metric_label(i, metric),
            target=number(metric.target),
            baseline=number(metric.baseline),
        )


@rule("G06", Severity.WARNING, _("指标没有子目标支撑"))
def metric_without_subgoal(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each goal metric that no sub-goal names in its ``metric`` field.

    部门目标支撑整体目标: a metric no department works towards will not move.
    """
    if collab.goal is None:
        return
    supported = {g.metric for g in collab.subgoals if g.metric}
    for i, metric in enumerate(collab.goal.metrics):
        if metric.name not in supported:
            yield metric_without_subgoal.finding(
                f"goal.metrics[{i}]",
                _("指标「%(name)s」没有任何子目标支撑:请把它拆解为至少一个部门子目标"),
                name=metric_label(i, metric),
            )


@rule("G07", Severity.WARNING, _("核心目标的截止日期已过"))
def goal_deadline_passed(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag an open collaboration whose goal deadline is already past.

    Either the goal was given a date that had passed when it was written (a
    year left out: 9月底 typed in November), or the work ran past it: close
    with acceptance and a retrospective, or change the deadline through a
    change request. Quiet once the collaboration is closed.
    """
    goal = collab.goal
    if goal is None or goal.deadline is None or collab.closed_at is not None:
        return
    if deadline_passed(goal.deadline, ctx.today):
        yield goal_deadline_passed.finding(
            "goal",
            _("核心目标的截止日期 %(deadline)s 已过(今天是 %(today)s):请收尾验收,或通过变更申请调整截止日期"),
            deadline=goal.deadline.isoformat(),
            today=ctx.today.isoformat(),
        )
