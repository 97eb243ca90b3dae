"""What is due at ``now``: the reminders of the guide's deadlines, computed from the data.

Each finder reads what it needs with a few set-based queries and yields
``Due`` reminders; nothing here writes. A reminder's ``occasion`` names the
thing and the moment it is about (a meeting at its scheduled time, a task
with its deadline, a blocker at a level), so a rescheduled meeting or a
moved deadline is reminded again while the same occasion never is. When a
reminder has run past its moment (the sweep was stopped), its successor is
due instead: minutes overdue rather than minutes due.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, JSONObject, Replace, Substr, TruncDate
from django.urls import reverse

from xietong.collabs.models import (
    Collaboration,
    DeadlineKind,
    Participant,
    SubGoal,
    Task,
    TaskStatus,
    overdue_filter,
)
from xietong.lib.schedule import occurrences as meeting_occurrences
from xietong.meetings.models import Channel, CommunicationRule, Frequency, Meeting, MeetingKind
from xietong.meetings.models import MinutesConfirmation as Confirmation
from xietong.notify.models import Kind
from xietong.orgs.models import Department
from xietong.rules.escalation import HEADS, Run, escalated_runs
from xietong.rules.kickoff import AGENDA_LEAD, MINUTES_WITHIN
from xietong.rules.reporting import (
    UPDATE_WARNING,
    Periods,
    WeeklyMeeting,
    has_reported,
    must_report,
    periods_at,
)
from xietong.tracking.boards import working_day
from xietong.tracking.models import ProgressUpdate, SlaRequest, SubGoalCheck
from xietong.tracking.sla import ClockState, clock_of, due_times

logger = logging.getLogger("xietong.notify")

# The agenda is due AGENDA_LEAD before the kickoff (K02, rules.kickoff) and reminded one day before that.
AGENDA_WARNING = timedelta(hours=24)
# How far back missed occurrences of recurring sub-goals are still reminded.
MISSED_LOOKBACK = timedelta(days=14)


@dataclass(frozen=True)
class Due:
    """One reminder that is due: to ``recipient_id``, or to the group robots when None."""

    kind: Kind
    occasion: str
    collaboration_id: int
    recipient_id: int | None
    link: str
    params: dict[str, Any] = field(default_factory=dict)
    binding: str = ""

    @property
    def key(self) -> str:
        """The idempotency key: one reminder per occasion and recipient, ever."""
        return f"{self.occasion}|{self.recipient_id if self.recipient_id is not None else 'group'}"


@dataclass
class People:
    """Who to remind in the collaborations at hand: liaisons, heads, the initiator (two queries)."""

    liaisons: dict[tuple[int, int], int]
    heads: dict[int, int]
    owners: dict[int, int]

    @classmethod
    def load(cls, collab_ids: Iterable[int]) -> People:
        ids = set(collab_ids)
        liaisons = {
            (collab_id, dept_id): liaison_id
            for collab_id, dept_id, liaison_id in Participant.objects.filter(
                collaboration_id__in=ids, liaison__isnull=False
            ).values_list("collaboration_id", "department_id", "liaison_id")
            if liaison_id is not None
        }
        heads = dict(Department.objects.filter(head__isnull=False).values_list("id", "head_id"))
        owners = dict(
            Collaboration.objects.filter(id__in=ids, owner__isnull=False).values_list("id", "owner_id")
        )
        return cls(liaisons, heads, owners)

    def liaison(self, collab_id: int, department_id: int | None) -> int | None:
        """The department's liaison in the collaboration, else its head."""
        if department_id is None:
            return None
        return self.liaisons.get((collab_id, department_id)) or self.heads.get(department_id)

    def owner(self, collab_id: int) -> int | None:
        return self.owners.get(collab_id)


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local(moment: datetime) -> str:
    """A moment as the product shows it in both languages (ISO, local time)."""
    return moment.astimezone(_tz()).strftime("%Y-%m-%d %H:%M")


def _open_collaborations() -> Q:
    return Q(collaboration__closed_at__isnull=True)


