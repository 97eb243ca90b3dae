"""The sub-goal API refuses a recurrence rule that never occurs (issue 15, point 3)."""

from __future__ import annotations

from tests.api.conftest import Cast, as_person
from xietong.collabs.models import SubGoal

NEVER = "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30"


def test_a_rule_that_never_occurs_is_refused_at_its_field(cast: Cast) -> None:
    liaison = as_person(cast.liaison)
    url = "/api/collaborations/demo/subgoals"
    body = {
        "description": "技术部每年 2 月 30 日前复盘",
        "department": "技术部",
        "metric": "平均处理时长",
        "target": 20,
        "unit": "小时",
        "time_limit": {"kind": "recurring", "rrule": NEVER},
    }
    before = SubGoal.objects.count()
    refused = liaison.post(url, body)
    assert (refused.status_code, refused.json()["path"]) == (422, "body.time_limit.rrule")
    assert "一次也不会发生" in refused.json()["detail"]
    assert SubGoal.objects.count() == before
    leap = {**body, "time_limit": {"kind": "recurring", "rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"}}
    assert liaison.post(url, leap).status_code == 201
