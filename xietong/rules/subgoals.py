"""Step 5 (共识): quantified sub-goals that support the core goal.

Rules S01-S04: each sub-goal is quantified, owned and time-limited, and its
time limit is valid. (That every goal metric is supported is G06.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from dateutil.rrule import rrulestr
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Context, Finding, Severity, lazy_format, rule
from xietong.rules.snapshot import Collab, DeadlineKind, SubGoal, TimeLimit

# rrulestr needs a start; without one it reads the clock, and rules must not.
# Any fixed start will do: only whether the text parses is judged.
_RRULE_START = datetime(2000, 1, 1)  # noqa: DTZ001 - a naive placeholder, never compared


def is_valid_rrule(text: str) -> bool:
    """Return True when ``text`` is a non-empty RFC 5545 recurrence rule dateutil can read.

    Accepts a bare rule (``FREQ=WEEKLY;BYDAY=FR``) or ``RRULE:`` lines with an
    optional ``DTSTART``. It does not check that the rule ever occurs.
    """
    if not text.strip():
        return False
    try:
        rrulestr(text, dtstart=_RRULE_START)
    except (ValueError, TypeError, OverflowError):
        # dateutil reports a missing FREQ as TypeError and bad parts as ValueError.
        return False
    return True


def subgoal_label(index: int, subgoal: SubGoal) -> str:
    """Return the sub-goal's description, or its position when it has none."""
    return subgoal.description or lazy_format(_("第 %(row)s 个子目标"), row=index + 1)


@rule("S01", Severity.ERROR, _("子目标未量化"))
def subgoal_not_quantified(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each sub-goal with no numeric target (如“每日10点前完成”“24小时内输出结论”)."""
    for i, subgoal in enumerate(collab.subgoals):
        if subgoal.target is None:
            yield subgoal_not_quantified.finding(
                f"subgoals[{i}]",
                _("子目标「%(name)s」没有数值目标,无法衡量:请填写目标值和单位"),
                name=subgoal_label(i, subgoal),
            )


@rule("S02", Severity.ERROR, _("子目标没有责任部门"))
def subgoal_without_department(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each sub-goal with no responsible department."""
    for i, subgoal in enumerate(collab.subgoals):
        if not subgoal.department:
            yield subgoal_without_department.finding(
                f"subgoals[{i}]",
                _("子目标「%(name)s」没有责任部门:请指定负责达成它的部门"),
                name=subgoal_label(i, subgoal),
            )


@rule("S03", Severity.ERROR, _("子目标没有完成时限"))
def subgoal_without_time_limit(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each sub-goal with no time limit (fixed date, recurring or SLA)."""
    for i, subgoal in enumerate(collab.subgoals):
        if subgoal.time_limit is None:
            yield subgoal_without_time_limit.finding(
                f"subgoals[{i}]",
                _(
                    "子目标「%(name)s」没有完成时限:请选择固定日期、周期(如每周五前)"
                    "或响应时限(如接到需求后24小时内)"
                ),
                name=subgoal_label(i, subgoal),
            )


def _time_limit_problem(limit: TimeLimit, collab: Collab) -> tuple[str | Promise, dict[str, str]] | None:
    """Return (message, params) describing what is wrong with ``limit``, or None."""
    if limit.kind == DeadlineKind.RECURRING:
        if not limit.rrule:
            return _("子目标「%(name)s」是周期性时限,但没有填写重复规则(RRULE)"), {}
        if not is_valid_rrule(limit.rrule):
            return (
                _(
                    "子目标「%(name)s」的重复规则「%(rrule)s」无法解析:"
                    "请使用 RFC 5545 RRULE,如 FREQ=WEEKLY;BYDAY=FR"
                ),
                {"rrule": limit.rrule},
            )
    elif limit.kind == DeadlineKind.SLA:
        if limit.hours is None or limit.hours <= 0:
            return _("子目标「%(name)s」的响应时限应为大于 0 的小时数"), {}
    elif limit.kind == DeadlineKind.FIXED:
        if limit.date is None:
            return _("子目标「%(name)s」是固定日期时限,但没有填写日期"), {}
        goal_deadline = collab.goal.deadline if collab.goal else None
        if goal_deadline is not None and limit.date > goal_deadline:
            return (
                _("子目标「%(name)s」的完成日期 %(date)s 晚于核心目标截止日期 %(deadline)s,无法支撑整体目标"),
                {"date": limit.date.isoformat(), "deadline": goal_deadline.isoformat()},
            )
    return None


@rule("S04", Severity.ERROR, _("子目标的完成时限无效"))
def invalid_time_limit(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each sub-goal whose time limit cannot be kept or measured.

    recurring: an empty RRULE or one ``dateutil.rrule.rrulestr`` cannot read;
    sla: hours missing or ≤ 0; fixed: no date, or a date after the goal's
    deadline (a sub-goal finishing after the goal cannot support it; not
    judged when the goal has no deadline, which is G04). A missing time
    limit is S03.
    """
    for i, subgoal in enumerate(collab.subgoals):
        if subgoal.time_limit is None:
            continue
        problem = _time_limit_problem(subgoal.time_limit, collab)
        if problem is not None:
            message, params = problem
            yield invalid_time_limit.finding(
                f"subgoals[{i}]", message, name=subgoal_label(i, subgoal), **params
            )