def _kickoffs(collab_ids: Iterable[int]) -> dict[int, datetime]:
    """When each collaboration's kickoff is (or was): execution, and the duties it brings, start there."""
    return {
        collab_id: at
        for collab_id, at in Meeting.objects.filter(
            collaboration_id__in=set(collab_ids),
            kind=MeetingKind.KICKOFF,
            scheduled_at__isnull=False,
            cancelled_at__isnull=True,  # a cancelled kickoff is no kickoff: it must be rescheduled
        ).values_list("collaboration_id", "scheduled_at")
        if at is not None
    }


def _fan_out(recipients: Iterable[int | None], **due: Any) -> Iterator[Due]:
    """One ``Due`` per distinct recipient, plus one for the group robots."""
    seen: set[int] = set()
    for person in recipients:
        if person is not None and person not in seen:
            seen.add(person)
            yield Due(recipient_id=person, **due)
    yield Due(recipient_id=None, **due)


# --- meetings


def _meeting_link(meeting: Meeting) -> str:
    """The kickoff's own page (step 3), or the meeting's page."""
    if meeting.kind == MeetingKind.KICKOFF:
        return reverse("meetings:kickoff", args=[meeting.collaboration.slug])
    return reverse("meetings:meeting", args=[meeting.collaboration.slug, meeting.pk])


def _meeting_params(meeting: Meeting) -> dict[str, str]:
    """The meeting's own title, or its kind for ``messages`` to name in the reader's language."""
    return {"meeting": meeting.title, "meeting_kind": meeting.kind}


def agenda_due(now: datetime) -> Iterator[Due]:
    """The kickoff's agenda is not sent and fewer than 4 days remain (it must go out 3 days before)."""
    kickoffs = Meeting.objects.filter(
        _open_collaborations(),
        kind=MeetingKind.KICKOFF,
        agenda_sent_at__isnull=True,
        cancelled_at__isnull=True,
        scheduled_at__gt=now,
        scheduled_at__lte=now + AGENDA_LEAD + AGENDA_WARNING,
    ).select_related("collaboration")
    for meeting in kickoffs:
        assert meeting.scheduled_at is not None
        collab = meeting.collaboration
        yield from _fan_out(
            [meeting.chair_id or collab.owner_id],
            kind=Kind.AGENDA_DUE,
            occasion=f"agenda_due:m{meeting.pk}:{meeting.scheduled_at:%Y%m%dT%H%M}",
            collaboration_id=collab.pk,
            link=_meeting_link(meeting),
            params={
                "collab": collab.title,
                **_meeting_params(meeting),
                "when": _local(meeting.scheduled_at),
                "deadline": _local(meeting.scheduled_at - AGENDA_LEAD),
            },
        )


def minutes_due(now: datetime) -> Iterator[Due]:
    """A meeting has ended without issued minutes: due within 24 h of its start, overdue after."""
    meetings = Meeting.objects.filter(
        _open_collaborations(),
        minutes_issued_at__isnull=True,
        cancelled_at__isnull=True,
        scheduled_at__lte=now,
    ).select_related("collaboration")
    for meeting in meetings:
        assert meeting.scheduled_at is not None
        if meeting.scheduled_at + timedelta(minutes=meeting.duration_minutes) > now:
            continue  # still in session
        collab = meeting.collaboration
        due = meeting.scheduled_at + MINUTES_WITHIN
        kind = Kind.MINUTES_DUE if now < due else Kind.MINUTES_OVERDUE
        yield from _fan_out(
            [meeting.chair_id or collab.owner_id],
            kind=kind,
            occasion=f"{kind}:m{meeting.pk}:{meeting.scheduled_at:%Y%m%dT%H%M}",
            collaboration_id=collab.pk,
            link=_meeting_link(meeting),
            params={
                "collab": collab.title,
                **_meeting_params(meeting),
                "when": _local(meeting.scheduled_at),
                "deadline": _local(due),
            },
        )


