"""What the actions share: finding departments and people by name, version bumps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.db.models import F, Max, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

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
STALE_EDIT = _("这一行刚被他人修改,表单已是最新版本:请核对后再保存。")


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


class Directory:
    """Finds departments and people by name, creating the missing ones once."""

    def __init__(self) -> None:
        self.departments: dict[str, Department] = {d.name: d for d in Department.objects.all()}
        self.people: dict[str, Person] = {}

    def department(self, name: str) -> Department | None:
        if not name:
            return None
        if name not in self.departments:
            self.departments[name] = Department.objects.create(name=name)
        return self.departments[name]

    def person(self, name: str, department: Department | None) -> Person | None:
        if not name:
            return None
        if name not in self.people:
            namesakes = Person.objects.filter(display_name=name).order_by("id")
            # prefer the namesake in the same department
            person = (
                namesakes.filter(department=department).first() if department else None
            ) or namesakes.first()
            if person is None:
                person = Person(username=_free_username(name), display_name=name, department=department)
                person.set_unusable_password()
                person.save()
            self.people[name] = person
        return self.people[name]


def _unused(text: str, fallback: str, taken: Callable[[str], bool]) -> str:
    """Return a readable identifier from ``text`` (Chinese kept) that ``taken`` says is free."""
    base = slugify(text, allow_unicode=True)[:100] or fallback
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _free_username(name: str) -> str:
    return _unused(name, "person", lambda c: Person.objects.filter(username=c).exists())


def free_slug(title: str) -> str:
    """Return an unused slug for a collaboration titled ``title``."""
    return _unused(title, "collaboration", lambda c: Collaboration.objects.filter(slug=c).exists())
