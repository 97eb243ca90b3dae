"""The page of one meeting: preparation, materials, offers and needs; the list of meetings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_person
from tests.helpers import add_charter_people, at, liaison_of, owner, signed_in
from tests.test_views import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, MemberRole, Membership, Participant, SubGoal, Task
from xietong.meetings.actions.kickoff import do_schedule_kickoff
from xietong.meetings.models import (
    AgendaItem,
    CommunicationRule,
    Contribution,
    ContributionKind,
    Material,
    Meeting,
    MeetingKind,
    MinutesConfirmation,
    MinutesItem,
    MinutesItemKind,
    MinutesRevision,
)
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --- helpers shared with tests/test_minutes.py and tests/test_kickoff_page.py


def kickoff_of(collab: Collaboration) -> Meeting:
    return Meeting.objects.get(collaboration=collab, kind=MeetingKind.KICKOFF)


def page_url(collab: Collaboration, meeting: Meeting | None = None) -> str:
    """The page of ``meeting``: the kickoff's is step 3's page."""
    if meeting is None or meeting.kind == MeetingKind.KICKOFF:
        return f"/c/{collab.slug}/kickoff/"
    return f"/c/{collab.slug}/meetings/{meeting.pk}/"


def post_url(collab: Collaboration, meeting: Meeting, action: str) -> str:
    return f"/c/{collab.slug}/meetings/{meeting.pk}/{action}"


def viewer_of(collab: Collaboration) -> Client:
    person = make_person("viewer")
    Membership.objects.create(collaboration=collab, person=person, role=MemberRole.VIEWER)
    return signed_in(person)


def department(name: str) -> Department:
    return Department.objects.get(name=name)


def plan_kickoff() -> Collaboration:
    """The guide's example with its kickoff just planned for Monday 2024-07-08 10:00: nothing sent or written yet."""
    data = charter_with_tasks(8)
    del data["kickoff"]
    collab = do_import_charter(
        parse_charter(add_charter_people(data)), slug="planned", org_authority=True
    )  # with its heads
    do_schedule_kickoff(collab, at(2024, 7, 8, 10, 0), actor=collab.owner)
    return collab


@pytest.fixture
def planned(db: None) -> Collaboration:
    return plan_kickoff()


@pytest.fixture
def week_before() -> Iterator[None]:
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        yield


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.XIETONG_MAX_UPLOAD_MB = 1
    return Path(settings.MEDIA_ROOT)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- the page


def test_everyone_who_sees_the_collaboration_reads_the_page(demo: Collaboration) -> None:
    kickoff = kickoff_of(demo)
    page = signed_in(liaison_of(demo, "法务部")).get(page_url(demo)).content.decode()
    assert "总部 3 楼第一会议室" in page and "120 分钟" in page
    assert "主持人" in page and "王经理" in page
    assert "协作背景与目标宣讲" in page  # the agenda
    assert "提供近三个月投诉明细、分类数据与典型案例" in page  # an offer
    assert "技术类投诉 24 小时内给出排查结论" in page  # a need, asked of 技术部
    assert f'href="/c/{demo.slug}/meetings/{kickoff.pk}.ics"' in page  # the invitation
    assert "已确认存档" in page
    # a liaison of another department sees no control of the preparation or the minutes
    assert f"/meetings/{kickoff.pk}/agenda/" not in page
    assert f"/meetings/{kickoff.pk}/minutes/items/" not in page


def test_a_meeting_of_another_collaboration_is_404(demo: Collaboration, planned: Collaboration) -> None:
    other = kickoff_of(planned)
    client = owner(demo)
    assert client.get(f"/c/{demo.slug}/meetings/{other.pk}/").status_code == 404
    assert client.post(post_url(demo, other, "agenda/"), {"title": "x"}).status_code == 404
    assert not AgendaItem.objects.filter(meeting=other, title="x").exists()


