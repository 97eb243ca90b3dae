"""The registers of step 7 as read for pages and the API: SLA clocks, occurrences, compliance.

``SlaBoard`` reads a collaboration's SLA and recurring sub-goals, their
requests (with pauses) and their recorded occurrences in four queries,
whatever their number, and judges them with the pure functions of
``tracking.sla``: each request's clock, each occurrence met / missed /
pending, and the compliance rates per department and ISO week.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from xietong.collabs.models import Collaboration, DeadlineKind, SubGoal
from xietong.lib.limits import clamp_moment
from xietong.lib.slaclock import CALENDAR, WorkingDay
from xietong.lib.workdays import add_working_days
from xietong.tracking.models import Risk, SlaPause, SlaRequest, SubGoalCheck
from xietong.tracking.sla import (
    CheckState,
    Clock,
    ClockState,
    Occurrence,
    Rate,
    clock_of,
    compliance,
    due_times,
    occurrences,
    week_bounds,
)

# The compliance table covers this many ISO weeks, the current one included.
COMPLIANCE_WEEKS = 6
# Occurrences of recurring sub-goals shown: from 14 days before today to 7 days after (whole days).
PAST_DAYS, COMING_DAYS = 14, 7
# Answered requests stay on the page this long after their answer.
RECENT_DAYS = 14


def working_day() -> WorkingDay:
    """Return the configured working hours (``XIETONG_WORKING_HOURS``)."""
    return WorkingDay.parse(settings.XIETONG_WORKING_HOURS)


def iso_week(moment: datetime | date, tz: ZoneInfo) -> str:
    """Return the ISO week of ``moment`` as ``2024-W32`` (a datetime is read in ``tz``)."""
    day = moment.astimezone(tz).date() if isinstance(moment, datetime) else moment
    year, week, _day = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class RequestView:
    request: SlaRequest
    clock: Clock
    pauses: tuple[SlaPause, ...]

    @property
    def paused(self) -> SlaPause | None:
        return next((p for p in self.pauses if p.ended_at is None), None)

    @property
    def open(self) -> bool:
        return self.request.answered_at is None

    @property
    def used_hours(self) -> float:
        return round(self.clock.used.total_seconds() / 3600, 1)

    @property
    def budget_hours(self) -> float:
        return round(self.clock.budget.total_seconds() / 3600, 1)

    @property
    def percent(self) -> int:
        """The share of the budget used, 0-100 (capped) for the gauge."""
        budget = self.clock.budget.total_seconds()
        return min(100, round(100 * self.clock.used.total_seconds() / budget)) if budget else 100

    @property
    def outcome_at(self) -> datetime | None:
        """When the request counts in compliance: its answer, or its deadline once breached."""
        if self.request.answered_at is not None:
            return self.request.answered_at
        return self.clock.deadline if self.clock.state == ClockState.BREACHED else None


@dataclass(frozen=True)
class SlaGoalView:
    subgoal: SubGoal
    hours: float
    clock: str
    requests: tuple[RequestView, ...]

    @property
    def open_requests(self) -> list[RequestView]:
        return [r for r in self.requests if r.open]

    @property
    def recent_requests(self) -> list[RequestView]:
        return [r for r in self.requests if not r.open]


@dataclass(frozen=True)
class RecurringGoalView:
    subgoal: SubGoal
    occurrences: tuple[Occurrence, ...]  # the shown window: the last two weeks and the next one
    invalid: bool = False  # an RRULE that cannot be read (S04 says so)


@dataclass(frozen=True)
class ComplianceRow:
    department: str
    kind: str  # "sla" or "recurring"
    weeks: tuple[Rate | None, ...]
    total: Rate | None


@dataclass
class SlaBoard:
    """What the SLA page and the API show of one collaboration at ``now``."""

    collab: Collaboration
    now: datetime
    tz: ZoneInfo
    kickoff: datetime | None = None
    deadline: date | None = None
    day: WorkingDay = field(default_factory=working_day)

    @cached_property
    def subgoals(self) -> list[SubGoal]:
        return list(
            SubGoal.objects.filter(
                collaboration=self.collab, deadline_kind__in=[DeadlineKind.SLA, DeadlineKind.RECURRING]
            ).select_related("department")
        )

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @property
    def weeks(self) -> list[str]:
        """The compliance table's ISO weeks, oldest first, ending with the current one."""
        today = self.now.astimezone(self.tz).date()
        return [iso_week(today - timedelta(weeks=n), self.tz) for n in range(COMPLIANCE_WEEKS - 1, -1, -1)]

    @property
    def since(self) -> datetime:
        """Monday 00:00 of the oldest week of the compliance table."""
        year, week = (int(part) for part in self.weeks[0].split("-W"))
        return week_bounds(year, week, self.tz)[0]

    @cached_property
    def requests(self) -> list[SlaRequest]:
        """Open requests and those answered since the compliance table's first week (two queries)."""
        floor = min(self.since, self.now - timedelta(days=RECENT_DAYS))
        return list(
            SlaRequest.objects.filter(collaboration=self.collab)
            .filter(Q(answered_at__isnull=True) | Q(answered_at__gte=floor))
            .select_related("requester", "created_by")
            .prefetch_related(Prefetch("pauses", queryset=SlaPause.objects.order_by("started_at", "id")))
        )

    def request_view(self, request: SlaRequest, subgoal: SubGoal) -> RequestView:
        pauses = tuple(request.pauses.all())
        clock = clock_of(
            request.started_at,
            request.answered_at,
            [(p.started_at, p.ended_at) for p in pauses],
            float(subgoal.sla_hours or 0),
            subgoal.sla_clock or CALENDAR,
            self.now,
            self.tz,
            self.day,
        )
        return RequestView(request, clock, pauses)

    @cached_property
    def _all_request_views(self) -> list[tuple[SubGoal, RequestView]]:
        goals = {g.pk: g for g in self.subgoals if g.deadline_kind == DeadlineKind.SLA}
        return [
            (goals[r.subgoal_id], self.request_view(r, goals[r.subgoal_id]))
            for r in self.requests
            if r.subgoal_id in goals
        ]

    @cached_property
    def sla_goals(self) -> list[SlaGoalView]:
        """Each SLA sub-goal with its open requests and those answered in the last two weeks."""
        recent = self.now - timedelta(days=RECENT_DAYS)
        by_goal: dict[int, list[RequestView]] = defaultdict(list)
        for subgoal, view in self._all_request_views:
            if view.open or (view.request.answered_at or self.now) >= recent:
                by_goal[subgoal.pk].append(view)
        return [
            SlaGoalView(g, float(g.sla_hours or 0), g.sla_clock or CALENDAR, tuple(by_goal[g.pk]))
            for g in self.subgoals
            if g.deadline_kind == DeadlineKind.SLA
        ]

    def request(self, pk: int) -> RequestView | None:
        return next((v for _g, v in self._all_request_views if v.request.pk == pk), None)

    # --- recurring sub-goals

    def _window(self) -> tuple[datetime, datetime] | None:
        """From the compliance table's first week (not before the kickoff) to a week ahead (not after the deadline)."""
        start = self.since
        if self.kickoff is not None:
            start = max(start, self.kickoff.astimezone(self.tz))
        until = datetime.combine(self.today + timedelta(days=COMING_DAYS), time.max, tzinfo=self.tz)
        if self.deadline is not None:
            until = min(until, datetime.combine(self.deadline, time.max, tzinfo=self.tz))
        return (start, until) if start < until else None

    @cached_property
    def checks(self) -> dict[int, dict[datetime, SubGoalCheck]]:
        """Recorded occurrences within the window (one query), by sub-goal and due time."""
        found: dict[int, dict[datetime, SubGoalCheck]] = defaultdict(dict)
        window = self._window()
        recurring = [g.pk for g in self.subgoals if g.deadline_kind == DeadlineKind.RECURRING]
        if window is None or not recurring:
            return found
        rows = SubGoalCheck.objects.filter(
            subgoal_id__in=recurring, due_at__gte=window[0], due_at__lte=window[1]
        ).select_related("recorded_by")
        for check in rows:
            found[check.subgoal_id][check.due_at] = check
        return found

    @cached_property
    def _judged(self) -> dict[int, tuple[list[Occurrence], bool]]:
        """Every occurrence of each recurring sub-goal within the window, judged."""
        window = self._window()
        judged: dict[int, tuple[list[Occurrence], bool]] = {}
        for subgoal in self.subgoals:
            if subgoal.deadline_kind != DeadlineKind.RECURRING:
                continue
            if window is None or not subgoal.rrule:
                judged[subgoal.pk] = ([], not subgoal.rrule)
                continue
            # Nothing is owed before the sub-goal existed: one added today has no missed past.
            start = max(window[0], subgoal.created_at) if subgoal.created_at else window[0]
            if start >= window[1]:
                judged[subgoal.pk] = ([], False)
                continue
            try:
                due = due_times(subgoal.rrule, start.astimezone(self.tz), window[1])
            except ValueError:
                judged[subgoal.pk] = ([], True)
                continue
            done = {at: c.done_at for at, c in self.checks.get(subgoal.pk, {}).items()}
            judged[subgoal.pk] = (occurrences(due, done, self.now), False)
        return judged

    @cached_property
    def recurring_goals(self) -> list[RecurringGoalView]:
        shown_from = datetime.combine(self.today - timedelta(days=PAST_DAYS), time.min, tzinfo=self.tz)
        views = []
        for subgoal in self.subgoals:
            if subgoal.deadline_kind != DeadlineKind.RECURRING:
                continue
            found, invalid = self._judged[subgoal.pk]
            views.append(
                RecurringGoalView(subgoal, tuple(o for o in found if o.due_at >= shown_from), invalid)
            )
        return views

    def check_of(self, subgoal: SubGoal, due_at: datetime) -> SubGoalCheck | None:
        return self.checks.get(subgoal.pk, {}).get(due_at)

    def is_due_time(self, subgoal: SubGoal, due_at: datetime) -> bool:
        """Whether ``due_at`` is an occurrence of ``subgoal`` within the window (what may be recorded)."""
        found, _invalid = self._judged.get(subgoal.pk, ([], False))
        return any(o.due_at == due_at for o in found)

    # --- compliance

    @cached_property
    def rates(self) -> dict[str, dict[tuple[str, str], Rate]]:
        """Compliance by kind ("sla", "recurring"), then (department, ISO week); week "" is the total."""
        sla = [
            (g.department.name if g.department else "", v.outcome_at, v.clock.compliant)
            for g, v in self._all_request_views
            if v.outcome_at is not None and v.outcome_at >= self.since
        ]
        recurring = []
        for subgoal in self.subgoals:
            if subgoal.deadline_kind != DeadlineKind.RECURRING:
                continue
            name = subgoal.department.name if subgoal.department else ""
            for o in self._judged[subgoal.pk][0]:
                ok = None if o.state == CheckState.PENDING else o.state == CheckState.MET
                recurring.append((name, o.due_at, ok))
        return {
            "sla": compliance([(d, m, ok) for d, m, ok in sla if m is not None], self.tz),
            "recurring": compliance(recurring, self.tz),
        }

    @cached_property
    def compliance_rows(self) -> list[ComplianceRow]:
        """One row per department and kind of time limit it answers for, in sub-goal order."""
        seen: list[tuple[str, str]] = []
        for subgoal in self.subgoals:
            kind = "sla" if subgoal.deadline_kind == DeadlineKind.SLA else "recurring"
            key = (subgoal.department.name if subgoal.department else "", kind)
            if key not in seen:
                seen.append(key)
        rows = []
        for department, kind in seen:
            rates = self.rates[kind]
            rows.append(
                ComplianceRow(
                    department,
                    kind,
                    tuple(rates.get((department, week)) for week in self.weeks),
                    rates.get((department, "")),
                )
            )
        return rows


