"""Roles and what each may do: the one permission table of the product.

Pure data and functions; ``xietong.collabs.access`` works out which roles a
person holds in a collaboration and applies this table. Pages, API
endpoints and commands all ask through it, so a rule changes in one place.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    ADMIN = "admin"  # administrator of the installation
    INITIATOR = "initiator"  # the initiating department's head who runs the collaboration
    HEAD = "head"  # head of a participating department
    LIAISON = "liaison"  # a department's 对接负责人
    MEMBER = "member"
    VIEWER = "viewer"


ROLE_LABELS = {
    Role.ADMIN: _("管理员"),
    Role.INITIATOR: _("发起部门负责人"),
    Role.HEAD: _("部门负责人"),
    Role.LIAISON: _("对接负责人"),
    Role.MEMBER: _("成员"),
    Role.VIEWER: _("查看者"),
}


class Action(StrEnum):
    VIEW = "view"
    EDIT_COLLABORATION = "edit_collaboration"  # background, goal, departments, plan
    EDIT_DEPARTMENT_ROWS = "edit_department_rows"  # tasks and sub-goals of one department
    CONFIRM_MINUTES = "confirm_minutes"
    PROXY_CONFIRM_MINUTES = "proxy_confirm_minutes"  # 代确认: record a head's confirmation for them
    APPROVE_CHANGE = "approve_change"
    CLOSE = "close"
    VIEW_AUDIT = "view_audit"  # the change history of a collaboration
    REOPEN = "reopen"  # a closed collaboration, which is otherwise read-only
    VIEW_DELIVERIES = "view_deliveries"  # the group robots (never their secrets) and failed deliveries
    MANAGE_ROBOTS = "manage_robots"  # add, change, remove group robots; resend failed deliveries
    COMMENT = "comment"  # write comments on rows (and edit or delete one's own)
    MODERATE_COMMENTS = "moderate_comments"  # delete anyone's comment


# Roles that may do an action anywhere in the collaboration.
ANYWHERE: dict[Action, frozenset[Role]] = {
    Action.VIEW: frozenset(Role),
    Action.EDIT_COLLABORATION: frozenset({Role.ADMIN, Role.INITIATOR}),
    Action.EDIT_DEPARTMENT_ROWS: frozenset({Role.ADMIN, Role.INITIATOR}),
    Action.CONFIRM_MINUTES: frozenset(),
    Action.PROXY_CONFIRM_MINUTES: frozenset({Role.ADMIN, Role.INITIATOR}),
    Action.APPROVE_CHANGE: frozenset({Role.INITIATOR}),
    Action.CLOSE: frozenset({Role.ADMIN, Role.INITIATOR}),
    Action.VIEW_AUDIT: frozenset({Role.ADMIN, Role.INITIATOR}),
    Action.REOPEN: frozenset({Role.ADMIN, Role.INITIATOR}),
    Action.VIEW_DELIVERIES: frozenset({Role.ADMIN, Role.INITIATOR}),
    Action.MANAGE_ROBOTS: frozenset({Role.ADMIN, Role.INITIATOR}),
    # Everyone with a part in the work; viewers read the threads only.
    Action.COMMENT: frozenset({Role.ADMIN, Role.INITIATOR, Role.HEAD, Role.LIAISON, Role.MEMBER}),
    Action.MODERATE_COMMENTS: frozenset({Role.ADMIN, Role.INITIATOR}),
}

# What may still be done in a closed collaboration: it is read-only (step 8).
ALLOWED_WHEN_CLOSED = frozenset({Action.VIEW, Action.VIEW_AUDIT, Action.VIEW_DELIVERIES, Action.REOPEN})

# Roles that may do an action only for the department they hold the role in.
OWN_DEPARTMENT: dict[Action, frozenset[Role]] = {
    Action.EDIT_DEPARTMENT_ROWS: frozenset({Role.HEAD, Role.LIAISON}),
    Action.CONFIRM_MINUTES: frozenset({Role.HEAD}),
    Action.APPROVE_CHANGE: frozenset({Role.HEAD}),
}
