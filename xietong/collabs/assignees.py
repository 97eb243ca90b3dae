"""People on the rows, read for pages: who may hold each department's rows, what a viewer watches.

``actions.tasks.assignable_people`` is the definition (a department's members,
its head and its liaison in the collaboration, active); ``assignable_by_department``
reads the same people for every department of a collaboration at once, so a
table of any size costs two queries for its pickers (a test holds the two equal).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from django.db.models import F, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.collabs.access import visible_collaborations
from xietong.collabs.actions.tasks import assignable_people
from xietong.collabs.models import Collaboration, Participant, Task, TaskStatus, overdue_filter
from xietong.orgs.models import NAME_FIELDS, Person

# What the pickers need of a person (``Person.name`` and the department): a whole
# Person row is a login account's dozen columns.
PICKER_FIELDS = ("id", *NAME_FIELDS, "department_id", "is_active")


def assignable_by_department(collab: Collaboration) -> dict[int, list[Person]]:
    """Return, per participating department's id, the people its rows may be assigned to, by name.

    Read once per request: the table's pickers and its bulk edit form share it
    (kept on the collaboration's instance, which the access layer fetched for
    this request).
    """
    cached: dict[int, list[Person]] | None = getattr(collab, "_assignable_by_department", None)
    if cached is None:
        cached = collab._assignable_by_department = _assignable_by_department(collab)  # type: ignore[attr-defined]
    return cached


def _assignable_by_department(collab: Collaboration) -> dict[int, list[Person]]:
    participants = list(
        Participant.objects.filter(collaboration=collab)
        .select_related("department__head", "liaison")
        .only(
            "department_id",
            "liaison_id",
            "department__head_id",
            *(f"department__head__{f}" for f in PICKER_FIELDS),
            *(f"liaison__{f}" for f in PICKER_FIELDS),
        )
    )
    ids = [p.department_id for p in participants]
    people: dict[int, dict[int, Person]] = {pk: {} for pk in ids}
    for person in Person.objects.filter(department_id__in=ids, is_active=True).only(*PICKER_FIELDS):
        assert person.department_id is not None
        people[person.department_id][person.pk] = person
    for p in participants:
        for extra in (p.department.head, p.liaison):
            if extra is not None and extra.is_active:
                people[p.department_id].setdefault(extra.pk, extra)
    return {pk: sorted(found.values(), key=lambda x: (x.name, x.pk)) for pk, found in people.items()}


def watched_in(collab: Collaboration, person: Person) -> frozenset[int]:
    """Return the ids of the rows of ``collab`` that ``person`` watches (one query)."""
    through = Task.watchers.through
    return frozenset(
        through.objects.filter(task__collaboration=collab, person_id=person.pk).values_list(
            "task_id", flat=True
        )
    )


def watching_key(collab: Collaboration, person: Person | None) -> str:
    """Name the rows ``person`` watches in ``collab`` for a cached table (short; '' when none)."""
    if person is None:
        return ""
    watched = sorted(watched_in(collab, person))
    if not watched:
        return ""
    return hashlib.sha256(",".join(map(str, watched)).encode()).hexdigest()[:16]


def people_for(collab: Collaboration, department_id: int | None) -> list[Person]:
    """Return the people a row of ``department_id`` may be assigned to, by name (``assignable_people``)."""
    return sorted(assignable_people(collab, department_id), key=lambda x: (x.name, x.pk))


# 我的任务's filters (``due`` in the query string): the label of each, in the order shown.
DUE_FILTERS: dict[str, Promise] = {
    "all": _("全部"),
    "week": _("本周到期"),
    "overdue": _("逾期"),
    "blocked": _("阻塞"),
}
# Whose rows: the ones I hold, or the ones I watch (``show``).
SHOW_FILTERS: dict[str, Promise] = {"assigned": _("分配给我的"), "watching": _("我关注的")}


def my_rows(person: Person, today: date, *, show: str = "assigned", due: str = "all") -> QuerySet[Task]:
    """Return ``person``'s rows across the open collaborations they may see, the earliest deadline first.

    ``show``: ``assigned`` (执行人 = person) or ``watching`` (关注人); ``due``: one of
    ``DUE_FILTERS`` (``week``: not done, deadline from this Monday to Sunday;
    ``overdue``: ``overdue_filter``; ``blocked``: 阻塞). Unknown values mean the defaults.
    """
    rows = Task.objects.filter(
        collaboration__in=visible_collaborations(person).filter(closed_at__isnull=True).values("pk")
    )
    rows = rows.filter(watchers=person) if show == "watching" else rows.filter(assignee=person)
    if due == "week":
        monday = today - timedelta(days=today.weekday())
        rows = rows.filter(deadline__range=(monday, monday + timedelta(days=6))).exclude(
            status=TaskStatus.DONE
        )
    elif due == "overdue":
        rows = rows.filter(overdue_filter(today))
    elif due == "blocked":
        rows = rows.filter(status=TaskStatus.BLOCKED)
    return rows.select_related("collaboration", "department", "assignee").order_by(
        F("deadline").asc(nulls_last=True), "collaboration__title", "position", "id"
    )


def open_rows_of(person: Person) -> QuerySet[Task]:
    """The rows ``person`` holds that are not done, in open collaborations they may see (我的工作台)."""
    return my_rows(person, date.min).exclude(status=TaskStatus.DONE)
