"""Mail through Django's configured backend (SMTP, or the console when no server is set)."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.utils import translation

from xietong.lib.mailheaders import automatic_headers
from xietong.lib.webhooks import DeliveryError
from xietong.notify.calendar_part import calendar_of
from xietong.notify.messages import Message
from xietong.notify.models import Delivery
from xietong.notify.unsubscribe import unsubscribe_url

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class AcceptingBackend(EmailBackend):
    """Django's SMTP backend that reports the server's reply to DATA the moment it comes.

    Once the server said 250 to the message, it has it: that is recorded
    before the session is closed (QUIT may hang, or the worker die), so a
    send the server accepted is not tried again.
    """

    def __init__(self, accepted: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._accepted = accepted

    def open(self) -> bool | None:
        opened = super().open()
        connection = self.connection
        if opened and connection is not None:
            data = connection.data

            def recorded(msg: Any) -> tuple[int, bytes]:
                code, reply = data(msg)
                if code == 250:
                    self._accepted(f"SMTP {code} {reply.decode(errors='replace')}"[:300])
                return code, reply

            connection.data = recorded  # type: ignore[method-assign]  # smtplib's sendmail calls self.data
        return opened


class InvitationMail(EmailMultiAlternatives):
    """A mail whose ``text/calendar`` alternative names its iTIP method (``method=REQUEST``).

    Outlook, Apple Mail and Feishu show an invitation (accept / decline) only
    when the calendar is an alternative of the body with the method in its
    Content-Type, as the calendar's own METHOD; the same file is attached as
    ``invite.ics`` too, for clients that only offer attachments.
    """

    def __init__(self, *args: Any, method: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.method = method

    def message(self, *args: Any, **kwargs: Any) -> Any:
        message = super().message(*args, **kwargs)
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                part.set_param("method", self.method, requote=False)  # as Outlook writes it: unquoted
        return message


ONE_CLICK = "List-Unsubscribe=One-Click"


def _unsubscribe(delivery: Delivery) -> str:
    """The link that mutes this mail's reminder kind for its reader; empty when it is no reminder."""
    notification = delivery.notification
    if notification.recipient is None:
        return ""
    return unsubscribe_url(notification.recipient, notification.kind) or ""


def headers_of(unsubscribe: str) -> dict[str, str]:
    """The headers of a mail of the outbox: automatic (RFC 3834), and for a reminder its unsubscribe link.

    ``List-Unsubscribe`` (RFC 2369) holds the link; ``List-Unsubscribe-Post``
    (RFC 8058) tells clients they may POST to it with one click, which the
    RFC allows for an https link only.
    """
    headers = automatic_headers()
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        if unsubscribe.startswith("https://"):
            headers["List-Unsubscribe-Post"] = ONE_CLICK
    return headers


def _mail(delivery: Delivery, message: Message, subject: str, connection: Any) -> EmailMultiAlternatives:
    """The mail of ``message``: text and HTML, and an invitation's calendar part."""
    with translation.override(message.language):
        calendar = calendar_of(delivery.notification)
    unsubscribe = _unsubscribe(delivery)
    message = replace(message, unsubscribe=unsubscribe)
    to = [delivery.address]
    headers = headers_of(unsubscribe)
    if calendar is None:
        mail = EmailMultiAlternatives(subject, message.text(), to=to, connection=connection, headers=headers)
        mail.attach_alternative(message.html(), "text/html")
        return mail
    ics, method = calendar
    mail = InvitationMail(
        subject, message.text(), to=to, connection=connection, headers=headers, method=method
    )
    mail.attach_alternative(message.html(), "text/html")
    mail.attach_alternative(ics.decode(), "text/calendar")
    mail.attach("invite.ics", ics, "application/ics")
    return mail


def _smtp_code(error: smtplib.SMTPException) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return min(codes) if codes else None
    return getattr(error, "smtp_code", None)


def send(delivery: Delivery, message: Message, accepted: Callable[[str], None]) -> None:
    # A header holds one line: a value with a line break (a title pasted from elsewhere) would be refused.
    subject = " ".join(message.subject.split())
    # Other backends (the console, tests' locmem) have no reply to record: the caller records the send.
    connection = AcceptingBackend(accepted) if settings.EMAIL_BACKEND == SMTP_BACKEND else None
    mail = _mail(delivery, message, subject, connection)
    try:
        mail.send()
    except smtplib.SMTPException as error:
        code = _smtp_code(error)
        # 5xx is a permanent refusal (no such mailbox, relay denied); 4xx and lost connections pass.
        permanent = code is not None and 500 <= code < 600
        raise DeliveryError(f"SMTP {code or ''} {error}".strip(), retry=not permanent) from None
    except OSError as error:
        raise DeliveryError(f"SMTP connection: {error}", retry=True) from None
