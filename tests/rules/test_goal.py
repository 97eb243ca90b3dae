"""G01-G06: the core goal is specific, measurable, time-bound and supported."""

from __future__ import annotations

from typing import Any

from .conftest import findings, where


def test_it_flags_a_missing_goal_as_not_specific_measurable_or_time_bound(
    good_charter: dict[str, Any],
) -> None:
    good_charter["goal"] = None

    assert where(findings(good_charter, "G01")) == [("G01", "error", "goal")]
    assert where(findings(good_charter, "G02")) == [("G02", "error", "goal")]
    assert where(findings(good_charter, "G04")) == [("G04", "error", "goal")]


def test_it_flags_a_vague_statement_without_a_measurable_metric(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["statement"] = "尽快提升效率"
    good_charter["goal"]["metrics"] = []

    found = findings(good_charter, "G01")

    assert where(found) == [("G01", "error", "goal")]
    assert "尽快提升效率" in found[0].text("zh-hans")


def test_it_flags_an_empty_statement_without_a_measurable_metric(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["statement"] = ""
    good_charter["goal"]["metrics"][0]["target"] = None
    good_charter["goal"]["metrics"][1]["target"] = None

    assert where(findings(good_charter, "G01")) == [("G01", "error", "goal")]


def test_it_accepts_a_vague_statement_when_a_metric_has_a_numeric_target(
    good_charter: dict[str, Any],
) -> None:
    good_charter["goal"]["statement"] = "提升效率"

    assert findings(good_charter, "G01") == []


def test_it_accepts_a_specific_statement_without_metrics_under_g01_but_not_g02(
    good_charter: dict[str, Any],
) -> None:
    good_charter["goal"]["metrics"] = []

    assert findings(good_charter, "G01") == []
    assert where(findings(good_charter, "G02")) == [("G02", "error", "goal")]


def test_it_flags_metrics_that_all_lack_a_numeric_target(good_charter: dict[str, Any]) -> None:
    for metric in good_charter["goal"]["metrics"]:
        metric["target"] = None

    assert where(findings(good_charter, "G02")) == [("G02", "error", "goal")]


def test_it_accepts_one_metric_with_a_numeric_target(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["metrics"][1]["target"] = None

    assert findings(good_charter, "G02") == []


def test_it_flags_a_metric_without_a_baseline(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["metrics"][1]["baseline"] = None

    found = findings(good_charter, "G03")

    assert where(found) == [("G03", "warning", "goal.metrics[1]")]
    assert "客户满意度" in found[0].text("zh-hans")


def test_it_accepts_metrics_with_baselines(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["metrics"][0]["baseline"] = 0

    assert findings(good_charter, "G03") == []


def test_it_flags_a_goal_without_a_deadline(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["deadline"] = None

    assert where(findings(good_charter, "G04")) == [("G04", "error", "goal")]


def test_it_accepts_a_goal_with_a_deadline(good_charter: dict[str, Any]) -> None:
    assert good_charter["goal"]["deadline"] == "2024-09-30"
    assert findings(good_charter, "G04") == []


def test_it_flags_an_increase_target_below_its_baseline(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["metrics"][0]["target"] = 40

    found = findings(good_charter, "G05")

    assert where(found) == [("G05", "error", "goal.metrics[0]")]
    assert "40" in found[0].text("zh-hans")
    assert "45" in found[0].text("zh-hans")


def test_it_flags_an_increase_target_equal_to_its_baseline(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["metrics"][1]["target"] = 3.8

    assert where(findings(good_charter, "G05")) == [("G05", "error", "goal.metrics[1]")]


def test_it_flags_a_decrease_target_above_its_baseline(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["metrics"].append(
        {"name": "投诉平均处理时长", "unit": "小时", "baseline": 48, "target": 72, "direction": "decrease"}
    )

    assert where(findings(good_charter, "G05")) == [("G05", "error", "goal.metrics[2]")]


def test_it_accepts_a_decrease_target_below_its_baseline(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["metrics"].append(
        {"name": "投诉平均处理时长", "unit": "小时", "baseline": 48, "target": 24, "direction": "decrease"}
    )

    assert findings(good_charter, "G05") == []


def test_it_does_not_judge_reach_or_missing_directions(good_charter: dict[str, Any]) -> None:
    good_charter["goal"]["metrics"][0].update(target=40, direction="reach")
    good_charter["goal"]["metrics"][1].update(target=3.0, direction=None)

    assert findings(good_charter, "G05") == []


def test_it_flags_a_metric_that_no_subgoal_supports(good_charter: dict[str, Any]) -> None:
    for subgoal in good_charter["subgoals"]:
        subgoal["metric"] = "24小时内闭环率"

    found = findings(good_charter, "G06")

    assert where(found) == [("G06", "warning", "goal.metrics[1]")]
    assert "客户满意度" in found[0].text("zh-hans")


def test_it_accepts_metrics_each_supported_by_a_subgoal(good_charter: dict[str, Any]) -> None:
    del good_charter["subgoals"][0]  # 24小时内闭环率 is still supported by 技术部's sub-goal

    assert findings(good_charter, "G06") == []
