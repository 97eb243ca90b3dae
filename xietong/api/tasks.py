"""Steps 4 and 7 over the API: rows of the responsibility table and their status.

Who may do what is the table page's rule, asked of the same access layer:
a row is changed by its department's liaison or head, the initiator or an
administrator; a liaison may not give a row to a department they do not
answer for; only the initiator and administrators delete rows.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

import hashlib
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration, find_department, participating
from xietong.api.converters import task_out
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.renderers import RENDERER
from xietong.api.schemas import (
    DepartmentKey,
    Line,
    SearchText,
    TaskConflictOut,
    TaskIn,
    TaskOut,
    TaskPatch,
)
from xietong.collabs.access import Access, get_task_for_user, reread
from xietong.collabs.actions.tasks import (
    NotAssignable,
    StaleWrite,
    TaskInput,
    do_assign_task,
    do_delete_task,
    do_save_task,
    do_watch_task,
)
from xietong.collabs.judged import version_key
from xietong.collabs.models import Collaboration, Task, TaskStatus, overdue_filter
from xietong.orgs.models import NAME_FIELDS, Department, Person
from xietong.orgs.roles import Action
from xietong.rules.clock import context_for
from xietong.rules.tracking import is_overdue

router = Router(tags=["tasks"])


class TaskFilters(Schema):
    department: SearchText | None = None
    status: TaskStatus | None = None
    overdue: bool | None = None
    due_before: date | None = None


def _rows() -> QuerySet[Task]:
    return Task.objects.select_related("department", "collaboration", "assignee").prefetch_related(
        "collaborators", "watchers"
    )


def _filtered(rows: QuerySet[Task], filters: TaskFilters) -> QuerySet[Task]:
    if filters.department:
        by = Q(department__name=filters.department)
        if filters.department.isdigit() and len(filters.department) < 19:
            by |= Q(department_id=int(filters.department))
        rows = rows.filter(by)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.overdue is not None:
        overdue = overdue_filter(context_for().today)
        rows = rows.filter(overdue) if filters.overdue else rows.exclude(overdue)
    if filters.due_before:
        rows = rows.filter(deadline__lt=filters.due_before)
    return rows


# The columns a row of the list is answered from, read as tuples (see _answered).
_COLUMNS = (
    "id",
    "position",
    "description",
    "department_id",
    "department__name",
    "standard",
    "deadline",
    "status",
    "percent",
    "blocked_reason",
    "blocked_since",
    "assignee_id",
    "version",
    "updated_at",
)
_ASSIGNEE = _COLUMNS.index("assignee_id")


def _answered(
    rows: list[tuple[Any, ...]], ids: QuerySet[Task, Any], slug: str, today: date
) -> list[dict[str, Any]]:
    """Return ``task_out``'s answer for each row (a tuple of ``_COLUMNS``).

    ``ids`` is the query of the rows' ids: their collaborators and watchers
    are read by it (a subquery); a list of up to 500 ids costs more to send
    and to plan.

    Built from tuples: a page of 200 rows as model instances, each validated
    as a ``TaskOut``, cost several times as much (docs/performance.md, "Cold
    pages"). The keys, their order and the values are ``TaskOut``'s: tests
    compare the JSON of the two ways on the same rows. Dates and times stay
    objects: the renderer writes them as it writes every other answer.
    """
    # Ordered as the prefetches task_out reads are: by Department's and Person's own ordering.
    collaborators: dict[int, list[dict[str, Any]]] = {}
    links = Task.collaborators.through.objects.filter(task_id__in=ids)
    for task_id, department_id, name in links.order_by("department__name", "department_id").values_list(
        "task_id", "department_id", "department__name"
    ):
        collaborators.setdefault(task_id, []).append({"id": department_id, "name": name})
    watched = list(
        Task.watchers.through.objects.filter(task_id__in=ids)
        .order_by("person__display_name", "person__username")
        .values_list("task_id", "person_id")
    )
    # Few people hold and watch a table's rows: read each once, and name them as Person.name does.
    people = {row[_ASSIGNEE] for row in rows if row[_ASSIGNEE] is not None} | {p for _task, p in watched}
    names = {p.pk: p.name for p in Person.objects.filter(pk__in=people).only(*NAME_FIELDS)}
    watchers: dict[int, list[dict[str, Any]]] = {}
    for task_id, person_id in watched:
        watchers.setdefault(task_id, []).append({"id": person_id, "name": names[person_id]})
    return [
        {
            "id": task_id,
            "collaboration": slug,
            "position": position,
            "description": description,
            "department": None if department_id is None else {"id": department_id, "name": department},
            "standard": standard,
            "deadline": deadline,
            "collaborators": collaborators.get(task_id, []),
            "status": status,
            "percent": percent,
            "blocked_reason": blocked_reason,
            "blocked_since": blocked_since,
            "overdue": is_overdue(deadline, status, today),
            "assignee": None if assignee_id is None else {"id": assignee_id, "name": names[assignee_id]},
            "watchers": watchers.get(task_id, []),
            "version": version,
            "updated_at": updated_at,
        }
        for (
            task_id,
            position,
            description,
            department_id,
            department,
            standard,
            deadline,
            status,
            percent,
            blocked_reason,
            blocked_since,
            assignee_id,
            version,
            updated_at,
        ) in rows
    ]


class _AnsweredPages(Pages):
    """The table's pages (the same ``?limit=`` and ``?offset=``), each answered by ``_answered``."""

    def paginate_queryset(
        self, queryset: QuerySet[Task, tuple[Any, ...]], pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        offset, limit = pagination.offset, min(pagination.limit, self.max_limit)
        page = queryset[offset : offset + limit]
        return {
            "items": _answered(list(page), page.values("id"), params["slug"], context_for().today),
            "count": self._items_count(queryset),
        }


def _cached_by_version(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer a page of a collaboration's rows from the cache while the collaboration has not changed.

    The key is the collaboration's version, today (``overdue`` depends on
    it) and the query; a write bumps the version, so a cached page is never
    stale. The access check runs on every request, once: the view reads the
    collaboration it returned from the request.
    """

    @wraps(view)
    def cached(request: HttpRequest, slug: str, **kwargs: Any) -> Any:
        collab, _access = collaboration(request, slug)
        # Hashed: a query string may be long, and cache keys should stay short.
        query = hashlib.sha256(urlencode(sorted(request.GET.items())).encode()).hexdigest()[:32]
        key = f"{version_key(collab)}:api-tasks:{context_for().today}:{get_language()}:{query}"
        content = cache.get(key)
        if content is None:
            request.checked_collaboration = collab  # type: ignore[attr-defined]
            content = RENDERER.render_fast(view(request, slug=slug, **kwargs))
            cache.set(key, content, settings.XIETONG_SNAPSHOT_SECONDS)
        return HttpResponse(content, content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}")

    return cached


@router.get(
    "/collaborations/{slug}/tasks",
    response=responses({200: list[TaskOut]}, NOT_FOUND, INVALID),
)
@_cached_by_version
@paginate(_AnsweredPages)
def list_tasks(
    request: HttpRequest, slug: str, filters: Query[TaskFilters]
) -> QuerySet[Task, tuple[Any, ...]]:
    """The responsibility table, in its order.

    Filters: `department` (a name or an id), `status`, `overdue=true|false`
    (past the deadline and not done, as of today), `due_before=YYYY-MM-DD`
    (a deadline earlier than that day).
    """
    collab: Collaboration = request.checked_collaboration  # type: ignore[attr-defined]  # by _cached_by_version
    return _filtered(Task.objects.filter(collaboration=collab), filters).values_list(*_COLUMNS)


def _department(
    key: DepartmentKey | None, departments: dict[int, Department], path: str
) -> Department | None:
    return None if key is None else find_department(key, departments, path)


def _input(
    collab: Collaboration,
    access: Access,
    values: dict[str, Any],
    *,
    current: Task | None = None,
) -> TaskInput:
    """Return the row to save from the given ``values`` over ``current``; raise 422 / 403."""
    departments = participating(collab)
    if current is not None:
        # A row naming a department no longer taking part may keep it when edited.
        for known in [current.department, *current.collaborators.all()]:
            if known is not None:
                departments.setdefault(known.pk, known)
    if "department" in values:
        department = _department(values["department"], departments, "body.department")
    else:
        department = current.department if current else None
    if not access.can(Action.EDIT_DEPARTMENT_ROWS, department.pk if department else None):
        raise PermissionDenied  # a liaison giving the row to a department they do not answer for
    if "collaborators" in values and values["collaborators"] is not None:
        collaborators = [
            find_department(key, departments, f"body.collaborators[{i}]")
            for i, key in enumerate(values["collaborators"])
        ]
    else:
        collaborators = list(current.collaborators.all()) if current else []
    collaborators = list({d.pk: d for d in collaborators}.values())
    if department is not None and department in collaborators:
        raise Invalid.at("body.collaborators", _("责任部门不必再列为协作方"))
    status = values.get("status") or (current.status if current else TaskStatus.NOT_STARTED)
    reason = values.get("blocked_reason")
    if reason is None:
        reason = current.blocked_reason if current else ""
    if status == TaskStatus.BLOCKED and not reason:
        raise Invalid.at("body.blocked_reason", _("阻塞的任务请写明原因(在等待哪个部门、什么事项)"))

    def pick(name: str, default: Any) -> Any:
        """The given value; null keeps the current one, except for the deadline, which it clears."""
        if name == "deadline" and name in values:
            return values[name]
        value = values.get(name)
        if value is not None:
            return value
        return getattr(current, name) if current else default

    return TaskInput(
        description=pick("description", ""),
        department=department,
        standard=pick("standard", ""),
        deadline=pick("deadline", None),
        collaborators=collaborators,
        status=str(status),
        blocked_reason=reason,
    )


@router.post(
    "/collaborations/{slug}/tasks",
    response=responses({201: TaskOut}, NOT_FOUND, INVALID),
)
def create_task(request: HttpRequest, slug: str, payload: TaskIn) -> Status[TaskOut]:
    """Add a row at the end of the table (its department's liaison or head, the initiator, administrators)."""
    collab, access = collaboration(request, slug)
    data = _input(collab, access, payload.model_dump(exclude={"reason", "assignee_id"}))
    assignee = _assignee(payload.assignee_id)
    with transaction.atomic():
        task = do_save_task(collab, data, actor=caller(request), reason=payload.reason)
        if assignee is not None:
            _assign(task, assignee, caller(request), reason=payload.reason)
    return Status(201, task_out(reread(_rows(), task)))


def _assignee(person_id: int | None) -> Person | None:
    """The person an ``assignee_id`` names (None: nobody); 422 when there is no such active person."""
    if person_id is None:
        return None
    person = Person.objects.filter(pk=person_id, is_active=True).first()
    if person is None:
        raise Invalid.at("body.assignee_id", _("没有这个人员"))
    return person


def _assign(
    task: Task, assignee: Person | None, actor: Person, *, version: int | None = None, reason: str = ""
) -> Task:
    """``do_assign_task`` with its refusals as API answers: 422 outside the department, 409 when stale."""
    try:
        return do_assign_task(task, assignee, actor=actor, version=version, reason=reason)
    except NotAssignable:
        raise Invalid.at("body.assignee_id", _("执行人须是该行责任部门的人员。")) from None
    except StaleWrite as stale:
        raise Conflict(str(STALE_ROW), task_out(reread(_rows(), stale.current))) from None


@router.get("/tasks/{task_id}", response=responses({200: TaskOut}, NOT_FOUND))
def get_task(request: HttpRequest, task_id: int) -> TaskOut:
    """One row of a responsibility table, with its version."""
    task, _access = get_task_for_user(caller(request), task_id)
    return task_out(task)


@router.patch(
    "/tasks/{task_id}",
    response=responses({200: TaskOut, 409: TaskConflictOut}, NOT_FOUND, INVALID),
)
def update_task(request: HttpRequest, task_id: int, payload: TaskPatch) -> TaskOut:
    """Change the fields given (its department's liaison or head, the initiator, administrators).

    `version` is the row's version you read: when the row has changed since,
    nothing is written and 409 answers with the row as it is now.
    """
    task, access = get_task_for_user(caller(request), task_id, Action.EDIT_DEPARTMENT_ROWS)
    values = payload.model_dump(include=payload.model_fields_set - {"version", "reason", "assignee_id"})
    assigning = "assignee_id" in payload.model_fields_set
    assignee = _assignee(payload.assignee_id) if assigning else None
    if assigning and not values:
        # Only the assignee: one assignment at the version read (nothing else is rewritten).
        saved = _assign(task, assignee, caller(request), version=payload.version, reason=payload.reason)
        return task_out(reread(_rows(), saved))
    data = _input(task.collaboration, access, values, current=task)
    try:
        with transaction.atomic():
            saved = do_save_task(
                task.collaboration,
                data,
                task=task,
                version=payload.version,
                actor=caller(request),
                reason=payload.reason,
            )
            if assigning:
                saved = _assign(saved, assignee, caller(request), reason=payload.reason)
    except StaleWrite as stale:
        raise Conflict(str(STALE_ROW), task_out(reread(_rows(), stale.current))) from None
    except Task.DoesNotExist:  # deleted while this request was on its way
        raise Http404 from None
    return task_out(reread(_rows(), saved))


@router.delete("/tasks/{task_id}", response=responses({204: None}, NOT_FOUND, INVALID))
def delete_task(request: HttpRequest, task_id: int, reason: Query[Line | None] = None) -> Status[None]:
    """Delete a row (the initiator and administrators)."""
    task, _access = get_task_for_user(caller(request), task_id, Action.EDIT_COLLABORATION)
    do_delete_task(task, actor=caller(request), reason=reason or "")
    return Status(204, None)


@router.post("/tasks/{task_id}/watch", response=responses({200: TaskOut}, NOT_FOUND))
def watch_task(request: HttpRequest, task_id: int) -> TaskOut:
    """Watch the row (关注): anyone who may view the collaboration, for themselves; idempotent.

    A closed collaboration is read-only: 403.
    """
    task, access = get_task_for_user(caller(request), task_id)
    if access.closed:
        raise PermissionDenied
    do_watch_task(task, caller(request), True)
    return task_out(reread(_rows(), task))


@router.delete("/tasks/{task_id}/watch", response=responses({200: TaskOut}, NOT_FOUND))
def unwatch_task(request: HttpRequest, task_id: int) -> TaskOut:
    """Stop watching the row; idempotent (403 in a closed collaboration)."""
    task, access = get_task_for_user(caller(request), task_id)
    if access.closed:
        raise PermissionDenied
    do_watch_task(task, caller(request), False)
    return task_out(reread(_rows(), task))
