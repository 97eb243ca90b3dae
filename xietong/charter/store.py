"""Importing a charter: store it as a new collaboration, all or nothing.

``import_charter_for`` is the one way in: the API (JSON and workbook), the
workbook page and ``xietong import`` all call it and translate only
``CharterError`` into their medium. Every refusal is found before anything is
written (the format's checks, then ``unstorable``), so SQLite and PostgreSQL
refuse the same charters with the same words; a ``DataError`` that still
slips through is mapped to ``CharterError`` here, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from django.db import DataError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.record import record
from xietong.charter.format import CharterError, Problem, parse_charter
from xietong.collabs.access import access_for
from xietong.collabs.actions.common import Directory, PersonUnresolved, free_slug, resolve_person
from xietong.collabs.actions.nominations import nominate_named
from xietong.collabs.actions.tasks import let_assignee_in
from xietong.collabs.assignees import assignable_by_department
from xietong.collabs.models import (
    Collaboration,
    Goal,
    MemberRole,
    Membership,
    Metric,
    Participant,
    PendingPerson,
    PendingRole,
    SubGoal,
    Task,
)
from xietong.collabs.snapshots import load_snapshot
from xietong.lib.limits import length_problem, limit_of
from xietong.lib.metrics import observe_import
from xietong.lib.recurrence import NEVER_OCCURS, never_occurs
from xietong.meetings.models import (
    CommunicationRule,
    Meeting,
    MeetingKind,
    MinutesConfirmation,
    MinutesRevision,
)
from xietong.meetings.reads import default_attendees, revision_content
from xietong.orgs.actions import do_propose_head
from xietong.orgs.models import Department, Person
from xietong.rules import snapshot as s

# A charter as JSON bytes or text, a decoded object, or already read (a trusted loader's snapshot).
CharterData = bytes | str | dict[str, Any] | s.Collab


def import_charter_for(
    person: Person | None,
    data: CharterData,
    *,
    slug: str | None = None,
    replace: bool = False,
    org_authority: bool = False,
) -> Collaboration:
    """Read, check and store a charter for ``person``; return the new collaboration.

    ``person`` is whoever imports it (None: an operator's command); when the
    charter names someone else as its initiator and ``person`` holds no role
    in it, they join as a member, so that whoever imported a collaboration can
    always open it. ``slug``, ``replace`` and ``org_authority`` are
    ``do_import_charter``'s. Raises ``CharterError`` (every problem, with its
    path) and then nothing was written.
    """
    collab = data if isinstance(data, s.Collab) else parse_charter(data)
    try:
        return _store_for(person, collab, slug=slug, replace=replace, org_authority=org_authority)
    except DataError:
        # Only what the checks above missed: the database, not the charter, is then the judge.
        raise CharterError.at("", _("有的值超出了可保存的长度或范围")) from None


@transaction.atomic
def _store_for(
    person: Person | None, collab: s.Collab, *, slug: str | None, replace: bool, org_authority: bool
) -> Collaboration:
    stored = do_import_charter(collab, slug=slug, replace=replace, actor=person, org_authority=org_authority)
    if person is not None and not access_for(person, stored).sees_anything:
        membership = Membership.objects.create(collaboration=stored, person=person, role=MemberRole.MEMBER)
        record(membership, None, actor=person, collaboration=stored, reason=_("导入者加入为成员"))
    return stored


def check_charter(data: CharterData) -> s.Collab:
    """Return the snapshot of a charter the import would store, writing nothing; else ``CharterError``."""
    collab = data if isinstance(data, s.Collab) else parse_charter(data)
    problems = list(unstorable(collab))
    if problems:
        raise CharterError(problems)
    return collab


def unstorable(collab: s.Collab) -> Iterator[Problem]:
    """Yield what a well-formed charter holds that the database cannot.

    Two liaisons (P02), a department listed twice (P03) or a task with two
    responsible departments (R02) are exactly what the database forbids; the
    charter must be fixed first.
    """
    if not collab.title:
        yield Problem("title", _("导入需要协作名称"))
    if collab.kickoff is not None and "" in collab.kickoff.confirmations:
        yield Problem("kickoff.confirmations", _("部门名称为空"))
    if collab.kickoff is not None:
        for name in collab.kickoff.proxies:
            if name not in collab.kickoff.confirmations:
                # a proxy marks a confirmation: there must be one to mark
                yield Problem(
                    "kickoff.proxy_confirmations",
                    _("%(name)s 的代确认没有对应的确认时间(kickoff.confirmations)") % {"name": name},
                )
    seen: set[str] = set()
    for i, dept in enumerate(collab.departments):
        if not dept.name:
            yield Problem(f"departments[{i}].name", _("部门名称为空"))
        elif dept.name in seen:
            yield Problem(f"departments[{i}].name", _("部门 %(name)s 重复列出 (P03)") % {"name": dept.name})
        seen.add(dept.name)
        if len(dept.liaisons) > 1:
            yield Problem(f"departments[{i}].liaison", _("每个部门只能有一名对接负责人 (P02)"))
    metric_names: set[str] = set()
    for i, metric in enumerate(collab.goal.metrics if collab.goal else ()):
        if not metric.name:
            yield Problem(f"goal.metrics[{i}].name", _("指标名称为空"))
        elif metric.name in metric_names:
            yield Problem(f"goal.metrics[{i}].name", _("指标 %(name)s 重复") % {"name": metric.name})
        metric_names.add(metric.name)
    for i, task in enumerate(collab.tasks):
        if len(task.departments) > 1:
            yield Problem(f"tasks[{i}].department", _("每项任务只能有一个责任部门 (R02)"))
    for i, subgoal in enumerate(collab.subgoals):
        if subgoal.metric and subgoal.metric not in metric_names:
            yield Problem(
                f"subgoals[{i}].metric", _("核心目标中没有名为 %(name)s 的指标") % {"name": subgoal.metric}
            )
    # A rule that never happens would never remind anyone (and once cost the sweep seconds a row):
    # refused as the sub-goal and plan forms refuse it.
    now = timezone.localtime()
    for i, subgoal in enumerate(collab.subgoals):
        limit = subgoal.time_limit
        if limit is not None and limit.kind == s.DeadlineKind.RECURRING and never_occurs(limit.rrule, now):
            yield Problem(f"subgoals[{i}].deadline.rrule", str(NEVER_OCCURS % {"rrule": limit.rrule}))
    for i, rule in enumerate(collab.communication):
        if rule.frequency == s.FrequencyKind.RRULE and never_occurs(rule.rrule, now):
            yield Problem(f"communication[{i}].frequency", str(NEVER_OCCURS % {"rrule": rule.rrule}))


@transaction.atomic
def do_import_charter(
    collab: s.Collab,
    *,
    slug: str | None = None,
    replace: bool = False,
    actor: Person | None = None,
    org_authority: bool = False,
) -> Collaboration:
    """Store a parsed charter as a new collaboration and return it.

    With ``replace`` an existing collaboration with the same slug is deleted
    first (its readings and memberships with it). Raises ``CharterError``
    before writing anything when the charter cannot be stored.

    A head the charter names for a department is only proposed
    (``HeadProposal``, for staff to confirm): a head holds the head role in
    every collaboration of the department. ``org_authority`` lets trusted
    code (the demo, ``xietong import --apply-org-changes``) set the heads of
    departments that have none; no request ever passes it.
    """
    problems = list(unstorable(collab))
    slug_problem = length_problem(slug, limit_of(Collaboration, "slug")) if slug else None
    if slug_problem is not None:
        problems.append(Problem("slug", slug_problem))
    elif slug:
        existing = Collaboration.objects.filter(slug=slug).first()
        if existing is not None:
            if not replace:
                problems.append(Problem("slug", _("已存在标识为 %(slug)s 的协作") % {"slug": slug}))
            else:
                existing.delete()
    if problems:
        raise CharterError(problems)

    people = Directory()
    initiator_department = people.department(collab.initiator_department)
    # A named initiator without an account is 待邀请; meanwhile whoever imports stands in as the owner.
    named_owner = people.person(collab.initiator_owner, initiator_department)
    stored = Collaboration.objects.create(
        slug=slug or free_slug(collab.title),
        title=collab.title,
        type=str(collab.type) if collab.type else "",
        background=collab.background,
        expected_outcome=collab.expected_outcome,
        initiator_department=initiator_department,
        # No initiator named: no owner, as before (the importer joins as a member, ``_store_for``).
        owner=named_owner or (actor if collab.initiator_owner else None),
    )
    record(stored, None, actor=actor, collaboration=stored, reason=_("导入协作章程"))
    pending = []
    if collab.initiator_owner and named_owner is None:
        pending.append(_pending(stored, collab.initiator_owner, initiator_department, PendingRole.OWNER))
    _store_goal(stored, collab.goal)
    pending += _store_departments(
        stored, collab.departments, people, actor=actor, org_authority=org_authority
    )
    PendingPerson.objects.bulk_create(pending)
    metrics = {m.name: m for m in Metric.objects.filter(goal__collaboration=stored)}
    _store_tasks(stored, collab.tasks, people)
    SubGoal.objects.bulk_create(
        SubGoal(
            collaboration=stored,
            position=i,
            description=g.description,
            department=people.department(g.department),
            metric=metrics.get(g.metric),
            target=g.target,
            unit=g.unit,
            **_time_limit_fields(g.time_limit),
        )
        for i, g in enumerate(collab.subgoals)
    )
    CommunicationRule.objects.bulk_create(
        CommunicationRule(
            collaboration=stored,
            position=i,
            scenario=str(c.scenario or ""),
            channel=str(c.channel or ""),
            frequency=str(c.frequency or ""),
            rrule=c.rrule,
            outputs=list(c.outputs),
            owner=c.owner,
            admin=c.admin,
        )
        for i, c in enumerate(collab.communication)
    )
    if collab.kickoff is not None:
        _store_kickoff(stored, collab.kickoff, people)
    # Colleagues the importer named are asked first; until they answer, no reminders reach them.
    nominate_named(stored, by=actor)
    rows = len(collab.departments) + len(collab.tasks) + len(collab.subgoals) + len(collab.communication)
    transaction.on_commit(lambda: observe_import("charter", rows))  # the import's size (/metrics)
    return stored


@dataclass(frozen=True)
class OrgChanges:
    """What storing a charter would change in the organisation, so that nothing changes silently."""

    departments_created: tuple[str, ...]
    people_created: tuple[str, ...]
    # (department, person): proposed for staff to confirm, or set by organisation authority
    heads_proposed: tuple[tuple[str, str], ...]

    def __bool__(self) -> bool:
        return bool(self.departments_created or self.people_created or self.heads_proposed)

    def lines(self, *, applied: bool = False) -> list[str]:
        """The report, one line per kind of change (none when nothing changes).

        ``applied``: the heads are set by organisation authority (on departments
        without one), not proposed.
        """
        lines = [_("组织变更:")] if self else []
        if self.departments_created:
            lines.append("  " + _("新建部门:%(names)s") % {"names": "、".join(self.departments_created)})
        if self.people_created:
            lines.append(
                "  "
                + _("待邀请(找不到账号,不会自动新建;导入后可一键邀请):%(names)s")
                % {"names": "、".join(self.people_created)}
            )
        if self.heads_proposed:
            pairs = "、".join(f"{d} ← {p}" for d, p in self.heads_proposed)
            if applied:
                lines.append("  " + _("设定部门负责人(仅限尚无负责人的部门):%(pairs)s") % {"pairs": pairs})
            else:
                lines.append("  " + _("提议部门负责人(待组织管理员确认):%(pairs)s") % {"pairs": pairs})
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "departments_created": list(self.departments_created),
            "people_created": list(self.people_created),
            "heads_proposed": [{"department": d, "person": p} for d, p in self.heads_proposed],
        }


def organisation_changes(collab: s.Collab) -> OrgChanges:
    """Return what importing ``collab`` would change in the organisation; reads only.

    Departments and people are matched by name as the import matches them.
    """
    names = [collab.initiator_department, *(d.name for d in collab.departments)]
    names += [name for t in collab.tasks for name in (*t.departments, *t.collaborators)]
    names += [g.department for g in collab.subgoals]
    names += list(collab.kickoff.confirmations) if collab.kickoff else []
    wanted = [n for n in dict.fromkeys(names) if n]
    known = {d.name: d for d in Department.objects.filter(name__in=wanted).select_related("head")}
    people = [collab.initiator_owner, *(n for d in collab.departments for n in (*d.liaisons, d.head))]
    wanted_people = [n for n in dict.fromkeys(people) if n]
    found = set(
        Person.objects.filter(is_active=True, display_name__in=wanted_people).values_list(
            "display_name", flat=True
        )
    ) | set(
        Person.objects.filter(is_active=True, username__in=wanted_people).values_list("username", flat=True)
    )
    heads = []
    for dept in collab.departments:
        current = known.get(dept.name)
        # A head nobody in the directory answers to waits as 待邀请 (``people_created``), not proposed.
        if dept.head in found and not (current and current.head and current.head.name == dept.head):
            heads.append((dept.name, dept.head))
    return OrgChanges(
        departments_created=tuple(n for n in wanted if n not in known),
        people_created=tuple(n for n in wanted_people if n not in found),
        heads_proposed=tuple(dict.fromkeys(heads)),
    )


def _store_goal(stored: Collaboration, goal: s.Goal | None) -> None:
    if goal is None:
        return
    row = Goal.objects.create(collaboration=stored, statement=goal.statement, deadline=goal.deadline)
    Metric.objects.bulk_create(
        Metric(
            goal=row,
            position=i,
            name=m.name,
            unit=m.unit,
            baseline=m.baseline,
            target=m.target,
            direction=str(m.direction or ""),
            scale_max=m.scale_max,
        )
        for i, m in enumerate(goal.metrics)
    )


def _store_departments(
    stored: Collaboration,
    departments: tuple[s.Department, ...],
    people: Directory,
    *,
    actor: Person | None,
    org_authority: bool,
) -> list[PendingPerson]:
    """Store the participating departments; return the names that matched nobody (unsaved, 待邀请)."""
    rows = []
    pending = []
    for i, dept in enumerate(departments):
        department = people.department(dept.name)
        assert department is not None  # unstorable() refused nameless departments
        current = department.head
        head = (
            None
            if current is not None and current.name == dept.head
            else people.person(dept.head, department)
        )
        if dept.head and head is None and not (current is not None and current.name == dept.head):
            pending.append(_pending(stored, dept.head, department, PendingRole.HEAD))
        if head is not None and org_authority and current is None:
            department.head = head
            department.save(update_fields=["head"])
        elif head is not None:
            # Never set by the charter itself, and never replaced: staff decide.
            do_propose_head(department, head, proposed_by=actor, collaboration=stored)
        liaison = people.person(dept.liaisons[0], department) if dept.liaisons else None
        if dept.liaisons and dept.liaisons[0] and liaison is None:
            pending.append(_pending(stored, dept.liaisons[0], department, PendingRole.LIAISON))
        rows.append(
            Participant(
                collaboration=stored,
                department=department,
                liaison=liaison,
                duties=dept.duties,
                role=dept.role,
                position=i,
            )
        )
    Participant.objects.bulk_create(rows)
    return pending


def _pending(stored: Collaboration, name: str, department: Department | None, role: str) -> PendingPerson:
    return PendingPerson(collaboration=stored, name=name, department=department, role=role)


def charter_snapshot(collab: Collaboration) -> s.Collab:
    """Return the snapshot a charter export writes: the stored collaboration with its 待邀请 names.

    A name that is still waiting to be invited is exported where it was
    given, so that exporting and importing again loses nothing (the rules
    judge ``load_snapshot``, where the place is still empty: P01).
    """
    snapshot = load_snapshot(collab)
    waiting = {(p.role, p.department_id): p.name for p in PendingPerson.objects.filter(collaboration=collab)}
    if not waiting:
        return snapshot
    by_name = dict(Department.objects.filter(participations__collaboration=collab).values_list("name", "pk"))
    departments = []
    for d in snapshot.departments:
        pk = by_name.get(d.name)
        liaison = waiting.get((PendingRole.LIAISON, pk))
        head = waiting.get((PendingRole.HEAD, pk))
        departments.append(
            replace(d, liaisons=d.liaisons or ((liaison,) if liaison else ()), head=head or d.head)
        )
    owner = waiting.get((PendingRole.OWNER, collab.initiator_department_id))
    return replace(
        snapshot,
        departments=tuple(departments),
        initiator_owner=owner or snapshot.initiator_owner,
    )


def _store_tasks(stored: Collaboration, tasks: tuple[s.Task, ...], people: Directory) -> None:
    rows = Task.objects.bulk_create(
        Task(
            collaboration=stored,
            position=i,
            description=t.description,
            department=people.department(t.departments[0]) if t.departments else None,
            standard=t.standard,
            deadline=t.deadline,
            status=str(t.status),
            percent=100 if t.status == s.TaskStatus.DONE else 0,
            blocked_reason=t.blocked_reason,
            blocked_since=t.blocked_since,
            escalated_at=t.escalated_at,
        )
        for i, t in enumerate(tasks)
    )
    through = Task.collaborators.through
    links = []
    for row, task in zip(rows, tasks, strict=True):
        for name in dict.fromkeys(task.collaborators):  # once each, in order
            department = people.department(name)
            assert department is not None
            links.append(through(task_id=row.pk, department_id=department.pk))
    through.objects.bulk_create(links)
    _store_people_on_rows(stored, rows, tasks)


def _named(name: str, department: Department | None, path: str) -> Person:
    """The one active person ``name`` names, or ``CharterError`` at ``path`` (nothing is stored then)."""
    try:
        person = resolve_person(name, department)
    except PersonUnresolved as unresolved:
        if unresolved.candidates:
            reason = _("有多人名为“%(name)s”,请改用登录名") % {"name": name}
        else:
            reason = _("找不到名为“%(name)s”的人员(执行人和关注人须已有账号)") % {"name": name}
        raise CharterError.at(path, reason) from None
    assert person is not None
    return person


def _store_people_on_rows(stored: Collaboration, rows: list[Task], tasks: tuple[s.Task, ...]) -> None:
    """Set the rows' assignees (of the row's department) and watchers, named in the charter.

    Unlike a liaison, an assignee or watcher is never 待邀请: a name that finds
    nobody, or several people, refuses the whole import with its path.
    """
    if not any(t.assignee or t.watchers for t in tasks):
        return
    fits = assignable_by_department(stored)
    assigned: list[Task] = []
    watching = []
    seen: dict[int, Person] = {}
    for i, (row, task) in enumerate(zip(rows, tasks, strict=True)):
        if task.assignee:
            person = _named(task.assignee, row.department, f"tasks[{i}].assignee")
            if row.department_id is None or person not in fits.get(row.department_id, []):
                raise CharterError.at(
                    f"tasks[{i}].assignee",
                    _("“%(name)s”不是该行责任部门的人员,不能做执行人") % {"name": task.assignee},
                )
            row.assignee = person
            assigned.append(row)
            seen[person.pk] = person
        for name in task.watchers:
            watcher = _named(name, None, f"tasks[{i}].watchers")
            watching.append(Task.watchers.through(task_id=row.pk, person_id=watcher.pk))
    Task.objects.bulk_update(assigned, ["assignee"])
    Task.watchers.through.objects.bulk_create(watching, ignore_conflicts=True)
    for person in seen.values():
        let_assignee_in(stored, person, None)


def _time_limit_fields(limit: s.TimeLimit | None) -> dict[str, Any]:
    if limit is None:
        return {}
    return {
        "deadline_kind": str(limit.kind),
        "deadline_date": limit.date,
        "rrule": limit.rrule,
        "sla_hours": limit.hours,
        "sla_trigger": limit.trigger,
    }


def _store_kickoff(stored: Collaboration, kickoff: s.Kickoff, people: Directory) -> None:
    meeting = Meeting.objects.create(
        collaboration=stored,
        kind=MeetingKind.KICKOFF,
        # No title: pages name it by its kind, in the reader's language.
        title="",
        scheduled_at=kickoff.scheduled_at,
        agenda_sent_at=kickoff.agenda_sent_at,
        minutes_issued_at=kickoff.minutes_issued_at,
        minutes_revision=1 if kickoff.minutes_issued_at else 0,
        chair=stored.owner,
    )
    meeting.attendees.set(default_attendees(stored))
    if kickoff.minutes_issued_at is not None:
        MinutesRevision.objects.create(
            meeting=meeting,
            number=1,
            issued_at=kickoff.minutes_issued_at,
            issued_by=stored.owner,
            content=revision_content(meeting),
        )
    confirmations = []
    for name, moment in kickoff.confirmations.items():
        department = people.department(name)
        assert department is not None
        proxy = kickoff.proxies.get(name)
        confirmations.append(
            MinutesConfirmation(
                meeting=meeting,
                department=department,
                confirmed_at=moment,
                confirmed_by=department.head,
                # 代确认: who recorded it, found by name (never created); the reason marks it
                proxy_by=people.person(proxy.by, None) if proxy else None,
                proxy_reason=proxy.reason if proxy else "",
            )
        )
    MinutesConfirmation.objects.bulk_create(confirmations)
    participating = set(stored.participants.values_list("department_id", flat=True))
    if (
        kickoff.minutes_issued_at
        and confirmations
        and participating <= {c.department_id for c in confirmations}
    ):
        meeting.minutes_locked_at = max(c.confirmed_at for c in confirmations)
        meeting.save(update_fields=["minutes_locked_at"])