def board_for(collab: Collaboration, now: datetime, tz: ZoneInfo) -> SlaBoard:
    """Return the board of ``collab``, reading its kickoff and goal deadline (two queries)."""
    from xietong.collabs.models import Goal
    from xietong.meetings.models import Meeting, MeetingKind

    kickoff = (
        Meeting.objects.filter(collaboration=collab, kind=MeetingKind.KICKOFF)
        .values_list("scheduled_at", flat=True)
        .first()
    )
    deadline = Goal.objects.filter(collaboration=collab).values_list("deadline", flat=True).first()
    return SlaBoard(collab, now, tz, kickoff=kickoff or collab.created_at, deadline=deadline)


# --- the risk register and the allocations

LEVEL_SCORE = {"low": 1, "medium": 2, "high": 3}


def risk_level(probability: str, impact: str) -> tuple[int, str]:
    """Return probability × impact (1-9) and its level: "high" from 6, "medium" from 3, else "low"."""
    score = LEVEL_SCORE.get(probability, 2) * LEVEL_SCORE.get(impact, 2)
    return score, "high" if score >= 6 else "medium" if score >= 3 else "low"


def risk_meeting_slot(at: datetime) -> datetime:
    """Return 10:00 of the next working day after ``at`` (local time): when a risk meeting is called."""
    local = clamp_moment(at).astimezone(timezone.get_current_timezone())
    return datetime.combine(add_working_days(local.date(), 1), time(10), tzinfo=local.tzinfo)


def risk_meetings(collab: Collaboration, risks: list[Risk]) -> dict[int, int]:
    """Return the ad-hoc meeting each triggered risk called, by risk id (one query).

    ``do_trigger_risk`` sets the meeting at the next working day's 10:00
    after the trigger, titled with the risk: the meeting is found by both.
    """
    from xietong.meetings.models import Meeting, MeetingKind

    triggered = [r for r in risks if r.triggered_at is not None]
    if not triggered:
        return {}
    meetings = list(
        Meeting.objects.filter(collaboration=collab, kind=MeetingKind.ADHOC)
        .order_by("id")
        .values_list("pk", "title", "scheduled_at")
    )
    found: dict[int, int] = {}
    for risk in triggered:
        assert risk.triggered_at is not None
        slot = risk_meeting_slot(risk.triggered_at)
        key = risk.description[:80]
        for pk, title, at in meetings:
            if at == slot and key in title:
                found[risk.pk] = pk
    return found
