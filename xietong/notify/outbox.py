"""The sweep: write what is due into the outbox, exactly once, and plan its deliveries.

Exactly once rests on the database, not on timing: a notification's key is
unique, so concurrent sweeps race on the unique index and the loser's
insert does nothing; the deliveries of a notification are planned by
whichever sweep locks it first (``planned`` is set in the same transaction,
and other sweeps skip locked rows).

The sweep holds no long transaction: what is due is computed outside any
transaction, and each batch of reminders is written and planned in a short
one of its own. On SQLite a transaction holds the database's one write lock
(``transaction_mode`` IMMEDIATE), so a sweep-long transaction would refuse
every sign-in and save for as long as the sweep runs. A finder that fails
(one bad row) is logged and skipped: the other finders' reminders still go out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from xietong.collabs.nominations import unheard, unheard_pairs
from xietong.lib import metrics
from xietong.meetings.models import Binding
from xietong.notify import reminders
from xietong.notify.delivery import lease
from xietong.notify.models import (
    Delivery,
    DeliveryState,
    Notification,
    Preference,
    Robot,
    Transport,
)
from xietong.notify.reminders import Due

logger = logging.getLogger("xietong.notify")

BATCH = 500
# A delivery left "sending" longer than delivery.lease() (about 2 minutes) belongs to a worker
# that died mid-send: it is tried again.


@dataclass(frozen=True)
class SweepResult:
    due: int
    written: int
    deliveries: int
    rearmed: int
    failed: tuple[str, ...] = ()  # the finders that raised (logged; the others' reminders went out)


def _chunks(items: Sequence[str], size: int = BATCH) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _robots_by_collab(collab_ids: Iterable[int]) -> dict[int, list[Robot]]:
    robots: dict[int, list[Robot]] = defaultdict(list)
    for robot in Robot.objects.filter(collaboration_id__in=set(collab_ids), active=True):
        robots[robot.collaboration_id].append(robot)
    return robots


def _robots_for(robots: list[Robot], kind: str, binding: str) -> list[Robot]:
    """The robots that post a group reminder: the plan's binding, when it names a robot, decides the kind."""
    if binding in (Binding.INBOX, Binding.EMAIL):
        return []
    return [r for r in robots if r.posts(kind) and (not binding or r.kind == binding)]


def _wanted(dues: list[Due]) -> list[Due]:
    """Drop what nobody would receive: muted kinds, and group reminders of collaborations without robots."""
    muted = {
        person: set(kinds)
        for person, kinds in Preference.objects.filter(
            person_id__in={d.recipient_id for d in dues if d.recipient_id is not None}
        ).values_list("person_id", "muted_kinds")
    }
    robots = _robots_by_collab(d.collaboration_id for d in dues if d.recipient_id is None)
    # Named by someone else and not answered yet: no reminders about that collaboration.
    unheard = unheard_pairs(
        (d.collaboration_id for d in dues), (d.recipient_id for d in dues if d.recipient_id is not None)
    )
    return [
        d
        for d in dues
        if (
            d.recipient_id is not None
            and d.kind not in muted.get(d.recipient_id, ())
            and (d.collaboration_id, d.recipient_id) not in unheard
        )
        or (d.recipient_id is None and _robots_for(robots[d.collaboration_id], d.kind, d.binding))
    ]


