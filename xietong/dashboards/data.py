"""What the dashboards draw, as plain data: snapshot and rows in, dicts out.

Every function here is pure (no database, no clock, no HTTP): the views read
the snapshot, the metric readings and the rule report, and these functions
turn them into JSON-ready dicts that ``static/xietong/charts.js`` draws with
ECharts and the templates show as data tables. Texts meant for people (series
names, axis names, status names) are translated here, in the language active
when the function is called, so the browser receives finished words.

Numbers leave as floats and days as ISO strings (``YYYY-MM-DD``, or
``YYYY-MM-DDTHH:MM`` in the collaboration's time zone for moments), which
``charts.js`` reads as local times: the browser's own time zone never shifts
a deadline to the day before.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext as _

from xietong.lib.limits import EARLIEST, clamp_day, latest
from xietong.rules import snapshot as s
from xietong.rules.engine import Context, Finding, Severity, object_label
from xietong.rules.steps import step_of

# The five states a task is shown in. Overdue is derived (deadline < today and
# not done); a task that is blocked *and* past its deadline is shown as
# blocked: blocking is the more urgent fact (it needs a reason and an
# escalation, T02), and the task still counts once.
DONE, IN_PROGRESS, OVERDUE, BLOCKED, NOT_STARTED = "done", "in_progress", "overdue", "blocked", "not_started"
STATES: tuple[str, ...] = (DONE, IN_PROGRESS, OVERDUE, BLOCKED, NOT_STARTED)

# done green, in progress blue, overdue orange, blocked red, not started grey
STATE_COLOURS: Mapping[str, str] = {
    DONE: "#2f9e44",
    IN_PROGRESS: "#1c7ed6",
    OVERDUE: "#f08c00",
    BLOCKED: "#e03131",
    NOT_STARTED: "#adb5bd",
}

# Health score bands, the same as the score badge of the pages (app.css).
SCORE_GOOD, SCORE_FAIR = 80, 50
SCORE_COLOURS: Mapping[str, str] = {"good": "#067647", "fair": "#b54708", "poor": "#b42318"}

SEVERITY_ORDER: tuple[Severity, ...] = (Severity.ERROR, Severity.WARNING, Severity.INFO)


def state_labels() -> dict[str, str]:
    """Return the translated name of each state, in ``STATES`` order."""
    return {
        DONE: _("已完成"),
        IN_PROGRESS: _("进行中"),
        OVERDUE: _("逾期"),
        BLOCKED: _("阻塞"),
        NOT_STARTED: _("未开始"),
    }


def task_state(task: s.Task, today: date) -> str:
    """Return the state a task is shown in on ``today`` (one of ``STATES``).

    Done stays done whatever its deadline; blocked wins over overdue; a task
    not done whose deadline is before ``today`` is overdue (the deadline day
    itself is still on time, as rule T01 counts it).
    """
    if task.status == s.TaskStatus.DONE:
        return DONE
    if task.status == s.TaskStatus.BLOCKED:
        return BLOCKED
    if task.deadline is not None and task.deadline < today:
        return OVERDUE
    return IN_PROGRESS if task.status == s.TaskStatus.IN_PROGRESS else NOT_STARTED


def state_counts(tasks: Iterable[s.Task], today: date) -> dict[str, int]:
    """Return how many tasks are in each state (every state present, zeros included)."""
    counts = Counter(task_state(t, today) for t in tasks)
    return {state: counts[state] for state in STATES}


def score_band(score: int) -> str:
    """Return "good" (≥ 80), "fair" (≥ 50) or "poor", as the score badge colours it."""
    if score >= SCORE_GOOD:
        return "good"
    return "fair" if score >= SCORE_FAIR else "poor"


def _num(value: Decimal | int | float | None) -> float | int | None:
    """Return a JSON number: an int when whole (45, not 45.0), else a float; None stays None."""
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _day(value: date) -> str:
    return value.isoformat()


def _moment(value: datetime, ctx: Context) -> str:
    return value.astimezone(ctx.tz).strftime("%Y-%m-%dT%H:%M")


def department_of(task: s.Task) -> str:
    """Return the department a task is counted under: its first responsible one, or "" for none.

    A stored task has at most one; a malformed charter may list two (R02),
    and then the task is counted once, under the first.
    """
    return task.departments[0] if task.departments else ""


def _department_order(collab: s.Collab) -> list[str]:
    """Participants in their order, then other responsible departments as met, then "" (none)."""
    order = [d.name for d in collab.departments if d.name]
    seen = set(order)
    for task in collab.tasks:
        name = department_of(task)
        if name and name not in seen:
            order.append(name)
            seen.add(name)
    if any(not department_of(t) for t in collab.tasks):
        order.append("")
    return order


def _day_clamp() -> Callable[[date], date]:
    """Return ``clamp_day`` with its window's end read once (``latest`` reads the clock per call)."""
    last = latest()

    def clamp(value: date) -> date:
        return value if EARLIEST <= value <= last else clamp_day(value)

    return clamp


