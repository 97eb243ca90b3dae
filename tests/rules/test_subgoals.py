"""S01-S04: sub-goals quantified, owned and time-limited, with valid time limits."""

from __future__ import annotations

from typing import Any

import pytest

from xietong.rules.subgoals import is_valid_rrule

from .conftest import findings, where


def test_it_flags_a_subgoal_without_a_numeric_target(good_charter: dict[str, Any]) -> None:
    good_charter["subgoals"][1]["target"] = None

    found = findings(good_charter, "S01")

    assert where(found) == [("S01", "error", "subgoals[1]")]
    assert "技术部24小时内输出技术问题结论" in found[0].text("zh-hans")


def test_it_accepts_quantified_subgoals(good_charter: dict[str, Any]) -> None:
    good_charter["subgoals"][1]["target"] = 0

    assert findings(good_charter, "S01") == []


def test_it_flags_a_subgoal_without_a_department(good_charter: dict[str, Any]) -> None:
    good_charter["subgoals"][2]["department"] = ""

    assert where(findings(good_charter, "S02")) == [("S02", "error", "subgoals[2]")]


def test_it_accepts_subgoals_with_departments(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "S02") == []


def test_it_flags_a_subgoal_without_a_time_limit(good_charter: dict[str, Any]) -> None:
    good_charter["subgoals"][0]["deadline"] = None

    assert where(findings(good_charter, "S03")) == [("S03", "error", "subgoals[0]")]
    assert findings(good_charter, "S04") == []


def test_it_accepts_subgoals_with_time_limits(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "S03") == []


@pytest.mark.parametrize(
    "index,deadline",
    [
        (0, {"kind": "recurring", "rrule": ""}),
        (0, {"kind": "recurring", "rrule": "每日10点前"}),
        (0, {"kind": "recurring", "rrule": "BYDAY=MO"}),
        (2, {"kind": "recurring", "rrule": "FREQ=WEEKLY;BYDAY=XX"}),
        (1, {"kind": "sla", "hours": 0, "trigger": "接到售后需求"}),
        (1, {"kind": "sla", "hours": -24, "trigger": "接到售后需求"}),
        (1, {"kind": "sla", "hours": None, "trigger": "接到售后需求"}),
        (3, {"kind": "fixed", "date": None}),
        (3, {"kind": "fixed", "date": "2024-10-15"}),
    ],
)
def test_it_flags_an_invalid_time_limit(
    good_charter: dict[str, Any], index: int, deadline: dict[str, Any]
) -> None:
    good_charter["subgoals"][index]["deadline"] = deadline

    assert where(findings(good_charter, "S04")) == [("S04", "error", f"subgoals[{index}]")]


def test_it_names_both_dates_when_a_fixed_date_is_after_the_goal_deadline(
    good_charter: dict[str, Any],
) -> None:
    good_charter["subgoals"][3]["deadline"] = {"kind": "fixed", "date": "2024-10-15"}

    text = findings(good_charter, "S04")[0].text("zh-hans")

    assert "2024-10-15" in text
    assert "2024-09-30" in text


@pytest.mark.parametrize(
    "deadline",
    [
        {"kind": "fixed", "date": "2024-09-30"},
        {"kind": "recurring", "rrule": "RRULE:FREQ=WEEKLY;BYDAY=FR"},
        {"kind": "recurring", "rrule": "DTSTART:20240701T090000\nRRULE:FREQ=DAILY;BYHOUR=10"},
        {"kind": "sla", "hours": 0.5, "trigger": "接到售后需求"},
    ],
)
def test_it_accepts_valid_time_limits(good_charter: dict[str, Any], deadline: dict[str, Any]) -> None:
    good_charter["subgoals"][3]["deadline"] = deadline

    assert findings(good_charter, "S04") == []


def test_it_does_not_compare_a_fixed_date_with_a_missing_goal_deadline(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["deadline"] = None
    good_charter["subgoals"][3]["deadline"] = {"kind": "fixed", "date": "2024-10-15"}

    assert findings(good_charter, "S04") == []


def test_it_reads_rrules_the_way_dateutil_does() -> None:
    assert is_valid_rrule("FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0")
    assert not is_valid_rrule("  ")
    assert not is_valid_rrule("FREQ=DAILY;BYHOUR=25")
    assert not is_valid_rrule("每周一")