def _batches(dues: Iterable[Due], size: int = BATCH) -> Iterator[list[Due]]:
    """The dues in lists of ``size``, without building the whole list."""
    batch: list[Due] = []
    for due in dues:
        batch.append(due)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write(
    dues: Iterable[Due],
    now: datetime,
    made: dict[datetime, int] | None = None,
    quiet: list[tuple[int, datetime]] | None = None,
) -> int:
    """Insert the notifications not written yet; return how many this call inserted.

    The dues are consumed in batches: a finder that streams is never held
    whole, and it computes the next batch outside any transaction. Each batch
    is inserted in one short transaction. On PostgreSQL that transaction also
    plans it (deliveries added to ``made``), so a concurrent sweep finds our
    rows planned when it counts what it inserted itself; on SQLite the
    transaction holds the write lock, the count is exact, and ``sweep``
    plans once at its end.
    """
    seen: set[str] = set()  # a finder may name an occasion twice: the key decides
    written = 0
    made = {} if made is None else made
    if quiet is None and connection.vendor == "postgresql":
        quiet = _quiet(now)
    for batch in _batches(dues):
        wanted: dict[str, Due] = {}
        for d in batch:
            if d.key not in seen:
                seen.add(d.key)
                wanted[d.key] = d
        keys = sorted(wanted)
        existing = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
        fresh = _wanted([wanted[k] for k in keys if k not in existing])
        if not fresh:
            continue
        with transaction.atomic():
            pg = connection.vendor == "postgresql"
            if not pg:
                # SQLite: this transaction holds the one write lock from its start (IMMEDIATE),
                # so what is not there now is inserted by us and nobody else.
                there = set(
                    Notification.objects.filter(key__in=[d.key for d in fresh]).values_list("key", flat=True)
                )
                fresh = [d for d in fresh if d.key not in there]
            Notification.objects.bulk_create(
                [
                    Notification(
                        key=d.key,
                        kind=d.kind,
                        collaboration_id=d.collaboration_id,
                        recipient_id=d.recipient_id,
                        params=d.params,
                        link=d.link,
                        binding=d.binding,
                        created_at=now,
                    )
                    for d in fresh
                ],
                ignore_conflicts=True,  # another sweep wrote it meanwhile: the unique key keeps one
            )
            if pg:
                # What this call inserted: a concurrent sweep's rows were planned in the transaction
                # that wrote them (before our insert could go past them); ours are planned right here.
                written += Notification.objects.filter(key__in=[d.key for d in fresh], planned=False).count()
                _plan_into(now, quiet or [], made)
            else:
                written += len(fresh)  # planned once, at the end of the sweep
    return written


@dataclass(frozen=True)
class _Plan:
    """What planning notifications needs: the moment, who is in quiet hours, and where to count deliveries."""

    now: datetime
    quiet: list[tuple[int, datetime]]
    made: dict[datetime, int]


def _insert_select(
    parts: Sequence[QuerySet[Any]],
    names: Sequence[str],
    table: str,
    columns: Sequence[str],
    conflict: Sequence[str],
    plan: _Plan | None = None,
) -> int:
    """``INSERT INTO table (columns) SELECT names … ON CONFLICT DO NOTHING``; return how many went in.

    Each of ``parts`` annotates ``names`` (one per column, in order); they are
    inserted by one statement (``UNION ALL``). Django has no INSERT … SELECT, so
    its SQL is wrapped; PostgreSQL and SQLite (3.24+) both read it. With ``plan``
    (PostgreSQL, notifications inserted planned) the same statement inserts
    their deliveries: no second pass marks them planned.
    """
    selects: list[str] = []
    params: list[Any] = []
    for part in parts:
        try:
            sql, part_params = part.values(*names).query.sql_with_params()
        except EmptyResultSet:  # ``none()``: nothing to insert
            continue
        selects.append(sql)
        params.extend(part_params)
    if not selects:
        return 0
    qn = connection.ops.quote_name
    selected = ", ".join(qn(n) for n in names)
    # "WHERE true": SQLite needs it to tell the ON CONFLICT clause from a join's ON.
    statement = (
        f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) SELECT {selected} "
        f"FROM ({' UNION ALL '.join(selects)}) AS due WHERE true "
        f"ON CONFLICT ({', '.join(qn(c) for c in conflict)}) DO NOTHING"
    )
    if plan is not None:
        return _with_deliveries(f"{statement} {PLANNED_COLUMNS}", params, plan.now, plan.quiet, plan.made)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _muted() -> dict[str, list[int]]:
    """Who mutes which kind (a query over people's preferences, not over the data)."""
    muted: dict[str, list[int]] = defaultdict(list)
    for person, kinds in Preference.objects.exclude(muted_kinds=[]).values_list("person_id", "muted_kinds"):
        for kind in kinds:
            muted[kind].append(person)
    return muted


