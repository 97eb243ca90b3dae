"""Directory sync: read a company directory, compare it with the organisation, apply the difference.

Three steps, so that a failure never leaves half a sync behind:

1. ``read``: the source is read in full into compact dicts (external id ->
   a few fields); a ``DirectoryError`` (unreachable, refused, rate limit
   exhausted) stops here, before the database is touched.
2. ``plan``: the directory is checked (a cycle in the department tree is
   refused; a shared e-mail or employee number is kept on the first person
   only; a person in no department is kept without one) and compared with
   the rows of this source, read as tuples in batches; the result is a
   ``Plan``: what to create, what to change, whom to deactivate.
3. ``apply``: in ONE transaction, bulk inserts and updates in batches, one
   audit entry for the whole run (the ``DirectorySync`` row with its
   counts). A dry run stops after the plan and prints it.

A second sync with nothing changed in the directory writes nothing to
departments, people or the audit log: rows are written only where a field
differs. See docs/directory-sync.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.record import record
from xietong.orgs.directory.base import DirDepartment, DirectoryError, DirPerson, Source
from xietong.orgs.models import Department, DirectorySync, Person, SyncState

logger = logging.getLogger("xietong.orgs.directory")

# Rows per INSERT / UPDATE / IN (…) query.
BATCH = 500
# The stored report is cut here; a dry run prints it whole.
REPORT_LIMIT = 20_000
# A running sync older than this is taken as crashed (its process died) and no longer blocks.
STALE_AFTER = timedelta(hours=2)
NAME_LENGTH = Department._meta.get_field("name").max_length or 100


class SyncRefused(Exception):
    """The sync cannot run now (another one is running); nothing was written."""


# --- 1. reading


@dataclass
class Directory:
    """What a source said, compactly: departments and people by external id, and what was odd."""

    departments: dict[str, DirDepartment] = field(default_factory=dict)
    people: dict[str, DirPerson] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read(source: Source) -> Directory:
    """Read ``source`` in full; raise ``DirectoryError`` if it cannot be read or its tree has a cycle."""
    found = Directory()
    for dept in source.departments():
        if not dept.external_id:
            continue
        if dept.external_id in found.departments:
            found.problems.append(_("部门 %(id)s 出现两次,取第一次") % {"id": dept.external_id})
            continue
        found.departments[dept.external_id] = dept
    for person in source.people():
        if not person.external_id or not person.login:
            continue
        seen = found.people.get(person.external_id)
        if seen is None:
            found.people[person.external_id] = person
        elif person.leads and not set(person.leads) <= set(seen.leads):
            # A person listed under several departments: the lead flags of each listing count.
            leads = tuple(dict.fromkeys(seen.leads + person.leads))
            found.people[person.external_id] = DirPerson(**{**seen.__dict__, "leads": leads})
    _check_tree(found)
    return found


def _check_tree(found: Directory) -> None:
    """Refuse a cycle; a parent the directory does not list makes a top-level department."""
    for ext, dept in list(found.departments.items()):
        if dept.parent_id and dept.parent_id not in found.departments:
            found.problems.append(
                _("部门 %(name)s 的上级 %(parent)s 不在目录中,作为顶级部门")
                % {"name": dept.name, "parent": dept.parent_id}
            )
            found.departments[ext] = DirDepartment(dept.external_id, dept.name, "")
    done: set[str] = set()
    for start in found.departments:
        path: list[str] = []
        on_path: set[str] = set()
        node = start
        while node and node not in done:
            if node in on_path:
                cycle = [*path[path.index(node) :], node]
                names = " → ".join(found.departments[n].name for n in cycle)
                raise DirectoryError(_("部门树中有循环,未同步:%(cycle)s") % {"cycle": names})
            path.append(node)
            on_path.add(node)
            node = found.departments[node].parent_id
        done.update(path)


# --- 2. planning


@dataclass
class Plan:
    """The difference between the directory and the organisation, and the report lines that say it."""

    source: str
    # new departments: (external id, name)
    new_departments: list[tuple[str, str]] = field(default_factory=list)
    # existing departments to change: pk -> {field: value}
    department_changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    # parent of every directory department, by external id (resolved to pks when applying)
    parents: dict[str, str] = field(default_factory=dict)
    departments_gone: int = 0
    # new people: DirPerson with the e-mail / number it may keep, and its department's external id
    new_people: list[tuple[DirPerson, str, str, str]] = field(default_factory=list)
    # existing people to change: pk -> {field: value} (department as an external id under "department")
    person_changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    deactivate: list[int] = field(default_factory=list)
    # head of each directory department: external id -> person external id ("" : none)
    heads: dict[str, str] = field(default_factory=dict)
    heads_set: int = 0
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # each department's external id (of this source, or being linked) by pk; others are "#pk"
    department_ext: dict[int, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (
            self.new_departments
            or self.department_changes
            or self.new_people
            or self.person_changes
            or self.deactivate
            or self.heads_set
        )

    def report(self, limit: int | None = REPORT_LIMIT) -> str:
        """Return the problems, then the changes, one per line; cut after ``limit`` characters."""
        text = "\n".join([f"! {p}" for p in self.problems] + self.lines)
        if limit is not None and len(text) > limit:
            cut = text[:limit].rsplit("\n", 1)[0]
            more = text[len(cut) :].count("\n")
            text = cut + "\n" + _("…… 另有 %(n)s 行") % {"n": more}
        return text


def _chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _names(found: Directory, taken: dict[str, tuple[str, str]], source: str) -> dict[str, str]:
    """The name each directory department gets: its own, unless another department has it.

    A name twice in the directory, or held by a department of another source
    or a local one not linked, gets its parent's name added: 研发部(北京分公司);
    still taken, its external id: 研发部(d42). ``taken``: name -> (source, external id).
    """
    counts: dict[str, int] = {}
    for dept in found.departments.values():
        counts[dept.name] = counts.get(dept.name, 0) + 1

    def free(name: str, ext: str) -> bool:
        holder = taken.get(name)
        # Free: nobody's, this department's own, a local department (linked), or one of this
        # source's that the directory renames or names alike (then it is counted twice above).
        return (
            holder is None
            or holder == ("local", "")
            or (holder[0] == source and holder[1] in found.departments)
        )

    result: dict[str, str] = {}
    used: set[str] = set()
    for ext, dept in found.departments.items():
        name = dept.name.strip()[:NAME_LENGTH] or ext[:NAME_LENGTH]
        if counts[dept.name] > 1 or not free(name, ext):
            parent = found.departments.get(dept.parent_id)
            name = f"{dept.name}({parent.name})"[:NAME_LENGTH] if parent else name
            if name in used or not free(name, ext) or parent is None:
                name = f"{dept.name}({ext})"[:NAME_LENGTH]
        used.add(name)
        result[ext] = name
    return result


def _cut(field_name: str, value: str) -> str:
    """``value`` trimmed and cut to the person column's length (a directory may allow longer)."""
    column = Person._meta.get_field(field_name)
    length = getattr(column, "max_length", None) or len(value)
    return value.strip()[:length]