def test_a_viewer_reads_but_every_write_is_403(demo: Collaboration) -> None:
    kickoff = kickoff_of(demo)
    client = viewer_of(demo)
    assert client.get(page_url(demo)).status_code == 200
    item = kickoff.agenda.first()
    assert item is not None
    posts = {
        "details/": {"scheduled_at": "2024-07-09T10:00", "duration_minutes": "60"},
        "attendees/": {"attendees": []},
        "agenda/": {"title": "新议程"},
        f"agenda/{item.pk}/delete/": {},
        "agenda/send/": {"confirm": "1"},
        "materials/": {},
        "contributions/": {"kind": "offer", "department": str(department("售后部").pk), "text": "x"},
        "minutes/summary/": {"summary": "x"},
        "minutes/items/": {"kind": "decision", "text": "x"},
        "minutes/issue/": {"confirm": "1"},
        "minutes/confirm/": {"department": str(department("售后部").pk)},
        "minutes/correction/": {"department": str(department("售后部").pk), "comment": "x"},
    }
    for action, data in posts.items():
        assert client.post(post_url(demo, kickoff, action), data).status_code == 403, action
    assert client.get(page_url(demo) + f"?edit=agenda-{item.pk}").status_code == 403
    assert kickoff.agenda.count() == 5 and not kickoff.contributions.filter(text="x").exists()


def test_the_kickoffs_own_id_leads_to_the_step_page(demo: Collaboration) -> None:
    kickoff = kickoff_of(demo)
    response = owner(demo).get(f"/c/{demo.slug}/meetings/{kickoff.pk}/")
    assert response.status_code == 302 and response["Location"] == page_url(demo)


def test_an_occurrence_of_the_weekly_meeting_is_a_step_6_page(demo: Collaboration) -> None:
    meeting = Meeting.objects.filter(collaboration=demo, kind=MeetingKind.RECURRING).first()
    assert meeting is not None and meeting.series is not None
    page = owner(demo).get(page_url(demo, meeting)).content.decode()
    assert meeting.title in page
    assert 'aria-current="step"' in page and '<span class="num">6</span>' in page
    current = page[page.index('class="step-') : page.index('aria-current="step"')]
    assert "current" in current.rsplit("<li", 1)[-1]
    assert "各部门汇报本周进展" in page  # the carried-over agenda
    assert "例会的时间由沟通机制确定" in page  # only place and length are editable
    assert 'name="scheduled_at"' not in page


# --- preparation


@pytest.mark.usefixtures("week_before")
def test_the_initiator_sets_time_place_and_length(planned: Collaboration) -> None:
    kickoff = kickoff_of(planned)
    client = owner(planned)
    data = {"scheduled_at": "2024-07-09T14:30", "duration_minutes": "90", "location": "二号会议室"}
    response = client.post(post_url(planned, kickoff, "details/"), data)
    assert response.status_code == 302 and response["Location"] == page_url(planned) + "#meeting-prep"
    kickoff.refresh_from_db()
    assert (kickoff.scheduled_at, kickoff.duration_minutes, kickoff.location) == (
        at(2024, 7, 9, 14, 30),
        90,
        "二号会议室",
    )
    bad = client.post(post_url(planned, kickoff, "details/"), {"scheduled_at": "", "duration_minutes": "0"})
    assert bad.status_code == 200
    assert "请填写会议时间" in bad.content.decode()
    kickoff.refresh_from_db()
    assert kickoff.duration_minutes == 90


def test_an_occurrence_keeps_its_time_and_changes_its_place(demo: Collaboration) -> None:
    meeting = Meeting.objects.filter(collaboration=demo, kind=MeetingKind.RECURRING).first()
    assert meeting is not None
    when = meeting.scheduled_at
    data = {"scheduled_at": "2030-01-01T10:00", "duration_minutes": "45", "location": "线上会议"}
    assert owner(demo).post(post_url(demo, meeting, "details/"), data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.scheduled_at, meeting.duration_minutes, meeting.location) == (when, 45, "线上会议")