def _posting_robots(kind: str) -> Q:
    """The active robots posting ``kind`` (all kinds when a robot names none)."""
    named = [pk for pk, kinds in Robot.objects.exclude(kinds=[]).values_list("pk", "kinds") if kind in kinds]
    return Q(active=True) & (Q(kinds=[]) | Q(pk__in=named))


NOTIFICATION_COLUMNS = (
    "key",
    "kind",
    "collaboration_id",
    "recipient_id",
    "params",
    "link",
    "binding",
    "created_at",
    "planned",
)


def _named(roles: Sequence[str], i: int) -> Q:
    """Rows whose role ``i`` names a person that no earlier role names (``_fan_out`` reminds a person once)."""
    role = roles[i]
    named = Q(**{f"{role}__isnull": False})
    for earlier in roles[:i]:
        named &= Q(**{f"{earlier}__isnull": True}) | ~Q(**{earlier: F(role)})
    return named


def write_rows(
    finder: reminders.InSql,
    now: datetime,
    made: dict[datetime, int] | None = None,
    quiet: list[tuple[int, datetime]] | None = None,
    muted: dict[str, list[int]] | None = None,
) -> tuple[int, int]:
    """Write the reminders of a set-based finder in SQL; return (due, written).

    The rows (see ``reminders.InSql``) are due to the group and to each distinct
    person they name: one ``INSERT … SELECT`` for the people (a part per role)
    and one for the group. The unique key still decides: ``ON CONFLICT DO
    NOTHING`` skips what is written already, so a second sweep inserts nothing.
    On PostgreSQL each statement also plans what it inserts (deliveries added
    to ``made``); on SQLite the sweep plans at its end.
    """
    pg = connection.vendor == "postgresql"
    plan = _Plan(now, _quiet(now) if quiet is None else quiet, {} if made is None else made) if pg else None
    rows: QuerySet[Any] = finder.rows(now)  # the stubs do not know the annotations
    roles = finder.to
    counts = rows.aggregate(
        rows=Count("pk"), **{f"role{i}": Count("pk", filter=_named(roles, i)) for i in range(len(roles))}
    )
    due = sum(counts.values())
    common = {
        "n_collaboration": F("collaboration_id"),
        "n_binding": Value(""),
        "n_created": Value(now, output_field=DateTimeField()),
        "n_planned": Value(pg),
    }
    names = (
        "n_key",
        "n_kind",
        "n_collaboration",
        "n_recipient",
        "n_params",
        "n_link",
        "n_binding",
        "n_created",
        "n_planned",
    )
    muted = _muted() if muted is None else muted
    # Written already (every sweep after the first): skipped by an anti-join on the unique key,
    # far cheaper than inserting each row again for ON CONFLICT to drop (which still settles races).
    written_before = Exists(Notification.objects.filter(key=OuterRef("n_key")))
    table = Notification._meta.db_table
    shares: list[QuerySet[Any]] = []
    for i, role in enumerate(roles):
        share = rows.filter(_named(roles, i))
        share = share if role == "n_recipient" else share.annotate(n_recipient=F(role))
        personal = share.exclude(unheard(OuterRef("collaboration_id"), OuterRef("n_recipient")))
        for kind, people in muted.items():
            personal = personal.exclude(n_kind=kind, n_recipient__in=people)
        personal = personal.annotate(
            n_key=Concat(
                "n_occasion", Value("|"), Cast("n_recipient", CharField()), output_field=CharField()
            ),
            **common,
        ).exclude(written_before)
        shares.append(personal)
    written = _insert_select(shares, names, table, NOTIFICATION_COLUMNS, ["key"], plan)
    # The group's share: only where a robot of the collaboration posts that kind.
    group_names = (*names[:3], "n_group", *names[4:])
    groups: list[QuerySet[Any]] = []
    for kind in (Robot.objects.filter(active=True).exists() and finder.kinds) or ():
        robots = Robot.objects.filter(_posting_robots(kind), collaboration_id=OuterRef("collaboration_id"))
        groups.append(
            rows.filter(Exists(robots), n_kind=kind.value)
            .annotate(
                n_key=Concat("n_occasion", Value("|group"), output_field=CharField()),
                n_group=Cast(Value(None), BigIntegerField()),  # typed: PostgreSQL reads a bare NULL as text
                **common,
            )
            .exclude(written_before)
        )
    written += _insert_select(groups, group_names, table, NOTIFICATION_COLUMNS, ["key"], plan)
    return due, written


