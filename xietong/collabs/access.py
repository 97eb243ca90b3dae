"""The access layer: every page, endpoint and command fetches through here.

``get_collaboration_for_user`` returns the collaboration with the viewer's
``Access`` or raises: 404 for people who may not see it at all (so that its
existence does not leak), 403 for people who may see it but not do the
action. The permission table itself is ``xietong.orgs.roles``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest

from xietong.collabs.models import (
    Collaboration,
    MemberRole,
    Membership,
    Nomination,
    Participant,
    SubGoal,
    Task,
    Visibility,
)
from xietong.orgs.models import Person
from xietong.orgs.roles import ALLOWED_WHEN_CLOSED, ANYWHERE, OWN_DEPARTMENT, Action, Role

User = Person | AnonymousUser
# Any object that belongs to one collaboration (a ``collaboration`` foreign key).
_Owned = TypeVar("_Owned", bound=Model)


@dataclass(frozen=True)
class Access:
    """The roles one person holds in one collaboration."""

    roles: frozenset[Role]
    # department id -> the roles held for that department only
    department_roles: dict[int, frozenset[Role]] = field(default_factory=dict)
    # A closed collaboration is read-only for everyone until it is reopened.
    closed: bool = False

    def can(self, action: Action, department_id: int | None = None) -> bool:
        if self.closed and action not in ALLOWED_WHEN_CLOSED:
            return False
        if self.roles & ANYWHERE[action]:
            return True
        if department_id is None:
            return False
        return bool(
            self.department_roles.get(department_id, frozenset()) & OWN_DEPARTMENT.get(action, frozenset())
        )

    @property
    def sees_anything(self) -> bool:
        return bool(self.roles)


def access_for(user: User, collab: Collaboration) -> Access:
    """Return what ``user`` may do in ``collab`` (two small queries at most)."""
    if not user.is_authenticated or not user.is_active:
        return Access(frozenset())
    assert isinstance(user, Person)
    membership = (
        Membership.objects.filter(collaboration=collab, person=user).values_list("role", flat=True).first()
    )
    return _access(user, collab, membership)


def _membership_of(user: Person) -> Subquery:
    """The role of ``user``'s membership of the outer collaboration, or NULL (at most one: a constraint)."""
    return Subquery(Membership.objects.filter(collaboration=OuterRef("pk"), person=user).values("role")[:1])


def _access(user: Person, collab: Collaboration, membership: str | None) -> Access:
    """Return what ``user`` (signed in, active) may do in ``collab``, given their membership's role."""
    roles: set[Role] = set()
    if user.is_superuser:
        roles.add(Role.ADMIN)
    if collab.owner_id == user.pk:
        roles.add(Role.INITIATOR)
    department_roles: dict[int, set[Role]] = {}
    participants = (
        Participant.objects.filter(collaboration=collab)
        .filter(Q(liaison=user) | Q(department__head=user))
        .values_list("department_id", "liaison_id", "department__head_id")
    )
    for department_id, liaison_id, head_id in participants:
        held = department_roles.setdefault(department_id, set())
        if liaison_id == user.pk:
            held.add(Role.LIAISON)
        if head_id == user.pk:
            held.add(Role.HEAD)
        roles |= held
    if membership is not None:
        roles.add(Role.MEMBER if membership == MemberRole.MEMBER else Role.VIEWER)
    if not roles and collab.visibility == Visibility.COMPANY:
        roles.add(Role.VIEWER)
    return Access(
        frozenset(roles),
        {k: frozenset(v) for k, v in department_roles.items()},
        closed=collab.closed_at is not None,
    )


def visible_collaborations(user: User) -> QuerySet[Collaboration]:
    """Return the collaborations ``user`` may see, with what lists show selected."""
    base = Collaboration.objects.select_related("initiator_department", "owner")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    return base.filter(
        Q(visibility=Visibility.COMPANY)
        | Q(owner=user)
        | Q(participants__liaison=user)
        | Q(participants__department__head=user)
        | Q(memberships__person=user)
    ).distinct()


def get_collaboration_for_user(
    user: User, slug: str, action: Action = Action.VIEW, department_id: int | None = None
) -> tuple[Collaboration, Access]:
    """Return the collaboration ``slug`` and the user's access, or raise 404 / 403.

    Two queries: the collaboration with the viewer's membership, then the
    departments they hold a role for (``access_for`` reads the same).
    """
    found = Collaboration.objects.select_related("initiator_department", "owner").filter(slug=slug)
    person = user if isinstance(user, Person) and user.is_active else None
    if person is not None:
        found = found.annotate(viewer_membership=_membership_of(person))
    collab = found.first()
    if collab is None:
        raise Http404
    access = (
        access_for(user, collab) if person is None else _access(person, collab, collab.viewer_membership)  # type: ignore[attr-defined]  # annotated above
    )
    if not access.sees_anything:
        raise Http404
    if not access.can(action, department_id):
        raise PermissionDenied
    return collab, access


