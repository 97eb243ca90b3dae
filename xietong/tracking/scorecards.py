"""Department scorecards (部门评分卡) of step 8: how each department kept its word.

Pure functions over plain facts (``scorecard_sources`` reads them from the
database in a constant number of queries), so the definitions are tested
without a database:

- **on-time rate** (按时完成率): of the department's rows with a deadline,
  the share done on or before it. A row is done at its last progress update
  with status done (the row's ``updated_at`` when it was marked done without
  one), compared by local day; a row not done counts as not on time.
- **SLA compliance** (响应时限达标率): of the department's SLA requests that are
  decided (answered, or open past their budget), the share answered within
  the budget (``sla.compliance``).
- **reporting punctuality** (周报及时率): of the reporting periods during
  execution (``rules.reporting``: from the kickoff, each ending at a weekly
  meeting, or every week without one) up to now, the goal's deadline or the
  closing, the share in which the department posted at least one progress
  update, i.e. the checkpoints at which it was not 未汇报. The current,
  unfinished period counts only once the department has reported in it, so
  the rate never drops in the middle of a period.
- **minutes confirmation speed** (纪要确认速度): the median hours from a
  revision's issue to the department's confirmation of that revision.

Each card also lists the department's deliverables accepted only on a
condition (有条件验收) or as an exception (例外), with the reason: a row
accepted that way is not shown as simply passed anywhere.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from xietong.rules.reporting import checkpoints
from xietong.tracking.models import QUALIFIED_VERDICTS
from xietong.tracking.sla import clock_of, compliance
from xietong.tracking.weekly import Execution


@dataclass(frozen=True)
class RowFact:
    """A row of the table: its responsible department, deadline, and when it was done (None: not done)."""

    department: str
    deadline: date | None
    done_at: datetime | None
    task: str = ""  # the description, named in the card's list of qualified acceptances
    verdict: str = ""  # the acceptance's verdict (tracking.models.Verdict); "" before acceptance
    reason: str = ""  # why a conditional acceptance or an exception was granted


@dataclass(frozen=True)
class QualifiedAcceptance:
    """A deliverable accepted on a condition or as an exception, and why."""

    task: str
    verdict: str  # "conditional" or "exception"
    reason: str


@dataclass(frozen=True)
class SlaFact:
    """An SLA request answered by ``department`` (the sub-goal's responsible department)."""

    department: str
    started_at: datetime
    answered_at: datetime | None
    pauses: tuple[tuple[datetime, datetime | None], ...]
    hours: float
    clock: str


@dataclass(frozen=True)
class ConfirmationFact:
    """A department's confirmation of a revision of minutes, and when that revision was issued."""

    department: str
    issued_at: datetime
    confirmed_at: datetime


@dataclass(frozen=True)
class Ratio:
    hits: int
    total: int

    @property
    def share(self) -> float | None:
        return self.hits / self.total if self.total else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else round(share * 100)


@dataclass(frozen=True)
class Scorecard:
    department: str
    on_time: Ratio
    sla: Ratio
    reporting: Ratio
    confirmation_hours: float | None  # the median, to 0.1 h; None without confirmations
    confirmations: int
    qualified: tuple[QualifiedAcceptance, ...] = ()


def on_time(rows: Iterable[RowFact], tz: ZoneInfo) -> Ratio:
    """Return how many rows with a deadline were done by it (local day), over the rows with a deadline."""
    hits = total = 0
    for row in rows:
        if row.deadline is None:
            continue
        total += 1
        if row.done_at is not None and row.done_at.astimezone(tz).date() <= row.deadline:
            hits += 1
    return Ratio(hits, total)


def sla_rate(requests: Iterable[SlaFact], now: datetime, tz: ZoneInfo) -> Ratio:
    """Return how many decided SLA requests were answered within their budget, over the decided ones."""
    outcomes = []
    for r in requests:
        clock = clock_of(r.started_at, r.answered_at, r.pauses, r.hours, r.clock, now, tz)
        outcomes.append((r.department, r.started_at, clock.compliant))
    rates = compliance(outcomes, tz)
    met = sum(rate.met for (_d, week), rate in rates.items() if week == "")
    decided = sum(rate.decided for (_d, week), rate in rates.items() if week == "")
    return Ratio(met, decided)


def reporting_periods(
    execution: Execution, as_of: datetime, tz: ZoneInfo
) -> list[tuple[datetime, datetime | None]]:
    """Return the reporting periods from the kickoff up to ``as_of`` and the goal's deadline, as (start, end).

    Each ends at its checkpoint (``rules.reporting``); the last one, which
    ``as_of`` falls in, is open (end None).
    """
    if execution.kickoff is None or as_of <= execution.kickoff:
        return []
    until = as_of
    if execution.deadline is not None:
        until = min(until, datetime.combine(execution.deadline + timedelta(days=1), time.min, tzinfo=tz))
    if until <= execution.kickoff:
        return []
    ends = [
        c
        for c in checkpoints(execution.kickoff, execution.meetings, execution.kickoff, until, tz)
        if c <= as_of
    ]
    starts = [execution.kickoff, *ends]
    periods: list[tuple[datetime, datetime | None]] = list(zip(starts, ends, strict=False))
    if until == as_of and (not ends or ends[-1] < as_of):
        periods.append((starts[-1], None))
    return periods


def punctuality(
    reported_at: Iterable[datetime], periods: Sequence[tuple[datetime, datetime | None]]
) -> Ratio:
    """Return in how many ``periods`` there was a report; the open one counts only once reported."""
    reports = sorted(reported_at)
    hits = total = 0
    for start, end in periods:
        first = bisect_left(reports, start)
        inside = first < len(reports) and (end is None or reports[first] < end)
        if end is None and not inside:
            continue
        total += 1
        hits += inside
    return Ratio(hits, total)


def confirmation_hours(confirmations: Iterable[ConfirmationFact]) -> tuple[float | None, int]:
    """Return the median hours from issue to confirmation (to 0.1 h) and how many confirmations there were."""
    hours = [max(c.confirmed_at - c.issued_at, timedelta(0)).total_seconds() / 3600 for c in confirmations]
    if not hours:
        return None, 0
    return round(median(hours), 1), len(hours)


def scorecards(
    departments: Sequence[str],
    rows: Iterable[RowFact],
    sla: Iterable[SlaFact],
    reports: Iterable[tuple[str, datetime]],
    confirmations: Iterable[ConfirmationFact],
    execution: Execution,
    now: datetime,
    tz: ZoneInfo,
) -> list[Scorecard]:
    """Return one scorecard per participating department, in their order.

    ``reports`` are ``(department, created_at)`` of the progress updates.
    The reporting weeks end at the closing for a closed collaboration.
    """
    as_of = min(now, execution.closed_at) if execution.closed_at is not None else now
    periods = reporting_periods(execution, as_of, tz)
    by_row: dict[str, list[RowFact]] = {}
    for row in rows:
        by_row.setdefault(row.department, []).append(row)
    by_sla: dict[str, list[SlaFact]] = {}
    for request in sla:
        by_sla.setdefault(request.department, []).append(request)
    by_report: dict[str, list[datetime]] = {}
    for department, at in reports:
        by_report.setdefault(department, []).append(at)
    by_confirmation: dict[str, list[ConfirmationFact]] = {}
    for confirmation in confirmations:
        by_confirmation.setdefault(confirmation.department, []).append(confirmation)
    cards = []
    for name in dict.fromkeys(departments):
        median_hours, count = confirmation_hours(by_confirmation.get(name, []))
        cards.append(
            Scorecard(
                department=name,
                on_time=on_time(by_row.get(name, []), tz),
                sla=sla_rate(by_sla.get(name, []), now, tz),
                reporting=punctuality(by_report.get(name, []), periods),
                confirmation_hours=median_hours,
                confirmations=count,
                qualified=tuple(
                    QualifiedAcceptance(r.task, r.verdict, r.reason)
                    for r in by_row.get(name, [])
                    if r.verdict in QUALIFIED_VERDICTS
                ),
            )
        )
    return cards
