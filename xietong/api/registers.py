"""What the routers of step 7's registers share (docs/registers.md).

One module per resource: ``issues`` (the issue log, 问题跟踪表), ``risks``,
``sla`` (SLA requests, occurrences of recurring sub-goals, compliance),
``allocations`` and ``milestones``; their schemas are in ``schemas``.

Who may do what is the pages' rule, asked of the same access layer: an
issue or a risk is written by the initiator (and administrators) or by the
liaison / head of a department the row names, and must still name one of
their departments after the change; an SLA request is opened by the
requesting department's people and paused, resumed and answered by the
asked department's (the sub-goal's); an occurrence of a recurring sub-goal
is recorded by the sub-goal's department; allocations and milestones are
the initiator's. Rows carry the collaboration's ``version``: a PATCH with
a stale one is refused with 409 and the row as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Router

from xietong.api.common import find_department
from xietong.api.errors import Invalid
from xietong.api.schemas import DepartmentKey, DepartmentRef
from xietong.collabs.access import Access
from xietong.collabs.models import Collaboration
from xietong.orgs.models import Department
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for

# The operation ids the endpoints had when they were one module, api/registers.py:
# clients generated from the OpenAPI document keep their method names.
OPERATION_PREFIX = "xietong_api_registers_"


class RegisterRouter(Router):
    """A router tagged "registers" whose operations keep the ids of ``OPERATION_PREFIX`` + function name."""

    def __init__(self) -> None:
        super().__init__(tags=["registers"])

    def add_api_operation(
        self, path: str, methods: list[str], view_func: Callable[..., Any], **kwargs: Any
    ) -> None:
        if kwargs.get("operation_id") is None:
            kwargs["operation_id"] = OPERATION_PREFIX + view_func.__name__
        super().add_api_operation(path, methods, view_func, **kwargs)


def department_ref(department: Department | None) -> DepartmentRef | None:
    """Return ``{"id", "name"}`` of ``department``, or None."""
    return DepartmentRef(id=department.pk, name=department.name) if department is not None else None


def may_write_for(access: Access, *department_ids: int | None) -> bool:
    """Whether a row naming these departments may be written: the initiator, or one of the person's."""
    if access.can(Action.EDIT_COLLABORATION):
        return True
    return any(access.can(Action.EDIT_DEPARTMENT_ROWS, d) for d in department_ids if d is not None)


def optional_department(
    key: DepartmentKey | None, departments: dict[int, Department], path: str
) -> Department | None:
    """Return the department ``key`` names among ``departments`` (None for None), or raise 422 at ``path``."""
    return None if key is None else find_department(key, departments, path)


def site_now() -> datetime:
    """Return the site's now (pinned in tests and by ``--today``)."""
    return context_for().now


def check_type(collab: Collaboration, kind: str) -> None:
    """Raise 422 unless ``collab`` is of ``kind``: allocations and milestones belong to one type each."""
    if collab.type != kind:
        raise Invalid.at("type", _("这类协作没有此项:资源分配用于资源协调型,推行里程碑用于流程优化型"))
