"""People fields: picked from the directory, never an account made from typed text (issue 18).

The departments step's liaison and head are people fields: a live search
over the directory (``/org/people/pick``), and without JavaScript the typed
name resolved on submit. A name that matches nobody offers "邀请新成员",
which sends a real invitation mail (aiosmtpd); one that matches several
comes back with the candidates to choose from. The API refuses what it
cannot resolve with 422.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.api.conftest import ApiClient, Cast, as_person
from tests.helpers import person, row_counts, signed_in
from tests.notify.servers import SmtpServer, smtp, smtp_server
from xietong.audit.models import AuditEntry
from xietong.collabs.actions.common import Directory, PersonUnresolved, resolve_person
from xietong.collabs.actions.people import do_invite_for_collaboration
from xietong.collabs.models import Collaboration, Participant
from xietong.orgs.invitations import NewPerson
from xietong.orgs.models import AccountInvitation, Department, Person

__all__ = ["smtp", "smtp_server"]

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^\s\"<]+/invite/[\w-]+/")


@pytest.fixture(autouse=True)
def _site(settings: SettingsWrapper) -> None:
    settings.SITE_URL = "https://xietong.example.com"
    settings.DEFAULT_FROM_EMAIL = "xietong@example.com"


def tech_row(collab: Collaboration) -> Participant:
    return Participant.objects.select_related("liaison").get(collaboration=collab, department__name="技术部")


def row_post(row: Participant, **values: str) -> dict[str, str]:
    """The departments table's save, for one row, with the row's fields as given."""
    data = {"save": "1", f"p{row.pk}-role": row.role, f"p{row.pk}-duties": row.duties}
    data |= {f"p{row.pk}-{name}": value for name, value in values.items()}
    return data


def departments_url(collab: Collaboration) -> str:
    return f"/c/{collab.slug}/departments/"


def test_a_list_of_names_typed_into_the_liaison_creates_nobody(cast: Cast) -> None:
    row = tech_row(cast.collab)
    client = signed_in(cast.initiator)
    before = row_counts()
    page = client.post(
        departments_url(cast.collab), row_post(row, liaison="小王、小李", duties="新的职责")
    ).content.decode()
    assert row_counts() == before
    assert not Person.objects.filter(display_name__contains="小王").exists()
    assert tech_row(cast.collab).liaison == row.liaison
    # The form comes back as typed, with the error and the invitation offered inline.
    assert 'value="小王、小李"' in page and "新的职责" in page
    assert "找不到名为 小王、小李 的人员" in page
    assert f'name="p{row.pk}-liaison_email"' in page


def test_the_directory_finds_people_and_never_creates_them(cast: Cast) -> None:
    tech = Department.objects.get(name="技术部")
    before = Person.objects.count()
    assert Directory().person("不存在的人", tech) is None
    assert Person.objects.count() == before
    assert resolve_person(cast.liaison.username) == cast.liaison
    with pytest.raises(PersonUnresolved) as unknown:
        resolve_person("小王、小李")
    assert not unknown.value.ambiguous


def test_a_namesake_in_the_same_department_is_preferred_and_others_are_ambiguous(db: None) -> None:
    tech, legal = Department.objects.create(name="技术部"), Department.objects.create(name="法务部")
    in_tech = person("wangfang1", department=tech, display_name="王芳")
    person("wangfang2", department=legal, display_name="王芳")
    assert resolve_person("王芳", tech) == in_tech
    with pytest.raises(PersonUnresolved) as several:
        resolve_person("王芳", None)
    assert several.value.ambiguous and "wangfang1" in several.value.message()


def test_the_picker_search_shows_name_department_and_login_never_contacts(cast: Cast) -> None:
    tech = Department.objects.get(name="技术部")
    person("lifang", department=tech, display_name="李芳", email="lifang@example.com", phone="13800000001")
    person("gone", display_name="李离职", is_active=False)
    page = signed_in(cast.outsider).get("/org/people/pick", {"q": "李"}).content.decode()
    assert "李芳" in page and "技术部" in page and "lifang" in page
    assert "lifang@example.com" not in page and "13800000001" not in page
    assert "李离职" not in page
    # htmx sends the input's own name: the picker says which one it is.
    by_field = signed_in(cast.outsider).get("/org/people/pick", {"field": "p1-liaison", "p1-liaison": "李芳"})
    assert 'data-pick-name="李芳"' in by_field.content.decode()


def test_the_picker_needs_a_signed_in_person(cast: Cast) -> None:
    response = Client().get("/org/people/pick", {"q": "李"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_picker_costs_the_same_queries_and_shows_at_most_ten(cast: Cast) -> None:
    client = signed_in(cast.outsider)
    client.get("/org/people/pick", {"q": "张"})  # the session is read once

    def count() -> int:
        with CaptureQueriesContext(connection) as seen:
            client.get("/org/people/pick", {"q": "测试"})
        return len(seen)

    person("t0", display_name="测试0")
    one = count()
    for i in range(1, 30):
        person(f"t{i}", display_name=f"测试{i}")
    assert count() == one
    page = client.get("/org/people/pick", {"q": "测试"}).content.decode()
    assert page.count("data-pick-id") == 10


def test_an_ambiguous_name_comes_back_with_the_candidates_and_a_choice_sets_it(cast: Cast) -> None:
    sales, legal = Department.objects.get(name="售后部"), Department.objects.get(name="法务部")
    first = person("wangfang1", department=sales, display_name="王芳")
    second = person("wangfang2", department=legal, display_name="王芳")
    row = tech_row(cast.collab)
    client = signed_in(cast.initiator)
    page = client.post(
        departments_url(cast.collab), row_post(row, liaison="王芳", duties="改过的职责")
    ).content.decode()
    assert "有多位人员名为 王芳" in page and "改过的职责" in page
    assert f'value="{first.pk}"' in page and f'value="{second.pk}"' in page
    assert "wangfang1" in page and "法务部" in page
    assert tech_row(cast.collab).liaison == row.liaison

    client.post(departments_url(cast.collab), row_post(row, liaison="王芳", liaison_id=str(second.pk)))
    assert tech_row(cast.collab).liaison == second


def test_a_picked_id_counts_only_while_the_text_still_names_that_person(cast: Cast) -> None:
    picked = person("zhaoliu", display_name="赵六")
    row = tech_row(cast.collab)
    page = (
        signed_in(cast.initiator)
        .post(departments_url(cast.collab), row_post(row, liaison="钱七", liaison_id=str(picked.pk)))
        .content.decode()
    )
    assert "找不到名为 钱七 的人员" in page
    assert tech_row(cast.collab).liaison == row.liaison


def test_inviting_a_new_liaison_inline_mails_a_one_time_link_and_sets_them(
    cast: Cast, smtp: SmtpServer
) -> None:
    row = tech_row(cast.collab)
    client = signed_in(cast.initiator)
    asked = client.post(departments_url(cast.collab), row_post(row, liaison="钱会计")).content.decode()
    assert "邀请新成员" in asked and smtp.mails == []

    response = client.post(
        departments_url(cast.collab),
        row_post(row, liaison="钱会计", liaison_email="qian@example.com"),
        follow=True,
    )
    page = response.content.decode()
    assert "已邀请 钱会计" in page
    [mail] = smtp.mails
    assert mail.recipients == ["qian@example.com"]
    assert LINK.search(mail.part("text/plain"))
    invited = Person.objects.get(email="qian@example.com")
    assert (invited.display_name, invited.department.name if invited.department else None) == (
        "钱会计",
        "技术部",
    )
    assert not invited.has_usable_password()
    assert AccountInvitation.objects.get(person=invited).created_by == cast.initiator
    assert tech_row(cast.collab).liaison == invited
    assert AuditEntry.objects.filter(collaboration=cast.collab, reason="从协作邀请新成员").exists()


def test_a_refused_invitation_keeps_every_value_and_writes_nothing(cast: Cast, smtp: SmtpServer) -> None:
    person("taken", display_name="已有人", email="taken@example.com")
    row = tech_row(cast.collab)
    client = signed_in(cast.initiator)
    before = row_counts()
    page = client.post(
        departments_url(cast.collab),
        row_post(row, liaison="钱会计", liaison_email="taken@example.com", duties="保留的职责"),
    ).content.decode()
    assert row_counts() == before and smtp.mails == []
    assert "已属于另一位人员" in page
    assert 'value="taken@example.com"' in page and 'value="钱会计"' in page and "保留的职责" in page


def test_a_save_that_meets_a_newer_version_invites_and_mails_nobody(cast: Cast, smtp: SmtpServer) -> None:
    row = tech_row(cast.collab)
    seen = cast.collab.version
    Collaboration.objects.filter(pk=cast.collab.pk).update(version=seen + 1)  # someone saved meanwhile
    page = (
        signed_in(cast.initiator)
        .post(
            departments_url(cast.collab),
            row_post(row, liaison="钱会计", liaison_email="qian@example.com") | {"version": str(seen)},
        )
        .content.decode()
    )
    assert 'value="qian@example.com"' in page  # the form is back as typed, to save again
    assert not Person.objects.filter(email="qian@example.com").exists()
    assert not AccountInvitation.objects.exists()
    assert smtp.mails == []  # no link to an invitation that was rolled back


def test_adding_a_department_with_an_invited_liaison(cast: Cast, smtp: SmtpServer) -> None:
    client = signed_in(cast.initiator)
    data = {"add": "1", "new-department": "财务部", "new-liaison": "钱会计", "new-role": "support"}
    page = client.post(departments_url(cast.collab), data).content.decode()
    assert "找不到名为 钱会计 的人员" in page and 'value="财务部"' in page
    assert not Participant.objects.filter(collaboration=cast.collab, department__name="财务部").exists()
    client.post(departments_url(cast.collab), data | {"new-liaison_phone": "13900000009"})
    added = Participant.objects.select_related("liaison").get(
        collaboration=cast.collab, department__name="财务部"
    )
    assert added.liaison is not None and added.liaison.phone == "13900000009"
    assert smtp.mails == []  # a mobile only: the link is shown to who invited, for an IM chat


def test_who_may_not_edit_the_departments_may_not_invite(cast: Cast) -> None:
    new = NewPerson("钱会计", "qian@example.com")
    for someone in (cast.liaison, cast.member, cast.outsider):
        with pytest.raises(PermissionDenied):
            do_invite_for_collaboration(cast.collab, new, actor=someone)
    assert not Person.objects.filter(email="qian@example.com").exists()
    row = tech_row(cast.collab)
    response = signed_in(cast.liaison).post(
        departments_url(cast.collab), row_post(row, liaison="钱会计", liaison_email="qian@example.com")
    )
    assert response.status_code in (403, 404)
    assert not Person.objects.filter(email="qian@example.com").exists()


# --- the API


def test_the_api_takes_a_person_by_id_or_exact_login_and_never_creates(
    cast: Cast, initiator_api: ApiClient
) -> None:
    base = "/api/collaborations/demo/departments"
    before = Person.objects.count()
    unknown = initiator_api.post(base, {"department": "财务部", "liaison": "钱会计"})
    assert unknown.status_code == 422 and unknown.json()["path"] == "body.liaison"
    assert "钱会计" in unknown.json()["detail"]
    person("wangfang1", display_name="王芳")
    person("wangfang2", display_name="王芳")
    several = initiator_api.post(base, {"department": "财务部", "liaison": "王芳"})
    assert several.status_code == 422 and "wangfang2" in several.json()["detail"]
    missing = initiator_api.post(base, {"department": "财务部", "liaison_id": 999999})
    assert missing.status_code == 422 and missing.json()["path"] == "body.liaison_id"
    assert Person.objects.count() == before + 2

    qian = person("qian", display_name="钱会计")
    added = initiator_api.post(base, {"department": "财务部", "liaison_id": qian.pk})
    assert added.status_code == 201 and added.json()["liaison"]["id"] == qian.pk
    row = added.json()["id"]
    by_login = initiator_api.patch(f"{base}/{row}", {"liaison": "wangfang2"})
    assert by_login.status_code == 200 and by_login.json()["liaison"]["name"] == "王芳"
    head = initiator_api.patch(f"{base}/{row}", {"head": "无此人"})
    assert head.status_code == 422 and head.json()["path"] == "body.head"
    assert Person.objects.count() == before + 3


def test_the_api_keeps_a_liaison_sent_back_unchanged_despite_namesakes(
    cast: Cast, initiator_api: ApiClient
) -> None:
    row = tech_row(cast.collab)
    assert row.liaison is not None
    person("namesake", display_name=row.liaison.name)
    changed = initiator_api.patch(
        f"/api/collaborations/demo/departments/{row.pk}", {"liaison": row.liaison.name, "duties": "新职责"}
    )
    assert changed.status_code == 200 and changed.json()["liaison"]["id"] == row.liaison.pk


@pytest.fixture
def initiator_api(cast: Cast) -> ApiClient:
    return as_person(cast.initiator)


def test_a_namesake_of_the_present_liaison_can_be_picked_by_id(cast: Cast) -> None:
    row = tech_row(cast.collab)
    assert row.liaison is not None
    namesake = person("namesake", display_name=row.liaison.name)
    client = signed_in(cast.initiator)
    unchanged = row_post(row, liaison=row.liaison.name, duties="只改职责")
    client.post(departments_url(cast.collab), unchanged)
    assert tech_row(cast.collab).liaison == row.liaison  # the name sent back keeps who holds it
    client.post(departments_url(cast.collab), unchanged | {f"p{row.pk}-liaison_id": str(namesake.pk)})
    assert tech_row(cast.collab).liaison == namesake
