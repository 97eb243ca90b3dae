"""The meeting actions against the database, judged by the K rules with pinned times.

The rule functions have their own tests on plain snapshots (tests/rules);
these prove that what people do through the actions (schedule, send the
agenda, issue, confirm, ask for a correction) is what the rules then see.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests.conftest import make_person
from tests.helpers import TZ, add_charter_people, at
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Participant, SubGoal, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.meetings.actions.contributions import (
    ContributionInput,
    do_need_to_subgoal,
    do_need_to_task,
    do_save_contribution,
)
from xietong.meetings.actions.kickoff import (
    agenda_would_be_late,
    do_save_agenda_item,
    do_schedule_kickoff,
    do_send_agenda,
)
from xietong.meetings.actions.materials import do_add_material, do_delete_material
from xietong.meetings.actions.minutes import (
    ItemInput,
    MinutesClosed,
    MinutesState,
    do_confirm_minutes,
    do_delete_minutes_item,
    do_issue_minutes,
    do_request_correction,
    do_resolve_issue,
    do_save_minutes_item,
    do_save_minutes_summary,
    minutes_state,
)
from xietong.meetings.actions.occurrences import do_open_occurrence
from xietong.meetings.models import (
    ContributionKind,
    Material,
    Meeting,
    MinutesConfirmation,
    MinutesItemKind,
    MinutesRevision,
)
from xietong.rules.engine import Context, run_rules

pytestmark = pytest.mark.django_db
GOOD = Path(__file__).parent / "charters" / "good.json"


def k_findings(collab: Collaboration, now: datetime) -> set[str]:
    report = run_rules(load_snapshot(collab), Context(now=now, tz=TZ), only=["K01", "K02", "K03", "K04"])
    return {f.rule for f in report.findings}


@pytest.fixture
def collab(db: None) -> Collaboration:
    """The guide's example without a kickoff: four departments, each with a head."""
    data = json.loads(GOOD.read_text(encoding="utf-8"))
    data["kickoff"] = None
    return do_import_charter(parse_charter(add_charter_people(data)), org_authority=True)  # with its heads


@pytest.fixture
def kickoff(collab: Collaboration) -> Meeting:
    return do_schedule_kickoff(collab, at(2024, 7, 8, 10), actor=collab.owner)


def heads(collab: Collaboration) -> list[tuple[Participant, object]]:
    return [(p, p.department.head) for p in collab.participants.select_related("department__head")]


def confirm_all(meeting: Meeting, when: datetime) -> None:
    for participant, head in heads(meeting.collaboration):
        do_confirm_minutes(meeting, participant.department, when, actor=head)  # type: ignore[arg-type]


def test_k01_until_a_kickoff_is_scheduled(collab: Collaboration) -> None:
    assert "K01" in k_findings(collab, at(2024, 7, 1, 9))
    meeting = do_schedule_kickoff(collab, at(2024, 7, 8, 10), actor=collab.owner)
    assert "K01" not in k_findings(collab, at(2024, 7, 1, 9))
    # Chaired by the initiator head, with every liaison and head invited, and the guide's five items.
    assert meeting.chair == collab.owner
    invited = set(meeting.attendees.values_list("display_name", flat=True))
    assert {"王经理", "李工", "赵总监"} <= invited
    assert meeting.agenda.count() == 5


def test_k02_agenda_sent_three_days_ahead_keeps_quiet(collab: Collaboration, kickoff: Meeting) -> None:
    assert not agenda_would_be_late(kickoff, at(2024, 7, 5, 10))
    do_send_agenda(kickoff, at(2024, 7, 5, 10), actor=collab.owner)
    assert "K02" not in k_findings(collab, at(2024, 7, 8, 12))
    kickoff.refresh_from_db()
    assert "李工" in kickoff.agenda_sent_to


