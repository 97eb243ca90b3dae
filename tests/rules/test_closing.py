"""A01: a collaboration is closed only with every deliverable accepted and a retrospective."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from xietong.charter.format import parse_charter
from xietong.rules.engine import run_rules
from xietong.rules.snapshot import Collab

from .conftest import context, where

CLOSED = datetime.fromisoformat("2024-10-08T10:00:00+08:00")
AFTER = "2024-10-09T12:00:00+08:00"


def _closed(charter: dict[str, Any], accepted: list[bool | None], retrospective: bool) -> Collab:
    collab = parse_charter(charter)
    tasks = tuple(dataclasses.replace(t, accepted=a) for t, a in zip(collab.tasks, accepted, strict=True))
    return dataclasses.replace(collab, tasks=tasks, closed_at=CLOSED, has_retrospective=retrospective)


def _a01(collab: Collab) -> list[Any]:
    return [f for f in run_rules(collab, context(AFTER)).findings if f.rule == "A01"]


def test_a01_is_quiet_for_a_properly_closed_collaboration(good_charter: dict[str, Any]) -> None:
    every = [True] * len(good_charter["tasks"])
    assert _a01(_closed(good_charter, every, retrospective=True)) == []


def test_a01_flags_each_deliverable_not_accepted_and_a_missing_retrospective(
    good_charter: dict[str, Any],
) -> None:
    verdicts: list[bool | None] = [True] * len(good_charter["tasks"])
    verdicts[1], verdicts[3] = False, None
    found = _a01(_closed(good_charter, verdicts, retrospective=False))
    assert where(found) == [
        ("A01", "error", "tasks[1]"),
        ("A01", "error", "tasks[3]"),
        ("A01", "error", "retrospective"),
    ]
    assert "未通过验收" in found[0].text("zh-hans") and "尚未验收" in found[1].text("zh-hans")


def test_a01_does_not_judge_an_open_collaboration(good_charter: dict[str, Any]) -> None:
    assert _a01(parse_charter(good_charter)) == []
