"""Step 8 (收尾): acceptance and retrospective before a collaboration is closed.

Rule A01. The guide: 按交付标准逐项验收成果;复盘协作过程,沉淀可复用的经验.

Two wordings of one rule: ``closing_gaps`` says what is missing *before*
closing (the close action refuses with it, on a collaboration that is still
open), A01 says the same of a collaboration already closed (an import, the
admin, reopened data). A finding never calls an open collaboration closed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Context, Finding, Severity, rule
from xietong.rules.snapshot import Collab
from xietong.rules.table import task_label

# A metric's final reading (最终读数) is taken within this many days before the
# goal's deadline (or before today, when closing ahead of the deadline).
FINAL_READING_DAYS = 7


def has_final_reading(latest: date | None, deadline: date | None, today: date) -> bool:
    """Return whether a metric whose latest reading was measured on ``latest`` has its final reading."""
    if latest is None:
        return False
    end = min(deadline, today) if deadline is not None else today
    return latest >= end - timedelta(days=FINAL_READING_DAYS)


def closing_gaps(collab: Collab) -> Iterator[Finding]:
    """Yield A01's findings for closing ``collab`` now: each deliverable not accepted, a missing retrospective.

    Worded for an open collaboration; ``has_retrospective`` must be loaded
    (the database snapshot reads it for closed collaborations only, so the
    close action loads it as of the closing).
    """
    for i, task in enumerate(collab.tasks):
        if task.accepted is not True:
            yield closed_without_acceptance.finding(
                f"tasks[{i}]",
                _("成果「%(task)s」%(state)s:关闭协作前应按交付标准逐项验收(或有条件验收 / 例外并写明原因)"),
                task=task_label(i, task),
                state=_("未通过验收") if task.accepted is False else _("尚未验收"),
            )
    if not collab.has_retrospective:
        yield closed_without_acceptance.finding(
            "retrospective",
            _("尚未复盘:关闭协作前请总结做得好的、存在的问题与改进措施,沉淀可复用的经验"),
        )


@rule("A01", Severity.ERROR, _("未完成验收或复盘即关闭协作"))
def closed_without_acceptance(collab: Collab, ctx: Context) -> Iterator[Finding]:
    """Flag a closed collaboration for each deliverable not accepted, and for a missing retrospective.

    Judges closed collaborations only; the close action asks the same
    question first (``closing_gaps``) and refuses, so a finding here means a
    collaboration closed elsewhere (an import, the admin) or reopened data.
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