def test_k02_agenda_sent_late_is_reported(collab: Collaboration, kickoff: Meeting) -> None:
    assert "K02" not in k_findings(collab, at(2024, 7, 4, 9))  # still time to send it
    assert "K02" in k_findings(collab, at(2024, 7, 5, 11))  # fewer than 72 h left, nothing sent
    assert agenda_would_be_late(kickoff, at(2024, 7, 5, 11))
    do_send_agenda(kickoff, at(2024, 7, 5, 11), actor=collab.owner)
    assert "K02" in k_findings(collab, at(2024, 7, 8, 12))


def test_sending_again_keeps_the_first_time(collab: Collaboration, kickoff: Meeting) -> None:
    do_send_agenda(kickoff, at(2024, 7, 4, 9), actor=collab.owner)
    do_save_agenda_item(kickoff, "风险预案讨论", actor=collab.owner)  # an update: something changed
    do_send_agenda(kickoff, at(2024, 7, 7, 9), actor=collab.owner)
    kickoff.refresh_from_db()
    assert kickoff.agenda_sent_at == at(2024, 7, 4, 9)


def test_k03_minutes_within_24_hours(collab: Collaboration, kickoff: Meeting) -> None:
    assert "K03" not in k_findings(collab, at(2024, 7, 9, 9))  # within the 24 h
    assert "K03" in k_findings(collab, at(2024, 7, 9, 11))  # past them, nothing issued
    do_issue_minutes(kickoff, at(2024, 7, 9, 9), actor=collab.owner)
    assert "K03" not in k_findings(collab, at(2024, 7, 10, 12))


def test_k03_minutes_issued_late_stay_reported(collab: Collaboration, kickoff: Meeting) -> None:
    do_issue_minutes(kickoff, at(2024, 7, 9, 15), actor=collab.owner)
    assert "K03" in k_findings(collab, at(2024, 7, 10, 12))


def test_minutes_cannot_be_issued_before_the_meeting(collab: Collaboration, kickoff: Meeting) -> None:
    with pytest.raises(ValueError, match="after the meeting"):
        do_issue_minutes(kickoff, at(2024, 7, 8, 9), actor=collab.owner)
    assert minutes_state(Meeting.objects.get(pk=kickoff.pk)) == MinutesState.DRAFT


def test_k04_until_every_head_confirms_then_locked(collab: Collaboration, kickoff: Meeting) -> None:
    do_issue_minutes(kickoff, at(2024, 7, 8, 16), actor=collab.owner)
    participants = heads(collab)
    for participant, head in participants[:-1]:
        do_confirm_minutes(kickoff, participant.department, at(2024, 7, 9, 9), actor=head)  # type: ignore[arg-type]
    assert "K04" in k_findings(collab, at(2024, 7, 9, 12))
    assert minutes_state(Meeting.objects.get(pk=kickoff.pk)) == MinutesState.ISSUED
    last, head = participants[-1]
    do_confirm_minutes(kickoff, last.department, at(2024, 7, 9, 10), actor=head)  # type: ignore[arg-type]
    assert "K04" not in k_findings(collab, at(2024, 7, 9, 12))
    kickoff.refresh_from_db()
    assert minutes_state(kickoff) == MinutesState.CONFIRMED
    assert kickoff.minutes_locked_at == at(2024, 7, 9, 10)


def test_confirming_twice_keeps_one_confirmation(collab: Collaboration, kickoff: Meeting) -> None:
    do_issue_minutes(kickoff, at(2024, 7, 8, 16), actor=collab.owner)
    participant, head = heads(collab)[0]
    first = do_confirm_minutes(kickoff, participant.department, at(2024, 7, 9, 9), actor=head)  # type: ignore[arg-type]
    again = do_confirm_minutes(kickoff, participant.department, at(2024, 7, 9, 11), actor=head)  # type: ignore[arg-type]
    assert first.pk == again.pk and again.confirmed_at == at(2024, 7, 9, 9)


def test_nothing_to_confirm_before_the_minutes_are_issued(collab: Collaboration, kickoff: Meeting) -> None:
    participant, head = heads(collab)[0]
    with pytest.raises(ValueError, match="no issued minutes"):
        do_confirm_minutes(kickoff, participant.department, at(2024, 7, 9, 9), actor=head)  # type: ignore[arg-type]