@pytest.mark.usefixtures("week_before")
def test_the_kickoff_invites_the_default_attendees_and_the_initiator_changes_them(
    planned: Collaboration,
) -> None:
    kickoff = kickoff_of(planned)
    invited = {p.username for p in kickoff.attendees.all()}
    assert {"王经理", "周总监", "陈主管", "赵总监", "李工", "钱总监", "孙专员"} <= invited
    client = owner(planned)
    page = client.get(page_url(planned)).content.decode()
    assert "参会人(7 人)" in page
    keep = [p.pk for p in kickoff.attendees.all() if p.username != "孙专员"]
    response = client.post(post_url(planned, kickoff, "attendees/"), {"attendees": keep}, headers=HTMX)
    assert response.status_code == 200 and "已保存参会人(6 人)" in response.content.decode()
    assert "孙专员" not in {p.username for p in kickoff.attendees.all()}
    # only the collaboration's people may be invited
    stranger = make_person("stranger")
    response = client.post(post_url(planned, kickoff, "attendees/"), {"attendees": [stranger.pk]})
    assert response.status_code == 200 and "attendees" in response.content.decode()
    assert not kickoff.attendees.filter(pk=stranger.pk).exists()


@pytest.mark.usefixtures("week_before")
def test_agenda_items_are_added_edited_and_deleted_in_place(planned: Collaboration) -> None:
    kickoff = kickoff_of(planned)
    client = owner(planned)
    response = client.post(
        post_url(planned, kickoff, "agenda/"), {"title": "风险预案讨论", "notes": "法务部主讲"}
    )
    assert response.status_code == 302
    item = AgendaItem.objects.get(meeting=kickoff, title="风险预案讨论")
    assert response["Location"] == page_url(planned) + f"#agenda-{item.pk}"
    assert list(kickoff.agenda.values_list("title", flat=True))[-1] == "风险预案讨论"
    # edit in place (htmx): the row's form, then the section re-rendered
    form = client.get(page_url(planned) + f"?edit=agenda-{item.pk}", headers=HTMX)
    body = form.content.decode()
    assert body.lstrip().startswith(f'<tr id="agenda-{item.pk}" class="editing">') and "<html" not in body
    cancel = client.get(page_url(planned) + f"?row=agenda-{item.pk}", headers=HTMX)
    assert cancel.content.decode().lstrip().startswith(f'<tr id="agenda-{item.pk}">')
    saved = client.post(
        post_url(planned, kickoff, "agenda/"),
        {"item": item.pk, "title": "风险应对预案", "notes": ""},
        headers=HTMX,
    )
    assert saved.status_code == 200 and saved["HX-Retarget"] == "#meeting-section"
    assert "风险应对预案" in saved.content.decode() and 'id="ws-head"' in saved.content.decode()
    item.refresh_from_db()
    assert item.title == "风险应对预案"
    # without JavaScript: the page with the row as a form
    plain = client.get(page_url(planned) + f"?edit=agenda-{item.pk}").content.decode()
    assert f'name="item" value="{item.pk}"' in plain and "<html" in plain
    # an empty title is refused where it was typed
    invalid = client.post(post_url(planned, kickoff, "agenda/"), {"item": item.pk, "title": ""}, headers=HTMX)
    assert invalid.status_code == 200 and "请填写议程内容" in invalid.content.decode()
    # deletion asks first without JavaScript, then deletes
    remove = post_url(planned, kickoff, f"agenda/{item.pk}/delete/")
    assert "确定删除「风险应对预案」" in client.get(remove).content.decode()
    assert client.post(remove).status_code == 302
    assert not AgendaItem.objects.filter(pk=item.pk).exists()


def test_a_liaison_may_not_change_the_preparation(demo: Collaboration) -> None:
    kickoff = kickoff_of(demo)
    client = signed_in(liaison_of(demo, "技术部"))
    assert client.post(post_url(demo, kickoff, "agenda/"), {"title": "加一项"}).status_code == 403
    assert client.post(post_url(demo, kickoff, "agenda/send/"), {"confirm": "1"}).status_code == 403
    assert not AgendaItem.objects.filter(meeting=kickoff, title="加一项").exists()


