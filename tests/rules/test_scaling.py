"""The rules stay linear on a large table: work is counted, not timed.

A collaboration of 20,000 tasks (tests/rules/scale.py) is judged once; the
findings must be right at that size and the work per row constant: each
description normalised once (a nested-loop R07 would normalise n² times),
the working-day calendar walked once per distinct blocked day (not per
task), and no new lazy-string class built per finding (Django's lazy()
builds one per call; with thousands of findings that was most of the time).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.utils.functional import Promise

from tests.rules import scale
from xietong.rules import escalation, table
from xietong.rules.engine import run_rules
from xietong.rules.snapshot import TaskStatus

TASKS = 20_000
EVERY = 50


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> Counter[str]:
    calls: Counter[str] = Counter()
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any) -> Any:
        calls[name] += 1
        return original(*args)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_twenty_thousand_tasks_are_judged_with_constant_work_per_row(monkeypatch: pytest.MonkeyPatch) -> None:
    collab = scale.collab(TASKS, duplicate_every=EVERY)
    normalised = _counting(monkeypatch, table, "normalise_description")
    walked = _counting(monkeypatch, escalation, "working_days_between")
    classes = len(Promise.__subclasses__())
    started = time.perf_counter()

    report = run_rules(collab, scale.context())

    elapsed = time.perf_counter() - started
    assert normalised["normalise_description"] == TASKS
    blocked_days = {
        t.blocked_since.date()
        for t in collab.tasks
        if t.status == TaskStatus.BLOCKED and t.blocked_since and t.escalated_at is None
    }
    assert walked["working_days_between"] <= len(blocked_days)
    assert len(Promise.__subclasses__()) - classes < 10
    # Every repeated description is found, pointing at the row it repeats.
    duplicates = [f for f in report.findings if f.rule == "R07"]
    assert len(duplicates) == TASKS // EVERY
    for finding in duplicates:
        later = int(finding.object.removeprefix("tasks[").removesuffix("]"))
        assert finding.params["first"] == later - EVERY // 2
    found = Counter(f.rule for f in report.findings)
    overdue = sum(
        1
        for t in collab.tasks
        if t.deadline and t.status != TaskStatus.DONE and t.deadline < scale.context().today
    )
    assert found["T01"] == overdue
    assert found["R01"] == sum(1 for t in collab.tasks if not t.departments)
    # A generous bound (about 0.3 s here): a quadratic rule on 20,000 rows takes minutes.
    assert elapsed < 10


def test_the_large_snapshot_renders_every_finding() -> None:
    report = run_rules(scale.collab(2_000), scale.context())
    texts = [f.text("zh-hans") for f in report.findings]
    assert all(texts) and not any("%(" in text for text in texts)
    assert any("已逾期" in text for text in texts) and any("重复" in text for text in texts)