def test_a_department_outside_the_collaboration_cannot_confirm(
    collab: Collaboration, kickoff: Meeting
) -> None:
    from xietong.orgs.models import Department

    stranger = Department.objects.create(name="财务部")
    do_issue_minutes(kickoff, at(2024, 7, 8, 16), actor=collab.owner)
    with pytest.raises(ValueError, match="does not take part"):
        do_confirm_minutes(kickoff, stranger, at(2024, 7, 9, 9))


def test_locked_minutes_refuse_every_edit(collab: Collaboration, kickoff: Meeting) -> None:
    item = do_save_minutes_item(kickoff, ItemInput(MinutesItemKind.DECISION, "确认目标"), actor=collab.owner)
    do_issue_minutes(kickoff, at(2024, 7, 8, 16), actor=collab.owner)
    confirm_all(kickoff, at(2024, 7, 9, 9))
    for write in (
        lambda: do_save_minutes_item(kickoff, ItemInput(MinutesItemKind.DECISION, "改动"), item=item),
        lambda: do_delete_minutes_item(item),
        lambda: do_save_minutes_summary(kickoff, "改动"),
        lambda: do_issue_minutes(kickoff, at(2024, 7, 9, 10)),
    ):
        with pytest.raises(MinutesClosed) as closed:
            write()
        assert "已确认存档" in str(closed.value)
    item.refresh_from_db()
    assert item.text == "确认目标"
    assert MinutesRevision.objects.filter(meeting=kickoff).count() == 1


def test_issued_minutes_wait_for_a_correction_request_to_change(
    collab: Collaboration, kickoff: Meeting
) -> None:
    do_issue_minutes(kickoff, at(2024, 7, 8, 16), actor=collab.owner)
    with pytest.raises(MinutesClosed) as closed:
        do_save_minutes_summary(kickoff, "改动")
    assert "等待各部门负责人确认" in str(closed.value)


def test_a_correction_reopens_confirmed_minutes_and_keeps_the_history(
    collab: Collaboration, kickoff: Meeting
) -> None:
    item = do_save_minutes_item(
        kickoff, ItemInput(MinutesItemKind.DECISION, "每周二例会"), actor=collab.owner
    )
    do_issue_minutes(kickoff, at(2024, 7, 8, 16), actor=collab.owner)
    confirm_all(kickoff, at(2024, 7, 9, 9))
    participant, head = heads(collab)[1]
    with pytest.raises(ValueError, match="says what is wrong"):
        do_request_correction(kickoff, participant.department, "  ", at(2024, 7, 9, 10))
    do_request_correction(
        kickoff,
        participant.department,
        "例会定在周一 10:00",
        at(2024, 7, 9, 10),
        actor=head,  # type: ignore[arg-type]
    )
    kickoff.refresh_from_db()
    assert minutes_state(kickoff) == MinutesState.REOPENED
    # Reopened minutes count no confirmation: K04 is back until the heads confirm again.
    assert "K04" in k_findings(collab, at(2024, 7, 9, 12))
    do_save_minutes_item(kickoff, ItemInput(MinutesItemKind.DECISION, "每周一 10:00 例会"), item=item)
    revision = do_issue_minutes(kickoff, at(2024, 7, 9, 14), actor=collab.owner)
    assert revision.number == 2
    kickoff.refresh_from_db()
    assert kickoff.minutes_issued_at == at(2024, 7, 8, 16)  # K03 judges the first issue
    assert "K04" in k_findings(collab, at(2024, 7, 9, 15))
    confirm_all(kickoff, at(2024, 7, 9, 16))
    assert "K04" not in k_findings(collab, at(2024, 7, 9, 17))
    # Both revisions and both rounds of confirmations are kept.
    texts = [r.content["items"][0]["text"] for r in MinutesRevision.objects.filter(meeting=kickoff)]
    assert texts == ["每周二例会", "每周一 10:00 例会"]
    rounds = MinutesConfirmation.objects.filter(meeting=kickoff).values_list("revision", flat=True)
    assert sorted(set(rounds)) == [1, 2] and len(rounds) == 2 * len(heads(collab))
    assert kickoff.minutes_corrections.get().comment == "例会定在周一 10:00"