@pytest.mark.usefixtures("week_before")
def test_sending_the_agenda_in_time_records_when_and_to_whom(planned: Collaboration) -> None:
    kickoff = kickoff_of(planned)
    client = owner(planned)
    response = client.post(post_url(planned, kickoff, "agenda/send/"), headers=HTMX)
    assert response.status_code == 200
    assert "已发送会议议程、背景资料及日历邀请(7 位参会人)" in response.content.decode()
    kickoff.refresh_from_db()
    assert kickoff.agenda_sent_at == at(2024, 7, 1, 9, 0)
    assert set(kickoff.agenda_sent_to) == {p.name for p in kickoff.attendees.all()}
    page = client.get(page_url(planned)).content.decode()
    assert "会前 169 小时" in page and "K02" not in page
    # Nothing changed since: no "再次发送" (tests/notify/test_agenda_sending.py covers the rest).
    assert "再次发送议程(已更新)" not in page


def test_sending_the_kickoff_agenda_late_asks_first_naming_k02(planned: Collaboration) -> None:
    kickoff = kickoff_of(planned)
    client = owner(planned)
    with time_machine.travel(at(2024, 7, 6, 9, 0), tick=False):  # 49 h before the meeting
        page = client.get(page_url(planned)).content.decode()
        assert "K02" in page  # fewer than 72 h remain and nothing was sent
        asked = client.post(post_url(planned, kickoff, "agenda/send/"), headers=HTMX)
        body = asked.content.decode()
        assert asked.status_code == 200
        assert "<code>K02</code>" in body and "距会议仅剩 49 小时" in body
        assert 'name="confirm" value="1"' in body and "仍然发送" in body
        kickoff.refresh_from_db()
        assert kickoff.agenda_sent_at is None  # nothing recorded yet
        plain = client.post(post_url(planned, kickoff, "agenda/send/"))
        assert plain.status_code == 200 and "仍然发送" in plain.content.decode()
        confirmed = client.post(post_url(planned, kickoff, "agenda/send/"), {"confirm": "1"})
        assert confirmed.status_code == 302
        kickoff.refresh_from_db()
        assert kickoff.agenda_sent_at == at(2024, 7, 6, 9, 0)
        page = client.get(page_url(planned)).content.decode()
        assert "K02" in page and "会前 49 小时" in page  # the rule now reports the late sending


# --- materials