PersonRow = tuple[int, str, str, str, str, str, str, int | None, bool, str, bool]
PERSON_COLUMNS = (
    "pk",
    "external_id",
    "username",
    "display_name",
    "email",
    "phone",
    "employee_number",
    "department_id",
    "is_active",
    "source",
    "directory_deactivated",
)


def plan(found: Directory, source: str) -> Plan:
    """Compare ``found`` with the rows of ``source``; return the changes (nothing is written)."""
    result = Plan(source=source, problems=list(found.problems))
    _plan_departments(found, source, result)
    _plan_people(found, source, result)
    return result


def _plan_departments(found: Directory, source: str, result: Plan) -> None:
    rows = list(Department.objects.values_list("pk", "name", "source", "external_id", "parent_id", "head_id"))
    taken = {name: (src, ext) for _pk, name, src, ext, _p, _h in rows}
    ours = {ext: (pk, name, parent) for pk, name, src, ext, parent, _h in rows if src == source and ext}
    ext_of = {pk: ext for pk, _n, src, ext, _p, _h in rows if src == source and ext}
    result.department_ext = ext_of
    local_by_name = {name: pk for pk, name, src, ext, _p, _h in rows if not ext}
    names = _names(found, taken, source)
    for ext, dept in found.departments.items():
        name = names[ext]
        result.parents[ext] = dept.parent_id
        if ext in ours:
            pk, old_name, parent_pk = ours[ext]
            changes: dict[str, Any] = {}
            if old_name != name:
                changes["name"] = name
                result.lines.append(_("~ 部门 %(old)s → %(new)s") % {"old": old_name, "new": name})
            old_parent = ext_of.get(parent_pk, "") if parent_pk else ""
            if old_parent != dept.parent_id:
                changes["parent"] = dept.parent_id
                parent_name = names.get(dept.parent_id, "—")
                result.lines.append(
                    _("~ 部门 %(name)s 上级 → %(parent)s") % {"name": name, "parent": parent_name}
                )
            if changes:
                result.department_changes[pk] = changes
        elif name in local_by_name:
            # A department made here (a charter, the Excel import) under the same name: linked, not doubled.
            pk = local_by_name.pop(name)
            result.department_changes[pk] = {"source": source, "external_id": ext, "parent": dept.parent_id}
            ext_of[pk] = ext
            result.lines.append(_("= 部门 %(name)s 关联到目录") % {"name": name})
        else:
            result.new_departments.append((ext, name))
            result.lines.append(_("+ 部门 %(name)s") % {"name": name})
    gone = [name for ext, (_pk, name, _p) in ours.items() if ext not in found.departments]
    result.departments_gone = len(gone)
    for name in gone:
        result.lines.append(_("- 部门 %(name)s 已不在目录中(保留)") % {"name": name})