def _department_label(name: str) -> str:
    return name or _("(未指定部门)")


# --- b. task status by department


def status_by_department(collab: s.Collab, today: date) -> dict[str, Any]:
    """Return the stacked bar chart of task states per responsible department.

    ``{"kind": "status", "categories": [department, …], "series": [{"key",
    "name", "color", "data": [count per category]}, …] (one per state, in
    ``STATES`` order, with its "total"), "rows": [{"department", "counts":
    {state: n}, "cells": [n per state in ``STATES`` order], "total"}],
    "totals": {state: n}, "total": n, "labels": {…}}``. Departments with no
    task are left out; ``categories`` is empty when there is no task.
    """
    per_department: dict[str, Counter[str]] = {}
    for task in collab.tasks:
        per_department.setdefault(department_of(task), Counter())[task_state(task, today)] += 1
    names = [name for name in _department_order(collab) if name in per_department]
    labels = state_labels()
    # Every task is counted under exactly one department: the totals are their sums.
    totals = {state: sum(counts[state] for counts in per_department.values()) for state in STATES}
    rows: list[dict[str, Any]] = [
        {
            "department": _department_label(name),
            "counts": {state: per_department[name][state] for state in STATES},
            "cells": [per_department[name][state] for state in STATES],
            "total": sum(per_department[name].values()),
        }
        for name in names
    ]
    return {
        "kind": "status",
        "categories": [row["department"] for row in rows],
        "series": [
            {
                "key": state,
                "name": labels[state],
                "color": STATE_COLOURS[state],
                "data": [row["counts"][state] for row in rows],
                "total": totals[state],
            }
            for state in STATES
        ],
        "rows": rows,
        "totals": totals,
        "total": sum(totals.values()),
        "labels": {"axis": _("任务数"), "department": _("责任部门")},
    }


# --- a. goal metrics against target over time


Reading = tuple[date, Decimal]


def nice_extent(values: Sequence[float], ceiling: float | None = None) -> tuple[float, float, float]:
    """Return ``(low, high, step)`` for a value axis around ``values``.

    About five ticks of a round step (1, 2 or 5 times a power of ten), with
    room of at least 10 % each side; ``low`` and ``high`` are multiples of
    ``step`` so every tick is labelled alike. The range does not go below 0
    when no value does, nor above ``ceiling`` (a rating's scale) when no value
    does.
    """
    low, high = min(values), max(values)
    span = high - low or abs(high) or 1.0
    raw = (span * 1.2) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(n for n in (1, 2, 5, 10) if raw / magnitude <= n) * magnitude
    nice_low = round(math.floor((low - span * 0.1) / step) * step, 10)
    nice_high = round(math.ceil((high + span * 0.1) / step) * step, 10)
    if low >= 0:
        nice_low = max(nice_low, 0.0)
    if ceiling is not None and high <= ceiling:
        nice_high = min(nice_high, ceiling)
    return nice_low, nice_high, round(step, 10)


