"""Shared helpers for the rule tests: one clean charter, broken one thing at a time.

``good_charter`` is the guide's example 客户投诉快速响应 (tests/charters/good.json),
clean under every rule at ``NOW``. A test takes a fresh copy, breaks one
thing and asserts the one finding it expects (and, for the quiet case, that
the rule stays absent).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TZ
from xietong.charter.format import parse_charter
from xietong.rules.engine import Context, Finding, Report, run_rules

GOOD_CHARTER = Path(__file__).resolve().parent.parent / "charters" / "good.json"
# A week after the kickoff: minutes confirmed, work under way, nothing overdue.
NOW = "2024-07-15T12:00:00+08:00"

_GOOD: dict[str, Any] = json.loads(GOOD_CHARTER.read_text(encoding="utf-8"))


@pytest.fixture
def good_charter() -> dict[str, Any]:
    """Return a fresh deep copy of the clean charter, free to break."""
    return copy.deepcopy(_GOOD)


def context(now: str = NOW, escalation_working_days: int = 2) -> Context:
    return Context(now=datetime.fromisoformat(now), tz=TZ, escalation_working_days=escalation_working_days)


def report(charter: dict[str, Any], now: str = NOW) -> Report:
    """Parse ``charter`` and judge it by every rule at ``now``."""
    return run_rules(parse_charter(charter), context(now))


def findings(charter: dict[str, Any], rule_id: str, now: str = NOW) -> list[Finding]:
    """Return the findings of rule ``rule_id`` only, in row order."""
    return [f for f in report(charter, now).findings if f.rule == rule_id]


def where(found: list[Finding]) -> list[tuple[str, str, str]]:
    """Return (rule, severity, object) of each finding, for compact asserts."""
    return [(f.rule, str(f.severity), f.object) for f in found]
