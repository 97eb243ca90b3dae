"""Step 2 (筹备): participating departments, each with exactly one liaison.

Rules P01-P04.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Context, Finding, Severity, lazy_format, lazy_join, rule
from xietong.rules.snapshot import Collab, Department


def department_label(index: int, department: Department) -> str:
    """Return the department's name, or its position when it has none."""
    return department.name or lazy_format(_("第 %(row)s 个部门"), row=index + 1)


@rule("P01", Severity.ERROR, _("参与部门没有对接负责人"))
def department_without_liaison(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each listed department that names no liaison (对接负责人)."""
    for i, department in enumerate(collab.departments):
        if not department.liaisons:
            yield department_without_liaison.finding(
                f"departments[{i}]",
                _("部门「%(name)s」没有对接负责人:请指定 1 名对接负责人(建议为部门主管或核心骨干)"),
                name=department_label(i, department),
            )


@rule("P02", Severity.ERROR, _("部门有多名对接负责人"))
def department_with_several_liaisons(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each department that names more than one liaison.

    A malformed charter gives ``liaison`` as a list; several people answering
    for one department is what the guide calls 多人对接导致信息混乱.
    """
    for i, department in enumerate(collab.departments):
        if len(department.liaisons) > 1:
            yield department_with_several_liaisons.finding(
                f"departments[{i}]",
                _(
                    "部门「%(name)s」有 %(count)s 名对接负责人(%(liaisons)s):"
                    "只能指定 1 名,避免多人对接导致信息混乱"
                ),
                name=department_label(i, department),
                count=len(department.liaisons),
                liaisons=lazy_join(department.liaisons),
            )


@rule("P03", Severity.ERROR, _("部门重复列出"))
def department_listed_twice(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag every repeat of a department name, pointing at the later row.

    The first row stays the department's row; names compare exactly (they
    are already trimmed). Nameless rows are not compared.
    """
    first_row: dict[str, int] = {}
    for i, department in enumerate(collab.departments):
        if not department.name:
            continue
        if department.name in first_row:
            first = first_row[department.name]
            yield department_listed_twice.finding(
                f"departments[{i}]",
                _("部门「%(name)s」重复列出(与第 %(row)s 个部门相同):请合并为一行"),
                name=department.name,
                row=first + 1,
                first=first,
            )
        else:
            first_row[department.name] = i


@rule("P04", Severity.WARNING, _("参与部门没有任务也没有子目标"))
def department_without_work(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag each participating department that owns neither a task nor a sub-goal.

    Owning means being a task's responsible department or a sub-goal's
    department. Being only a collaborator (协作方) does not count: a
    department with no deliverable of its own answers for nothing, which is
    where 推诿扯皮 starts. Repeated rows are judged once (P03 reports them).
    """
    owners = {name for task in collab.tasks for name in task.departments}
    owners.update(g.department for g in collab.subgoals if g.department)
    seen: set[str] = set()
    for i, department in enumerate(collab.departments):
        if not department.name or department.name in seen:
            continue
        seen.add(department.name)
        if department.name not in owners:
            yield department_without_work.finding(
                f"departments[{i}]",
                _(
                    "部门「%(name)s」既没有负责的任务,也没有子目标:"
                    "请在职责分工表或子目标中为它分配工作,或确认它是否需要参与"
                ),
                name=department.name,
            )