def _existing_people(found: Directory, source: str) -> tuple[dict[str, PersonRow], dict[str, PersonRow]]:
    """Return this source's people by external id, and unlinked people matching a login or e-mail.

    Tuples, not model instances; the second dict is keyed by login and by
    lower-cased e-mail.
    """
    ours: dict[str, PersonRow] = {}
    for row in Person.objects.filter(source=source).exclude(external_id="").values_list(*PERSON_COLUMNS):
        ours[row[1]] = row
    unlinked: dict[str, PersonRow] = {}
    fresh = [p for ext, p in found.people.items() if ext not in ours]
    logins = [p.login for p in fresh]
    emails = [p.email.lower() for p in fresh if p.email]
    for batch in _chunks(logins):
        for row in Person.objects.filter(username__in=batch).values_list(*PERSON_COLUMNS):
            unlinked[row[2]] = row
    for batch in _chunks(emails):
        query = (
            Person.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=batch, external_id="")
            .values_list(*PERSON_COLUMNS)
        )
        for row in query:
            unlinked.setdefault("@" + row[4].lower(), row)
    return ours, unlinked


def _plan_people(found: Directory, source: str, result: Plan) -> None:
    ours, unlinked = _existing_people(found, source)
    # E-mail and employee number: one person each. The first listed keeps it.
    owner_of_email: dict[str, str] = {}
    owner_of_number: dict[str, str] = {}
    numbers = [p.employee_number for p in found.people.values() if p.employee_number]
    number_holders: dict[str, tuple[str, str]] = {}
    for batch in _chunks(numbers):
        rows = Person.objects.filter(employee_number__in=batch).values_list(
            "employee_number", "source", "external_id"
        )
        for number, src, ext in rows:
            number_holders[number] = (src, ext)
    linked_pks: set[int] = set()
    logins_used: set[str] = set()
    for ext, person in found.people.items():
        email = person.email.strip()
        if email:
            key = email.lower()
            if key in owner_of_email:
                result.problems.append(
                    _("电子邮箱 %(email)s 同时属于 %(first)s 和 %(second)s,仅保留给前者")
                    % {"email": email, "first": owner_of_email[key], "second": person.login}
                )
                email = ""
            else:
                owner_of_email[key] = person.login
        number = person.employee_number.strip()
        if number:
            holder = number_holders.get(number)
            if number in owner_of_number or (holder is not None and holder != (source, ext) and holder[1]):
                result.problems.append(
                    _("工号 %(number)s 重复(%(login)s),未设置") % {"number": number, "login": person.login}
                )
                number = ""
            else:
                owner_of_number[number] = person.login
        departments = [d for d in person.department_ids if d in found.departments]
        department = departments[0] if departments else ""
        if person.department_ids and not departments:
            result.problems.append(_("%(login)s 的部门不在目录中,未设部门") % {"login": person.login})
        row = ours.get(ext)
        if row is None:
            row = unlinked.get(person.login) or (unlinked.get("@" + email.lower()) if email else None)
            if row is not None and (row[1] or row[0] in linked_pks):
                # The login belongs to someone else (another source's person): not taken over.
                result.problems.append(
                    _("登录名 %(login)s 已被其他人使用,未同步此人") % {"login": person.login}
                )
                continue
        if row is None:
            if person.login in logins_used:
                result.problems.append(_("登录名 %(login)s 重复,未同步后者") % {"login": person.login})
                continue
            logins_used.add(person.login)
            result.new_people.append((person, email, number, department))
            result.lines.append(
                _("+ 人员 %(name)s (%(login)s)") % {"name": person.name, "login": person.login}
            )
            continue
        linked_pks.add(row[0])
        changes = _person_changes(row, person, email, number, department, source, result.department_ext)
        if changes:
            result.person_changes[row[0]] = changes
            shown = ", ".join(sorted(changes))
            result.lines.append(
                _("~ 人员 %(name)s (%(login)s):%(fields)s")
                % {"name": person.name, "login": row[2], "fields": shown}
            )
    for ext, row in ours.items():
        if ext not in found.people and row[8]:
            result.deactivate.append(row[0])
            result.lines.append(
                _("- 人员 %(name)s (%(login)s) 停用") % {"name": row[3] or row[2], "login": row[2]}
            )
    _plan_heads(found, source, result, ours)


