"""The eight steps of the guide, which rules belong to each, and which step a collaboration is in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.rules import snapshot as s


@dataclass(frozen=True)
class Step:
    number: int
    name: str | Promise
    stage: str | Promise
    prefix: str  # rule IDs of this step start with it


STEPS = (
    Step(1, _("明确协作背景与核心目标"), _("启动"), "G"),
    Step(2, _("识别参与部门及核心人员"), _("筹备"), "P"),
    Step(3, _("召开跨部门启动会"), _("对齐"), "K"),
    Step(4, _("制定部门职责分工表"), _("细化"), "R"),
    Step(5, _("设定可量化的协作目标"), _("共识"), "S"),
    Step(6, _("建立常态化沟通机制"), _("执行"), "C"),
    Step(7, _("过程跟踪与动态调整"), _("监控"), "T"),
    Step(8, _("成果验收与复盘"), _("收尾"), "A"),
)


def step_of(rule_id: str) -> Step:
    """Return the step a rule ID belongs to (by its letter)."""
    for step in STEPS:
        if rule_id.startswith(step.prefix):
            return step
    raise KeyError(rule_id)


def has_content(collab: s.Collab) -> dict[int, bool]:
    """Return, per step number, whether the step's work is there (the step bar's "done" when no finding)."""
    return {
        1: bool(collab.goal and collab.goal.statement),
        2: bool(collab.departments),
        3: bool(collab.kickoff and collab.kickoff.scheduled_at),
        4: bool(collab.tasks),
        5: bool(collab.subgoals),
        6: bool(collab.communication),
        7: any(t.status != s.TaskStatus.NOT_STARTED for t in collab.tasks),
        8: False,
    }


def current_step(collab: s.Collab, today: date) -> Step | None:
    """Return the step ``collab`` is in on ``today``; None once it is closed.

    The first of steps 1-6 whose work is not there yet (as the step bar
    marks them); with all six there, step 7 (监控) while the table is carried
    out, and step 8 (收尾) once the goal's deadline has passed or every row
    is done. This is the phase (阶段) the pages and the API show.
    """
    if collab.closed_at is not None:
        return None
    content = has_content(collab)
    for step in STEPS[:6]:
        if not content[step.number]:
            return step
    deadline = collab.goal.deadline if collab.goal else None
    if (deadline is not None and today > deadline) or all(
        t.status == s.TaskStatus.DONE for t in collab.tasks
    ):
        return STEPS[7]
    return STEPS[6]
