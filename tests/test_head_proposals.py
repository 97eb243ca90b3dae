"""Department heads are organisation data: a charter or a collaboration's owner only proposes one.

The attack (issue 15, point 1): a head holds the head role in every
collaboration the department takes part in, so whoever could name the head
of a headless department opened other people's private collaborations and
confirmed their minutes. Staff who manage people confirm or reject proposals.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.api.conftest import ApiClient, Cast, as_person, person
from tests.conftest import AS_OF, KICKOFF
from tests.documents.test_api import post_file
from tests.documents.test_pages import good_workbook
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration, Participant
from xietong.orgs.models import Department, HeadProposal, HeadProposalState, Person

PROPOSED = "已提议 mallory 为 技术部 的负责人,待组织管理员确认"


@pytest.fixture
def mallory(cast: Cast) -> Person:
    """An ordinary signed-in person, and 技术部 without a head (its head left the company)."""
    Department.objects.filter(name="技术部").update(head=None)
    return person("mallory")


def minutes_of_aug_5(cast: Cast) -> str:
    meeting = cast.collab.meetings.get(scheduled_at__date="2024-08-05", kind="recurring")
    return f"/api/collaborations/{cast.collab.slug}/meetings/{meeting.pk}/minutes/confirm"


def assert_locked_out(api: ApiClient, cast: Cast) -> None:
    """``api``'s person holds no role in the demo, a private collaboration with 技术部 in it."""
    assert Department.objects.get(name="技术部").head is None
    assert api.get(f"/api/collaborations/{cast.collab.slug}").status_code == 404
    assert api.post(minutes_of_aug_5(cast), {"department": "技术部"}).status_code == 404
    task = cast.task_of("技术部")
    assert api.patch(f"/api/tasks/{task.pk}", {"version": task.version, "status": "done"}).status_code == 404


def own_collaboration(api: ApiClient, title: str = "我自己的协作", **department: Any) -> dict[str, Any]:
    """Import a charter as ``api``'s person: they own it; 技术部 takes part."""
    charter = {
        "title": title,
        "initiator": {"department": "技术部", "owner": "mallory"},
        "departments": [{"name": "技术部", "liaison": "mallory", **department}],
    }
    made = api.post("/api/collaborations", charter)
    assert made.status_code == 201, made.content
    return dict(made.json())


# --- the attack, by each way in


def test_a_charter_naming_yourself_head_only_proposes(cast: Cast, mallory: Person) -> None:
    api = as_person(mallory)
    own_collaboration(api, head="mallory")
    assert_locked_out(api, cast)
    proposal = HeadProposal.objects.get(department__name="技术部")
    assert (proposal.person, proposal.proposed_by, proposal.state) == (mallory, mallory, "pending")
    assert proposal.collaboration_title == "我自己的协作"