def _person_changes(
    row: PersonRow,
    person: DirPerson,
    email: str,
    number: str,
    department: str,
    source: str,
    department_ext: dict[int, str],
) -> dict[str, Any]:
    _pk, ext, _login, name, old_email, phone, old_number, dept_pk, active, old_source, left = row
    wanted: dict[str, Any] = {
        "display_name": _cut("display_name", person.name),
        "email": _cut("email", email),
        "phone": _cut("phone", person.mobile),
        "employee_number": _cut("employee_number", number),
        # Back in the directory: active again only if the sync itself deactivated them.
        "is_active": active or left,
    }
    current = {
        "display_name": name,
        "email": old_email,
        "phone": phone,
        "employee_number": old_number,
        "is_active": active,
    }
    changes = {k: v for k, v in wanted.items() if current[k] != v}
    if left and changes.get("is_active"):
        changes["directory_deactivated"] = False
    current_department = "" if dept_pk is None else department_ext.get(dept_pk, f"#{dept_pk}")
    if current_department != department:
        changes["department"] = department  # "": in no department (the directory says so)
    if ext != person.external_id or old_source != source:
        changes["external_id"] = person.external_id
        changes["source"] = source
    return changes


def _plan_heads(found: Directory, source: str, result: Plan, ours: dict[str, PersonRow]) -> None:
    """The head of each directory department from the lead flags (the first listed leader)."""
    leaders: dict[str, str] = {}
    for ext, person in found.people.items():
        for dept in person.leads:
            if dept in found.departments and dept not in leaders:
                leaders[dept] = ext
    current = Department.objects.filter(source=source).exclude(external_id="")
    head_rows = current.values_list("external_id", "head__source", "head__external_id")
    heads_now = {ext: (hsrc, hext) for ext, hsrc, hext in head_rows}
    for ext in found.departments:
        wanted = leaders.get(ext, "")
        hsrc, hext = heads_now.get(ext, (None, None))
        if wanted:
            if (hsrc, hext) != (source, wanted):
                result.heads[ext] = wanted
                result.heads_set += 1
                result.lines.append(
                    _("~ 部门 %(dept)s 负责人 → %(person)s")
                    % {"dept": found.departments[ext].name, "person": found.people[wanted].name}
                )
        elif hsrc == source and hext:
            # The head came from the directory, which no longer names one: cleared.
            result.heads[ext] = ""
            result.heads_set += 1
            result.lines.append(_("~ 部门 %(dept)s 负责人 → —") % {"dept": found.departments[ext].name})
        # else: no leader in the directory and a head set here: left as it is


# --- 3. applying


