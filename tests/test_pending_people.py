"""Imports that name unknown people: 待邀请, then "全部邀请" (issue 18).

A charter or workbook import creates no account for a name the directory
does not know: it keeps the name where it was given (``PendingPerson``),
lists it on the departments step, and one form invites them all at once,
all or nothing, with real mail (aiosmtpd).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.api.conftest import Cast
from tests.documents.test_pages import upload
from tests.helpers import person, row_counts, signed_in
from tests.notify.servers import SmtpServer, smtp, smtp_server
from xietong.charter.format import dump_charter
from xietong.charter.store import charter_snapshot, import_charter_for
from xietong.collabs.models import Collaboration, Participant, PendingPerson, PendingRole
from xietong.collabs.snapshots import load_snapshot
from xietong.documents.workbook import workbook_bytes
from xietong.orgs.models import Department, HeadProposal, HeadProposalState, Person

__all__ = ["smtp", "smtp_server"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(settings: SettingsWrapper) -> None:
    settings.SITE_URL = "https://xietong.example.com"
    settings.DEFAULT_FROM_EMAIL = "xietong@example.com"


def charter(**initiator: str) -> dict[str, Any]:
    return {
        "title": "采购流程优化",
        "initiator": {"department": "采购部", **initiator},
        "departments": [
            {"name": "采购部", "liaison": "", "role": "lead"},
            {"name": "财务部", "liaison": "钱会计", "head": "孙财务", "duties": "预算审核"},
        ],
    }


@pytest.fixture
def importer(db: None) -> Person:
    return person("importer", display_name="导入者")


@pytest.fixture
def imported(importer: Person) -> Collaboration:
    return import_charter_for(importer, json.dumps(charter(owner=importer.name), ensure_ascii=False))


def pending_post(collab: Collaboration, values: dict[str, tuple[str, str]]) -> dict[str, str]:
    data = {"invite_pending": "1"}
    for row in PendingPerson.objects.filter(collaboration=collab):
        email, phone = values.get(row.name, ("", ""))
        data |= {f"pending-{row.pk}-email": email, f"pending-{row.pk}-phone": phone}
    return data


def test_an_import_with_unknown_liaison_and_head_lists_two_to_invite(imported: Collaboration) -> None:
    assert not Person.objects.filter(display_name__in=["钱会计", "孙财务"]).exists()
    waiting = PendingPerson.objects.filter(collaboration=imported).order_by("role")
    assert [(p.name, p.department.name if p.department else "", p.role) for p in waiting] == [
        ("孙财务", "财务部", PendingRole.HEAD),
        ("钱会计", "财务部", PendingRole.LIAISON),
    ]
    assert not HeadProposal.objects.exists()
    page = signed_in(imported.owner).get(f"/c/{imported.slug}/departments/").content.decode()
    assert "待邀请" in page and "钱会计" in page and "孙财务" in page and "全部邀请" in page


def test_invite_all_mails_both_sets_the_liaison_and_proposes_the_head(
    imported: Collaboration, smtp: SmtpServer
) -> None:
    client = signed_in(imported.owner)
    data = pending_post(
        imported,
        {"钱会计": ("qian.kuaiji@corp.example.org", ""), "孙财务": ("sun.caiwu@corp.example.org", "")},
    )
    response = client.post(f"/c/{imported.slug}/departments/", data, follow=True)
    assert "已邀请 钱会计" in response.content.decode()
    assert sorted(r for m in smtp.mails for r in m.recipients) == [
        "qian.kuaiji@corp.example.org",
        "sun.caiwu@corp.example.org",
    ]
    qian, sun = (
        Person.objects.get(email="qian.kuaiji@corp.example.org"),
        Person.objects.get(email="sun.caiwu@corp.example.org"),
    )
    finance = Participant.objects.get(collaboration=imported, department__name="财务部")
    assert finance.liaison == qian
    proposal = HeadProposal.objects.get()
    assert (proposal.person, proposal.state) == (sun, HeadProposalState.PENDING)
    assert Department.objects.get(name="财务部").head is None  # proposed, never set
    assert not PendingPerson.objects.filter(collaboration=imported).exists()


def test_one_bad_address_invites_nobody_and_keeps_every_value(
    imported: Collaboration, smtp: SmtpServer
) -> None:
    client = signed_in(imported.owner)
    before = row_counts()
    data = pending_post(
        imported, {"钱会计": ("qian.kuaiji@corp.example.org", ""), "孙财务": ("not-an-address", "")}
    )
    page = client.post(f"/c/{imported.slug}/departments/", data).content.decode()
    assert row_counts() == before and smtp.mails == []
    assert 'value="qian.kuaiji@corp.example.org"' in page and 'value="not-an-address"' in page
    assert "请输入有效的电子邮箱地址" in page
    assert PendingPerson.objects.filter(collaboration=imported).count() == 2


def test_the_same_address_twice_is_refused(imported: Collaboration, smtp: SmtpServer) -> None:
    data = pending_post(imported, {"钱会计": ("same@example.com", ""), "孙财务": ("same@example.com", "")})
    page = signed_in(imported.owner).post(f"/c/{imported.slug}/departments/", data).content.decode()
    assert "填写了两次" in page and smtp.mails == []
    assert not Person.objects.filter(email="same@example.com").exists()


def test_who_may_not_edit_the_departments_cannot_invite_them(imported: Collaboration, cast: Cast) -> None:
    data = pending_post(
        imported,
        {"钱会计": ("qian.kuaiji@corp.example.org", ""), "孙财务": ("sun.caiwu@corp.example.org", "")},
    )
    for someone in (cast.outsider, cast.liaison):
        response = signed_in(someone).post(f"/c/{imported.slug}/departments/", data)
        assert response.status_code in (403, 404)
    assert not Person.objects.filter(
        email__in=["qian.kuaiji@corp.example.org", "sun.caiwu@corp.example.org"]
    ).exists()


def test_an_unknown_initiator_leaves_the_importer_owner_until_invited(
    importer: Person, smtp: SmtpServer
) -> None:
    collab = import_charter_for(importer, json.dumps(charter(owner="周总"), ensure_ascii=False))
    assert collab.owner == importer
    owner_row = PendingPerson.objects.get(collaboration=collab, role=PendingRole.OWNER)
    assert owner_row.name == "周总"
    data = pending_post(
        collab,
        {"周总": ("zhou@example.com", ""), "钱会计": ("", "13900000001"), "孙财务": ("", "13900000002")},
    )
    response = signed_in(importer).post(f"/c/{collab.slug}/departments/", data)
    assert response.status_code == 302, response.content.decode()
    collab.refresh_from_db()
    assert collab.owner is not None and collab.owner.email == "zhou@example.com"
    # Whoever stood in keeps the collaboration open to them.
    assert collab.memberships.filter(person=importer).exists()


def test_without_an_initiator_nobody_owns_it_and_the_importer_is_a_member(importer: Person) -> None:
    collab = import_charter_for(importer, json.dumps(charter(), ensure_ascii=False))
    assert collab.owner is None
    assert collab.memberships.filter(person=importer).exists()
    assert not PendingPerson.objects.filter(collaboration=collab, role=PendingRole.OWNER).exists()


def test_a_known_initiator_is_the_owner(importer: Person) -> None:
    zhou = person("zhou", display_name="周总")
    collab = import_charter_for(importer, json.dumps(charter(owner="周总"), ensure_ascii=False))
    assert collab.owner == zhou
    assert not PendingPerson.objects.filter(collaboration=collab, role=PendingRole.OWNER).exists()


def test_the_export_still_names_who_waits_to_be_invited(importer: Person) -> None:
    collab = import_charter_for(importer, json.dumps(charter(owner="周总"), ensure_ascii=False))
    exported = dump_charter(charter_snapshot(collab))
    finance = next(d for d in exported["departments"] if d["name"] == "财务部")
    assert (finance["liaison"], finance["head"], exported["initiator"]["owner"]) == (
        "钱会计",
        "孙财务",
        "周总",
    )
    # The rules still see the place as empty (P01), not filled by a name without an account.
    rules_view = load_snapshot(collab)
    assert next(d for d in rules_view.departments if d.name == "财务部").liaisons == ()


def test_picking_a_liaison_on_the_table_settles_the_waiting_name(imported: Collaboration) -> None:
    qian = person("qian", display_name="钱会计")
    finance = Participant.objects.get(collaboration=imported, department__name="财务部")
    signed_in(imported.owner).post(
        f"/c/{imported.slug}/departments/",
        {
            "save": "1",
            f"p{finance.pk}-liaison": "钱会计",
            f"p{finance.pk}-role": finance.role,
            f"p{finance.pk}-duties": "x",
        },
    )
    finance.refresh_from_db()
    assert finance.liaison == qian
    assert list(PendingPerson.objects.filter(collaboration=imported).values_list("role", flat=True)) == [
        PendingRole.HEAD
    ]


def test_a_workbook_naming_unknown_people_lands_on_the_list_to_invite(
    demo: Collaboration, outsider: Person, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    snapshot = load_snapshot(demo)
    renamed = replace(
        snapshot,
        departments=tuple(
            replace(d, liaisons=("新来的联络人",)) if d.name == "技术部" else d for d in snapshot.departments
        ),
    )
    client = signed_in(outsider)
    before = Person.objects.count()
    preview = client.post(reverse("documents:import"), {"file": upload(workbook_bytes(renamed))})
    assert "新来的联络人" in preview.content.decode()  # the preview names who will wait
    response = client.post(
        reverse("documents:import_confirm"), {"token": preview.context["token"], "choice": "all"}, follow=True
    )
    stored = Collaboration.objects.exclude(pk=demo.pk).get()
    assert unquote(response.redirect_chain[-1][0]) == f"/c/{stored.slug}/departments/#pending"
    page = response.content.decode()
    assert "已列为待邀请:新来的联络人" in page and "全部邀请" in page
    assert Person.objects.count() == before
