"""Meetings under concurrent writers (PostgreSQL: each thread has its own connection)."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.test_concurrency import _at_once, on_postgresql
from tests.conftest import AS_OF, KICKOFF
from tests.helpers import TZ
from xietong.charter.demo import load_demo
from xietong.meetings.actions.minutes import MinutesState, do_confirm_minutes, do_issue_minutes, minutes_state
from xietong.meetings.actions.occurrences import do_open_occurrence
from xietong.meetings.models import Meeting, MeetingKind


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_opening_the_same_occurrence_at_once_get_one_meeting() -> None:
    demo = load_demo(KICKOFF, today=AS_OF)
    rule = next(r for r in demo.communication_rules.all() if r.channel == "weekly_meeting")
    moment = datetime(2024, 8, 26, 10, tzinfo=TZ)
    opened = _at_once([lambda: do_open_occurrence(rule, moment)] * 4)
    assert all(isinstance(m, Meeting) for m in opened), opened
    assert len({m.pk for m in opened}) == 1
    assert Meeting.objects.filter(series=rule, scheduled_at=moment).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_last_confirmations_arriving_together_lock_the_minutes() -> None:
    demo = load_demo(KICKOFF, today=AS_OF)
    rule = next(r for r in demo.communication_rules.all() if r.channel == "weekly_meeting")
    meeting = do_open_occurrence(rule, datetime(2024, 8, 26, 10, tzinfo=TZ))
    do_issue_minutes(meeting, datetime(2024, 8, 26, 15, tzinfo=TZ))
    departments = [p.department for p in demo.participants.select_related("department__head")]
    when = datetime(2024, 8, 26, 16, tzinfo=TZ)
    answers = _at_once(
        [lambda d=d: do_confirm_minutes(meeting, d, when, actor=d.head) for d in departments]  # type: ignore[misc]
    )
    assert not [a for a in answers if isinstance(a, Exception)], answers
    meeting.refresh_from_db()
    assert minutes_state(meeting) == MinutesState.CONFIRMED
    assert meeting.confirmations.count() == len(departments)
    assert Meeting.objects.filter(collaboration=demo, kind=MeetingKind.KICKOFF).count() == 1