def get_object_for_user(
    queryset: QuerySet[_Owned],
    user: User,
    pk: int,
    action: Action = Action.VIEW,
    department: Callable[[_Owned], int | None] | None = None,
    via: str = "collaboration",
) -> tuple[_Owned, Access]:
    """Return an object of some collaboration (an issue, a risk, a meeting …) and the user's access.

    404 when there is no such object or the user may not see its
    collaboration (existence does not leak), 403 when they may see it but not
    do ``action``. ``department`` names the department the action is judged
    for (default: the object's ``department_id`` when it has one: a row is
    changed by its department's liaison or head, or by the initiator).
    ``via`` is the path to the collaboration for objects two hops away (a
    metric: ``goal__collaboration``).
    """
    found = queryset.select_related(f"{via}__initiator_department", f"{via}__owner").filter(pk=pk)
    obj = found.first()
    if obj is None:
        raise Http404
    collab: object = obj
    for name in via.split("__"):
        collab = getattr(collab, name)
    assert isinstance(collab, Collaboration)
    access = access_for(user, collab)
    if not access.sees_anything:
        raise Http404
    department_id = department(obj) if department is not None else getattr(obj, "department_id", None)
    if not access.can(action, department_id):
        raise PermissionDenied
    return obj, access


def get_object_in(collab: Collaboration, queryset: QuerySet[_Owned], pk: int) -> _Owned:
    """Return the object ``pk`` of ``collab`` (already fetched through this layer), or raise 404.

    For pages under a collaboration's URL: an id of another collaboration's
    object is simply not found there.
    """
    return get_part_of(collab, "collaboration", queryset, pk)


def get_part_of(parent: Model, field: str, queryset: QuerySet[_Owned], pk: int) -> _Owned:
    """Return the row ``pk`` whose ``field`` is ``parent``, or raise 404.

    For rows two hops from their collaboration (an agenda item, a material,
    a minutes item → its meeting → the collaboration): ``parent`` is the
    meeting already fetched through this layer, so a row of another meeting
    is not found.
    """
    obj = find_part_of(parent, field, queryset, pk)
    if obj is None:
        raise Http404
    return obj


def find_object_in(collab: Collaboration, queryset: QuerySet[_Owned], pk: int | None) -> _Owned | None:
    """Return the object ``pk`` of ``collab``, or None: for ids a form or a body names (422, not 404)."""
    return find_part_of(collab, "collaboration", queryset, pk)


def find_part_of(parent: Model, field: str, queryset: QuerySet[_Owned], pk: int | None) -> _Owned | None:
    """Return the row ``pk`` whose ``field`` (a path: ``goal__collaboration``) is ``parent``, or None.

    ``parent`` was fetched through this layer; a direct field is set on the
    row, so reading it back costs no query.
    """
    if pk is None:
        return None
    obj = queryset.filter(**{field: parent, "pk": pk}).first()
    if obj is not None and "__" not in field:
        setattr(obj, field, parent)
    return obj


def reread(queryset: QuerySet[_Owned], obj: _Owned) -> _Owned:
    """Return ``obj`` read again through ``queryset`` (what a response shows after an action), or raise 404.

    Only for a row the caller has just fetched or created through this layer:
    no access is decided again. 404 when it was deleted meanwhile.
    """
    found = queryset.filter(pk=obj.pk).first()
    if found is None:
        raise Http404
    return found


def get_task_for_user(user: User, pk: int, action: Action = Action.VIEW) -> tuple[Task, Access]:
    """Return a row of the responsibility table and the user's access, or raise 404 / 403."""
    return get_object_for_user(Task.objects.select_related("department"), user, pk, action)


def get_subgoal_for_user(user: User, pk: int, action: Action = Action.VIEW) -> tuple[SubGoal, Access]:
    """Return a department sub-goal and the user's access, or raise 404 / 403."""
    return get_object_for_user(SubGoal.objects.select_related("department", "metric"), user, pk, action)


def get_nomination_for_user(user: User, pk: int) -> Nomination:
    """Return one of the user's own nominations (only the person named answers it), or raise 404."""
    if not isinstance(user, Person):
        raise Http404
    nomination = (
        Nomination.objects.select_related("collaboration__initiator_department", "nominated_by")
        .filter(pk=pk, person=user)
        .first()
    )
    if nomination is None:
        raise Http404
    return nomination


def signed_in_person(request: HttpRequest) -> Person:
    """Return the person behind a request that ``login_required`` let through."""
    user = request.user
    assert isinstance(user, Person)
    return user
