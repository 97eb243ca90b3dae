"""Invitations (issue 18, part 1): invite by e-mail or by a copyable link; resend, revoke, accept.

The mail goes through Django's SMTP backend to a real aiosmtpd server
(``tests/notify/servers.py``); the invitee opens the link in an anonymous
client, sets a password and is signed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.api.conftest import as_person
from tests.conftest import make_person
from tests.helpers import at, head_of, row_counts, signed_in
from tests.notify.servers import SmtpServer, closed_port, smtp, smtp_server
from tests.test_english_pages import ALLOWED, HAN
from tests.test_meeting_page import department, kickoff_of, page_url, plan_kickoff, post_url
from xietong.audit.models import AuditEntry
from xietong.meetings.models import MinutesConfirmation
from xietong.orgs.actions import do_propose_head
from xietong.orgs.models import AccountInvitation, Department, HeadProposal, Person, PersonSource

__all__ = ["smtp", "smtp_server"]

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^\s\"<]+/invite/[\w-]+/")
PASSWORD = "Gl4ss-Harbour-97"


@pytest.fixture(autouse=True)
def _site(settings: SettingsWrapper) -> None:
    """The site address the invitation's link and sender are built from."""
    settings.SITE_URL = "https://xietong.example.com"
    settings.DEFAULT_FROM_EMAIL = "xietong@example.com"


@pytest.fixture
def staff() -> Person:
    """Staff who manage people through their permissions (not a superuser)."""
    person = make_person("hr", is_staff=True)
    person.display_name = "人事小刘"
    person.save()
    codenames = ["add_person", "change_person", "add_department", "change_department"]
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="orgs", codename__in=codenames)
    )
    return Person.objects.get(pk=person.pk)


def link_in(html: str) -> str:
    """Return the invitation link shown in a page or a mail."""
    found = LINK.search(html)
    assert found, html
    return found.group(0)


def path_of(link: str) -> str:
    return urlsplit(link).path


def invite(client: Client, **data: object) -> str:
    """Invite through the page; return the page's HTML (the link is in it)."""
    answer = client.post(
        "/org/invite/", {"display_name": "", "email": "", "phone": "", "department": "", **data}
    )
    assert answer.status_code == 200, answer.content.decode()
    return str(answer.content.decode())


def accept(link: str, password: str = PASSWORD) -> tuple[Client, int]:
    """Open ``link`` anonymously and set ``password``; return the client and the answer's status."""
    client = Client()
    opened = client.get(path_of(link))
    if opened.status_code != 200:
        return client, opened.status_code
    answer = client.post(path_of(link), {"new_password1": password, "new_password2": password})
    return client, answer.status_code


def dead(link: str) -> str:
    """Return the page of a link that does not work (asserting the one answer for every case)."""
    answer = Client().get(path_of(link))
    assert answer.status_code == 404
    html = answer.content.decode()
    return html[html.index('<main id="main">') : html.index("</main>")]  # the page less its CSRF tokens


# --- by e-mail, end to end


