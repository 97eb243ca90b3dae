"""The rule engine on one collaboration of 1,000 and of 10,000 tasks (issue 9: no worse than n log n).

The snapshot is built in Python (tests/rules/scale.py): 8 departments, a
kickoff with confirmed minutes, sub-goals of each time-limit kind, and tasks
with mixed statuses, deadlines, collaborators, blocked rows and repeated
descriptions, so that every task rule finds something. No database.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rules import scale
from xietong.rules.engine import run_rules


def _run(benchmark: Any, tasks: int) -> None:
    collab, ctx = scale.collab(tasks), scale.context()
    report = benchmark(run_rules, collab, ctx)
    benchmark.extra_info["tasks"] = tasks
    benchmark.extra_info["findings"] = len(report.findings)


@pytest.mark.benchmark(group="rules")
def test_rules_1k(benchmark: Any) -> None:
    _run(benchmark, 1_000)


@pytest.mark.benchmark(group="rules")
def test_rules_10k(benchmark: Any) -> None:
    _run(benchmark, 10_000)