def _apply(found: Directory, result: Plan) -> None:
    source = result.source
    new_departments = [
        Department(name=name, source=source, external_id=ext) for ext, name in result.new_departments
    ]
    # Renames first to a name nobody has, so that two departments may swap names.
    renamed = [pk for pk, c in result.department_changes.items() if "name" in c]
    if renamed:
        Department.objects.bulk_update(
            [Department(pk=pk, name=f"~{pk}~sync") for pk in renamed], ["name"], batch_size=BATCH
        )
    Department.objects.bulk_create(new_departments, batch_size=BATCH)
    dept_pk = dict(
        Department.objects.filter(source=source)
        .exclude(external_id="")
        .values_list("external_id", "pk")
        .iterator(chunk_size=2000)
    )
    for pk, changes in result.department_changes.items():
        if "external_id" in changes:
            dept_pk[changes["external_id"]] = pk
    for ext, _name in result.new_departments:  # new ones get their parent below
        if result.parents.get(ext):
            result.department_changes.setdefault(dept_pk[ext], {})["parent"] = result.parents[ext]
    by_fields: dict[tuple[str, ...], list[Department]] = {}
    for pk, changes in result.department_changes.items():
        values = dict(changes)
        if "parent" in values:
            parent = values.pop("parent")
            values["parent_id"] = dept_pk.get(parent) if parent else None
        by_fields.setdefault(tuple(sorted(values)), []).append(Department(pk=pk, **values))
    for fields, rows in by_fields.items():
        Department.objects.bulk_update(rows, list(fields), batch_size=BATCH)

    unusable = make_password(None)
    people = [
        Person(
            username=_cut("username", p.login),
            display_name=_cut("display_name", p.name),
            email=_cut("email", email),
            phone=_cut("phone", p.mobile),
            employee_number=_cut("employee_number", number),
            department_id=dept_pk.get(dept) if dept else None,
            source=source,
            external_id=p.external_id,
            password=unusable,
        )
        for p, email, number, dept in result.new_people
    ]
    for batch in _chunks(people):
        Person.objects.bulk_create(batch)
    del people
    by_person_fields: dict[tuple[str, ...], list[Person]] = {}
    for pk, changes in result.person_changes.items():
        values = dict(changes)
        if "department" in values:
            values["department_id"] = dept_pk.get(values.pop("department")) or None
        by_person_fields.setdefault(tuple(sorted(values)), []).append(Person(pk=pk, **values))
    for fields, changed in by_person_fields.items():
        Person.objects.bulk_update(changed, list(fields), batch_size=BATCH)
    for batch in _chunks(result.deactivate):
        # Deactivated, never deleted; every open session ends (the epoch, orgs/sessions.py).
        Person.objects.filter(pk__in=batch).update(
            is_active=False, directory_deactivated=True, session_epoch=F("session_epoch") + 1
        )
    if result.heads_set:
        person_pk = dict(
            Person.objects.filter(
                source=source, external_id__in=[e for e in result.heads.values() if e]
            ).values_list("external_id", "pk")
        )
        heads = [
            Department(pk=dept_pk[ext], head_id=person_pk.get(person) if person else None)
            for ext, person in result.heads.items()
            if ext in dept_pk
        ]
        Department.objects.bulk_update(heads, ["head"], batch_size=BATCH)


def _counts(result: Plan) -> dict[str, int]:
    people_updated = len(result.person_changes)
    departments_updated = len([c for c in result.department_changes.values() if c])
    return {
        "departments_created": len(result.new_departments),
        "departments_updated": departments_updated,
        "departments_gone": result.departments_gone,
        "people_created": len(result.new_people),
        "people_updated": people_updated,
        "people_deactivated": len(result.deactivate),
        "heads_set": result.heads_set,
    }


def _start(source: str, dry_run: bool) -> DirectorySync:
    """Record the run; refuse while another sync runs (in any process)."""
    DirectorySync.objects.filter(state=SyncState.RUNNING, started_at__lt=timezone.now() - STALE_AFTER).update(
        state=SyncState.FAILED, finished_at=timezone.now(), message=_("中断(进程已退出)")
    )
    try:
        with transaction.atomic():
            return DirectorySync.objects.create(source=source, dry_run=dry_run)
    except IntegrityError:
        raise SyncRefused(_("另一次目录同步正在进行,请稍后再试")) from None


def _finish(run: DirectorySync, state: SyncState, message: str, counts: dict[str, int], report: str) -> None:
    run.state = state
    run.finished_at = timezone.now()
    run.message = message[:500]
    run.report = report
    for key, value in counts.items():
        setattr(run, key, value)
    run.save()


def sync(source: Source, *, dry_run: bool = False, actor: Person | None = None) -> tuple[DirectorySync, Plan]:
    """Sync the organisation with ``source``; return the run (counts, message, report) and the plan.

    Raises ``SyncRefused`` when another sync runs. Any other failure is
    recorded on the run as failed (``DirectoryError``'s message, or the
    exception's class) with nothing changed, and raised again.
    """
    run = _start(source.name, dry_run)
    try:
        found = read(source)
        with transaction.atomic():
            result = plan(found, source.name)
            counts = _counts(result)
            if not dry_run and not result.empty:
                _apply(found, result)
                run_state = _finished_state(run, counts, result)
                record(run_state, None, actor=actor, collaboration=None, reason=_("目录同步"))
        del found
    except DirectoryError as exc:
        _finish(run, SyncState.FAILED, str(exc), {}, "")
        raise
    except Exception as exc:
        logger.exception("directory sync from %s failed", source.name)
        _finish(run, SyncState.FAILED, _("同步失败:%(error)s") % {"error": type(exc).__name__}, {}, "")
        raise
    message = _("试运行,未写入") if dry_run else (_("无变化") if result.empty else _("已同步"))
    _finish(run, SyncState.OK, message, counts, result.report())
    return run, result


def _finished_state(run: DirectorySync, counts: dict[str, int], result: Plan) -> DirectorySync:
    """The run as the audit entry shows it: its counts (the row is saved after the transaction)."""
    for key, value in counts.items():
        setattr(run, key, value)
    run.state = SyncState.OK
    return run