def test_staff_invite_by_email_the_mail_arrives_and_the_invitee_signs_in(
    staff: Person, smtp: SmtpServer
) -> None:
    tech = Department.objects.create(name="技术部")
    page = invite(signed_in(staff), display_name="周工", email="Zhou.Gong@Example.COM", department=tech.pk)
    assert "邀请邮件已发送到 Zhou.Gong@example.com" in page
    shown = link_in(page)
    assert shown.startswith("https://xietong.example.com/invite/")
    [mail] = smtp.mails
    assert mail.recipients == ["Zhou.Gong@example.com"] and mail.sender == "xietong@example.com"
    assert "人事小刘" in mail.subject and "xietong.example.com" in mail.subject
    text = mail.part("text/plain")
    assert link_in(text) == shown and "周工" in text and "人事小刘" in text
    until = timezone.localtime(AccountInvitation.objects.get().expires_at).strftime("%Y-%m-%d %H:%M")
    assert until in text
    assert link_in(mail.part("text/html")) == shown

    person = Person.objects.get(email="Zhou.Gong@example.com")
    assert (person.username, person.display_name, person.department, person.source) == (
        "Zhou.Gong",
        "周工",
        tech,
        PersonSource.LOCAL,
    )
    assert person.is_active and not person.has_usable_password()
    invitation = AccountInvitation.objects.get()
    assert invitation.sent_at is not None and invitation.created_by == staff
    assert abs(invitation.expires_at - invitation.created_at - timedelta(days=7)) < timedelta(seconds=5)
    assert shown.rsplit("/", 2)[-2] not in invitation.token_hash  # only the hash is stored
    listed = signed_in(staff).get("/org/").content.decode()
    assert (
        "已邀请" in listed[listed.index(f'id="person-{person.pk}"') :]
        and f'id="invitation-{invitation.pk}"' in listed
    )

    opened = Client().get(path_of(shown))
    assert opened.status_code == 200 and "周工" in opened.content.decode()
    client, status = accept(shown)
    assert status == 302
    home = client.get("/")
    assert home.status_code == 200 and "等待我处理" in home.content.decode()
    person.refresh_from_db()
    assert person.check_password(PASSWORD) and person.last_login is not None
    signed = Client().post("/accounts/login/", {"username": "Zhou.Gong", "password": PASSWORD})
    assert signed.status_code == 302 and signed["Location"] == "/"
    assert AccountInvitation.objects.get().accepted_at is not None
    assert "此邀请链接无效或已失效" in dead(shown)  # one-time
    listed = signed_in(staff).get("/org/").content.decode()
    assert "已启用" in listed[listed.index(f'id="person-{person.pk}"') :]
    assert f'id="invitation-{invitation.pk}"' not in listed
    reasons = set(
        AuditEntry.objects.filter(object_type="orgs.accountinvitation").values_list("reason", flat=True)
    )
    assert reasons == {"邀请新成员", "接受邀请"}
    assert not any("token_hash" in (e.after or {}) for e in AuditEntry.objects.all())


def test_the_password_validators_apply(staff: Person, smtp: SmtpServer) -> None:
    link = link_in(invite(signed_in(staff), display_name="周工", email="zhou@example.com"))
    _, status = accept(link, password="123")
    assert status == 400
    assert AccountInvitation.objects.get().accepted_at is None
    assert accept(link)[1] == 302


def test_resend_kills_the_old_link_and_the_new_one_works(staff: Person, smtp: SmtpServer) -> None:
    client = signed_in(staff)
    old = link_in(invite(client, display_name="周工", email="zhou@example.com"))
    invitation = AccountInvitation.objects.get()
    resent = client.post(f"/org/invitations/{invitation.pk}/resend/")
    assert resent.status_code == 200
    new = link_in(resent.content.decode())
    assert new != old and len(smtp.mails) == 2 and link_in(smtp.mails[1].part("text/plain")) == new
    dead(old)
    assert accept(new)[1] == 302
    entry = AuditEntry.objects.get(object_type="orgs.accountinvitation", reason="重新发送邀请")
    assert entry.actor == staff


def test_revoke_kills_the_link(staff: Person, smtp: SmtpServer) -> None:
    client = signed_in(staff)
    link = link_in(invite(client, display_name="周工", email="zhou@example.com"))
    invitation = AccountInvitation.objects.get()
    assert client.post(f"/org/invitations/{invitation.pk}/revoke/").status_code == 302
    dead(link)
    assert AuditEntry.objects.filter(object_type="orgs.accountinvitation", reason="撤销邀请").exists()
    assert f'id="invitation-{invitation.pk}"' not in client.get("/org/").content.decode()


def test_every_dead_link_gets_the_same_page(staff: Person, smtp: SmtpServer) -> None:
    client = signed_in(staff)
    revoked = link_in(invite(client, display_name="甲", email="a@example.com"))
    client.post(f"/org/invitations/{AccountInvitation.objects.get().pk}/revoke/")
    used = link_in(invite(client, display_name="乙", email="b@example.com"))
    accept(used)
    pages = {
        dead(revoked),
        dead(used),
        dead(revoked[:-5] + "abcd/"),
        dead("https://x/invite/" + "a" * 300 + "/"),
    }
    assert len(pages) == 1


