"""R01-R08: the responsibility table — 事事有人管、件件有标准."""

from __future__ import annotations

from typing import Any

import pytest

from xietong.rules.table import normalise_description

from .conftest import findings, where


@pytest.mark.parametrize("department", [None, "", []])
def test_it_flags_a_task_without_a_responsible_department(
    good_charter: dict[str, Any], department: Any
) -> None:
    good_charter["tasks"][2]["department"] = department

    found = findings(good_charter, "R01")

    assert where(found) == [("R01", "error", "tasks[2]")]
    assert "建立技术问题排查响应机制" in found[0].text("zh-hans")


def test_it_names_a_task_without_description_by_its_row(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][2].update(description="", department=None)

    assert "第 3 条任务" in findings(good_charter, "R01")[0].text("zh-hans")


def test_it_accepts_tasks_that_each_have_a_responsible_department(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "R01") == []


def test_it_flags_a_task_with_two_responsible_departments(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][4]["department"] = ["产品部", "技术部"]

    found = findings(good_charter, "R02")

    assert where(found) == [("R02", "error", "tasks[4]")]
    assert "产品部、技术部" in found[0].text("zh-hans")


def test_it_accepts_a_department_list_with_one_name(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][4]["department"] = ["产品部"]

    assert findings(good_charter, "R02") == []


def test_it_flags_a_task_without_a_delivery_standard(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][1]["standard"] = " "

    assert where(findings(good_charter, "R03")) == [("R03", "error", "tasks[1]")]


def test_it_accepts_tasks_with_delivery_standards(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "R03") == []


def test_it_flags_a_task_without_a_deadline(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][6]["deadline"] = None

    assert where(findings(good_charter, "R04")) == [("R04", "error", "tasks[6]")]


def test_it_accepts_tasks_with_deadlines(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "R04") == []


def test_it_flags_a_responsible_department_that_does_not_take_part(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][3]["department"] = "财务部"

    found = findings(good_charter, "R05")

    assert where(found) == [("R05", "error", "tasks[3]")]
    assert "财务部" in found[0].text("zh-hans")


def test_it_accepts_responsible_departments_that_take_part(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "R05") == []


def test_it_flags_a_collaborator_that_does_not_take_part(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][7]["collaborators"] = ["产品部", "市场部", "财务部"]

    found = findings(good_charter, "R06")

    assert where(found) == [("R06", "warning", "tasks[7]")]
    assert "市场部、财务部" in found[0].text("zh-hans")


def test_it_accepts_collaborators_that_take_part(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "R06") == []


def test_it_flags_the_later_of_two_tasks_with_the_same_description(good_charter: dict[str, Any]) -> None:
    duplicate = dict(good_charter["tasks"][0], description=" 建立投诉接收 与分类流程。", department="产品部")
    good_charter["tasks"].append(duplicate)

    found = findings(good_charter, "R07")

    assert where(found) == [("R07", "warning", "tasks[8]")]
    assert found[0].params["first"] == 0
    assert "第 1 条任务" in found[0].text("zh-hans")


def test_it_accepts_tasks_with_different_descriptions(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"].append(dict(good_charter["tasks"][0], description="建立投诉接收与分类流程(二期)"))

    assert findings(good_charter, "R07") == []


def test_it_does_not_compare_tasks_without_description(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][0]["description"] = ""
    good_charter["tasks"][1]["description"] = ""

    assert findings(good_charter, "R07") == []


def test_it_normalises_whitespace_punctuation_case_and_full_width_forms() -> None:
    assert normalise_description("Set up the KPI board!") == normalise_description("set up the kpi  board")
    assert normalise_description("Ｓｅｔ ｕｐ，ＫＰＩ") == normalise_description("set up kpi")
    assert normalise_description("制定产品优化方案") != normalise_description("制定产品优化计划")


def test_it_flags_a_task_due_after_the_goals_deadline(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][4]["deadline"] = "2024-10-08"  # the goal's deadline is 2024-09-30

    found = findings(good_charter, "R08")

    assert where(found) == [("R08", "warning", "tasks[4]")]
    assert "2024-10-08" in found[0].text("zh-hans") and "2024-09-30" in found[0].text("zh-hans")
    assert "goal" in found[0].text("en").lower()


def test_it_accepts_a_task_due_on_the_goals_deadline_or_without_one_to_compare(
    good_charter: dict[str, Any],
) -> None:
    good_charter["tasks"][4]["deadline"] = "2024-09-30"
    assert findings(good_charter, "R08") == []

    good_charter["tasks"][4]["deadline"] = "2024-12-31"
    good_charter["goal"]["deadline"] = None  # G04 says so; R08 has nothing to compare with
    assert findings(good_charter, "R08") == []
