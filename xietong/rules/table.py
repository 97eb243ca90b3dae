"""Step 4 (细化): the responsibility table (部门职责分工表).

Rules R01-R08: 事事有人管、件件有标准 — every task has exactly one
responsible department, a delivery standard and a deadline within the
goal's; owners and collaborators take part in the collaboration; no task is
listed twice.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Context, Finding, Severity, lazy_format, lazy_join, rule
from xietong.rules.snapshot import Collab, Task


def task_label(index: int, task: Task) -> str:
    """Return the task's description, or its row when it has none."""
    return task.description or lazy_format(_("第 %(row)s 条任务"), row=index + 1)


def normalise_description(text: str) -> str:
    """Return ``text`` reduced to what makes two descriptions the same task.

    NFKC folds full-width forms (Ａ, ，) into ordinary ones, then case,
    whitespace and punctuation are dropped: "建立 投诉分类流程。" and
    "建立投诉分类流程" are one task.
    """
    return unicodedata.normalize("NFKC", text).casefold().translate(_DROPPED)


class _Dropped(dict[int, int | None]):
    """``str.translate`` table deleting whitespace and punctuation, filled in as characters are met.

    Each character is classified once, then looked up in C: R07 normalises
    every description of the table, and a per-character Python test was
    most of its cost.
    """

    def __missing__(self, code: int) -> int | None:
        char = chr(code)
        kept = None if char.isspace() or unicodedata.category(char).startswith("P") else code
        self[code] = kept
        return kept


_DROPPED = _Dropped()


@rule("R01", Severity.ERROR, _("任务没有责任部门"))
def task_without_owner(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each task with no responsible department (责任真空)."""
    for i, task in enumerate(collab.tasks):
        if not task.departments:
            yield task_without_owner.finding(
                f"tasks[{i}]",
                _("任务「%(task)s」没有责任部门(责任真空):请指定 1 个责任部门"),
                task=task_label(i, task),
            )


@rule("R02", Severity.ERROR, _("任务有多个责任部门"))
def task_with_several_owners(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each task with more than one responsible department (职责模糊).

    A malformed charter gives ``department`` as a list; the others belong in
    the collaborators column.
    """
    for i, task in enumerate(collab.tasks):
        if len(task.departments) > 1:
            yield task_with_several_owners.finding(
                f"tasks[{i}]",
                _(
                    "任务「%(task)s」有多个责任部门(%(departments)s),职责模糊:"
                    "请只保留 1 个责任部门,其余列为协作方"
                ),
                task=task_label(i, task),
                departments=lazy_join(task.departments),
            )


@rule("R03", Severity.ERROR, _("任务没有交付标准"))
def task_without_standard(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each task without a delivery standard (交付标准): nobody could accept it."""
    for i, task in enumerate(collab.tasks):
        if not task.standard:
            yield task_without_standard.finding(
                f"tasks[{i}]",
                _("任务「%(task)s」没有交付标准:请写明交付什么、达到什么标准才算完成"),
                task=task_label(i, task),
            )


@rule("R04", Severity.ERROR, _("任务没有时间节点"))
def task_without_deadline(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each task without a deadline (时间节点): it can never be overdue, so never chased."""
    for i, task in enumerate(collab.tasks):
        if task.deadline is None:
            yield task_without_deadline.finding(
                f"tasks[{i}]",
                _("任务「%(task)s」没有时间节点:请填写完成日期"),
                task=task_label(i, task),
            )


@rule("R05", Severity.ERROR, _("责任部门不是参与部门"))
def owner_not_participant(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each task whose responsible department is not a participating department.

    A department outside the list has no liaison and was not at the kickoff,
    so nobody there has agreed to the task. One finding per task, naming
    every such department.
    """
    participants = collab.department_names
    for i, task in enumerate(collab.tasks):
        outsiders = [name for name in dict.fromkeys(task.departments) if name not in participants]
        if outsiders:
            yield owner_not_participant.finding(
                f"tasks[{i}]",
                _(
                    "任务「%(task)s」的责任部门「%(departments)s」不是参与部门:"
                    "请将其列为参与部门并指定对接负责人,或改由参与部门负责"
                ),
                task=task_label(i, task),
                departments=lazy_join(outsiders),
            )


@rule("R06", Severity.WARNING, _("协作方不是参与部门"))
def collaborator_not_participant(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each task with a collaborating department that is not a participant.

    One finding per task, naming every such department.
    """
    participants = collab.department_names
    for i, task in enumerate(collab.tasks):
        outsiders = [name for name in dict.fromkeys(task.collaborators) if name not in participants]
        if outsiders:
            yield collaborator_not_participant.finding(
                f"tasks[{i}]",
                _(
                    "任务「%(task)s」的协作方「%(departments)s」不是参与部门:"
                    "请将其列为参与部门,或从协作方中移除"
                ),
                task=task_label(i, task),
                departments=lazy_join(outsiders),
            )


@rule("R07", Severity.WARNING, _("任务重复"))
def duplicate_task(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag a task whose description repeats an earlier one (重复劳动).

    Descriptions compare after ``normalise_description`` (whitespace,
    punctuation, case and full-width forms ignored). The later row is
    reported and the message names the earlier one (1-based row for people;
    ``first`` in the params is the 0-based index of ``tasks[first]``).
    Tasks without a description are not compared.
    """
    first_row: dict[str, int] = {}
    for i, task in enumerate(collab.tasks):
        key = normalise_description(task.description)
        if not key:
            continue
        if key in first_row:
            first = first_row[key]
            yield duplicate_task.finding(
                f"tasks[{i}]",
                _(
                    "任务「%(task)s」与第 %(row)s 条任务「%(other)s」重复(重复劳动):"
                    "请合并为一条并明确责任部门"
                ),
                task=task.description,
                row=first + 1,
                first=first,
                other=collab.tasks[first].description,
            )
        else:
            first_row[key] = i


@rule("R08", Severity.WARNING, _("任务时间节点晚于核心目标截止日期"))
def task_after_goal_deadline(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each task whose deadline is after the goal's deadline (as S04 does for sub-goals).

    A task finishing after the goal cannot support it. The goal's deadline
    day itself is still in time; not judged without a goal deadline (G04) or
    a task deadline (R04).
    """
    goal_deadline = collab.goal.deadline if collab.goal else None
    if goal_deadline is None:
        return
    for i, task in enumerate(collab.tasks):
        if task.deadline is not None and task.deadline > goal_deadline:
            yield task_after_goal_deadline.finding(
                f"tasks[{i}]",
                _(
                    "任务「%(task)s」的时间节点 %(deadline)s 晚于核心目标截止日期 %(goal_deadline)s,"
                    "无法支撑整体目标:请提前时间节点,或经变更申请调整目标截止日期"
                ),
                task=task_label(i, task),
                deadline=task.deadline.isoformat(),
                goal_deadline=goal_deadline.isoformat(),
            )