def test_an_expired_link_is_dead_with_the_same_page(staff: Person, smtp: SmtpServer) -> None:
    link = link_in(invite(signed_in(staff), display_name="周工", email="zhou@example.com"))
    unknown = dead("https://x/invite/unknown-token/")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert dead(link) == unknown
        listed = signed_in(staff).get("/org/").content.decode()
        assert "已过期" in listed
        person = Person.objects.get(email="zhou@example.com")
        assert "已邀请" not in listed[listed.index(f'id="person-{person.pk}"') :].split("</tr>")[0]
        # resending an expired invitation gives a working link
        resent = signed_in(staff).post(f"/org/invitations/{AccountInvitation.objects.get().pk}/resend/")
        assert accept(link_in(resent.content.decode()))[1] == 302


# --- by a copyable link, refusals, failures


def test_invite_with_a_mobile_only_sends_no_mail_and_shows_the_link(staff: Person, smtp: SmtpServer) -> None:
    page = invite(signed_in(staff), display_name="钱工", phone="13900000009")
    assert "没有电子邮箱" in page and 'readonly value="https://xietong.example.com/invite/' in page
    assert smtp.mails == []
    person = Person.objects.get(phone="13900000009")
    assert re.fullmatch(r"user\d+", person.username)
    assert AccountInvitation.objects.get().sent_at is None
    assert accept(link_in(page))[1] == 302


def test_a_duplicate_email_or_mobile_is_refused_with_the_values_kept(staff: Person, smtp: SmtpServer) -> None:
    make_person("wang", email="wang@example.com", phone="13800000001")
    client = signed_in(staff)
    before = row_counts()
    answer = client.post("/org/invite/", {"display_name": "王二", "email": "WANG@example.com", "phone": ""})
    html = answer.content.decode()
    assert answer.status_code == 400 and "已属于另一位人员" in html
    assert 'value="王二"' in html and 'value="WANG@example.com"' in html
    answer = client.post("/org/invite/", {"display_name": "王三", "email": "", "phone": "13800000001"})
    assert answer.status_code == 400 and "已属于另一位人员" in answer.content.decode()
    answer = client.post("/org/invite/", {"display_name": "王四", "email": "", "phone": ""})
    assert answer.status_code == 400 and "至少一项" in answer.content.decode()
    assert row_counts() == before and smtp.mails == []


def test_the_username_is_unique(staff: Person, smtp: SmtpServer) -> None:
    make_person("zhou")
    invite(signed_in(staff), display_name="周工", email="zhou@example.com")
    assert Person.objects.get(email="zhou@example.com").username == "zhou2"


def test_non_staff_get_403_and_nothing_is_written(smtp: SmtpServer) -> None:
    plain = make_person("plain")
    before = row_counts()
    assert (
        signed_in(plain).post("/org/invite/", {"display_name": "x", "email": "x@example.com"}).status_code
        == 403
    )
    api = as_person(plain)
    before = row_counts()
    assert api.post("/api/org/invitations", {"name": "x", "email": "x@example.com"}).status_code == 403
    assert api.get("/api/org/invitations").status_code == 403
    assert row_counts() == before and smtp.mails == []