def confirmation_pending(now: datetime) -> Iterator[Due]:
    """Issued, unlocked minutes that a participating department's head has not confirmed.

    Read as values (every such meeting and participant, each sweep); the
    meetings themselves are loaded only when a confirmation is pending.
    """
    issued = list(
        Meeting.objects.filter(
            _open_collaborations(),
            minutes_issued_at__isnull=False,
            minutes_issued_at__lte=now,
            minutes_locked_at__isnull=True,
            minutes_reopened_at__isnull=True,
        ).values_list("pk", "collaboration_id")
    )
    if not issued:
        return
    confirmed = set(
        Confirmation.objects.filter(
            meeting_id__in=[pk for pk, _collab in issued], revision=F("meeting__minutes_revision")
        ).values_list("meeting_id", "department_id")
    )
    departments: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
    for collab_id, dept_id, name, head_id in Participant.objects.filter(
        collaboration_id__in={collab_id for _pk, collab_id in issued}
    ).values_list("collaboration_id", "department_id", "department__name", "department__head_id"):
        departments[collab_id].append((dept_id, name, head_id))
    pending = [
        (
            pk,
            [
                (dept_id, name, head)
                for dept_id, name, head in departments[collab_id]
                if (pk, dept_id) not in confirmed and head is not None
            ],
        )
        for pk, collab_id in issued
    ]
    pending = [(pk, heads) for pk, heads in pending if heads]
    if not pending:
        return
    meetings = Meeting.objects.select_related("collaboration").in_bulk([pk for pk, _heads in pending])
    for pk, heads in pending:
        meeting = meetings.get(pk)
        if meeting is None:
            continue  # deleted meanwhile
        collab = meeting.collaboration
        for dept_id, name, head in heads:
            yield Due(
                kind=Kind.CONFIRMATION_PENDING,
                occasion=f"confirm:m{meeting.pk}:r{meeting.minutes_revision}:d{dept_id}",
                collaboration_id=collab.pk,
                recipient_id=head,
                link=_meeting_link(meeting),
                params={
                    "collab": collab.title,
                    **_meeting_params(meeting),
                    "department": name,
                    "revision": meeting.minutes_revision,
                },
            )


def weekly_update_due(now: datetime) -> Iterator[Due]:
    """A weekly meeting is less than a day away and a department that must report has not (``rules.reporting``).

    The meeting is the next checkpoint of ``rules.reporting.periods_at``;
    a department is reminded when its state at ``now`` is not 已汇报 (it
    has not updated its rows since the current period began: the previous
    meeting, or the kickoff), exactly what T03 and the weekly list judge.
    Only departments that must report (open rows) are reminded: their
    liaison, and the group through the meeting's row of the plan. Nothing
    before the kickoff is held, nor after the goal's deadline. A plan
    without a weekly meeting has no meeting to remind of: the rule and the
    list still expect a report every week from the kickoff.
    """
    tz = _tz()
    today = now.astimezone(tz).date()
    # EXISTS, not a join with DISTINCT: a join reads every task of every collaboration.
    has_tasks = Exists(Task.objects.filter(collaboration_id=OuterRef("collaboration_id")))
    plans: dict[int, list[CommunicationRule]] = defaultdict(list)
    for rule in (
        CommunicationRule.objects.filter(
            has_tasks,
            _open_collaborations(),
            channel=Channel.WEEKLY_MEETING,
            frequency=Frequency.RRULE,
        )
        .exclude(rrule="")
        .exclude(collaboration__goal__deadline__lt=today)
        .select_related("collaboration")
        .order_by("pk")
    ):
        plans[rule.collaboration_id].append(rule)
    kickoffs = _kickoffs(plans)
    # (the collaboration's plan rows, the meeting's time, when the current period began)
    upcoming: list[tuple[list[CommunicationRule], datetime, datetime]] = []
    # Collaborations that share a kickoff and a plan share their periods: expanded once.
    expanded: dict[tuple[datetime, tuple[WeeklyMeeting, ...]], Periods | None] = {}
    for collab_id, rules in plans.items():
        kickoff = kickoffs.get(collab_id)
        if kickoff is None:
            continue
        meetings = tuple(WeeklyMeeting(r.rrule, r.holiday_policy) for r in rules)
        try:
            if (kickoff, meetings) not in expanded:
                expanded[kickoff, meetings] = periods_at(kickoff, meetings, now, tz)
            periods = expanded[kickoff, meetings]
        except Exception:
            # One bad row must not stop the reminders of every other collaboration.
            logger.exception("the weekly meetings of collaboration %s could not be expanded", collab_id)
            continue
        if periods is not None and periods.next is not None and periods.next <= now + UPDATE_WARNING:
            upcoming.append((rules, periods.next, periods.current))
    if not upcoming:
        return
    collab_ids = {rules[0].collaboration_id for rules, _at, _since in upcoming}
    statuses: dict[tuple[int, int], list[str]] = defaultdict(list)
    for collab_id, dept_id, status in (
        Task.objects.filter(collaboration_id__in=collab_ids, department__isnull=False)
        .values_list("collaboration_id", "department_id", "status")
        .order_by()
        .distinct()
    ):
        statuses[collab_id, dept_id].append(status)
    open_rows: dict[int, set[int]] = defaultdict(set)
    for (collab_id, dept_id), of_department in statuses.items():
        if must_report(of_department):
            open_rows[collab_id].add(dept_id)
    last_update = {
        (c, d): at
        for c, d, at in ProgressUpdate.objects.filter(collaboration_id__in=collab_ids)
        .values("collaboration_id", "department_id")
        .annotate(last=Max("created_at"))
        .values_list("collaboration_id", "department_id", "last")
    }
    names = dict(Department.objects.filter(id__in=set().union(*open_rows.values())).values_list("id", "name"))
    people = People.load(collab_ids)
    for rules, at, since in upcoming:
        collab = rules[0].collaboration
        rule = _holding(rules, at, tz)
        for dept_id in sorted(open_rows[collab.pk]):
            if has_reported(last_update.get((collab.pk, dept_id)), since):
                continue
            yield from _fan_out(
                [people.liaison(collab.pk, dept_id)],
                kind=Kind.WEEKLY_UPDATE_DUE,
                occasion=f"weekly:r{rule.pk}:{at:%Y%m%dT%H%M}:d{dept_id}",
                collaboration_id=collab.pk,
                link=reverse("tracking:tracking", args=[collab.slug]),
                params={"collab": collab.title, "department": names.get(dept_id, ""), "when": _local(at)},
                binding=rule.binding,
            )