def metric_charts(
    goal: s.Goal | None, readings: Mapping[int, Sequence[Reading]], start: date | None
) -> list[dict[str, Any]]:
    """Return one small line chart per goal metric, in the goal's order.

    ``readings`` maps a metric's key to its ``(measured_on, value)`` pairs
    (any order). Each chart: ``{"kind": "metric", "id", "name", "unit",
    "baseline", "target", "direction", "deadline", "points": [[day, value],
    …] (by day), "latest", "progress" (percent of the way from baseline to
    target, see ``progress``), "x_min", "x_max", "y_min", "y_max", "y_step"
    (see ``nice_extent``), "labels"}``.
    The axes span the readings, ``start`` (the kickoff day) and the goal's
    deadline, and the values, baseline and target, so the mark lines are
    always in view. ``points`` is empty for a metric without readings (the
    page then says so instead of drawing an empty chart).
    """
    if goal is None:
        return []
    charts = []
    for index, metric in enumerate(goal.metrics):
        points = sorted(readings.get(metric.key, ()) if metric.key is not None else ())
        values = [float(v) for _d, v in points]
        expected = forecast(points, goal.deadline) if goal.deadline else None
        marks = [x for x in (_num(metric.baseline), _num(metric.target), _num(expected)) if x is not None]
        days = [d for d, _v in points] + [d for d in (start, goal.deadline) if d is not None]
        y_min = y_max = y_step = None
        if values or marks:
            scale = float(metric.scale_max) if metric.scale_max is not None else None
            y_min, y_max, y_step = nice_extent(values + marks, ceiling=scale)
        latest = points[-1][1] if points else None
        charts.append(
            {
                "kind": "metric",
                "id": f"chart-metric-{index}",
                "name": metric.name,
                "unit": metric.unit,
                "baseline": _num(metric.baseline),
                "target": _num(metric.target),
                "direction": str(metric.direction) if metric.direction else "",
                "deadline": _day(goal.deadline) if goal.deadline else None,
                "points": [[_day(d), _num(v)] for d, v in points],
                "latest": _num(latest),
                "progress": progress(metric.baseline, metric.target, latest),
                "forecast": _num(expected),
                "forecast_reaches": reaches(str(metric.direction or ""), metric.target, expected),
                "x_min": _day(min(days)) if days else None,
                "x_max": _day(max(days)) if days else None,
                "y_min": _num(y_min),
                "y_max": _num(y_max),
                "y_step": _num(y_step),
                "labels": {
                    "baseline": _("基线"),
                    "target": _("目标"),
                    "deadline": _("目标截止"),
                    "value": _("读数"),
                    "forecast": _("趋势预测"),
                    "date": _("测量日期"),
                },
            }
        )
    return charts