def test_smtp_unreachable_keeps_the_invitation_and_shows_the_link(
    staff: Person, settings: SettingsWrapper
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    page = invite(signed_in(staff), display_name="周工", email="zhou@example.com")
    assert "邀请邮件未能发送" in page
    invitation = AccountInvitation.objects.get()
    assert invitation.sent_at is None
    assert accept(link_in(page))[1] == 302


def test_the_pages_in_english_have_no_chinese(staff: Person, smtp: SmtpServer) -> None:
    client = signed_in(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    staff.display_name = "Liu"
    staff.save()
    issued = client.post(
        "/org/invite/", {"display_name": "Zhou", "email": "zhou@example.com", "phone": "", "department": ""}
    )
    link = link_in(issued.content.decode())
    anonymous = Client()
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    pages = [
        issued,
        client.get("/org/"),
        client.post("/org/invite/", {"display_name": "", "email": "", "phone": ""}),
        anonymous.get(path_of(link)),
        anonymous.get("/invite/nothing/"),
    ]
    for page in pages:
        assert not set(HAN.findall(page.content.decode())) - ALLOWED, page.content.decode()


# --- the API


def test_the_api_invites_lists_resends_and_revokes(staff: Person, smtp: SmtpServer) -> None:
    api = as_person(staff)
    Department.objects.create(name="技术部")
    made = api.post(
        "/api/org/invitations", {"name": "周工", "email": "zhou@example.com", "department": "技术部"}
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (
        body["mailed"] == "sent"
        and body["state"] == "pending"
        and body["person"]["department"]["name"] == "技术部"
    )
    assert link_in(smtp.mails[0].part("text/plain")) == body["link"]
    listed = api.get("/api/org/invitations").json()["items"]
    assert [i["id"] for i in listed] == [body["id"]] and "link" not in listed[0]
    resent = api.post(f"/api/org/invitations/{body['id']}/resend")
    assert resent.status_code == 200 and resent.json()["link"] != body["link"]
    dead(body["link"])
    revoked = api.post(f"/api/org/invitations/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    dead(resent.json()["link"])
    assert api.get("/api/org/invitations").json()["items"] == []
    assert api.post("/api/org/invitations/999999/revoke").status_code == 404

    phone_only = api.post("/api/org/invitations", {"name": "钱工", "phone": "139"}).json()
    assert phone_only["mailed"] == "none" and len(smtp.mails) == 2
    assert accept(phone_only["link"])[1] == 302
    conflict = api.post(f"/api/org/invitations/{phone_only['id']}/resend")
    assert conflict.status_code == 409 and conflict.json()["current"]["state"] == "accepted"


def test_the_api_refuses_at_the_field(staff: Person, smtp: SmtpServer) -> None:
    make_person("wang", email="wang@example.com")
    api = as_person(staff)
    before = row_counts()
    for body, path in (
        ({"name": "王二", "email": "wang@example.com"}, "body.email"),
        ({"name": "王二"}, "body.email"),
        ({"name": "王二", "email": "not-an-address"}, "body.email"),
        ({"name": "王二", "email": "w2@example.com", "department": "没有的部门"}, "body.department"),
        ({"name": "", "email": "w2@example.com"}, "body.name"),
    ):
        answer = api.post("/api/org/invitations", body)
        assert answer.status_code == 422, body
        assert path in answer.content.decode(), answer.content
    assert row_counts() == before and smtp.mails == []


# --- the "done means": an invited head confirms the kickoff minutes


@pytest.fixture
def after_meeting() -> Iterator[None]:
    with time_machine.travel(at(2024, 7, 8, 15, 0), tick=False):
        yield


@pytest.mark.usefixtures("after_meeting")
def test_an_invited_head_signs_in_and_confirms_the_kickoff_minutes(staff: Person, smtp: SmtpServer) -> None:
    collab = plan_kickoff()
    tech = department("技术部")
    client = signed_in(staff)
    invite(client, display_name="新负责人", email="newhead@example.com", department=tech.pk)
    newcomer = Person.objects.get(email="newhead@example.com")
    proposal = do_propose_head(tech, newcomer)
    assert proposal is not None
    confirmed = client.post(f"/org/heads/{proposal.pk}/confirm/", {"replace": "1"})
    assert confirmed.status_code == 302 and HeadProposal.objects.get(pk=proposal.pk).state == "confirmed"
    assert head_of("技术部") == newcomer
    owner = signed_in(collab.owner)
    issued = owner.post(post_url(collab, kickoff_of(collab), "minutes/issue/"), {"confirm": "1"})
    assert issued.status_code == 302

    head, status = accept(link_in(smtp.mails[0].part("text/plain")))
    assert status == 302
    home = head.get("/").content.decode()
    assert "等待我处理" in home and collab.title in home
    page = head.get(page_url(collab)).content.decode()
    assert "确认纪要" in page
    answer = head.post(post_url(collab, kickoff_of(collab), "minutes/confirm/"), {"department": tech.pk})
    assert answer.status_code == 302
    confirmation = MinutesConfirmation.objects.get(department=tech)
    assert confirmation.confirmed_by == newcomer
