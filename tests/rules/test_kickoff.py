"""K01-K04: kickoff scheduled, agenda 72 h ahead, minutes within 24 h and confirmed by all."""

from __future__ import annotations

from typing import Any

from .conftest import findings, where

MEETING = "2024-07-08T10:00:00+08:00"


def test_it_flags_a_collaboration_without_a_kickoff(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"] = None

    assert where(findings(good_charter, "K01")) == [("K01", "warning", "kickoff")]


def test_it_flags_a_kickoff_without_a_time(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"]["scheduled_at"] = None

    assert where(findings(good_charter, "K01")) == [("K01", "warning", "kickoff")]


def test_it_accepts_a_scheduled_kickoff(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "K01") == []


def test_it_flags_an_agenda_sent_48_hours_ahead(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"]["agenda_sent_at"] = "2024-07-06T10:00:00+08:00"

    found = findings(good_charter, "K02")

    assert where(found) == [("K02", "warning", "kickoff")]
    assert "2024-07-06 10:00" in found[0].text("zh-hans")


def test_it_accepts_an_agenda_sent_exactly_72_hours_ahead(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"]["agenda_sent_at"] = "2024-07-05T10:00:00+08:00"

    assert findings(good_charter, "K02") == []


def test_it_accepts_an_unsent_agenda_while_more_than_72_hours_remain(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"].update(agenda_sent_at=None, minutes_issued_at=None, confirmations={})

    assert findings(good_charter, "K02", now="2024-07-05T09:59:00+08:00") == []


def test_it_flags_an_unsent_agenda_once_fewer_than_72_hours_remain(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"].update(agenda_sent_at=None, minutes_issued_at=None, confirmations={})

    assert where(findings(good_charter, "K02", now="2024-07-05T10:01:00+08:00")) == [
        ("K02", "warning", "kickoff")
    ]


def test_it_keeps_flagging_an_agenda_never_sent_after_the_meeting(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"]["agenda_sent_at"] = None

    assert where(findings(good_charter, "K02")) == [("K02", "warning", "kickoff")]


def test_it_flags_minutes_issued_more_than_24_hours_after_the_meeting(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"]["minutes_issued_at"] = "2024-07-09T10:01:00+08:00"

    assert where(findings(good_charter, "K03")) == [("K03", "warning", "kickoff")]


def test_it_accepts_minutes_issued_exactly_24_hours_after(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"]["minutes_issued_at"] = "2024-07-09T10:00:00+08:00"

    assert findings(good_charter, "K03") == []


def test_it_waits_24_hours_before_flagging_missing_minutes(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"].update(minutes_issued_at=None, confirmations={})

    assert findings(good_charter, "K03", now="2024-07-09T09:59:00+08:00") == []
    assert where(findings(good_charter, "K03", now="2024-07-09T10:01:00+08:00")) == [
        ("K03", "warning", "kickoff")
    ]


def test_it_does_not_judge_minutes_before_the_meeting(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"].update(minutes_issued_at=None, confirmations={})

    assert findings(good_charter, "K03", now="2024-07-07T10:00:00+08:00") == []
    assert findings(good_charter, "K04", now="2024-07-07T10:00:00+08:00") == []


def test_it_flags_minutes_not_confirmed_by_every_department(good_charter: dict[str, Any]) -> None:
    del good_charter["kickoff"]["confirmations"]["法务部"]
    # A confirmation from a department that does not take part counts for nothing.
    good_charter["kickoff"]["confirmations"]["财务部"] = "2024-07-09T09:00:00+08:00"

    found = findings(good_charter, "K04")

    assert where(found) == [("K04", "warning", "kickoff")]
    text = found[0].text("zh-hans")
    assert "法务部" in text
    assert "技术部" not in text
    assert "财务部" not in text


def test_it_lists_every_unconfirmed_department(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"]["confirmations"] = {"售后部": "2024-07-08T17:00:00+08:00"}

    text = findings(good_charter, "K04")[0].text("zh-hans")

    assert "产品部、技术部、法务部" in text


def test_it_does_not_ask_for_confirmations_before_minutes_are_issued(good_charter: dict[str, Any]) -> None:
    good_charter["kickoff"].update(minutes_issued_at=None, confirmations={})

    assert findings(good_charter, "K04") == []


def test_it_accepts_minutes_confirmed_by_every_department(good_charter: dict[str, Any]) -> None:
    assert findings(good_charter, "K04") == []