def after_quiet_hours(now: datetime, preference: Preference | None) -> datetime:
    """When a mail may go out: ``now``, or the end of the person's quiet hours (which may span midnight)."""
    if preference is None or preference.quiet_from is None or preference.quiet_until is None:
        return now
    tz = ZoneInfo(settings.TIME_ZONE)
    local = now.astimezone(tz)
    start, end = preference.quiet_from, preference.quiet_until
    clock = local.time()
    if start == end:
        return now
    quiet = start <= clock < end if start < end else (clock >= start or clock < end)
    if not quiet:
        return now
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz)


# Notifications planned per statement: claimed, their deliveries inserted, marked planned.
PLAN_BATCH = 50_000

DELIVERY_COLUMNS = (
    "notification_id",
    "transport",
    "target",
    "robot_id",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "answer",
    "created_at",
)


@dataclass(frozen=True)
class Planned:
    """What ``plan`` wrote: the number of deliveries per moment they may go out."""

    by_time: dict[datetime, int]

    @property
    def count(self) -> int:
        return sum(self.by_time.values())


def _quiet(now: datetime) -> list[tuple[int, datetime]]:
    """The people in their quiet hours at ``now``, and when their mail may go out (people, not reminders)."""
    return [
        (p.person_id, at)
        for p in Preference.objects.filter(quiet_from__isnull=False, quiet_until__isnull=False)
        if (at := after_quiet_hours(now, p)) != now
    ]


def _delivery_selects(
    source: str, now: datetime, quiet: list[tuple[int, datetime]]
) -> tuple[str, list[Any], str, list[Any]]:
    """The ``SELECT``s of the mails and of the robot posts of the notifications in ``source``.

    ``source`` (a table or CTE name) has ``id``, ``recipient_id``, ``collaboration_id``,
    ``kind`` and ``binding``. Mails go to active people with a mailbox who did not turn
    mail off, after their quiet hours (``quiet``); robot posts follow ``_robots_for``.
    """
    pg = connection.vendor == "postgresql"
    qn = connection.ops.quote_name
    at = connection.ops.adapt_datetimefield_value(now)
    person = qn(get_user_model()._meta.db_table)
    preference = qn(Preference._meta.db_table)
    robot = qn(Robot._meta.db_table)
    stamp = "CAST(%s AS timestamptz)" if pg else "%s"
    quiet_join, quiet_params = "", []
    when = stamp
    if quiet:
        rows = ", ".join(f"(CAST(%s AS bigint), {stamp})" for _ in quiet)
        quiet_join = (
            f"LEFT JOIN (SELECT column1 AS person, column2 AS at FROM (VALUES {rows}) AS v) AS q "
            "ON q.person = c.recipient_id "
        )
        quiet_params = [
            x
            for person_id, moment in quiet
            for x in (person_id, connection.ops.adapt_datetimefield_value(moment))
        ]
        when = f"COALESCE(q.at, {stamp})"
    mails = (
        f"SELECT c.id, %s, %s || u.email, NULL, %s, 0, {when}, '', '', {stamp} "
        f"FROM {source} AS c JOIN {person} AS u ON u.id = c.recipient_id "
        f"LEFT JOIN {preference} AS p ON p.person_id = c.recipient_id {quiet_join}"
        "WHERE u.is_active AND u.email <> '' AND (p.email IS NULL OR p.email)"
    )
    mail_params = [Transport.EMAIL.value, "email:", DeliveryState.PENDING.value, at, at, *quiet_params]
    if pg:
        kinds = "(r.kinds = '[]'::jsonb OR r.kinds @> jsonb_build_array(c.kind))"
    else:
        kinds = "(json_array_length(r.kinds) = 0 OR EXISTS (SELECT 1 FROM json_each(r.kinds) AS k WHERE k.value = c.kind))"
    robots = (
        f"SELECT c.id, r.kind, %s || CAST(r.id AS text), r.id, %s, 0, {stamp}, '', '', {stamp} "
        f"FROM {source} AS c JOIN {robot} AS r ON r.collaboration_id = c.collaboration_id "
        "WHERE c.recipient_id IS NULL AND r.active AND c.binding NOT IN (%s, %s) "
        f"AND (c.binding = '' OR r.kind = c.binding) AND {kinds}"
    )
    robot_params = ["robot:", DeliveryState.PENDING.value, at, at, Binding.INBOX.value, Binding.EMAIL.value]
    return mails, mail_params, robots, robot_params