def test_an_action_item_becomes_a_task_of_the_table(collab: Collaboration, kickoff: Meeting) -> None:
    department = collab.participants.select_related("department").first().department  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="owner, a delivery standard and a deadline"):
        ItemInput(MinutesItemKind.ACTION, "输出分类标准", department=department)
    item = do_save_minutes_item(
        kickoff,
        ItemInput(
            MinutesItemKind.ACTION,
            "输出投诉分类标准",
            department=department,
            standard="分类标准文档经各部门评审",
            deadline=at(2024, 7, 15, 0).date(),
        ),
        actor=collab.owner,
    )
    task = Task.objects.get(pk=item.task_id)
    assert (task.description, task.department, task.standard) == (
        "输出投诉分类标准",
        department,
        "分类标准文档经各部门评审",
    )
    # Editing the item while the minutes are open updates its row, not a second one.
    do_save_minutes_item(
        kickoff,
        ItemInput(
            MinutesItemKind.ACTION,
            "输出投诉分类标准(含示例)",
            department=department,
            standard="分类标准文档经各部门评审",
            deadline=at(2024, 7, 16, 0).date(),
        ),
        item=item,
    )
    task.refresh_from_db()
    assert task.description == "输出投诉分类标准(含示例)" and str(task.deadline) == "2024-07-16"
    assert Task.objects.filter(collaboration=collab, description__startswith="输出投诉分类标准").count() == 1


def test_a_need_becomes_a_task_or_a_sub_goal_proposal_once(collab: Collaboration, kickoff: Meeting) -> None:
    by_name = {p.department.name: p.department for p in collab.participants.select_related("department")}
    need = do_save_contribution(
        kickoff,
        ContributionInput(
            ContributionKind.NEED, by_name["售后部"], "技术问题 24 小时内给出结论", by_name["技术部"]
        ),
    )
    task = do_need_to_task(need, actor=collab.owner)
    assert do_need_to_task(need).pk == task.pk
    assert task.department == by_name["技术部"] and list(task.collaborators.all()) == [by_name["售后部"]]
    # A proposal: the table's rules flag it until it gets a standard and a deadline.
    report = run_rules(load_snapshot(collab), Context(now=at(2024, 7, 8, 12), tz=TZ), only=["R03", "R04"])
    assert {f.rule for f in report.findings if f.object.startswith("tasks[")} >= {"R03", "R04"}
    subgoal = do_need_to_subgoal(need, actor=collab.owner)
    assert SubGoal.objects.get(pk=subgoal.pk).department == by_name["技术部"]
    offer = do_save_contribution(
        kickoff, ContributionInput(ContributionKind.OFFER, by_name["法务部"], "合规审核")
    )
    with pytest.raises(ValueError, match="only needs"):
        do_need_to_task(offer)
    with pytest.raises(ValueError, match="from itself"):
        ContributionInput(ContributionKind.NEED, by_name["法务部"], "x", by_name["法务部"])


def test_open_issues_blocked_and_overdue_tasks_carry_over_to_the_next_weekly_meeting(
    demo: Collaboration,
) -> None:
    rule = next(r for r in demo.communication_rules.all() if r.channel == "weekly_meeting")
    week2 = Meeting.objects.get(series=rule, scheduled_at=at(2024, 7, 22, 10))
    issue = week2.minutes_items.get(kind=MinutesItemKind.ISSUE)
    week3 = Meeting.objects.get(series=rule, scheduled_at=at(2024, 7, 29, 10))
    assert any(issue.text in a.title for a in week3.agenda.all())
    # Resolved in week 4: the meeting of 2024-08-12 no longer carries it, but does carry the blocked task.
    assert issue.text not in " ".join(
        Meeting.objects.get(series=rule, scheduled_at=at(2024, 8, 12, 10)).agenda.values_list(
            "title", flat=True
        )
    )
    titles = " ".join(
        Meeting.objects.get(series=rule, scheduled_at=at(2024, 8, 12, 10)).agenda.values_list(
            "title", flat=True
        )
    )
    assert "受阻任务" in titles and "修复 TOP3 高频产品缺陷" in titles