@pytest.mark.usefixtures("week_before")
def test_a_material_is_uploaded_listed_downloaded_and_deleted(
    planned: Collaboration, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    kickoff = kickoff_of(planned)
    client = owner(planned)
    upload = SimpleUploadedFile("背景资料.pdf", PDF, content_type="application/x-anything")
    response = client.post(post_url(planned, kickoff, "materials/"), {"file": upload})
    assert response.status_code == 302
    material = Material.objects.get(meeting=kickoff)
    assert (material.name, material.size, material.content_type) == (
        "背景资料.pdf",
        len(PDF),
        "application/pdf",
    )
    files = stored_files(media)
    assert len(files) == 1 and files[0].suffix == ".pdf" and "背景资料" not in files[0].name
    page = client.get(page_url(planned)).content.decode()
    download = f"/c/{planned.slug}/meetings/{kickoff.pk}/materials/{material.pk}/"
    assert f'href="{download}"' in page and "application/pdf" in page and f"{len(PDF)}\xa0字节" in page
    assert "/media/" not in page
    # anyone who sees the collaboration downloads it, as an attachment
    got = signed_in(liaison_of(planned, "法务部")).get(download)
    assert got.status_code == 200
    assert got["Content-Disposition"].startswith("attachment")
    assert got["Content-Type"] == "application/pdf"
    assert b"".join(got.streaming_content) == PDF
    assert signed_in(make_person("nobody")).get(download).status_code == 404
    # a liaison may not delete it; the initiator may
    remove = post_url(planned, kickoff, f"materials/{material.pk}/delete/")
    assert signed_in(liaison_of(planned, "法务部")).post(remove).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(remove, headers=HTMX).status_code == 200
    assert not Material.objects.exists() and stored_files(media) == []


@pytest.mark.usefixtures("week_before")
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("大文件.pdf", b"%PDF-1.4\n" + b"0" * (1536 * 1024), "文件太大:1.5 MB,最大 1 MB。"),
        ("截图.pdf", PNG, "文件内容不是 .pdf 格式:截图.pdf。"),
        ("setup.exe", b"MZ" + b"\x00" * 64, "不接受这种文件:setup.exe"),
    ],
)
def test_an_upload_over_the_limits_is_refused_with_the_reason_and_nothing_stored(
    planned: Collaboration, media: Path, name: str, content: bytes, message: str
) -> None:
    kickoff = kickoff_of(planned)
    client = owner(planned)
    for headers in ({}, HTMX):
        upload = SimpleUploadedFile(name, content, content_type="application/pdf")
        response = client.post(post_url(planned, kickoff, "materials/"), {"file": upload}, headers=headers)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Material.objects.exists()
    assert stored_files(media) == []


# --- offers and needs


def contribution(collab: Collaboration, client: Client, **values: object) -> Any:
    meeting = kickoff_of(collab)
    return client.post(post_url(collab, meeting, "contributions/"), values)


def test_a_liaison_records_their_own_departments_offers_and_needs_only(demo: Collaboration) -> None:
    client = signed_in(liaison_of(demo, "技术部"))
    tech, product = department("技术部"), department("产品部")
    response = contribution(demo, client, kind="offer", department=tech.pk, text="提供日志检索账号")
    assert response.status_code == 302
    row = Contribution.objects.get(text="提供日志检索账号")
    assert (row.kind, row.department, row.counterpart) == (ContributionKind.OFFER, tech, None)
    need = contribution(
        demo, client, kind="need", department=tech.pk, counterpart=product.pk, text="缺陷优先级每周确认"
    )
    assert need.status_code == 302
    assert Contribution.objects.get(text="缺陷优先级每周确认").counterpart == product
    # another department's part: 403, nothing stored
    assert (
        contribution(demo, client, kind="offer", department=product.pk, text="代产品部写").status_code == 403
    )
    other = Contribution.objects.filter(department=product).first()
    assert other is not None
    kickoff = kickoff_of(demo)
    edit = {"item": other.pk, "kind": "offer", "department": product.pk, "text": "改别人的"}
    assert client.post(post_url(demo, kickoff, "contributions/"), edit).status_code == 403
    assert client.post(post_url(demo, kickoff, f"contributions/{other.pk}/delete/")).status_code == 403
    assert client.get(page_url(demo) + f"?edit=contribution-{other.pk}").status_code == 403
    assert not Contribution.objects.filter(text__in=["代产品部写", "改别人的"]).exists()
    # their own row has its edit links; the other department's has none
    page = client.get(page_url(demo)).content.decode()
    assert f"?edit=contribution-{row.pk}" in page and f"?edit=contribution-{other.pk}" not in page


def test_a_need_names_the_department_asked(demo: Collaboration) -> None:
    client = owner(demo)
    sales = department("售后部")
    response = contribution(demo, client, kind="need", department=sales.pk, text="需要支持")
    assert response.status_code == 200 and "需要的配合须写明向哪个部门提出" in response.content.decode()
    response = contribution(
        demo, client, kind="need", department=sales.pk, counterpart=sales.pk, text="需要支持"
    )
    assert "不能向本部门提出需要的配合" in response.content.decode()
    assert not Contribution.objects.filter(text="需要支持").exists()