def forecast(points: Sequence[Reading], day: date) -> Decimal | None:
    """Return where the readings' straight-line trend (least squares) puts the metric on ``day``.

    None with fewer than two distinct measuring days (no trend to speak
    of). Rounded to one decimal, as the readings are shown.
    """
    days = {d for d, _v in points}
    if len(days) < 2:
        return None
    xs = [float(d.toordinal()) for d, _v in points]
    ys = [float(v) for _d, v in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    value = mean_y + slope * (day.toordinal() - mean_x)
    return Decimal(str(round(value, 1)))


def reaches(direction: str, target: Decimal | None, value: Decimal | None) -> bool | None:
    """Return whether ``value`` meets ``target`` in the metric's direction (None when unknown)."""
    if target is None or value is None or not direction:
        return None
    return value >= target if direction == "increase" else value <= target


def progress(baseline: Decimal | None, target: Decimal | None, latest: Decimal | None) -> int | None:
    """Return how far ``latest`` has gone from ``baseline`` toward ``target``, in percent.

    0 at the baseline, 100 at the target, whatever the direction (a time
    falling from 48 to 24 h is 50 % at 36 h). Not clamped: above 100 means
    beyond the target, below 0 worse than the baseline. None when a value is
    missing or the target equals the baseline (no way to measure).
    """
    if baseline is None or target is None or latest is None or target == baseline:
        return None
    share = (latest - baseline) / (target - baseline) * 100
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- c. timeline of the tasks


def timeline(collab: s.Collab, ctx: Context, fallback_start: date) -> dict[str, Any]:
    """Return the Gantt-like timeline: one bar per task with a deadline, and the milestones.

    A bar runs from the task's start day to its deadline (both inclusive).
    The responsibility table records deadlines only, so the start is
    inferred: each department works through its rows in deadline order, and
    a task starts the day after the department's previous (earlier) deadline,
    its first task on the kickoff day (``fallback_start`` when there is no
    kickoff, e.g. the day the collaboration was created). Rows sharing a
    deadline share a start. A task due before that start gets a one-day bar
    on its deadline.

    ``{"kind": "timeline", "rows": [{"task", "department", "start",
    "deadline", "state", "state_name", "color"}, …] (by department, then
    start and deadline), "milestones": [{"key", "name", "at", "day", "when"},
    …] (kickoff, goal deadline, today; ``at`` is where the line is drawn,
    ``when`` what the page prints),
    "x_min", "x_max", "undated": number of tasks without a deadline (not
    drawn), "states": [{"key", "name", "color"}] (the legend), "labels"}``.
    """
    clamp = _day_clamp()
    kickoff_at = collab.kickoff.scheduled_at if collab.kickoff else None
    anchor = clamp(kickoff_at.astimezone(ctx.tz).date() if kickoff_at else fallback_start)
    today = ctx.today
    labels = state_labels()
    order = {name: i for i, name in enumerate(_department_order(collab))}

    # Each department's distinct deadlines, sorted: a task starts the day after the
    # latest one before its own (found by bisection, not by scanning every row).
    # A deadline stored outside the date window (9999-12-31) is drawn at its edge.
    dated = [
        (task, department_of(task), clamp(task.deadline))
        for task in collab.tasks
        if task.deadline is not None
    ]
    deadlines: dict[str, set[date]] = {}
    for _task, department, deadline in dated:
        deadlines.setdefault(department, set()).add(deadline)
    ordered = {department: sorted(days) for department, days in deadlines.items()}

    # Rows of one department and deadline share their start: each span is worked out once.
    spans: dict[tuple[str, date], tuple[date, str, str]] = {}
    departments = {department: _department_label(department) for department in ordered}
    rows = []
    for position, (task, department, deadline) in enumerate(dated):
        span = spans.get((department, deadline))
        if span is None:
            own = ordered[department]
            before = bisect_left(own, deadline)
            start = max(anchor, own[before - 1] + timedelta(days=1)) if before else anchor
            start = min(start, deadline)
            span = spans[department, deadline] = (start, start.isoformat(), deadline.isoformat())
        state = task_state(task, today)
        rows.append(
            (
                (order[department], span[0], deadline, position),
                {
                    "task": task.description or _("(未填写任务描述)"),
                    "department": departments[department],
                    "start": span[1],
                    "deadline": span[2],
                    "state": state,
                    "state_name": labels[state],
                    "color": STATE_COLOURS[state],
                },
            )
        )
    rows.sort(key=lambda pair: pair[0])

    milestones = []
    if kickoff_at is not None:
        milestones.append(
            {
                "key": "kickoff",
                "name": _("启动会"),
                "at": _moment(kickoff_at, ctx),
                "day": _day(anchor),
                "when": _moment(kickoff_at, ctx).replace("T", " "),
            }
        )
    goal_deadline = clamp(collab.goal.deadline) if collab.goal and collab.goal.deadline else None
    if goal_deadline is not None:
        # drawn at the end of the day, where the bars of tasks due that day end
        end = goal_deadline + timedelta(days=1)
        milestones.append(
            {
                "key": "deadline",
                "name": _("目标截止"),
                "at": f"{_day(end)}T00:00",
                "day": _day(goal_deadline),
                "when": _day(collab.goal.deadline if collab.goal and collab.goal.deadline else goal_deadline),
            }
        )
    milestones.append(
        {
            "key": "today",
            "name": _("今天"),
            "at": _moment(ctx.now, ctx),
            "day": _day(today),
            "when": _day(today),
        }
    )

    # Every row's start and deadline is one of the spans (a few per department and day).
    days = [start for start, _s, _d in spans.values()]
    days += [deadline + timedelta(days=1) for _department, deadline in spans]
    days += [date.fromisoformat(m["day"]) for m in milestones]
    if goal_deadline is not None:
        days.append(goal_deadline + timedelta(days=1))
    return {
        "kind": "timeline",
        "rows": [row for _k, row in rows],
        "milestones": milestones,
        "x_min": _day(min(days)),
        "x_max": _day(max(days)),
        "undated": sum(1 for t in collab.tasks if t.deadline is None),
        "states": [{"key": k, "name": labels[k], "color": STATE_COLOURS[k]} for k in STATES],
        "labels": {
            "task": _("任务"),
            "department": _("责任部门"),
            "start": _("开始"),
            "deadline": _("时间节点"),
            "state": _("状态"),
        },
    }


# --- d. health score and open findings


def gauge(score: int) -> dict[str, Any]:
    """Return the health-score gauge: ``{"kind": "gauge", "score", "band", "color", "name", "bands"}``.

    ``bands`` are ECharts axis-line stops ``[[share, colour], …]`` matching
    the score badge: red below 50, orange below 80, green from 80.
    """
    return {
        "kind": "gauge",
        "score": score,
        "band": score_band(score),
        "color": SCORE_COLOURS[score_band(score)],
        "name": _("健康分"),
        "bands": [
            [SCORE_FAIR / 100, SCORE_COLOURS["poor"]],
            [SCORE_GOOD / 100, SCORE_COLOURS["fair"]],
            [1, SCORE_COLOURS["good"]],
        ],
    }


def severity_labels() -> dict[str, str]:
    """Return the translated name of each severity."""
    return {Severity.ERROR: _("错误"), Severity.WARNING: _("警告"), Severity.INFO: _("提示")}


@dataclass(frozen=True)
class FindingGroup:
    """The open findings of one severity, for the list beside the gauge."""

    severity: str
    name: str
    items: tuple[dict[str, Any], ...]


def findings_by_severity(
    findings: Iterable[Finding], step_urls: Mapping[int, str], collab: s.Collab | None = None
) -> list[FindingGroup]:
    """Return the findings grouped by severity (errors, warnings, then info), empty groups left out.

    Each item: ``{"rule", "text", "object", "label" (what it points at in
    words, from ``collab``), "step" (its number), "step_name", "url" (the
    step's page, from ``step_urls``)}``, in the report's order.
    """
    names = severity_labels()
    grouped: dict[Severity, list[dict[str, Any]]] = {severity: [] for severity in SEVERITY_ORDER}
    steps: dict[str, tuple[int, str]] = {}  # by rule: its step's number and name, translated once
    for finding in findings:
        if finding.rule not in steps:
            step = step_of(finding.rule)
            steps[finding.rule] = (step.number, str(step.name))
        number, step_name = steps[finding.rule]
        grouped[Severity(finding.severity)].append(
            {
                "rule": finding.rule,
                "text": finding.text(),
                "object": finding.object,
                "label": object_label(collab, finding.object) if collab is not None else "",
                "step": number,
                "step_name": step_name,
                "url": step_urls.get(number, ""),
            }
        )
    return [
        FindingGroup(str(severity), names[severity], tuple(items))
        for severity, items in grouped.items()
        if items
    ]


def step_links(groups: Iterable[FindingGroup]) -> dict[str, dict[str, str]]:
    """Return the words of each rule's links to its step: ``{rule: {"aria", "step"}}``.

    ``aria`` names the rule and where its link leads ("C04:前往步骤6 …"),
    ``step`` is the link's text before the step's name ("步骤6"). Findings of
    one rule share them, so a list of hundreds translates each rule once.
    """
    links: dict[str, dict[str, str]] = {}
    for group in groups:
        for item in group.items:
            if item["rule"] not in links:
                n = item["step"]
                links[item["rule"]] = {
                    "aria": _("%(rule)s:前往步骤%(n)s %(name)s")
                    % {"rule": item["rule"], "n": n, "name": item["step_name"]},
                    "step": _("步骤%(n)s") % {"n": n},
                }
    return links


# --- the overview


def latest_by_metric(rows: Iterable[tuple[int, date, Decimal]]) -> dict[int, Decimal]:
    """Return each metric's latest value from ``(metric key, measured_on, value)`` rows."""
    latest: dict[int, tuple[date, Decimal]] = {}
    for key, day, value in rows:
        if key not in latest or day >= latest[key][0]:
            latest[key] = (day, value)
    return {key: value for key, (_day_, value) in latest.items()}


def metric_progress(goal: s.Goal | None, latest: Mapping[int, Decimal]) -> list[dict[str, Any]]:
    """Return each goal metric's progress: ``[{"name", "unit", "baseline", "target", "latest", "percent", "meter"}]``.

    ``percent`` is ``progress(...)`` (None when it cannot be measured);
    ``meter`` is the same clamped to 0–100, for a progress bar.
    """
    if goal is None:
        return []
    result = []
    for metric in goal.metrics:
        value = latest.get(metric.key) if metric.key is not None else None
        percent = progress(metric.baseline, metric.target, value)
        result.append(
            {
                "name": metric.name,
                "unit": metric.unit,
                "baseline": metric.baseline,
                "target": metric.target,
                "latest": value,
                "percent": percent,
                "meter": None if percent is None else max(0, min(100, percent)),
            }
        )
    return result


def overview_row(
    collab: s.Collab, score: int, findings: Sequence[Finding], latest: Mapping[int, Decimal], today: date
) -> dict[str, Any]:
    """Return one collaboration's line of the overview.

    ``{"score", "band", "errors", "warnings", "tasks": {state: n}, "total",
    "deadline", "metrics": metric_progress(...)}``.
    """
    return {
        "score": score,
        "band": score_band(score),
        "errors": sum(1 for f in findings if f.severity == Severity.ERROR),
        "warnings": sum(1 for f in findings if f.severity == Severity.WARNING),
        "tasks": state_counts(collab.tasks, today),
        "total": len(collab.tasks),
        "deadline": collab.goal.deadline if collab.goal else None,
        "metrics": metric_progress(collab.goal, latest),
    }


def scores_chart(items: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """Return the bar chart of health scores from ``(title, score)`` pairs, in their order.

    ``{"kind": "scores", "categories": [title, …], "data": [{"value", "color"}, …],
    "labels": {"axis"}}``; ``categories`` is empty when there is nothing to show.
    """
    return {
        "kind": "scores",
        "categories": [title for title, _score in items],
        "data": [{"value": score, "color": SCORE_COLOURS[score_band(score)]} for _title, score in items],
        "labels": {"axis": _("健康分")},
    }