def test_an_occurrence_opens_once_and_only_at_its_time(demo: Collaboration) -> None:
    rule = next(r for r in demo.communication_rules.all() if r.channel == "weekly_meeting")
    first = do_open_occurrence(rule, at(2024, 8, 19, 10))
    assert do_open_occurrence(rule, at(2024, 8, 19, 10)).pk == first.pk
    with pytest.raises(ValueError, match="not an occurrence"):
        do_open_occurrence(rule, at(2024, 8, 20, 10))
    # Monday 2024-09-16 is the Mid-Autumn holiday: the meeting moves to Wednesday 09-18 (09-17 is off too).
    with pytest.raises(ValueError, match="not an occurrence"):
        do_open_occurrence(rule, at(2024, 9, 16, 10))
    assert do_open_occurrence(rule, at(2024, 9, 18, 10)).scheduled_at == at(2024, 9, 18, 10)


def test_open_issues_are_resolved_even_after_the_minutes_are_locked(demo: Collaboration) -> None:
    item = Meeting.objects.get(scheduled_at=at(2024, 7, 22, 10)).minutes_items.get(kind=MinutesItemKind.ISSUE)
    do_resolve_issue(item, False)
    item.refresh_from_db()
    assert item.resolved is False


def test_materials_are_checked_and_stored_under_the_data_folder(
    collab: Collaboration, kickoff: Meeting, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with override_settings(MEDIA_ROOT=tmp_path, XIETONG_MAX_UPLOAD_MB=1):
        pdf = SimpleUploadedFile("背景资料.pdf", b"%PDF-1.4\n" + b"x" * 100, content_type="application/pdf")
        material = do_add_material(kickoff, pdf, actor=collab.owner)
        assert material.name == "背景资料.pdf" and material.content_type == "application/pdf"
        stored = Path(material.file.path)
        assert stored.is_file() and tmp_path in stored.parents and stored.name != "背景资料.pdf"
        for bad, reason in (
            (SimpleUploadedFile("slides.pdf", b"MZ\x90\x00 not a pdf"), "不是 .pdf 格式"),
            (SimpleUploadedFile("tool.exe", b"MZ\x90\x00"), "不接受这种文件"),
            (SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * (1024 * 1024 + 1)), "文件太大"),
        ):
            with pytest.raises(ValidationError, match=reason):
                do_add_material(kickoff, bad)
        assert Material.objects.count() == 1 and len(list(tmp_path.rglob("*.*"))) == 1
        with django_capture_on_commit_callbacks(execute=True):
            do_delete_material(material, actor=collab.owner)
    assert not stored.exists()


def test_a_person_is_invited_once_even_when_liaison_and_head(collab: Collaboration) -> None:
    participant = collab.participants.select_related("department").first()
    assert participant is not None
    both = make_person("both")
    participant.liaison = both
    participant.save()
    participant.department.head = both
    participant.department.save()
    meeting = do_schedule_kickoff(collab, at(2024, 7, 8, 10))
    assert list(meeting.attendees.values_list("username", flat=True)).count("both") == 1


def test_k_rules_follow_the_times_on_the_kickoff_page_clock(collab: Collaboration, kickoff: Meeting) -> None:
    """One pass of the whole life, each step judged at the moment it happens."""
    steps = [
        (at(2024, 7, 4, 9), set()),
        (at(2024, 7, 5, 11), {"K02"}),
    ]
    for now, expected in steps:
        assert k_findings(collab, now) == expected
    do_send_agenda(kickoff, at(2024, 7, 5, 11))
    do_issue_minutes(kickoff, at(2024, 7, 8, 15))
    assert k_findings(collab, at(2024, 7, 8, 16)) == {"K02", "K04"}
    confirm_all(kickoff, at(2024, 7, 9, 9))
    assert k_findings(collab, at(2024, 7, 9, 12)) == {"K02"}
    assert k_findings(collab, at(2024, 7, 9, 12) + timedelta(days=30)) == {"K02"}
