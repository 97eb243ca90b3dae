"""C01-C04: the communication plan covers the standard scenarios, completely."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import findings, where


def test_it_flags_a_collaboration_without_a_communication_plan(good_charter: dict[str, Any]) -> None:
    good_charter["communication"] = []

    assert where(findings(good_charter, "C01")) == [("C01", "warning", "communication")]
    # Every standard scenario is also uncovered: C02 says so, scenario by scenario.
    assert len(findings(good_charter, "C02")) == 3


def test_it_accepts_a_communication_plan(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "C01") == []


def test_it_flags_each_standard_scenario_without_a_rule(good_charter: dict[str, Any]) -> None:
    good_charter["communication"][2]["scenario"] = "other"

    found = findings(good_charter, "C02")

    assert where(found) == [("C02", "warning", "communication")]
    assert "风险预警" in found[0].text("zh-hans")


def test_it_accepts_a_plan_covering_the_three_scenarios(good_charter: dict[str, Any]) -> None:
    good_charter["communication"].append(
        {
            "scenario": "other",
            "channel": "email",
            "frequency": "on_demand",
            "outputs": ["月度简报"],
            "owner": "售后部王经理",
        }
    )

    assert findings(good_charter, "C02") == []


@pytest.mark.parametrize(
    "field,value,missing",
    [
        ("owner", "", "责任人"),
        ("frequency", None, "频率"),
        ("outputs", [], "输出物"),
    ],
)
def test_it_flags_a_rule_without_owner_frequency_or_outputs(
    good_charter: dict[str, Any], field: str, value: Any, missing: str
) -> None:
    good_charter["communication"][2][field] = value

    found = findings(good_charter, "C03")

    assert where(found) == [("C03", "warning", "communication[2]")]
    assert missing in found[0].text("zh-hans")


def test_it_names_every_missing_field_in_one_finding(good_charter: dict[str, Any]) -> None:
    good_charter["communication"][1].update(owner="", frequency=None, outputs=[])

    found = findings(good_charter, "C03")

    assert where(found) == [("C03", "warning", "communication[1]")]
    assert "责任人、频率、输出物" in found[0].text("zh-hans")


def test_it_flags_a_weekly_meeting_without_a_schedule(good_charter: dict[str, Any]) -> None:
    good_charter["communication"][1]["frequency"] = "on_demand"

    found = findings(good_charter, "C03")

    assert where(found) == [("C03", "warning", "communication[1]")]
    assert "周例会" in found[0].text("zh-hans")


def test_it_flags_an_unparsable_frequency_rrule(good_charter: dict[str, Any]) -> None:
    good_charter["communication"][1]["frequency"] = {"rrule": "每周一10点"}

    found = findings(good_charter, "C03")

    assert where(found) == [("C03", "warning", "communication[1]")]
    assert "每周一10点" in found[0].text("zh-hans")


def test_it_accepts_complete_rules_with_a_weekly_schedule(good_charter: dict[str, Any]) -> None:
    # Realtime and on-demand are fine for channels that are not a weekly meeting.
    assert [c["frequency"] for c in good_charter["communication"]][::2] == ["realtime", "on_demand"]
    assert findings(good_charter, "C03") == []


def test_it_flags_an_im_group_without_an_admin(good_charter: dict[str, Any]) -> None:
    good_charter["communication"][0]["admin"] = None

    found = findings(good_charter, "C04")

    assert where(found) == [("C04", "warning", "communication[0]")]
    assert "进度同步" in found[0].text("zh-hans")


def test_it_does_not_ask_other_channels_for_an_admin(good_charter: dict[str, Any]) -> None:
    assert good_charter["communication"][1]["admin"] is None
    assert findings(good_charter, "C04") == []
