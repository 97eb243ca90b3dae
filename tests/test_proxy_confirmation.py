"""代确认: the initiator or an administrator records a head's confirmation of the minutes for them (issue 18).

The demo's kickoff minutes are reopened by 技术部's head and issued again as
revision 2, so every department waits for its head. The initiator records
技术部's confirmation "by phone": it is the head's confirmation, marked with
who recorded it and why, shown as such on the page, in the history, in the
API and the documents, and counted by K04; the head confirming in person
replaces it. A liaison, another department's head or an outsider may not.
"""

from __future__ import annotations

import io
import json

import pytest
from django.utils import timezone
from docx import Document as open_docx

from tests.api.conftest import as_person
from tests.helpers import Cast, at, head_of, pinned, row_counts, signed_in
from xietong.audit.models import AuditEntry
from xietong.charter.format import dump_charter, parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Participant
from xietong.collabs.snapshots import load_snapshot
from xietong.meetings.actions.minutes import do_issue_minutes, do_request_correction
from xietong.meetings.models import Meeting, MeetingKind, MinutesConfirmation
from xietong.orgs.models import Department
from xietong.rules.clock import context_for
from xietong.rules.engine import run_rules

pytestmark = pytest.mark.django_db
_pinned = pinned(at(2024, 8, 12, 9, 0))

REASON = "已电话确认,负责人出差"
DEPARTMENTS = ("售后部", "产品部", "技术部", "法务部")


@pytest.fixture
def kickoff(cast: Cast) -> Meeting:
    """The demo's kickoff with revision 2 of its minutes issued: every department waits for its head."""
    meeting = Meeting.objects.get(collaboration=cast.collab, kind=MeetingKind.KICKOFF)
    now = timezone.now()
    do_request_correction(meeting, cast.department("技术部"), "请补充行动项的交付标准", now, actor=cast.head)
    do_issue_minutes(meeting, now, actor=cast.initiator)
    meeting.refresh_from_db()
    assert meeting.minutes_revision == 2 and meeting.minutes_locked_at is None
    return meeting


def page(cast: Cast) -> str:
    return f"/c/{cast.collab.slug}/kickoff/"


def proxy_url(cast: Cast, meeting: Meeting) -> str:
    return f"/c/{cast.collab.slug}/meetings/{meeting.pk}/minutes/proxy-confirm/"


def api_url(meeting: Meeting, tail: str) -> str:
    return f"/api/collaborations/demo/meetings/{meeting.pk}{tail}"


def in_force(meeting: Meeting, name: str) -> MinutesConfirmation | None:
    meeting.refresh_from_db()
    return MinutesConfirmation.objects.filter(
        meeting=meeting, revision=meeting.minutes_revision, department__name=name
    ).first()


def k04(cast: Cast) -> list[str]:
    report = run_rules(load_snapshot(cast.collab), context_for())
    return [f.text("zh-hans") for f in report.findings if f.rule == "K04"]


# --- the page


def test_the_initiator_records_a_heads_confirmation_with_a_reason(cast: Cast, kickoff: Meeting) -> None:
    client = signed_in(cast.initiator)
    html = client.get(page(cast)).content.decode()
    assert "代确认" in html and 'name="reason"' in html

    answer = client.post(
        proxy_url(cast, kickoff), {"department": cast.department("技术部").pk, "reason": REASON}
    )

    assert answer.status_code == 302
    found = in_force(kickoff, "技术部")
    assert found is not None and found.by_proxy
    # It is the head's confirmation, recorded by the initiator, with the reason.
    assert (found.confirmed_by, found.proxy_by, found.proxy_reason) == (cast.head, cast.initiator, REASON)
    shown = client.get(page(cast)).content.decode()
    note = f"由 {cast.initiator.name} 代确认({REASON})"
    assert shown.count(note) == 2  # the confirmation table and the minutes' history
    entry = AuditEntry.objects.filter(collaboration=cast.collab, reason=REASON).get()
    assert entry.actor == cast.initiator


def test_an_administrator_may_record_it_too(cast: Cast, kickoff: Meeting) -> None:
    answer = signed_in(cast.admin).post(
        proxy_url(cast, kickoff), {"department": cast.department("法务部").pk, "reason": "会上口头确认"}
    )
    assert answer.status_code == 302
    found = in_force(kickoff, "法务部")
    assert found is not None and found.proxy_by == cast.admin
    assert found.confirmed_by == head_of("法务部")


@pytest.mark.parametrize("who", ["liaison", "head", "member", "viewer"])
def test_people_who_may_not_get_403_and_no_form(cast: Cast, kickoff: Meeting, who: str) -> None:
    client = signed_in(getattr(cast, who))
    assert "记录代确认" not in client.get(page(cast)).content.decode()
    before = row_counts()
    # 技术部's head records for another department: refused (they confirm only their own).
    department = cast.department("产品部" if who == "head" else "技术部")
    answer = client.post(proxy_url(cast, kickoff), {"department": department.pk, "reason": REASON})
    assert answer.status_code == 403
    assert row_counts() == before


