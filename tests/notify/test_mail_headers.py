"""The mails as real clients read them: Python's strict parser, RFC 3834, RFC 2369 / 8058, Message-ID.

Every mail goes through Django's SMTP backend to aiosmtpd (the ``smtp``
fixture) and is parsed again here from the bytes the server received with
``email.policy.default``, which records what it finds wrong as defects on
the message, on each part and on each header.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import make_person
from tests.helpers import at
from tests.notify.conftest import email_delivery, make_notification
from tests.notify.servers import Mail, SmtpServer
from tests.test_meeting_page import kickoff_of, plan_kickoff
from xietong.collabs.models import Collaboration
from xietong.notify import invitations, outbox
from xietong.notify.delivery import deliver, due_deliveries
from xietong.notify.models import Kind, Preference
from xietong.notify.reminders import Due
from xietong.notify.unsubscribe import token_for
from xietong.orgs.invitations import Mailed, NewPerson, do_invite_person
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db

SITE = "https://xietong.example.com"


@pytest.fixture(autouse=True)
def _site(settings: SettingsWrapper) -> None:
    settings.SITE_URL = SITE


def strictly(mail: Mail) -> EmailMessage:
    """The mail as the server received it, parsed by the strict parser, with no defect anywhere.

    ``servers.MailHandler`` parses the bytes of DATA with
    ``email.message_from_bytes(raw, policy=email.policy.default)``.
    """
    message = mail.message
    assert isinstance(message.policy, type(email.policy.default)) and message.policy == email.policy.default
    for part in message.walk():
        assert part.defects == [], (part.get_content_type(), part.defects)
        for name, value in part.items():
            assert getattr(value, "defects", ()) == (), (name, value.defects)  # type: ignore[attr-defined]
    return message


def raw_header(mail: Mail, name: str) -> str:
    """The header ``name`` as its bytes came over the wire, unfolded (RFC 5322 2.2.3), not decoded."""
    head = mail.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 998 for line in head.split("\r\n"))
    unfolded = re.sub(r"\r\n(?=[ \t])", "", head)
    values = [
        line.split(":", 1)[1].strip()
        for line in unfolded.split("\r\n")
        if line.lower().startswith(f"{name.lower()}:")
    ]
    assert len(values) == 1, (name, values)
    return values[0]


def _one_mail(smtp: SmtpServer) -> EmailMessage:
    [mail] = smtp.mails
    return strictly(mail)


def _unsubscribe_url(message: EmailMessage) -> str:
    # Folded on the wire after the name (RFC 5322 2.2.3): the value may begin with the folding's space.
    value = str(message["List-Unsubscribe"]).strip()
    assert value.startswith("<") and value.endswith(">"), value  # RFC 2369: the URI in angle brackets
    return value[1:-1]


def _path(url: str) -> str:
    return urlsplit(url).path


def _remind(person: Person, kind: str = Kind.TASK_OVERDUE) -> None:
    """A reminder of ``kind`` to ``person``, written, planned and mailed as the worker does."""
    notification = make_notification(person, kind=kind)
    deliver(email_delivery(notification, person.email).pk)


ONE_CLICK = {"data": "List-Unsubscribe=One-Click", "content_type": "application/x-www-form-urlencoded"}


# --- the headers


def test_a_reminder_is_marked_auto_generated_with_a_message_id_of_the_site(smtp: SmtpServer) -> None:
    person = make_person("zhang", email="zhang@example.com")
    _remind(person)

    message = _one_mail(smtp)
    assert message["Auto-Submitted"] == "auto-generated"  # RFC 3834: out-of-office replies stay away
    message_id = str(message["Message-ID"])
    assert message_id.startswith("<") and message_id.endswith("@xietong.example.com>"), message_id


def test_a_reminder_carries_a_one_click_https_unsubscribe_link_for_its_kind(smtp: SmtpServer) -> None:
    person = make_person("zhang", email="zhang@example.com")
    _remind(person)

    message = _one_mail(smtp)
    url = _unsubscribe_url(message)
    assert url.startswith(f"{SITE}/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # On the wire the link is as written (clients read no RFC 2047 encoded-words in it), and one click
    # is said exactly as RFC 8058 spells it.
    [mail] = smtp.mails
    assert raw_header(mail, "List-Unsubscribe") == f"<{url}>"
    assert raw_header(mail, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert raw_header(mail, "Auto-Submitted") == "auto-generated"
    # The same link is in the body, for clients that show no unsubscribe button.
    assert url in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert url in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_an_http_site_gets_no_one_click_header(smtp: SmtpServer, settings: SettingsWrapper) -> None:
    settings.SITE_URL = "http://xietong.intranet:8000"
    person = make_person("zhang", email="zhang@example.com")
    _remind(person)

    message = _one_mail(smtp)
    assert _unsubscribe_url(message).startswith("http://xietong.intranet:8000/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] is None  # RFC 8058 asks for an https URI
    assert str(message["Message-ID"]).endswith("@xietong.intranet>")


def test_an_english_mail_says_view_details_with_a_space(smtp: SmtpServer) -> None:
    person = make_person("li", email="li@example.com", language="en")
    _remind(person)

    text = _one_mail(smtp).get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"View details: {SITE}/c/launch/table/" in text


def test_a_nomination_is_auto_generated_but_has_no_unsubscribe(smtp: SmtpServer) -> None:
    person = make_person("zhang", email="zhang@example.com")
    params = {"collab": "新品上市协同", "who": "王经理", "role": "owner"}
    notification = make_notification(person, kind=Kind.NOMINATED, params=params)
    deliver(email_delivery(notification, person.email).pk)

    message = _one_mail(smtp)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


@pytest.fixture
def planned(db: None) -> Collaboration:
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        return plan_kickoff()


def test_an_agenda_invitation_is_auto_generated_with_no_unsubscribe(
    planned: Collaboration, smtp: SmtpServer
) -> None:
    kickoff = kickoff_of(planned)
    for person in kickoff.attendees.all():
        person.email = f"p{person.pk}@example.com"
        person.save(update_fields=["email"])
    with time_machine.travel(at(2024, 7, 1, 9, 0), tick=False):
        invitations.send(kickoff, timezone.now(), actor=planned.owner)
        for pk in due_deliveries(timezone.now()):
            deliver(pk)

    assert smtp.mails
    for mail in smtp.mails:
        message = strictly(mail)
        assert message["Auto-Submitted"] == "auto-generated"
        assert str(message["Message-ID"]).endswith("@xietong.example.com>")
        assert message["List-Unsubscribe"] is None


def test_an_account_invitation_is_auto_generated_with_a_message_id_of_the_site(
    smtp: SmtpServer, admin_user: Person
) -> None:
    issued = do_invite_person(NewPerson("李爱丽", email="alice@example.com"), actor=admin_user)

    assert issued.mailed == Mailed.SENT
    message = _one_mail(smtp)
    assert message["Auto-Submitted"] == "auto-generated"
    assert str(message["Message-ID"]).endswith("@xietong.example.com>")
    assert message["List-Unsubscribe"] is None


# --- the link: one click, the page, undo


def _muted(person: Person) -> list[str]:
    preference = Preference.objects.filter(person=person).first()
    return [] if preference is None else list(preference.muted_kinds)


def test_one_click_post_mutes_the_kind_and_the_next_reminder_of_it_is_not_sent(smtp: SmtpServer) -> None:
    person = make_person("zhang", email="zhang@example.com")
    _remind(person)
    url = _unsubscribe_url(_one_mail(smtp))

    # What a mail provider sends (RFC 8058): no session, no CSRF token, and it does not follow redirects.
    response = Client(enforce_csrf_checks=True).post(_path(url), **ONE_CLICK)  # type: ignore[arg-type]

    assert response.status_code == 200
    assert _muted(person) == [Kind.TASK_OVERDUE]
    # The next overdue task of the sweep is not written for them, so not mailed; other kinds still are.
    now = timezone.now()
    dues = [
        Due(Kind.TASK_OVERDUE, "task_overdue:t9:20240809", 0, person.pk, "/c/launch/table/"),
        Due(Kind.TASK_DUE_SOON, "task_due_soon:t9:20240809", 0, person.pk, "/c/launch/table/"),
    ]
    collab = Collaboration.objects.create(slug="launch", title="新品上市协同")
    dues = [
        Due(d.kind, d.occasion, collab.pk, d.recipient_id, d.link, {"collab": collab.title}) for d in dues
    ]
    outbox.write(dues, now)
    outbox.plan(now)
    for pk in due_deliveries(now + timedelta(seconds=1)):
        deliver(pk)
    assert [m.subject for m in smtp.mails[1:]] == ["【新品上市协同】任务即将到期"]


def test_the_page_says_what_was_muted_and_undo_brings_it_back(smtp: SmtpServer) -> None:
    person = make_person("zhang", email="zhang@example.com")
    _remind(person)
    path = _path(_unsubscribe_url(_one_mail(smtp)))
    browser = Client(enforce_csrf_checks=True)  # not signed in

    # Opening the link (a person, or a scanner fetching it) mutes nothing by itself: it offers the button.
    page = browser.get(path)
    assert page.status_code == 200 and _muted(person) == []
    assert "停止接收「任务已逾期」提醒" in page.content.decode()

    done = browser.post(path, {"action": "mute"})
    assert done.status_code == 200 and _muted(person) == [Kind.TASK_OVERDUE]
    assert "已停止接收「任务已逾期」提醒" in done.content.decode()
    assert browser.get(path).content.decode().count("已停止接收「任务已逾期」提醒") == 1

    undone = browser.post(path, {"action": "undo"})
    assert undone.status_code == 200 and _muted(person) == []
    assert "已恢复接收「任务已逾期」提醒" in undone.content.decode()


def test_muting_keeps_the_other_muted_kinds_and_preferences(smtp: SmtpServer) -> None:
    person = make_person("zhang", email="zhang@example.com")
    Preference.objects.create(person=person, email=True, muted_kinds=[Kind.ESCALATION])
    _remind(person)
    path = _path(_unsubscribe_url(_one_mail(smtp)))

    Client().post(path, **ONE_CLICK)  # type: ignore[arg-type]
    assert _muted(person) == [Kind.TASK_OVERDUE, Kind.ESCALATION]  # in the order of the kinds
    Client().post(path, {"action": "undo"})
    assert _muted(person) == [Kind.ESCALATION]


def test_the_link_is_per_person_and_per_kind(db: None) -> None:
    zhang = make_person("zhang", email="zhang@example.com")
    li = make_person("li", email="li@example.com")
    tokens = {token_for(zhang, Kind.TASK_OVERDUE), token_for(zhang, Kind.TASK_DUE_SOON)}
    tokens |= {token_for(li, Kind.TASK_OVERDUE)}
    assert len(tokens) == 3

    Client().post(f"/notifications/unsubscribe/{token_for(li, Kind.TASK_OVERDUE)}/", **ONE_CLICK)  # type: ignore[arg-type]
    assert _muted(li) == [Kind.TASK_OVERDUE] and _muted(zhang) == []


@pytest.mark.parametrize("change", ["signature", "payload", "salt"])
def test_a_tampered_link_is_not_found_and_mutes_nothing(db: None, change: str) -> None:
    person = make_person("zhang", email="zhang@example.com")
    other = make_person("li", email="li@example.com")
    token = token_for(person, Kind.TASK_OVERDUE)
    value, signature = token.rsplit(":", 1)
    if change == "signature":
        token = f"{value}:{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    elif change == "payload":
        # Someone else's person with the first one's signature.
        token = f"{token_for(other, Kind.TASK_OVERDUE).rsplit(':', 1)[0]}:{signature}"
    else:
        from django.core import signing

        token = signing.dumps({"p": person.pk, "k": Kind.TASK_OVERDUE})  # signed, but not for this
    path = f"/notifications/unsubscribe/{token}/"

    assert Client().get(path).status_code == 404
    assert Client().post(path, **ONE_CLICK).status_code == 404  # type: ignore[arg-type]
    assert Client().post(path, {"action": "undo"}).status_code == 404
    assert _muted(person) == [] and _muted(other) == []


def test_a_link_for_a_kind_that_is_not_a_reminder_is_not_found(db: None) -> None:
    person = make_person("zhang", email="zhang@example.com")
    path = f"/notifications/unsubscribe/{token_for(person, Kind.MEETING_INVITATION)}/"

    assert Client().post(path, **ONE_CLICK).status_code == 404  # type: ignore[arg-type]
    assert _muted(person) == []


def test_the_page_is_in_the_readers_language(db: None) -> None:
    person = make_person("li", email="li@example.com", language="en")
    path = f"/notifications/unsubscribe/{token_for(person, Kind.TASK_OVERDUE)}/"

    page = Client().post(path, {"action": "mute"}).content.decode()
    assert "You no longer receive “Task overdue” reminders" in page


def test_a_site_at_an_ipv6_address_names_it_as_a_domain_literal(
    smtp: SmtpServer, settings: SettingsWrapper
) -> None:
    settings.SITE_URL = "http://[::1]:8000"
    person = make_person("zhang", email="zhang@example.com")
    _remind(person)

    assert str(_one_mail(smtp)["Message-ID"]).endswith("@[::1]>")  # RFC 5322 no-fold-literal, no defect
