"""The weekly progress list (周进度清单) compiled from rows and updates: pure, no database."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest

from tests.helpers import TZ
from xietong.rules.escalation import escalation_level
from xietong.tracking.weekly import (
    Execution,
    Group,
    IsoWeek,
    TaskFacts,
    UpdateFacts,
    WeeklyList,
    compile_weekly,
    from_content,
)


def at(day: str, hour: int = 17) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=TZ)


def task(key: int, department: str = "技术部", **extra: object) -> TaskFacts:
    values: dict[str, object] = {
        "description": f"任务{key}",
        "department": department,
        "deadline": date(2024, 9, 30),
        "status": "in_progress",
    }
    values.update(extra)
    return TaskFacts(key=key, **values)  # type: ignore[arg-type]


def update(
    key: int, when: datetime, status: str = "in_progress", department: str = "技术部", **extra: object
) -> UpdateFacts:
    return UpdateFacts(task=key, department=department, at=when, status=status, **extra)  # type: ignore[arg-type]


def compile_(
    tasks: list[TaskFacts],
    updates: list[UpdateFacts],
    week: str,
    now: datetime,
    **options: object,
) -> WeeklyList:
    options.setdefault("departments", ["售后部", "技术部"])
    return compile_weekly(tasks, updates, IsoWeek.parse(week), now, tz=TZ, **options)  # type: ignore[arg-type]


def only_row(weekly: WeeklyList):  # type: ignore[no-untyped-def]
    (row,) = weekly.rows
    return row


# --- ISO weeks


def test_an_iso_week_reads_and_writes_as_yyyy_www() -> None:
    week = IsoWeek.parse("2024-W32")
    assert (week.year, week.week, str(week)) == (2024, 32, "2024-W32")
    assert (week.monday, week.sunday) == (date(2024, 8, 5), date(2024, 8, 11))
    assert IsoWeek.parse("2024w1") == IsoWeek(2024, 1) and str(IsoWeek(2024, 1)) == "2024-W01"
    assert IsoWeek.of(date(2024, 12, 30)) == IsoWeek(2025, 1)  # ISO years start on a Monday
    assert IsoWeek(2024, 1).previous() == IsoWeek(2023, 52)
    assert IsoWeek(2020, 53).next() == IsoWeek(2021, 1)
    assert week.start(TZ) == at("2024-08-05", 0) and week.end(TZ) == at("2024-08-12", 0)


@pytest.mark.parametrize("text", ["2024-W54", "2024-W00", "2024-32", "W32", "1999-W10", "2024-W53", ""])
def test_a_week_that_does_not_exist_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        IsoWeek.parse(text)


# --- overdue is derived


def test_the_deadline_day_itself_is_on_time() -> None:
    rows = [task(1, deadline=date(2024, 8, 14)), task(2, deadline=date(2024, 8, 13))]
    weekly = compile_(rows, [], "2024-W33", at("2024-08-14", 9))
    by_key = {r.task: r for r in weekly.rows}
    assert (by_key[1].overdue, by_key[1].group) == (False, Group.IN_PROGRESS)
    assert (by_key[2].overdue, by_key[2].group, by_key[2].overdue_days) == (True, Group.OVERDUE, 1)


def test_a_done_row_is_never_overdue() -> None:
    row = only_row(
        compile_([task(1, deadline=date(2024, 7, 1), status="done")], [], "2024-W33", at("2024-08-14"))
    )
    assert (row.overdue, row.group, row.percent) == (False, Group.DONE, 100)


def test_a_past_week_is_judged_as_of_its_sunday() -> None:
    rows = [task(1, deadline=date(2024, 8, 11)), task(2, deadline=date(2024, 8, 10))]
    updates = [update(1, at("2024-08-09")), update(2, at("2024-08-09"))]
    weekly = compile_(rows, updates, "2024-W32", at("2024-08-20"))
    assert not weekly.live and weekly.as_of == at("2024-08-12", 0)
    assert {r.task: r.overdue for r in weekly.rows} == {1: False, 2: True}
    # A row that passed its deadline during the week is named as newly overdue.
    assert [r.task for r in weekly.newly_overdue] == [2]


def test_a_blocked_row_past_its_deadline_stays_in_the_blocked_group() -> None:
    row = only_row(
        compile_(
            [
                task(
                    1,
                    deadline=date(2024, 8, 1),
                    status="blocked",
                    blocked_reason="等法务",
                    blocked_since=at("2024-08-13"),
                )
            ],
            [],
            "2024-W33",
            at("2024-08-14"),
        )
    )
    assert (row.group, row.overdue) == (Group.BLOCKED, True)


# --- escalation on the Chinese calendar


def _blocked_on(since: datetime, now: datetime, limit: int = 2) -> tuple[int | None, int]:
    row = only_row(
        compile_(
            [
                task(
                    1, status="blocked", blocked_reason="等待产品部", blocked_since=since, waiting_on="产品部"
                )
            ],
            [],
            str(IsoWeek.of(now.date())),
            now,
            escalation_working_days=limit,
        )
    )
    assert row.blocker is not None and row.blocker.waiting_on == "产品部"
    return row.blocker.working_days, row.blocker.level


@pytest.mark.parametrize(
    ("today", "days", "level"),
    [
        ("2024-08-09", 0, 0),  # blocked on Friday
        ("2024-08-11", 0, 0),  # the weekend does not count
        ("2024-08-12", 1, 0),
        ("2024-08-13", 2, 0),  # two working days: still within the limit
        ("2024-08-14", 3, 1),  # beyond two: the initiator
        ("2024-08-15", 4, 1),
        ("2024-08-16", 5, 2),  # beyond four: the department heads
    ],
)
def test_escalation_levels_across_a_weekend(today: str, days: int, level: int) -> None:
    assert _blocked_on(at("2024-08-09", 10), at(today, 12)) == (days, level)


@pytest.mark.parametrize(
    ("today", "days", "level"),
    [
        ("2024-10-07", 0, 0),  # 1-7 October: the National Day holiday
        ("2024-10-08", 1, 0),
        ("2024-10-09", 2, 0),
        ("2024-10-10", 3, 1),
        ("2024-10-11", 4, 1),
        ("2024-10-12", 5, 2),  # Saturday 12 October is a make-up working day (调休)
    ],
)
def test_escalation_levels_across_a_statutory_holiday(today: str, days: int, level: int) -> None:
    assert _blocked_on(at("2024-09-30", 16), at(today, 12)) == (days, level)


def test_the_escalation_limit_is_configurable() -> None:
    assert _blocked_on(at("2024-08-09", 10), at("2024-08-14", 12), limit=3) == (3, 0)
    assert escalation_level(7, 3) == 2 and escalation_level(6, 3) == 1 and escalation_level(None, 2) == 0


def test_a_past_week_counts_blocked_days_from_the_update_that_blocked_the_row() -> None:
    updates = [
        update(1, at("2024-08-02"), "in_progress"),
        update(1, at("2024-08-06", 10), "blocked", blocked_reason="等产品部", waiting_on="产品部"),
        update(1, at("2024-08-09"), "blocked", blocked_reason="仍在等产品部", waiting_on="产品部"),
    ]
    row = only_row(compile_([task(1, status="in_progress")], updates, "2024-W32", at("2024-08-20")))
    assert row.status == "blocked" and row.blocker is not None
    # Tuesday 6 August to Sunday 11 August: Wednesday, Thursday, Friday.
    assert (row.blocker.since, row.blocker.working_days, row.blocker.level) == (date(2024, 8, 6), 3, 1)
    assert row.blocker.reason == "仍在等产品部"


def test_a_run_that_began_before_the_known_updates_keeps_its_start() -> None:
    prior = update(1, at("2024-08-02"), "blocked", blocked_reason="等", blocked_since=at("2024-07-26"))
    row = only_row(compile_([task(1)], [prior], "2024-W32", at("2024-08-20")))
    assert row.blocker is not None and row.blocker.since == date(2024, 7, 26)
    assert row.blocker.level == 2


# --- what the week shows


def test_a_past_week_shows_the_last_reported_state_and_the_live_week_the_table() -> None:
    rows = [task(1, status="done", percent=100), task(2, status="in_progress", percent=40)]
    updates = [update(1, at("2024-08-09"), "in_progress", percent=70, note="联调中", next_step="上线")]
    past = compile_(rows, updates, "2024-W32", at("2024-08-14"))
    assert {r.task: (r.status, r.percent) for r in past.rows} == {
        1: ("in_progress", 70),
        2: ("not_started", 0),
    }
    first = next(r for r in past.rows if r.task == 1)
    assert first.update is not None and (first.update.note, first.update.next_step) == ("联调中", "上线")
    live = compile_(rows, updates, "2024-W33", at("2024-08-14"))
    assert live.live
    assert {r.task: (r.status, r.percent, r.update) for r in live.rows} == {
        1: ("done", 100, None),
        2: ("in_progress", 40, None),
    }


def test_rows_are_grouped_per_department_in_the_guides_order() -> None:
    rows = [
        task(1, "售后部", status="not_started"),
        task(2, "技术部", status="blocked", blocked_reason="等"),
        task(3, "技术部", status="done"),
        task(4, "技术部", deadline=date(2024, 8, 1)),
        task(5, "技术部"),
        task(6, "", status="not_started"),
        task(7, "财务部"),
    ]
    weekly = compile_(rows, [], "2024-W33", at("2024-08-14"))
    assert [d.name for d in weekly.departments] == ["售后部", "技术部", "财务部", ""]
    tech = weekly.departments[1]
    assert [(g.group, [r.task for r in g.rows]) for g in tech.groups] == [
        (Group.DONE, [3]),
        (Group.IN_PROGRESS, [5]),
        (Group.OVERDUE, [4]),
        (Group.BLOCKED, [2]),
    ]
    assert not weekly.departments[2].participant and not weekly.departments[3].participant
    totals = weekly.totals
    assert (
        totals.rows,
        totals.done,
        totals.in_progress,
        totals.overdue,
        totals.blocked,
        totals.not_started,
    ) == (
        7,
        1,
        2,
        1,
        1,
        2,
    )
    assert totals.departments == 2  # participants only


def test_changes_since_last_week_compare_the_last_updates_before_and_in_the_week() -> None:
    rows = [task(1), task(2), task(3), task(4, created_at=at("2024-08-13", 9)), task(5)]
    updates = [
        update(1, at("2024-08-09"), "in_progress"),
        update(1, at("2024-08-14"), "blocked", blocked_reason="等"),
        update(1, at("2024-08-15"), "done"),  # the last one of the week counts
        update(2, at("2024-08-09"), "in_progress"),
        update(2, at("2024-08-15"), "in_progress"),  # no change
        update(3, at("2024-08-14"), "in_progress"),  # first report
        update(5, at("2024-08-14"), "not_started"),  # first report, still where it was
    ]
    weekly = compile_(rows, updates, "2024-W33", at("2024-08-18", 20))
    assert [(c.task, c.before, c.after) for c in weekly.changes] == [
        (1, "in_progress", "done"),
        (3, None, "in_progress"),
    ]
    assert [r.task for r in weekly.new_rows] == [4]


def test_updates_after_now_are_not_seen() -> None:
    updates = [update(1, at("2024-08-16"), "done")]
    weekly = compile_([task(1)], updates, "2024-W33", at("2024-08-14"))
    assert weekly.changes == () and not weekly.departments[1].reported


def test_departments_that_did_not_report_for_the_last_checkpoint() -> None:
    # Without a plan, reports are due every Monday: 售后部 reported this
    # period, 产品部 for the last Monday (not yet for the next), 技术部 missed it.
    rows = [task(1, "售后部"), task(2, "技术部"), task(3, "法务部", status="done"), task(4, "产品部")]
    updates = [
        update(1, at("2024-08-14"), department="售后部"),
        update(2, at("2024-08-02")),
        update(4, at("2024-08-09"), department="产品部"),
    ]
    weekly = compile_(
        rows, updates, "2024-W33", at("2024-08-16"), departments=["售后部", "技术部", "法务部", "产品部"]
    )
    assert weekly.not_reported == ["技术部"]
    tech = weekly.departments[1]
    assert (tech.reported, tech.late, tech.expected, tech.last_report) == (
        False,
        True,
        True,
        at("2024-08-02"),
    )
    law = weekly.departments[2]
    assert (law.reported, law.expected) == (False, False)  # every row done: nothing to report
    product = weekly.departments[3]
    assert (product.reported, product.pending, product.not_reported) == (False, True, False)
    assert (weekly.totals.reported, weekly.totals.not_reported, weekly.totals.pending) == (1, 1, 1)
    assert weekly.report_due == IsoWeek.parse("2024-W34").start(TZ)


def test_reports_are_expected_from_a_week_after_the_kickoff_to_the_deadline() -> None:
    execution = Execution(kickoff=at("2024-07-08", 10), deadline=date(2024, 9, 30))
    rows = [task(1)]

    def silent(week: str) -> list[str]:
        now = IsoWeek.parse(week).end(TZ) + timedelta(days=1)
        return compile_(rows, [], week, now, execution=execution).not_reported

    assert silent("2024-W28") == []  # the kickoff's week: the first report is due a week later
    assert silent("2024-W29") == ["技术部"]
    assert silent("2024-W40") == ["技术部"]  # the week of the deadline
    assert silent("2024-W41") == []
    closed = Execution(kickoff=at("2024-07-08", 10), closed_at=at("2024-08-01"))
    assert compile_(rows, [], "2024-W32", at("2024-08-20"), execution=closed).not_reported == []


def test_the_frozen_content_is_json_and_reads_back_the_same() -> None:
    rows = [
        task(
            1,
            status="blocked",
            blocked_reason="等待产品部",
            blocked_since=at("2024-08-09"),
            waiting_on="产品部",
        ),
        task(2, deadline=date(2024, 8, 1), created_at=at("2024-08-12")),
    ]
    updates = [update(2, at("2024-08-13"), "in_progress", percent=50, note="进展", author="李工")]
    weekly = compile_(rows, updates, "2024-W33", at("2024-08-14"))
    content = json.loads(json.dumps(weekly.to_content()))
    assert content["week"] == "2024-W33" and content["totals"]["blocked"] == 1
    assert [r["group"] for r in content["departments"][1]["rows"]] == ["overdue", "blocked"]
    assert content["departments"][1]["rows"][1]["blocker"]["level"] == 1
    assert from_content(content) == weekly
