"""What the actions share: finding departments and people by name (never creating people), version bumps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.db.models import F, Max, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xietong.audit.record import audited
from xietong.collabs.models import Collaboration
from xietong.orgs.models import Department, Person

_Row = TypeVar("_Row", bound=models.Model)


def next_position(rows: QuerySet[Any]) -> int:
    """Return the position after the last of ``rows`` (0 for none): new rows go at the end."""
    last = rows.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def save_row(
    row: _Row | None,
    model: type[_Row],
    collab: Collaboration,
    values: dict[str, Any],
    *,
    actor: Person | None = None,
    reason: str = "",
) -> _Row:
    """Create a row of ``collab`` at the end of its list, or update ``row``, with ``values``; audited."""
    with audited(row, actor=actor, collaboration=collab, reason=reason) as box:
        if row is None:
            position = next_position(model._default_manager.filter(collaboration=collab))
            row = model(collaboration=collab, position=position, **values)
            row.save()
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.save(update_fields=list(values))
        box["obj"] = row
    return row


def delete_row(
    row: models.Model, collab: Collaboration, *, actor: Person | None = None, reason: str = ""
) -> None:
    """Delete a row of ``collab``, audited, and mark the collaboration changed."""
    with audited(row, actor=actor, collaboration=collab, reason=reason) as box:
        row.delete()
        box["deleted"] = True
    bump_version(collab)


# What a page says when a row's save meets a newer version of the collaboration.
STALE_EDIT = gettext_lazy("这一行刚被他人修改,表单已是最新版本:请核对后再保存。")


class VersionConflict(Exception):
    """The collaboration changed since the person loaded it; nothing was written."""

    def __init__(self, current: int) -> None:
        self.current = current
        super().__init__(f"collaboration is at version {current}")


def check_version(collab: Collaboration, expected: int | None) -> None:
    """Lock the collaboration's row and raise ``VersionConflict`` when it moved past ``expected``.

    ``expected`` None skips the check (a caller that does not track versions).
    """
    current = Collaboration.objects.select_for_update().values_list("version", flat=True).get(pk=collab.pk)
    if expected is not None and current != expected:
        raise VersionConflict(current)


def bump_version(collab: Collaboration) -> None:
    """Mark ``collab`` as changed: every write to it or its rows bumps its version."""
    Collaboration.objects.filter(pk=collab.pk).update(version=F("version") + 1)


# How many candidates a refusal names at most (a common name must not list half the company).
CANDIDATES_SHOWN = 10


class PersonUnresolved(Exception):
    """A typed name matched no active person, or several: the caller must say which (or invite)."""

    def __init__(self, name: str, candidates: list[Person]) -> None:
        self.name = name
        self.candidates = candidates
        super().__init__(name)

    @property
    def ambiguous(self) -> bool:
        return bool(self.candidates)

    def message(self) -> str:
        """Return the refusal in words, naming the candidates (name, department, login)."""
        if not self.candidates:
            return _("找不到名为 %(name)s 的人员:请从目录中选择,或邀请新成员") % {"name": self.name}
        names = "、".join(person_label(p) for p in self.candidates)
        return _("有多位人员名为 %(name)s:%(names)s;请选择其中一位") % {"name": self.name, "names": names}


def person_label(person: Person) -> str:
    """Return how a person is told apart from namesakes: name, department and login (never contacts)."""
    department = person.department.name if person.department_id and person.department else "—"
    return f"{person.name}({department} · {person.username})"


def find_people(text: str) -> list[Person]:
    """Return the active people whose display name or login is exactly ``text`` (one query, bounded)."""
    text = text.strip()
    if not text:
        return []
    matches = (
        Person.objects.filter(is_active=True)
        .filter(models.Q(display_name=text) | models.Q(username__iexact=text))
        .select_related("department")
        .order_by("display_name", "id")
    )
    return list(matches[: CANDIDATES_SHOWN + 1])


def resolve_person(text: str, department: Department | None = None) -> Person | None:
    """Return the one active person ``text`` names (None for no text); never creates anyone.

    A login matches exactly one person; among namesakes the one in
    ``department`` is preferred. Raises ``PersonUnresolved`` when nobody or
    several people match (the caller lets the person choose, or invite).
    """
    if not text.strip():
        return None
    found = find_people(text)
    by_login = [p for p in found if p.username.lower() == text.strip().lower()]
    if len(by_login) == 1:
        return by_login[0]
    if len(found) == 1:
        return found[0]
    in_department = [p for p in found if department is not None and p.department_id == department.pk]
    if len(in_department) == 1:
        return in_department[0]
    raise PersonUnresolved(text.strip(), found[:CANDIDATES_SHOWN])


class Directory:
    """Finds departments by name (creating the missing ones once) and people by name (never creating)."""

    def __init__(self) -> None:
        self.departments: dict[str, Department] = {d.name: d for d in Department.objects.all()}
        self.people: dict[tuple[str, int | None], Person | None] = {}

    def department(self, name: str) -> Department | None:
        if not name:
            return None
        if name not in self.departments:
            self.departments[name] = Department.objects.create(name=name)
        return self.departments[name]

    def person(self, name: str, department: Department | None) -> Person | None:
        """Return the one active person ``name`` names, or None when nobody or several do.

        A name that finds nobody creates no account: the import records it as
        待邀请 (``PendingPerson``) instead.
        """
        if not name:
            return None
        key = (name, department.pk if department else None)
        if key not in self.people:
            try:
                self.people[key] = resolve_person(name, department)
            except PersonUnresolved:
                self.people[key] = None
        return self.people[key]


def _unused(text: str, fallback: str, taken: Callable[[str], bool]) -> str:
    """Return a readable identifier from ``text`` (Chinese kept) that ``taken`` says is free."""
    base = slugify(text, allow_unicode=True)[:100] or fallback
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def free_slug(title: str) -> str:
    """Return an unused slug for a collaboration titled ``title``."""
    return _unused(title, "collaboration", lambda c: Collaboration.objects.filter(slug=c).exists())
