"""代确认 in a real browser: the initiator records 技术部's confirmation for its head, then the head confirms in person.

The demo's kickoff minutes are issued again as revision 2, so every
department waits. On the kickoff's page the initiator opens 代确认 in
技术部's row, is told a reason is needed, types one and records it (htmx,
no reload); the row and the history read "由 王经理 代确认(…)". The head
then signs in and replaces it with their own confirmation (本人确认).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.test_minutes import NO_RELOAD, sign_out, with_password
from xietong.collabs.models import Collaboration
from xietong.meetings.actions.minutes import do_issue_minutes, do_request_correction
from xietong.meetings.models import Meeting, MeetingKind, MinutesConfirmation
from xietong.orgs.models import Department

pytestmark = pytest.mark.browser
REASON = "已电话确认,负责人出差"


@pytest.fixture
def waiting(transactional_db: None, demo: Collaboration) -> Meeting:
    """The demo's kickoff with revision 2 of its minutes issued; the owner and 技术部's head can sign in."""
    meeting = Meeting.objects.get(collaboration=demo, kind=MeetingKind.KICKOFF)
    tech = Department.objects.get(name="技术部")
    now = timezone.now()
    do_request_correction(meeting, tech, "请补充交付标准", now, actor=tech.head)
    do_issue_minutes(meeting, now, actor=demo.owner)
    with_password(demo.owner)
    with_password(tech.head)
    return meeting


def test_the_initiator_confirms_for_a_head_who_then_confirms_in_person(
    page: Page, login: Any, waiting: Meeting
) -> None:
    collab = waiting.collaboration
    assert collab.owner is not None
    tech = Department.objects.get(name="技术部")
    assert tech.head is not None
    login(collab.owner)
    page.goto(f"/c/{collab.slug}/kickoff/#meeting-confirmations")
    page.evaluate(f"{NO_RELOAD} = true")
    row = page.locator(f"#confirmation-{tech.pk}")
    expect(row).to_contain_text("尚未确认")

    row.locator("details.proxy-confirm summary").click()
    row.get_by_role("button", name="记录代确认").click()
    row = page.locator(f"#confirmation-{tech.pk}")
    expect(row.locator(".form-errors, .errorlist").first).to_contain_text("请填写代确认理由")
    row.get_by_label("代确认理由").fill(REASON)
    row.get_by_role("button", name="记录代确认").click()

    expect(page.locator("#meeting-section .notice")).to_contain_text(f"已代{tech.head.name}确认会议纪要")
    note = f"由 {collab.owner.name} 代确认({REASON})"
    expect(page.locator(f"#confirmation-{tech.pk}")).to_contain_text(note)
    expect(page.locator("#meeting-history")).to_contain_text(note)
    assert page.evaluate(f"{NO_RELOAD} === true"), "the page was reloaded"
    assert MinutesConfirmation.objects.get(meeting=waiting, revision=2, department=tech).by_proxy

    sign_out(page)
    login(tech.head)
    page.goto(f"/c/{collab.slug}/kickoff/#meeting-confirmations")
    row = page.locator(f"#confirmation-{tech.pk}")
    expect(row).to_contain_text(note)
    row.get_by_role("button", name="本人确认").click()
    row = page.locator(f"#confirmation-{tech.pk}")
    expect(row).not_to_contain_text("代确认(")
    expect(row.get_by_role("button", name="本人确认")).to_have_count(0)
    found = MinutesConfirmation.objects.get(meeting=waiting, revision=2, department=tech)
    assert (found.by_proxy, found.confirmed_by) == (False, tech.head)
