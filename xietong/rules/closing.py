"""Step 8 (收尾): acceptance and retrospective before a collaboration is closed.

Rule A01. The guide: 按交付标准逐项验收成果;复盘协作过程,沉淀可复用的经验.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Context, Finding, Severity, rule
from xietong.rules.snapshot import Collab
from xietong.rules.table import task_label


@rule("A01", Severity.ERROR, _("未完成验收或复盘即关闭协作"))
def closed_without_acceptance(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag a closed collaboration for each deliverable not accepted, and for a missing retrospective.

    Judges closed collaborations only; the close action asks the same
    question first and refuses, so a finding here means a collaboration
    closed elsewhere (an import, the admin) or reopened data.
    """
    if collab.closed_at is None:
        return
    for i, task in enumerate(collab.tasks):
        if task.accepted is not True:
            yield closed_without_acceptance.finding(
                f"tasks[{i}]",
                _("协作已关闭,但成果「%(task)s」%(state)s:应按交付标准逐项验收"),
                task=task_label(i, task),
                state=_("未通过验收") if task.accepted is False else _("尚未验收"),
            )
    if not collab.has_retrospective:
        yield closed_without_acceptance.finding(
            "retrospective", _("协作已关闭,但尚未复盘:请总结做得好的、存在的问题与改进措施,沉淀可复用的经验")
        )
