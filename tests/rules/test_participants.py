"""P01-P04: each participating department, listed once, with one liaison and some work."""

from __future__ import annotations

from typing import Any

from .conftest import findings, where


def test_it_flags_a_department_without_a_liaison(good_charter: dict[str, Any]) -> None:
    good_charter["departments"][3]["liaison"] = None

    found = findings(good_charter, "P01")

    assert where(found) == [("P01", "error", "departments[3]")]
    assert "法务部" in found[0].text("zh-hans")


def test_it_flags_a_blank_liaison_as_missing(good_charter: dict[str, Any]) -> None:
    good_charter["departments"][0]["liaison"] = "  "

    assert where(findings(good_charter, "P01")) == [("P01", "error", "departments[0]")]


def test_it_accepts_departments_that_each_name_a_liaison(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "P01") == []


def test_it_flags_a_department_with_two_liaisons(good_charter: dict[str, Any]) -> None:
    good_charter["departments"][2]["liaison"] = ["李工", "张工"]

    found = findings(good_charter, "P02")

    assert where(found) == [("P02", "error", "departments[2]")]
    text = found[0].text("zh-hans")
    assert "技术部" in text
    assert "李工" in text
    assert "张工" in text


def test_it_accepts_a_liaison_list_with_one_name(good_charter: dict[str, Any]) -> None:
    good_charter["departments"][2]["liaison"] = ["李工"]

    assert findings(good_charter, "P02") == []


def test_it_flags_the_second_listing_of_a_department(good_charter: dict[str, Any]) -> None:
    good_charter["departments"].append(
        {"name": "技术部", "liaison": "张工", "head": "赵总监", "duties": "系统支持", "role": "support"}
    )

    found = findings(good_charter, "P03")

    assert where(found) == [("P03", "error", "departments[4]")]
    assert "第 3 个部门" in found[0].text("zh-hans")


def test_it_accepts_departments_listed_once(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "P03") == []


def test_it_flags_a_department_with_no_task_and_no_subgoal(good_charter: dict[str, Any]) -> None:
    good_charter["departments"].append({"name": "财务部", "liaison": "吴会计", "role": "support"})

    found = findings(good_charter, "P04")

    assert where(found) == [("P04", "warning", "departments[4]")]
    assert "财务部" in found[0].text("zh-hans")


def test_it_does_not_count_being_a_collaborator_as_work(good_charter: dict[str, Any]) -> None:
    good_charter["departments"].append({"name": "财务部", "liaison": "吴会计", "role": "support"})
    good_charter["tasks"][0]["collaborators"].append("财务部")

    assert where(findings(good_charter, "P04")) == [("P04", "warning", "departments[4]")]


def test_it_accepts_a_department_that_owns_only_a_subgoal(good_charter: dict[str, Any]) -> None:
    del good_charter["tasks"][5]  # 法务部's only task; its sub-goal remains

    assert findings(good_charter, "P04") == []


def test_it_accepts_a_department_that_owns_only_a_task(good_charter: dict[str, Any]) -> None:
    del good_charter["subgoals"][3]  # 法务部's only sub-goal; its task remains

    assert findings(good_charter, "P04") == []
