"""The eight steps of the guide and which rules belong to each."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


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
