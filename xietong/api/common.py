"""What the routers share: fetching through the access layer, and naming departments."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from xietong.api.auth import caller
from xietong.api.errors import Invalid
from xietong.api.schemas import DepartmentKey
from xietong.collabs.access import Access, get_collaboration_for_user
from xietong.collabs.models import Collaboration, Participant
from xietong.orgs.models import Department
from xietong.orgs.roles import Action


def collaboration(
    request: HttpRequest, slug: str, action: Action = Action.VIEW, department_id: int | None = None
) -> tuple[Collaboration, Access]:
    """Return the collaboration ``slug`` and the caller's access, or raise 404 / 403."""
    if "\x00" in slug:  # no slug holds one, and PostgreSQL refuses to compare it
        raise Http404
    return get_collaboration_for_user(caller(request), slug, action, department_id)


def participating(collab: Collaboration) -> dict[int, Department]:
    """Return the collaboration's participating departments by id, in their order."""
    rows = Participant.objects.filter(collaboration=collab).select_related("department")
    return {p.department_id: p.department for p in rows}


def find_department(key: DepartmentKey, departments: dict[int, Department], path: str) -> Department:
    """Return the department ``key`` (an id or a name) names among ``departments``, or raise 422."""
    if isinstance(key, int):
        found = departments.get(key)
    else:
        found = next((d for d in departments.values() if d.name == key), None)
        if found is None and key.isdigit():
            found = departments.get(int(key))
    if found is None:
        raise Invalid.at(path, _("%(name)s 不是参与部门") % {"name": key})
    return found
