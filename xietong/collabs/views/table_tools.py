"""The responsibility table's tools above and below its rows: filters and sorting, saved views,
the bulk edit form and the paste from Excel (the views are in ``views/bulk.py``).

``table_context`` returns what the table page draws besides its rows, at a
constant number of queries: the filter's options (the snapshot's
departments, one query for the people holding rows), the person's saved
views (one query) and, for people who may edit rows, the bulk form's
assignees (``assignable_by_department``: two queries).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from xietong.collabs.assignees import assignable_by_department
from xietong.collabs.forms.bulk import BulkForm, PasteForm
from xietong.collabs.models import Participant, SavedView, TaskStatus
from xietong.collabs.paste import Paste
from xietong.collabs.tablefilter import NOBODY, TableFilter
from xietong.collabs.workspace import Workspace
from xietong.orgs.models import Department, Person
from xietong.orgs.roles import Action

SORT_LABELS = (
    ("position", gettext_lazy("默认顺序")),
    ("deadline", gettext_lazy("时间节点(早→晚)")),
    ("-deadline", gettext_lazy("时间节点(晚→早)")),
    ("department", gettext_lazy("责任部门")),
    ("status", gettext_lazy("状态")),
)


def may_edit_rows(ws: Workspace) -> bool:
    """Whether the person may edit any row (the initiator all of them, a liaison their department's)."""
    return ws.can(Action.EDIT_DEPARTMENT_ROWS) or any(
        ws.can(Action.EDIT_DEPARTMENT_ROWS, pk) for pk in ws.access.department_roles
    )


def holders(ws: Workspace) -> list[Person]:
    """The people holding a row of the table, by name (the assignee filter's options)."""
    return list(
        Person.objects.filter(assigned_tasks__collaboration=ws.collab)
        .distinct()
        .order_by("display_name", "id")
    )


def department_choices(ws: Workspace) -> list[tuple[int, str]]:
    """The collaboration's departments as (department id, name) in the table's order: one query.

    Not the snapshot's ``Department.key``: that is the participant row's id, which
    equals the department's only by accident (a fresh database numbering both alike).
    """
    return list(
        Participant.objects.filter(collaboration=ws.collab)
        .order_by("position", "id")
        .values_list("department_id", "department__name")
    )


def table_filter(
    request: HttpRequest, ws: Workspace, people: list[Person], departments: list[tuple[int, str]]
) -> TableFilter:
    """The filter the page's query string names (what it names that does not exist is dropped)."""
    return TableFilter.parse(
        {k: request.GET.getlist(k) for k in list(request.GET)[:20]},
        departments=[pk for pk, _name in departments],
        assignees=[p.pk for p in people],
    )


def bulk_form(ws: Workspace, data: Any = None) -> BulkForm:
    """The bulk edit form: the collaboration's departments, and every person a row may be assigned to."""
    departments = [
        p.department for p in Participant.objects.filter(collaboration=ws.collab).select_related("department")
    ]
    found: dict[int, Person] = {}
    for people in assignable_by_department(ws.collab).values():
        for person in people:
            found.setdefault(person.pk, person)
    people = sorted(found.values(), key=lambda p: (p.name, p.pk))
    return BulkForm(data, departments=departments, people=people, prefix="bulk")


def table_context(
    request: HttpRequest,
    ws: Workspace,
    *,
    bulk: BulkForm | None = None,
    selected: frozenset[int] = frozenset(),
    bulk_problem: str = "",
    paste_form: PasteForm | None = None,
    paste: Paste | None = None,
    view_name: str = "",
    view_problem: str = "",
) -> tuple[TableFilter, dict[str, Any]]:
    """Return the page's filter and the context of its tools (a bound form keeps what was chosen)."""
    people = holders(ws)
    departments = department_choices(ws)
    flt = table_filter(request, ws, people, departments)
    person = request.user if isinstance(request.user, Person) else None
    views = list(SavedView.objects.filter(person=person, collaboration=ws.collab)) if person else []
    editor = may_edit_rows(ws)
    form: Callable[[], BulkForm] | BulkForm | None = None
    if editor:
        form = bulk if bulk is not None else cache(lambda: bulk_form(ws))
    return flt, {
        "filter": flt,
        "filter_query": flt.query(),
        "filter_departments": departments,
        "filter_statuses": TaskStatus.choices,
        "filter_people": people,
        "filter_nobody": NOBODY,
        "filter_sorts": SORT_LABELS,
        "saved_views": views,
        "bulk_form": form,
        "may_bulk": editor,
        # The empty bulk and paste forms are the same for everyone with the same roles and filter
        # (cached, like the rows); sent back with a person's choices or problems, they are not.
        "tools_key": ""
        if bulk is not None or selected or bulk_problem or paste_form is not None or paste is not None
        else f"{ws.fragment_key}:{flt.key}",
        "bulk_selected": selected,
        "bulk_problem": bulk_problem,
        "paste_form": paste_form or (PasteForm(prefix="paste") if editor else None),
        "paste": paste,
        "view_name": view_name,
        "view_problem": view_problem,
    }


def participating(ws: Workspace) -> list[Department]:
    """The collaboration's departments (the rows a paste may name), in the table's order."""
    return [
        p.department for p in Participant.objects.filter(collaboration=ws.collab).select_related("department")
    ]