def _holding(rules: list[CommunicationRule], at: datetime, tz: ZoneInfo) -> CommunicationRule:
    """The row of the plan whose meeting is held at ``at`` (the first one when several are)."""
    for rule in rules:
        try:
            held = meeting_occurrences(rule.rrule, at.astimezone(tz), at, rule.holiday_policy)
        except ValueError:
            continue
        if any(o.at == at for o in held):
            return rule
    return rules[0]


# --- the responsibility table


def _task_link() -> Concat:
    """The row's page, built in SQL from the URL pattern (reversed once with placeholders)."""
    marker = reverse("collabs:task", args=["SLUG", 1234567890])
    before, rest = marker.split("SLUG", 1)
    middle, after = rest.split("1234567890", 1)
    return Concat(
        Value(before),
        F("collaboration__slug"),
        Value(middle),
        Cast("pk", CharField()),
        Value(after),
        output_field=CharField(),
    )


def _task_params() -> dict[str, Any]:
    """The message values of a row, as SQL expressions (``JSONObject`` keys)."""
    return {
        "collab": F("collaboration__title"),
        "task": Substr("description", 1, 200),
        "department": Coalesce(F("department__name"), Value("")),
        "deadline": Coalesce(Cast("deadline", CharField()), Value("")),
    }


def _liaison_or_head() -> Coalesce:
    """The row's department's liaison in the collaboration, else its head (``People.liaison`` in SQL).

    A join (``liaising``, see ``_with_liaison``), not a subquery: the column is
    read several times per row (the recipient, the key, the unheard test).
    """
    return Coalesce(F("liaising__liaison_id"), F("department__head_id"), output_field=BigIntegerField())


def _with_liaison(rows: QuerySet[Task]) -> QuerySet[Task]:
    """The rows joined to their department's participation in the collaboration when it names a liaison.

    At most one (a department takes part in a collaboration once).
    """
    joined = f"department__{Participant._meta.get_field('department').related_query_name()}"
    return rows.annotate(
        liaising=FilteredRelation(
            joined,
            condition=Q(
                **{f"{joined}__collaboration_id": F("collaboration_id"), f"{joined}__liaison__isnull": False}
            ),
        )
    )