def _with_deliveries(
    source: str,
    params: Sequence[Any],
    now: datetime,
    quiet: list[tuple[int, datetime]],
    made: dict[datetime, int],
) -> int:
    """Run ``WITH planned AS (source) …``: insert the mails and robot posts of what ``source`` returns.

    ``source`` is a statement that marks or inserts notifications planned and
    returns their ``id, recipient_id, collaboration_id, kind, binding``; one
    statement does both, so nobody sees them planned without their deliveries.
    Adds the deliveries to ``made``; returns how many notifications ``source`` returned.
    """
    qn = connection.ops.quote_name
    delivery = qn(Delivery._meta.db_table)
    mails, mail_params, robots, robot_params = _delivery_selects("planned", now, quiet)
    columns = ", ".join(qn(c) for c in DELIVERY_COLUMNS)
    conflict = "ON CONFLICT (notification_id, target) DO NOTHING RETURNING next_attempt_at"
    statement = (
        f"WITH planned AS ({source}), "
        f"mails AS (INSERT INTO {delivery} ({columns}) {mails} {conflict}), "
        f"robots AS (INSERT INTO {delivery} ({columns}) {robots} {conflict}) "
        "SELECT NULL::timestamptz, count(*) FROM planned UNION ALL "
        "SELECT next_attempt_at, count(*) FROM "
        "(SELECT next_attempt_at FROM mails UNION ALL SELECT next_attempt_at FROM robots) AS made "
        "GROUP BY next_attempt_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *mail_params, *robot_params])
        planned = 0
        for moment, count in cursor.fetchall():
            if moment is None:
                planned = count
            else:
                made[moment] = made.get(moment, 0) + count
    return planned


PLANNED_COLUMNS = "RETURNING id, recipient_id, collaboration_id, kind, binding"


def _plan_postgresql(now: datetime, quiet: list[tuple[int, datetime]], made: dict[datetime, int]) -> int:
    """One statement: claim a batch of unplanned notifications, mark them, insert their deliveries."""
    notification = connection.ops.quote_name(Notification._meta.db_table)
    claim = (
        f"UPDATE {notification} SET planned = true WHERE id IN ("
        f"SELECT id FROM {notification} WHERE NOT planned ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
        f"{PLANNED_COLUMNS}"
    )
    return _with_deliveries(claim, [PLAN_BATCH], now, quiet, made)


def _plan_sqlite(now: datetime, quiet: list[tuple[int, datetime]], made: dict[datetime, int]) -> None:
    """SQLite: one writer at a time, so every unplanned notification at once, in three statements."""
    qn = connection.ops.quote_name
    notification, delivery = qn(Notification._meta.db_table), qn(Delivery._meta.db_table)
    source = (
        f"(SELECT id, recipient_id, collaboration_id, kind, binding FROM {notification} WHERE NOT planned)"
    )
    mails, mail_params, robots, robot_params = _delivery_selects(source, now, quiet)
    columns = ", ".join(qn(c) for c in DELIVERY_COLUMNS)
    with connection.cursor() as cursor:
        for select, params in ((mails, mail_params), (robots, robot_params)):
            cursor.execute(
                f"INSERT INTO {delivery} ({columns}) {select} "
                "ON CONFLICT (notification_id, target) DO NOTHING",
                params,
            )
        cursor.execute(
            f"SELECT d.next_attempt_at, count(*) FROM {delivery} AS d JOIN {notification} AS n "
            "ON n.id = d.notification_id WHERE NOT n.planned GROUP BY d.next_attempt_at"
        )
        for moment, count in cursor.fetchall():
            at = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            made[at] = made.get(at, 0) + count
        cursor.execute(f"UPDATE {notification} SET planned = true WHERE NOT planned")


def _plan_into(now: datetime, quiet: list[tuple[int, datetime]], made: dict[datetime, int]) -> None:
    """Plan every unplanned notification, adding the deliveries made to ``made`` (inside a transaction)."""
    if connection.vendor == "postgresql":
        while _plan_postgresql(now, quiet, made) == PLAN_BATCH:
            pass
    else:
        _plan_sqlite(now, quiet, made)


def plan(now: datetime) -> Planned:
    """Write the deliveries of notifications nobody planned yet; return how many, by when they go out.

    Call inside a transaction. On PostgreSQL one statement per ``PLAN_BATCH``
    notifications claims them (``FOR UPDATE SKIP LOCKED``: a concurrent sweep
    takes others), marks them planned and inserts their mails and robot posts
    (``INSERT … SELECT`` from the claimed rows); nothing is loaded into Python
    but the people in their quiet hours. SQLite has one writer at a time and
    takes every unplanned notification in one go.
    """
    made: dict[datetime, int] = {}
    _plan_into(now, _quiet(now), made)
    return Planned(made)


def rearm_stuck(now: datetime) -> int:
    """Put back deliveries whose worker died mid-send (at least once beats never), counting each.

    The server may have taken the message before the worker died: ``rearmed``
    marks the delivery as possibly received twice once it is sent again.
    """
    rearmed = Delivery.objects.filter(state=DeliveryState.SENDING, next_attempt_at__lt=now - lease()).update(
        state=DeliveryState.PENDING, next_attempt_at=now, rearmed=F("rearmed") + 1
    )
    if rearmed:
        logger.warning("%s deliveries cut short by a stopped worker put back; they may arrive twice", rearmed)
        metrics.observe_rearmed(rearmed)
    return rearmed


def sweep(now: datetime | None = None) -> SweepResult:
    """Compute what is due at ``now``, write it, plan its deliveries and queue them.

    The finders stream into the outbox in batches, and the big one (task
    deadlines) is written by one ``INSERT … SELECT``: no finder's rows are all
    held in Python, and the number of queries does not grow with the data.
    Each finder runs on its own: one that raises is logged and named in
    ``failed``, and the others' reminders are written all the same. No
    transaction spans more than one batch (see the module's docstring).
    """
    from xietong.notify.tasks import queue_planned

    now = now or timezone.now()
    due = written = 0
    failed: list[str] = []
    made: dict[datetime, int] = {}
    quiet, muted = _quiet(now), _muted()

    def counted(dues: Iterable[Due]) -> Iterator[Due]:
        nonlocal due
        for d in dues:
            due += 1
            yield d

    for finder in reminders.STREAMED:
        try:
            written += write(counted(finder(now)), now, made, quiet)
        except Exception:
            # One bad row (or finder) must not stop everyone's reminders: the next sweep retries it.
            logger.exception("reminder finder %s failed", finder.__name__)
            failed.append(finder.__name__)
    for in_sql in reminders.IN_SQL:
        try:
            with transaction.atomic():
                found, inserted = write_rows(in_sql, now, made, quiet, muted)
        except Exception:
            logger.exception("reminder finder %s failed", in_sql.name)
            failed.append(in_sql.name)
            continue
        due += found
        written += inserted
    with transaction.atomic():
        _plan_into(now, quiet, made)  # what an earlier, interrupted sweep left unplanned
        rearmed = rearm_stuck(now)
    planned = Planned(made)
    # Outside a transaction this runs at once; inside a caller's, when it commits.
    transaction.on_commit(lambda: queue_planned(planned.by_time))
    return SweepResult(
        due=due, written=written, deliveries=planned.count, rearmed=rearmed, failed=tuple(failed)
    )