def test_patching_the_head_of_a_department_only_proposes(cast: Cast, mallory: Person) -> None:
    api = as_person(mallory)
    slug = own_collaboration(api)["slug"]
    row = api.get(f"/api/collaborations/{slug}/departments").json()[0]
    changed = api.patch(f"/api/collaborations/{slug}/departments/{row['id']}", {"head": "mallory"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["head"] is None
    assert [(h["person"]["name"], h["detail"]) for h in changed.json()["head_proposals"]] == [
        ("mallory", PROPOSED)
    ]
    assert_locked_out(api, cast)


def test_the_departments_form_only_proposes(cast: Cast, mallory: Person) -> None:
    api = as_person(mallory)
    slug = own_collaboration(api)["slug"]
    participant = Participant.objects.select_related("collaboration").get(collaboration__slug=slug)
    client = Client()
    client.force_login(mallory)
    prefix = f"p{participant.pk}"
    saved = client.post(
        reverse("collabs:departments", args=[slug]),
        {
            "participant": participant.pk,
            "version": participant.collaboration.version,
            f"{prefix}-liaison": "mallory",
            f"{prefix}-duties": "",
            f"{prefix}-role": "support",
            f"{prefix}-head": "mallory",
        },
        follow=True,
    )
    assert saved.status_code == 200
    assert PROPOSED in saved.content.decode()
    assert_locked_out(api, cast)
    assert client.get(reverse("collabs:workspace", args=[cast.collab.slug])).status_code == 404


def test_the_form_sending_the_current_head_back_proposes_nothing(cast: Cast) -> None:
    tech = Participant.objects.select_related("department__head").get(
        collaboration=cast.collab, department__name="技术部"
    )
    assert tech.department.head is not None
    api = as_person(cast.initiator)
    url = f"/api/collaborations/{cast.collab.slug}/departments/{tech.pk}"
    assert api.patch(url, {"head": tech.department.head.name}).status_code == 200
    assert not HeadProposal.objects.exists()


# --- staff decide


def test_staff_see_and_confirm_a_proposal_and_others_may_not(cast: Cast, mallory: Person) -> None:
    own_collaboration(as_person(mallory), head="mallory")
    proposal = HeadProposal.objects.get()
    url = f"/api/org/head-proposals/{proposal.pk}/confirm"
    for stranger in (mallory, cast.initiator, cast.head):
        assert as_person(stranger).get("/api/org/head-proposals").status_code == 403
        assert as_person(stranger).post(url).status_code == 403
    assert Department.objects.get(name="技术部").head is None

    staff = as_person(cast.admin)
    listed = staff.get("/api/org/head-proposals").json()["items"]
    assert [(p["department"]["name"], p["person"]["name"], p["state"]) for p in listed] == [
        ("技术部", "mallory", "pending")
    ]
    confirmed = staff.post(url)
    assert confirmed.status_code == 200, confirmed.content
    assert (confirmed.json()["state"], confirmed.json()["decided_by"]["name"]) == ("confirmed", "root")
    assert Department.objects.get(name="技术部").head == mallory
    again = staff.post(url)
    assert (again.status_code, again.json()["current"]["state"]) == (409, "confirmed")
    assert staff.get("/api/org/head-proposals").json()["items"] == []


def test_confirming_never_replaces_a_head_silently(cast: Cast, mallory: Person) -> None:
    own_collaboration(as_person(mallory), head="mallory")
    proposal = HeadProposal.objects.get()
    Department.objects.filter(name="技术部").update(head=cast.head)  # the organisation named one meanwhile
    staff = as_person(cast.admin)
    refused = staff.post(f"/api/org/head-proposals/{proposal.pk}/confirm")
    assert (refused.status_code, refused.json()["current"]["state"]) == (409, "pending")
    assert Department.objects.get(name="技术部").head == cast.head
    replaced = staff.post(f"/api/org/head-proposals/{proposal.pk}/confirm?replace=true")
    assert replaced.status_code == 200
    assert Department.objects.get(name="技术部").head == mallory


def test_a_rejected_proposal_changes_nothing(cast: Cast, mallory: Person) -> None:
    own_collaboration(as_person(mallory), head="mallory")
    proposal = HeadProposal.objects.get()
    assert as_person(mallory).post(f"/api/org/head-proposals/{proposal.pk}/reject").status_code == 403
    rejected = as_person(cast.admin).post(f"/api/org/head-proposals/{proposal.pk}/reject")
    assert rejected.json()["state"] == "rejected"
    assert Department.objects.get(name="技术部").head is None
    assert as_person(cast.admin).post(f"/api/org/head-proposals/{proposal.pk}/confirm").status_code == 409


def test_proposing_the_same_person_twice_keeps_one_proposal(cast: Cast, mallory: Person) -> None:
    api = as_person(mallory)
    own_collaboration(api, head="mallory")
    own_collaboration(api, title="第二个协作", head="mallory")
    assert HeadProposal.objects.filter(state=HeadProposalState.PENDING).count() == 1


def test_the_staff_page_confirms_and_rejects(cast: Cast, mallory: Person) -> None:
    own_collaboration(as_person(mallory), head="mallory")
    proposal = HeadProposal.objects.get()
    page = reverse("orgs:head_proposals")
    confirm = reverse("orgs:confirm_head", args=[proposal.pk])
    outsider = Client()
    outsider.force_login(mallory)
    assert outsider.get(page).status_code == 403
    assert outsider.post(confirm).status_code == 403
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(cast.admin)
    listing = staff.get(page)
    assert listing.status_code == 200
    assert "mallory" in listing.content.decode() and confirm in listing.content.decode()
    assert staff.post(confirm).status_code == 403  # no CSRF token
    token = listing.cookies["csrftoken"].value
    done = staff.post(confirm, {"csrfmiddlewaretoken": token}, follow=True)
    assert "已设定 mallory 为 技术部 的负责人" in done.content.decode()
    assert Department.objects.get(name="技术部").head == mallory
    assert HeadProposal.objects.get().decided_by == cast.admin


# --- trusted loaders and the command line


def test_the_demo_still_has_its_heads(db: None) -> None:
    demo = load_demo(KICKOFF, today=AS_OF)
    departments = Department.objects.filter(participations__collaboration=demo)
    assert departments.exists()
    assert not departments.filter(head__isnull=True).exists()
    assert not HeadProposal.objects.exists()


def test_the_import_command_proposes_unless_told_to_apply(db: None, tmp_path: Path) -> None:
    charter = tmp_path / "c.json"
    charter.write_text(
        '{"title": "命令行协作", "departments": [{"name": "采购部", "head": "钱采购"}]}', encoding="utf-8"
    )
    person("钱采购")  # a name the directory does not know would wait as 待邀请 instead
    checked = StringIO()
    with pytest.raises(SystemExit):  # the charter breaks the guide's rules; the report still lists all
        call_command("check", str(charter), stdout=checked)
    assert "新建部门:采购部" in checked.getvalue()
    assert "提议部门负责人(待组织管理员确认):采购部 ← 钱采购" in checked.getvalue()
    assert not Department.objects.exists()  # the check changed nothing

    out = StringIO()
    call_command("import", str(charter), "--slug", "one", stdout=out)
    assert "提议部门负责人(待组织管理员确认):采购部 ← 钱采购" in out.getvalue()
    assert Department.objects.get(name="采购部").head is None
    assert HeadProposal.objects.get().person.name == "钱采购"

    Collaboration.objects.all().delete()
    HeadProposal.objects.all().delete()
    out = StringIO()
    call_command("import", str(charter), "--slug", "two", "--apply-org-changes", stdout=out)
    assert "设定部门负责人(仅限尚无负责人的部门):采购部 ← 钱采购" in out.getvalue()
    head = Department.objects.get(name="采购部").head
    assert head is not None and head.name == "钱采购"


def test_a_workbook_dry_run_lists_the_organisation_changes(cast: Cast, mallory: Person) -> None:
    tech_head = cast.head.name
    Department.objects.filter(name="技术部").update(head=cast.head)
    workbook = good_workbook(cast.collab)  # names 技术部's head...
    Department.objects.filter(name="技术部").update(head=None)  # ...which the department then loses
    answer = post_file(mallory, "/api/imports/workbook", workbook, dry_run="true")
    assert answer.status_code == 200, answer.content
    changes = answer.json()["organisation_changes"]
    assert changes["heads_proposed"] == [{"department": "技术部", "person": tech_head}]
    assert changes["departments_created"] == [] and changes["people_created"] == []
    assert Department.objects.get(name="技术部").head is None
    assert not HeadProposal.objects.exists()