@dataclass(frozen=True)
class InSql:
    """A finder the sweep writes in SQL: ``rows(now)`` is one row per reminder occasion.

    Each row carries ``n_kind``, ``n_occasion``, ``n_link`` and ``n_params``, and
    one column per role in ``to`` naming the person of that role (NULL: nobody).
    It is due to the group and to each distinct person it names, as ``_fan_out``
    makes it; ``kinds`` are the kinds its rows may have (for the group's robots).
    """

    rows: Callable[[datetime], QuerySet[Task]]
    to: tuple[str, ...]
    kinds: tuple[Kind, ...]

    @property
    def name(self) -> str:
        return self.rows.__name__

    def stream(self, now: datetime) -> Iterator[Due]:
        """The reminders, read row by row in chunks (what the sweep writes in SQL instead)."""
        annotated: Any = self.rows(now)  # the stubs do not know the annotations
        values = annotated.values_list(
            "n_kind", "n_occasion", "collaboration_id", "n_link", "n_params", *self.to
        )
        for kind, occasion, collab_id, link, params, *people in values.iterator(chunk_size=CHUNK):
            yield from _fan_out(
                people,
                kind=Kind(kind),
                occasion=occasion,
                collaboration_id=collab_id,
                link=link,
                params=params,
            )


def task_deadline_rows(now: datetime) -> QuerySet[Task]:
    """Open rows whose deadline is within ``XIETONG_DUE_SOON_DAYS`` days, or has passed (``rules.tracking``).

    One row per task with the reminder's columns computed in SQL (``n_kind``,
    ``n_occasion``, ``n_recipient``, ``n_link``, ``n_params``), so that the
    sweep can write them with ``INSERT … SELECT`` without loading a row into
    Python, and ``task_deadlines`` reads the very same thing.
    """
    today = now.astimezone(_tz()).date()
    soon = today + timedelta(days=settings.XIETONG_DUE_SOON_DAYS)
    kind = Case(
        When(overdue_filter(today), then=Value(Kind.TASK_OVERDUE.value)),
        default=Value(Kind.TASK_DUE_SOON.value),
        output_field=CharField(),
    )
    return (
        _with_liaison(
            Task.objects.filter(_open_collaborations(), deadline__lte=soon, department__isnull=False)
        )
        .exclude(status=TaskStatus.DONE)
        .annotate(
            n_kind=kind,
            n_occasion=Concat(
                kind,
                Value(":t"),
                Cast("pk", CharField()),
                Value(":"),
                Replace(Cast("deadline", CharField()), Value("-"), Value("")),
                output_field=CharField(),
            ),
            n_recipient=_liaison_or_head(),
            n_link=_task_link(),
            n_params=JSONObject(**_task_params()),
        )
        .order_by()
    )


# Rows read per round trip when a finder streams (``iterator``): memory stays bounded.
CHUNK = 2000

TASK_DEADLINES = InSql(task_deadline_rows, ("n_recipient",), (Kind.TASK_DUE_SOON, Kind.TASK_OVERDUE))


def task_deadlines(now: datetime) -> Iterator[Due]:
    """The reminders of ``task_deadline_rows``, streamed (the sweep writes them in SQL instead)."""
    return TASK_DEADLINES.stream(now)


class UtcStamp(Func):
    """A moment as ``%Y%m%dT%H%M%S`` in UTC, the way Python formats what the database returns."""

    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS')",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps moments as UTC text ("2024-10-12 01:00:00.123456") in SQLite.
        return self.as_sql(
            compiler, connection, template="strftime('%%Y%%m%%dT%%H%%M%%S', %(expressions)s)", **extra
        )


