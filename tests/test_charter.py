"""The charter format v1: what is a format error, and what is left to the rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xietong.charter.format import CharterError, dump_charter, parse_charter

GOOD = Path(__file__).parent / "charters" / "good.json"


def good() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(GOOD.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("change", "path", "reason"),
    [
        (lambda d: d.update(owner="x"), "owner", "未知的键"),
        (lambda d: d["tasks"][1].update(deadline="2024-02-30"), "tasks[1].deadline", "不存在的日期"),
        (lambda d: d["tasks"][0].update(deadline="2024/07/20"), "tasks[0].deadline", "YYYY-MM-DD"),
        (lambda d: d["tasks"][2].update(priority="high"), "tasks[2].priority", "未知的键"),
        (lambda d: d["goal"]["metrics"][0].update(target="80"), "goal.metrics[0].target", "应为数字"),
        (lambda d: d["goal"]["metrics"][0].update(target=True), "goal.metrics[0].target", "应为数字"),
        (lambda d: d.update(type="marketing"), "type", "不是允许的值"),
        (lambda d: d["tasks"][0].update(status="finished"), "tasks[0].status", "不是允许的值"),
        (lambda d: d["departments"][0].update(liaison=7), "departments[0].liaison", "名称"),
        (
            lambda d: d["subgoals"][0].update(deadline={"kind": "fixed", "rrule": "FREQ=DAILY"}),
            "subgoals[0].deadline",
            "rrule",
        ),
        (
            lambda d: d["subgoals"][0].update(deadline={"kind": "yearly"}),
            "subgoals[0].deadline.kind",
            "不是允许的值",
        ),
        (lambda d: d["communication"][0].update(frequency="weekly"), "communication[0].frequency", "rrule"),
        (lambda d: d["kickoff"].update(scheduled_at="2024-13-01T10:00:00"), "kickoff.scheduled_at", "不存在"),
        (lambda d: d.update(tasks={"a": 1}), "tasks", "应为列表"),
        (lambda d: d.update(goal="快点完成"), "goal", "应为对象"),
    ],
)
def test_it_names_the_path_of_a_format_error(change: Any, path: str, reason: str) -> None:
    data = good()
    change(data)
    with pytest.raises(CharterError) as caught:
        parse_charter(json.dumps(data, ensure_ascii=False))
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert "\n" not in str(caught.value)


def test_it_rejects_broken_json_with_line_and_column() -> None:
    with pytest.raises(CharterError) as caught:
        parse_charter('{"title": "x",\n "tasks": [}')
    assert "第 2 行" in str(caught.value)


def test_it_rejects_a_document_that_is_not_an_object() -> None:
    with pytest.raises(CharterError, match="JSON 对象"):
        parse_charter("[1, 2]")


def test_it_leaves_missing_values_to_the_rules() -> None:
    collab = parse_charter({"tasks": [{"description": "整理投诉", "department": None, "standard": ""}]})
    assert collab.tasks[0].departments == ()
    assert collab.tasks[0].standard == ""
    assert collab.goal is None


def test_it_keeps_two_liaisons_and_two_departments_for_the_rules() -> None:
    collab = parse_charter(
        {
            "departments": [{"name": "技术部", "liaison": ["李工", "王工"]}],
            "tasks": [{"description": "排查", "department": ["技术部", "产品部"]}],
        }
    )
    assert collab.departments[0].liaisons == ("李工", "王工")
    assert collab.tasks[0].departments == ("技术部", "产品部")


def test_it_reads_a_time_without_offset_as_local_time() -> None:
    collab = parse_charter({"kickoff": {"scheduled_at": "2024-07-08T10:00:00"}})
    assert collab.kickoff is not None and collab.kickoff.scheduled_at is not None
    assert collab.kickoff.scheduled_at.utcoffset() is not None
    assert collab.kickoff.scheduled_at.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_it_round_trips_a_charter_through_dump() -> None:
    first = parse_charter(GOOD.read_bytes())
    dumped = dump_charter(first)
    assert parse_charter(json.dumps(dumped)) == first
    # numbers stay JSON numbers, integral ones as integers
    assert dumped["goal"]["metrics"][0]["target"] == 80
    assert isinstance(dumped["goal"]["metrics"][0]["target"], int)


def test_a_deadline_kind_that_is_not_text_is_a_format_error() -> None:
    with pytest.raises(CharterError) as caught:
        parse_charter({"subgoals": [{"deadline": {"kind": {"x": 1}}}]})
    assert caught.value.path.startswith("subgoals[0].deadline")