def test_an_outsider_gets_404(cast: Cast, kickoff: Meeting) -> None:
    answer = signed_in(cast.outsider).post(
        proxy_url(cast, kickoff), {"department": cast.department("技术部").pk, "reason": REASON}
    )
    assert answer.status_code == 404
    assert in_force(kickoff, "技术部") is None


@pytest.mark.parametrize(
    ("reason", "error"),
    [("   ", "请填写代确认理由"), ("电" * 201, "代确认理由不能超过 200 个字")],
)
def test_a_missing_or_too_long_reason_keeps_what_was_typed(
    cast: Cast, kickoff: Meeting, reason: str, error: str
) -> None:
    client = signed_in(cast.initiator)
    before = row_counts()
    answer = client.post(
        proxy_url(cast, kickoff), {"department": cast.department("技术部").pk, "reason": reason}
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert error in html
    if reason.strip():
        assert f'value="{reason}"' in html  # the form comes back with what was typed
    assert row_counts() == before


def test_a_department_without_a_head_is_refused_with_the_reason(cast: Cast, kickoff: Meeting) -> None:
    Department.objects.filter(name="法务部").update(head=None)
    client = signed_in(cast.initiator)
    html = client.get(page(cast)).content.decode()
    assert "未设置部门负责人,无法代确认" in html
    before = row_counts()
    answer = client.post(
        proxy_url(cast, kickoff), {"department": cast.department("法务部").pk, "reason": REASON}
    )
    assert answer.status_code == 403
    assert "法务部 尚未设置部门负责人" in answer.content.decode()
    assert row_counts() == before


def test_a_confirmed_department_offers_no_proxy_and_refuses_one(cast: Cast, kickoff: Meeting) -> None:
    signed_in(cast.head).post(
        f"/c/{cast.collab.slug}/meetings/{kickoff.pk}/minutes/confirm/",
        {"department": cast.department("技术部").pk},
    )
    answer = signed_in(cast.initiator).post(
        proxy_url(cast, kickoff), {"department": cast.department("技术部").pk, "reason": REASON}
    )
    assert answer.status_code == 403
    assert "已确认本版纪要" in answer.content.decode()
    found = in_force(kickoff, "技术部")
    assert found is not None and not found.by_proxy


def test_the_head_confirming_in_person_replaces_the_proxy(cast: Cast, kickoff: Meeting) -> None:
    technology = cast.department("技术部")
    signed_in(cast.initiator).post(proxy_url(cast, kickoff), {"department": technology.pk, "reason": REASON})
    head = signed_in(cast.head)
    html = head.get(page(cast)).content.decode()
    assert "本人确认" in html

    answer = head.post(
        f"/c/{cast.collab.slug}/meetings/{kickoff.pk}/minutes/confirm/", {"department": technology.pk}
    )

    assert answer.status_code == 302
    found = in_force(kickoff, "技术部")
    assert found is not None and not found.by_proxy
    assert (found.confirmed_by, found.proxy_by) == (cast.head, None)
    assert MinutesConfirmation.objects.filter(meeting=kickoff, revision=2).count() == 1
    # The proxy stays in the audit trail.
    replaced = AuditEntry.objects.filter(collaboration=cast.collab, reason="本人确认,替代代确认").get()
    assert replaced.before["proxy_reason"] == REASON
    assert "本人确认" not in head.get(page(cast)).content.decode()


def test_k04_counts_a_proxy_and_says_how_many(cast: Cast, kickoff: Meeting) -> None:
    [before] = k04(cast)
    assert "售后部、产品部、技术部、法务部" in before and "代确认" not in before

    signed_in(cast.initiator).post(
        proxy_url(cast, kickoff), {"department": cast.department("技术部").pk, "reason": REASON}
    )

    [after] = k04(cast)
    assert "技术部" not in after.split("。")[0]
    assert "1 个为代确认:技术部" in after
    for name in ("售后部", "产品部", "法务部"):
        head = signed_in(head_of(name))
        head.post(
            f"/c/{cast.collab.slug}/meetings/{kickoff.pk}/minutes/confirm/",
            {"department": cast.department(name).pk},
        )
    assert k04(cast) == []
    kickoff.refresh_from_db()
    assert kickoff.minutes_locked_at is not None  # the proxy counted towards locking


def test_every_department_by_proxy_locks_the_minutes(cast: Cast, kickoff: Meeting) -> None:
    client = signed_in(cast.initiator)
    for name in DEPARTMENTS:
        client.post(proxy_url(cast, kickoff), {"department": cast.department(name).pk, "reason": REASON})
    kickoff.refresh_from_db()
    assert kickoff.minutes_locked_at is not None
    assert k04(cast) == []
    # Locked minutes still let a head confirm in person what was confirmed for them.
    head = signed_in(cast.head)
    assert "本人确认" in head.get(page(cast)).content.decode()
    confirm = f"/c/{cast.collab.slug}/meetings/{kickoff.pk}/minutes/confirm/"
    assert head.post(confirm, {"department": cast.department("技术部").pk}).status_code == 302
    found = in_force(kickoff, "技术部")
    assert found is not None and not found.by_proxy
    assert kickoff.minutes_locked_at is not None


# --- the API


def test_with_htmx_an_error_comes_back_in_the_section_with_the_typed_reason(
    cast: Cast, kickoff: Meeting
) -> None:
    client = signed_in(cast.initiator)
    typed = "电" * 201
    answer = client.post(
        proxy_url(cast, kickoff),
        {"department": cast.department("技术部").pk, "reason": typed},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'id="meeting-section"' in html and f'value="{typed}"' in html
    assert '<details class="proxy-confirm" open>' in html
    assert in_force(kickoff, "技术部") is None


def test_the_api_records_and_shows_a_proxy(cast: Cast, kickoff: Meeting) -> None:
    answer = as_person(cast.initiator).post(
        api_url(kickoff, "/minutes/proxy-confirm"), {"department": "技术部", "reason": REASON}
    )
    assert answer.status_code == 200, answer.content
    [confirmation] = answer.json()["minutes"]["confirmations"]
    assert confirmation["confirmed_by"]["name"] == cast.head.name
    assert confirmation["proxy_by"]["name"] == cast.initiator.name
    assert confirmation["proxy_reason"] == REASON
    detail = as_person(cast.viewer).get(api_url(kickoff, "")).json()
    [revision] = [r for r in detail["minutes"]["revisions"] if r["number"] == 2]
    assert revision["confirmations"][0]["proxy_reason"] == REASON
    # a head's own confirmation says so: no proxy
    own = as_person(head_of("售后部")).post(api_url(kickoff, "/minutes/confirm"), {"department": "售后部"})
    mine = [c for c in own.json()["minutes"]["confirmations"] if c["department"]["name"] == "售后部"]
    assert (mine[0]["proxy_by"], mine[0]["proxy_reason"]) == (None, "")


def test_the_api_refuses_who_may_not_and_what_cannot_be(cast: Cast, kickoff: Meeting) -> None:
    url = api_url(kickoff, "/minutes/proxy-confirm")
    body = {"department": "技术部", "reason": REASON}
    assert as_person(cast.liaison).post(url, body).status_code == 403
    assert as_person(cast.head).post(url, {**body, "department": "产品部"}).status_code == 403
    assert as_person(cast.outsider).post(url, body).status_code == 404
    initiator = as_person(cast.initiator)
    blank = initiator.post(url, {**body, "reason": " "})
    assert (blank.status_code, blank.json()["path"]) == (422, "body.reason")
    long = initiator.post(url, {**body, "reason": "电" * 201})
    assert (long.status_code, long.json()["path"]) == (422, "body.reason")
    Department.objects.filter(name="法务部").update(head=None)
    headless = initiator.post(url, {**body, "department": "法务部"})
    assert headless.status_code == 409 and "尚未设置部门负责人" in headless.json()["detail"]
    assert not MinutesConfirmation.objects.filter(meeting=kickoff, revision=2).exists()
    assert initiator.post(url, body).status_code == 200
    again = initiator.post(url, body)
    assert again.status_code == 409 and "已确认本版纪要" in again.json()["detail"]


# --- documents and the charter


def test_the_minutes_documents_show_the_proxy(cast: Cast, kickoff: Meeting) -> None:
    signed_in(cast.initiator).post(
        proxy_url(cast, kickoff), {"department": cast.department("技术部").pk, "reason": REASON}
    )
    reader = signed_in(cast.viewer)
    note = f"由 {cast.initiator.name} 代确认({REASON})"
    markdown = reader.get(f"/c/{cast.collab.slug}/export/minutes.md").content.decode()
    assert note in markdown
    docx = open_docx(io.BytesIO(b"".join(reader.get(f"/c/{cast.collab.slug}/export/minutes.docx"))))
    cells = [cell.text for table in docx.tables for row in table.rows for cell in row.cells]
    assert any(note in cell for cell in cells)


def test_the_charter_carries_proxies_as_an_optional_key(cast: Cast, kickoff: Meeting) -> None:
    before = dump_charter(load_snapshot(cast.collab))
    assert "proxy_confirmations" not in before["kickoff"]  # unchanged without proxies
    signed_in(cast.initiator).post(
        proxy_url(cast, kickoff), {"department": cast.department("技术部").pk, "reason": REASON}
    )

    charter = json.loads(json.dumps(dump_charter(load_snapshot(cast.collab))))

    assert charter["kickoff"]["proxy_confirmations"] == {
        "技术部": {"by": cast.initiator.name, "reason": REASON}
    }
    copy = do_import_charter(parse_charter(charter), slug="copy", org_authority=True)
    found = MinutesConfirmation.objects.get(meeting__collaboration=copy, department__name="技术部")
    assert (found.proxy_by, found.proxy_reason) == (cast.initiator, REASON)
    assert Participant.objects.filter(collaboration=copy).count() == 4
