"""Mail through Django's configured backend (SMTP, or the console when no server is set)."""

from __future__ import annotations

import smtplib

from django.core.mail import EmailMultiAlternatives

from xietong.lib.webhooks import DeliveryError
from xietong.notify.messages import Message
from xietong.notify.models import Delivery


def _smtp_code(error: smtplib.SMTPException) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return min(codes) if codes else None
    return getattr(error, "smtp_code", None)


def send(delivery: Delivery, message: Message) -> None:
    # A header holds one line: a value with a line break (a title pasted from elsewhere) would be refused.
    subject = " ".join(message.subject.split())
    mail = EmailMultiAlternatives(subject, message.text(), to=[delivery.address])
    mail.attach_alternative(message.html(), "text/html")
    try:
        mail.send()
    except smtplib.SMTPException as error:
        code = _smtp_code(error)
        # 5xx is a permanent refusal (no such mailbox, relay denied); 4xx and lost connections pass.
        permanent = code is not None and 500 <= code < 600
        raise DeliveryError(f"SMTP {code or ''} {error}".strip(), retry=not permanent) from None
    except OSError as error:
        raise DeliveryError(f"SMTP connection: {error}", retry=True) from None