def escalation_rows(now: datetime) -> QuerySet[Task]:
    """Blocked rows past the escalation limit: level 1 to the initiator, level 2 to the heads too.

    The working days and the level of a row depend on the day it became
    blocked only: ``rules.escalation.escalated_runs`` gives them per run of
    the days rows became blocked (one query for the distinct days), and the
    rows are matched to the runs by comparing ``blocked_since`` with the runs'
    local midnights, so nothing is counted per row. Roles (``ESCALATIONS.to``):
    the initiator; at level 2 the heads of the row's department and of the
    department it waits on.
    """
    tz = _tz()
    today = now.astimezone(tz).date()
    blocked = Task.objects.filter(
        _open_collaborations(), status=TaskStatus.BLOCKED, blocked_since__isnull=False
    )
    # The local days rows became blocked: a few distinct values however many rows (a run per count, not per day
    # of the calendar: one row blocked for two years must not make a CASE of 500 branches).
    blocked_on = blocked.annotate(day=TruncDate("blocked_since", tzinfo=tz)).values_list("day", flat=True)
    runs = escalated_runs(blocked_on.order_by().distinct(), today, settings.XIETONG_ESCALATION_WORKING_DAYS)

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=tz)

    def within(run: Run) -> Q:
        return Q(blocked_since__gte=midnight(run.since), blocked_since__lt=midnight(run.until))

    days = Case(*(When(within(run), then=Value(run.days)) for run in runs), output_field=IntegerField())
    level = Case(*(When(within(run), then=Value(run.level)) for run in runs), output_field=IntegerField())
    heads = Q(n_level=HEADS)
    # Nothing escalated: no row, the same columns (``none()`` keeps the annotations).
    escalated = (
        blocked.filter(blocked_since__gte=midnight(runs[0].since), blocked_since__lt=midnight(runs[-1].until))
        if runs
        else blocked.none()
    )
    return (
        escalated.annotate(n_level=level)
        .filter(n_level__isnull=False)  # not between two runs (a row blocked there since the days were read)
        .annotate(
            n_kind=Value(Kind.ESCALATION.value, output_field=CharField()),
            n_occasion=Concat(
                Value("escalation:t"),
                Cast("pk", CharField()),
                Value(":"),
                UtcStamp("blocked_since"),
                Value(":L"),
                Cast("n_level", CharField()),
                output_field=CharField(),
            ),
            n_initiator=F("collaboration__owner_id"),
            n_head=Case(When(heads, then=F("department__head_id")), output_field=BigIntegerField()),
            n_waiting_head=Case(When(heads, then=F("waiting_on__head_id")), output_field=BigIntegerField()),
            n_link=_task_link(),
            n_params=JSONObject(
                **_task_params(),
                level=F("n_level"),
                days=days,
                reason=Substr("blocked_reason", 1, 200),
                waiting_on=Coalesce(F("waiting_on__name"), Value("")),
            ),
        )
        .order_by()
    )


ESCALATIONS = InSql(escalation_rows, ("n_initiator", "n_head", "n_waiting_head"), (Kind.ESCALATION,))


def escalations(now: datetime) -> Iterator[Due]:
    """The reminders of ``escalation_rows``, streamed (the sweep writes them in SQL instead)."""
    return ESCALATIONS.stream(now)


# --- sub-goals with SLA and recurring deadlines


def sla_clocks(now: datetime) -> Iterator[Due]:
    """Open SLA requests at 80 % of their budget (the answering liaison) or past it (and the head)."""
    tz = _tz()
    requests = list(
        SlaRequest.objects.filter(_open_collaborations(), answered_at__isnull=True)
        .select_related("collaboration", "subgoal__department")
        .prefetch_related("pauses")
    )
    people = People.load({r.collaboration_id for r in requests})
    day = working_day()
    for request in requests:
        subgoal = request.subgoal
        if subgoal.sla_hours is None:
            continue
        try:
            clock = clock_of(
                request.started_at,
                None,
                [(p.started_at, p.ended_at) for p in request.pauses.all()],
                float(subgoal.sla_hours),
                subgoal.sla_clock,
                now,
                tz,
                day,
            )
        except Exception:
            # One bad row (hours past the calendar's end …) must not stop everyone's reminders.
            logger.exception("SLA request %s could not be judged", request.pk)
            continue
        if clock.state not in (ClockState.AT_RISK, ClockState.BREACHED):
            continue
        kind = Kind.SLA_BREACHED if clock.state == ClockState.BREACHED else Kind.SLA_AT_RISK
        dept_id = subgoal.department_id
        recipients = [people.liaison(request.collaboration_id, dept_id)]
        if kind == Kind.SLA_BREACHED and dept_id is not None:
            recipients.append(people.heads.get(dept_id))
        yield from _fan_out(
            recipients,
            kind=kind,
            occasion=f"{kind}:q{request.pk}",
            collaboration_id=request.collaboration_id,
            link=reverse("tracking:sla", args=[request.collaboration.slug]),
            params={
                "collab": request.collaboration.title,
                "subject": request.subject[:200],
                "department": subgoal.department.name if subgoal.department else "",
                "deadline": _local(clock.deadline),
            },
        )