def test_a_need_becomes_a_task_of_the_department_asked_flagged_until_completed(demo: Collaboration) -> None:
    kickoff = kickoff_of(demo)
    sales, tech = department("售后部"), department("技术部")
    client = owner(demo)
    contribution(demo, client, kind="need", department=sales.pk, counterpart=tech.pk, text="开放工单查询接口")
    need = Contribution.objects.get(text="开放工单查询接口")
    # a liaison of the department in need may not give 技术部 a row; 技术部's liaison may
    convert = post_url(demo, kickoff, f"contributions/{need.pk}/task/")
    assert signed_in(liaison_of(demo, "售后部")).post(convert).status_code == 403
    response = signed_in(liaison_of(demo, "技术部")).post(convert, headers=HTMX)
    assert response.status_code == 200
    task = Task.objects.get(collaboration=demo, description="开放工单查询接口")
    assert task.department == tech and list(task.collaborators.all()) == [sales]
    need.refresh_from_db()
    assert need.task == task
    body = response.content.decode()
    row = body[body.index(f'id="contribution-{need.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f"/c/{demo.slug}/table/#task-{task.pk}" in row
    assert "<code>R03</code>" in row and "<code>R04</code>" in row  # no standard, no deadline yet
    assert "已转为任务" in row and convert not in row and "/subgoal/" not in row  # converted once
    table = client.get(f"/c/{demo.slug}/table/").content.decode()
    assert f'id="task-{task.pk}"' in table and "开放工单查询接口" in table
    # one click is one row, whatever happens next
    assert client.post(convert).status_code == 302
    assert Task.objects.filter(description="开放工单查询接口").count() == 1


def test_a_need_becomes_a_sub_goal_proposal(demo: Collaboration) -> None:
    kickoff = kickoff_of(demo)
    sales, legal = department("售后部"), department("法务部")
    client = owner(demo)
    contribution(
        demo, client, kind="need", department=sales.pk, counterpart=legal.pk, text="高风险投诉当日审核"
    )
    need = Contribution.objects.get(text="高风险投诉当日审核")
    assert client.post(post_url(demo, kickoff, f"contributions/{need.pk}/subgoal/")).status_code == 302
    subgoal = SubGoal.objects.get(collaboration=demo, description="高风险投诉当日审核")
    assert subgoal.department == legal
    page = client.get(page_url(demo)).content.decode()
    row = page[page.index(f'id="contribution-{need.pk}"') :]
    row = row[: row.index("</tr>")]
    assert f"/c/{demo.slug}/subgoals/#subgoal-{subgoal.pk}" in row
    assert "<code>S01</code>" in row and "<code>S03</code>" in row
    # an offer is not turned into anything
    offer = Contribution.objects.filter(meeting=kickoff, kind=ContributionKind.OFFER).first()
    assert offer is not None
    assert client.post(post_url(demo, kickoff, f"contributions/{offer.pk}/task/")).status_code == 404


# --- the list of meetings


def test_the_list_shows_the_kickoff_and_the_opened_occurrences_with_their_minutes(
    demo: Collaboration,
) -> None:
    page = owner(demo).get(f"/c/{demo.slug}/meetings/").content.decode()
    meetings = list(Meeting.objects.filter(collaboration=demo).order_by("scheduled_at"))
    assert meetings[0].kind == MeetingKind.KICKOFF
    positions = [page.index(f'id="meeting-{m.pk}"') for m in meetings]
    assert positions == sorted(positions)
    assert f'href="/c/{demo.slug}/kickoff/"' in page
    for m in meetings[1:]:
        assert f'href="/c/{demo.slug}/meetings/{m.pk}/"' in page
    assert "已确认存档" in page and "已发出,待确认" in page and "草稿" in page
    assert "2 / 4" in page  # the latest held weekly meeting waits for two heads
    assert f'href="/c/{demo.slug}/communication/"' in page


# --- queries


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


def _fill(collab: Collaboration, n: int) -> Meeting:
    """Give the kickoff ``n`` agenda items, minutes items, offers and needs, materials and two revisions."""
    meeting = kickoff_of(collab)
    departments = [
        p.department for p in Participant.objects.filter(collaboration=collab).select_related("department")
    ]
    tasks = list(Task.objects.filter(collaboration=collab))
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, position=i, title=f"议程 {i}") for i in range(n)
    )
    kinds = [MinutesItemKind.DECISION, MinutesItemKind.ACTION, MinutesItemKind.ISSUE]
    MinutesItem.objects.bulk_create(
        MinutesItem(
            meeting=meeting,
            position=i,
            kind=kinds[i % 3],
            text=f"条目 {i}",
            department=departments[i % len(departments)],
            task=tasks[i % len(tasks)] if kinds[i % 3] == MinutesItemKind.ACTION else None,
        )
        for i in range(n)
    )
    Contribution.objects.bulk_create(
        Contribution(
            meeting=meeting,
            position=i,
            kind=ContributionKind.NEED if i % 2 else ContributionKind.OFFER,
            department=departments[i % len(departments)],
            counterpart=departments[(i + 1) % len(departments)] if i % 2 else None,
            text=f"支持或需求 {i}",
            task=tasks[i % len(tasks)] if i % 4 == 1 else None,
        )
        for i in range(n)
    )
    Material.objects.bulk_create(
        Material(
            meeting=meeting,
            file=f"meetings/{i}.pdf",
            name=f"资料 {i}.pdf",
            size=100,
            content_type="application/pdf",
        )
        for i in range(n)
    )
    MinutesRevision.objects.create(
        meeting=meeting, number=2, issued_at=at(2024, 7, 9, 10, 0), content={"items": []}
    )
    meeting.minutes_revision = 2
    meeting.save(update_fields=["minutes_revision"])
    MinutesConfirmation.objects.bulk_create(
        MinutesConfirmation(meeting=meeting, revision=2, department=d, confirmed_at=at(2024, 7, 9, 12, 0))
        for d in departments[:2]
    )
    return meeting


