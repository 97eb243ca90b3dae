"""Writes to the organisation: importing departments, their heads and people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from xietong.documents.org import OrgRole, OrgRow
from xietong.orgs.models import Department, Person


@dataclass(frozen=True)
class OrgImported:
    """What an organisation import changed."""

    departments_created: int
    people_created: int
    people_updated: int
    heads_set: int


def may_import_org(user: Any) -> bool:
    """Return whether ``user`` may import the organisation: staff who may add and change
    people and departments in the admin site (every active superuser)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perms(
            ["orgs.add_person", "orgs.change_person", "orgs.add_department", "orgs.change_department"]
        )
    )


@transaction.atomic
def do_import_org(rows: Sequence[OrgRow], actor: Person | None = None) -> OrgImported:
    """Store the rows: departments by name, people by login (updated, never duplicated), heads.

    A cell left empty keeps what the person already has; new people get no
    usable password (an administrator activates them, as for people named
    in an imported charter). ``actor`` is who ran the import (kept for a
    future audit of the organisation; departments have no collaboration to
    record it against).
    """
    names = {r.department for r in rows if r.department}
    departments = {d.name: d for d in Department.objects.filter(name__in=names).select_for_update()}
    created_departments = 0
    for name in sorted(names - departments.keys()):
        departments[name] = Department.objects.create(name=name)
        created_departments += 1

    logins = [r.login for r in rows]
    people = {p.username: p for p in Person.objects.filter(username__in=logins).select_for_update()}
    created = updated = heads = 0
    for row in rows:
        department = departments.get(row.department)
        person = people.get(row.login)
        if person is None:
            person = Person(username=row.login)
            person.set_unusable_password()
            _fill(person, row, department)
            person.save()
            people[row.login] = person
            created += 1
        else:
            changed = _fill(person, row, department)
            if changed:
                person.save(update_fields=changed)
                updated += 1
        if row.role == OrgRole.HEAD and department is not None and department.head_id != person.pk:
            department.head = person
            department.save(update_fields=["head"])
            heads += 1
    return OrgImported(created_departments, created, updated, heads)


def _fill(person: Person, row: OrgRow, department: Department | None) -> list[str]:
    """Copy the row's non-empty cells onto ``person``; return the fields that changed."""
    changed = []
    for field, value in (
        ("display_name", row.name),
        ("email", row.email),
        ("phone", row.phone),
    ):
        if value and getattr(person, field) != value:
            setattr(person, field, value)
            changed.append(field)
    if department is not None and person.department_id != department.pk:
        person.department = department
        changed.append("department")
    return changed