def missed_occurrences(now: datetime) -> Iterator[Due]:
    """Occurrences of recurring sub-goals in the last two weeks that passed without being done in time."""
    tz = _tz()
    start = (now - MISSED_LOOKBACK).astimezone(tz)
    subgoals: list[Any] = list(
        SubGoal.objects.filter(_open_collaborations(), deadline_kind=DeadlineKind.RECURRING)
        .exclude(rrule="")
        .values_list(
            "pk",
            "collaboration_id",
            "department_id",
            "rrule",
            "created_at",
            "description",
            "collaboration__slug",
            "collaboration__title",
            "department__name",
            named=True,  # values, not instances: every recurring sub-goal is read each sweep
        )
    )
    if not subgoals:
        return
    done = dict(
        ((subgoal_id, due), done_at)
        for subgoal_id, due, done_at in SubGoalCheck.objects.filter(
            subgoal__in=[s.pk for s in subgoals], due_at__gte=start, done_at__isnull=False
        ).values_list("subgoal_id", "due_at", "done_at")
    )
    people: People | None = None  # read when a first occurrence is missed
    kickoffs = _kickoffs({s.collaboration_id for s in subgoals})
    expanded: dict[str, list[datetime] | None] = {}  # sub-goals of one rule share their due times
    for subgoal in subgoals:
        kickoff = kickoffs.get(subgoal.collaboration_id)
        if kickoff is None:
            continue  # duties start with the kickoff
        if subgoal.rrule not in expanded:
            try:
                expanded[subgoal.rrule] = due_times(subgoal.rrule, start, now.astimezone(tz))
            except ValueError:
                expanded[subgoal.rrule] = None  # an unreadable rule is an S04 finding, not a reminder
            except Exception:
                # One bad row must not stop the reminders of every other collaboration.
                logger.exception("recurring sub-goal %s could not be expanded", subgoal.pk)
                continue
        times = expanded[subgoal.rrule]
        if times is None:
            continue
        for due_at in times:
            if due_at >= now or due_at < kickoff:
                continue
            if subgoal.created_at is not None and due_at < subgoal.created_at:
                continue  # owed only from the sub-goal's creation on
            done_at = done.get((subgoal.pk, due_at))
            if done_at is not None and done_at <= due_at:
                continue
            people = people or People.load({s.collaboration_id for s in subgoals})
            yield from _fan_out(
                [people.liaison(subgoal.collaboration_id, subgoal.department_id)],
                kind=Kind.OCCURRENCE_MISSED,
                occasion=f"missed:s{subgoal.pk}:{due_at:%Y%m%dT%H%M}",
                collaboration_id=subgoal.collaboration_id,
                link=reverse("tracking:sla", args=[subgoal.collaboration__slug]),
                params={
                    "collab": subgoal.collaboration__title,
                    "subgoal": subgoal.description[:200],
                    "department": subgoal.department__name or "",
                    "when": _local(due_at),
                },
            )


FINDERS: tuple[Callable[[datetime], Iterable[Due]], ...] = (
    agenda_due,
    minutes_due,
    confirmation_pending,
    weekly_update_due,
    task_deadlines,
    escalations,
    sla_clocks,
    missed_occurrences,
)


# The finders the sweep writes in SQL, and those it streams through Python.
IN_SQL: tuple[InSql, ...] = (TASK_DEADLINES, ESCALATIONS)
STREAMED: tuple[Callable[[datetime], Iterable[Due]], ...] = tuple(
    f for f in FINDERS if f not in (task_deadlines, escalations)
)


def due_at(now: datetime) -> list[Due]:
    """Every reminder due at ``now`` (a list: for tests and small databases; the sweep streams)."""
    return [due for finder in FINDERS for due in finder(now)]