@pytest.mark.parametrize("edit", ["", "?edit=item-first", "?edit=contribution-first"])
def test_the_page_costs_the_same_queries_for_10_or_200_rows(admin_user: Person, edit: str) -> None:
    counts = []
    for n in (10, 200):
        collab = do_import_charter(parse_charter(charter_with_tasks(n)), slug=f"rows-{n}")
        meeting = _fill(collab, n)
        if meeting.minutes_revision:  # editing minutes items needs open minutes
            meeting.minutes_reopened_at = at(2024, 7, 9, 13, 0)
            meeting.save(update_fields=["minutes_reopened_at"])
        query = edit
        if "item-first" in edit:
            query = f"?edit=item-{MinutesItem.objects.filter(meeting=meeting).first().pk}"  # type: ignore[union-attr]
        if "contribution-first" in edit:
            query = f"?edit=contribution-{Contribution.objects.filter(meeting=meeting).first().pk}"  # type: ignore[union-attr]
        counts.append(_queries(signed_in(admin_user), page_url(collab) + query))
    assert counts[0] == counts[1]


def test_the_list_costs_the_same_queries_for_2_or_20_meetings(admin_user: Person) -> None:
    counts = []
    for n in (2, 20):
        collab = do_import_charter(parse_charter(charter_with_tasks(4)), slug=f"meetings-{n}")
        rule = CommunicationRule.objects.filter(collaboration=collab).first()
        for i in range(n - 1):
            Meeting.objects.create(
                collaboration=collab,
                kind=MeetingKind.RECURRING,
                series=rule,
                title=f"周例会 {i}",
                scheduled_at=at(2024, 7, 15, 10, 0).replace(day=15 + i % 10, hour=8 + i // 10),
                minutes_revision=i % 2,
            )
        counts.append(_queries(signed_in(admin_user), f"/c/{collab.slug}/meetings/"))
    assert counts[0] == counts[1]
