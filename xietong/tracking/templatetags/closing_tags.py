"""Template helpers of the workspace header: a problem-solving collaboration's time limit."""

from __future__ import annotations

from typing import Any

from django import template

from xietong.collabs.workspace import Workspace
from xietong.orgs.roles import Action

register = template.Library()


@register.simple_tag
def resolution_left(ws: Workspace) -> dict[str, Any] | None:
    """Return ``{"days": n, "overdue": bool}`` for the resolution deadline as of the page's today."""
    deadline = ws.collab.resolution_deadline
    if deadline is None:
        return None
    days = (deadline - ws.ctx.today).days
    return {"days": abs(days), "overdue": days < 0, "today": days == 0}


@register.simple_tag
def may_edit_collaboration(ws: Workspace) -> bool:
    return ws.can(Action.EDIT_COLLABORATION)
