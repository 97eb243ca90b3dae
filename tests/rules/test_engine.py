"""The engine as a whole: the clean example, the health score, malformed input, messages."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date, datetime
from typing import Any

import pytest
from django.utils import translation

from xietong.charter.format import parse_charter
from xietong.rules.engine import REGISTRY, Finding, Severity, health_score, run_rules
from xietong.rules.snapshot import Collab

from .conftest import context, findings, report, where

CATALOGUE = {
    "G01",
    "G02",
    "G03",
    "G04",
    "G05",
    "G06",
    "P01",
    "P02",
    "P03",
    "P04",
    "K01",
    "K02",
    "K03",
    "K04",
    "R01",
    "R02",
    "R03",
    "R04",
    "R05",
    "R06",
    "R07",
    "R08",
    "S01",
    "S02",
    "S03",
    "S04",
    "C01",
    "C02",
    "C03",
    "C04",
    "T01",
    "T02",
    "T03",
    "A01",
}


def _finding(rule_id: str, severity: Severity) -> Finding:
    return Finding(rule=rule_id, severity=severity, object="collaboration", message="x")


def test_it_finds_nothing_wrong_with_the_guide_example(good_charter: dict[str, Any]) -> None:
    result = report(good_charter)

    assert [f.as_dict("zh-hans") for f in result.findings] == []
    assert result.score == 100
    assert not result.has_errors


def test_it_registers_every_catalogued_rule_with_its_severity() -> None:
    report({})  # loads the rule modules

    assert set(REGISTRY) >= CATALOGUE
    assert {r for r in CATALOGUE if REGISTRY[r].severity == Severity.ERROR} == {
        "G01",
        "G02",
        "G04",
        "G05",
        "P01",
        "P02",
        "P03",
        "R01",
        "R02",
        "R03",
        "R04",
        "R05",
        "S01",
        "S02",
        "S03",
        "S04",
        "A01",
    }


def test_it_scores_a_clean_collaboration_100() -> None:
    assert health_score([]) == 100


def test_it_scores_an_error_lower_than_a_warning() -> None:
    error = health_score([_finding("R01", Severity.ERROR)])
    warning = health_score([_finding("R06", Severity.WARNING)])
    info = health_score([_finding("T03", Severity.INFO)])

    assert error < warning < info < 100


def test_it_lowers_the_score_for_repeats_of_a_rule_less_than_for_new_rules() -> None:
    one = health_score([_finding("R01", Severity.ERROR)])
    repeated = health_score([_finding("R01", Severity.ERROR)] * 2)
    two_rules = health_score([_finding("R01", Severity.ERROR), _finding("R03", Severity.ERROR)])

    assert two_rules < repeated < one


def test_it_never_scores_below_zero() -> None:
    many = [_finding(f"X{i:02d}", Severity.ERROR) for i in range(30)] * 5

    assert health_score(many) == 0


def test_it_reports_the_score_of_a_broken_charter(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][0]["department"] = None

    result = report(good_charter)

    assert result.has_errors
    assert result.score == health_score(result.findings) < 100


def test_it_reads_a_liaison_list_as_p02_not_a_crash(good_charter: dict[str, Any]) -> None:
    good_charter["departments"][1]["liaison"] = ["陈主管", "刘主管", "黄主管"]

    found = findings(good_charter, "P02")

    assert where(found) == [("P02", "error", "departments[1]")]
    assert "3" in found[0].text("zh-hans")


def test_it_reads_a_task_department_list_as_r02_not_a_crash(good_charter: dict[str, Any]) -> None:
    good_charter["tasks"][0]["department"] = ["售后部", "产品部"]

    assert where(findings(good_charter, "R02")) == [("R02", "error", "tasks[0]")]


def _everything_missing(good: dict[str, Any]) -> dict[str, Any]:
    charter = copy.deepcopy(good)
    charter.update(goal=None, kickoff=None, communication=[])
    return charter


def _every_row_broken(good: dict[str, Any]) -> dict[str, Any]:
    charter = copy.deepcopy(good)
    metrics = charter["goal"]["metrics"]
    metrics[0]["baseline"] = None  # G03
    # G05 (a decrease that goes up) and G06 (no sub-goal supports it):
    metrics.append({"name": "平均处理时长", "baseline": 48, "target": 72, "direction": "decrease"})
    departments = charter["departments"]
    departments[3]["liaison"] = None  # P01
    departments[2]["liaison"] = ["李工", "张工"]  # P02
    departments.append(dict(departments[0]))  # P03
    departments.append({"name": "财务部", "liaison": "吴会计"})  # P04
    charter["kickoff"].update(
        agenda_sent_at="2024-07-07T10:00:00+08:00",  # K02
        minutes_issued_at="2024-07-10T10:00:00+08:00",  # K03
        confirmations={"售后部": "2024-07-10T11:00:00+08:00"},
    )  # K04
    tasks = charter["tasks"]
    tasks[0]["department"] = None  # R01
    tasks[1].update(department=["技术部", "产品部"], status="blocked")  # R02, T02
    tasks[3]["standard"] = ""  # R03
    tasks[4]["deadline"] = None  # R04
    tasks[5]["department"] = "市场部"  # R05
    tasks[6]["collaborators"] = ["市场部"]  # R06
    tasks[6]["deadline"] = "2024-10-15"  # R08: after the goal's deadline (2024-09-30)
    tasks.append(dict(tasks[7]))  # R07; tasks[2] is overdue on 07-20: T01
    subgoals = charter["subgoals"]
    subgoals[0]["target"] = None  # S01
    subgoals[1]["department"] = ""  # S02
    subgoals[2]["deadline"] = None  # S03
    subgoals[3]["deadline"] = {"kind": "fixed", "date": "2024-12-31"}  # S04
    comms = charter["communication"]
    comms[0]["admin"] = None  # C04
    comms[1]["frequency"] = "on_demand"  # C03
    return charter


def _as_stored(good: dict[str, Any]) -> list[Collab]:
    """Snapshots only the database gives: reports known but none made (T03), closed unaccepted (A01)."""
    collab = parse_charter(good)
    return [
        dataclasses.replace(collab, reports_known=True),
        dataclasses.replace(collab, closed_at=datetime.fromisoformat("2024-07-19T18:00:00+08:00")),
        # G07: still open after the goal's deadline
        dataclasses.replace(collab, goal=dataclasses.replace(collab.goal, deadline=date(2024, 7, 1))),
    ]


def _all_findings(good: dict[str, Any]) -> list[Finding]:
    now = "2024-07-20T09:00:00+08:00"
    stored = [f for collab in _as_stored(good) for f in run_rules(collab, context(now)).findings]
    return [
        *report(_everything_missing(good), now).findings,
        *report(_every_row_broken(good), now).findings,
        *stored,
    ]


def test_it_can_trigger_every_registered_rule(good_charter: dict[str, Any]) -> None:
    found = {f.rule for f in _all_findings(good_charter)}

    missing = set(REGISTRY) - found
    assert not missing, f"add a breaking case for {sorted(missing)} to tests/rules/test_engine.py"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_renders_every_message_and_title(good_charter: dict[str, Any], language: str) -> None:
    for finding in _all_findings(good_charter):
        text = finding.text(language)
        assert text.strip(), finding
        assert "%(" not in text and "__proxy__" not in text, text
    with translation.override(language):
        for registered in REGISTRY.values():
            assert str(registered.title).strip(), registered.id


def test_it_renders_reports_as_json(good_charter: dict[str, Any]) -> None:
    good_charter["departments"][2]["liaison"] = ["李工", "张工"]

    document = json.loads(json.dumps(report(good_charter).as_dict("en"), ensure_ascii=False))

    assert document["findings"][0]["rule"] == "P02"
    assert "李工" in document["findings"][0]["message"]
    assert document["score"] < 100
