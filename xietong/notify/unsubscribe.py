"""The link in a reminder mail that stops that kind of reminder for its reader, without signing in.

A token names one person and one reminder kind, signed with the site's
``SECRET_KEY`` under a salt of its own (``signing.dumps``), so a token made
for anything else of the site is refused. It never expires: a reminder
mail is read, and its link clicked, months later, and all a token can do
is mute or unmute one kind for one person, which that person sees and can
undo on the preferences page. Rotating ``SECRET_KEY`` ends every link
(``SECRET_KEY_FALLBACKS`` keeps the old ones working meanwhile).

Only the sweep's reminders carry the link (``REMINDER_KINDS``): being named
to a role and a meeting's invitation, update or cancellation are mailed
once, about one event, and a one-click "unsubscribe" on them would make
someone miss the calendar changes of a meeting they are in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from xietong.notify.models import Kind
from xietong.orgs.models import Person

SALT = "xietong.notify.unsubscribe"

# The kinds a mail's unsubscribe link may mute: the reminders the sweep finds due again and again.
REMINDER_KINDS: frozenset[str] = frozenset(
    {
        Kind.AGENDA_DUE,
        Kind.MINUTES_DUE,
        Kind.MINUTES_OVERDUE,
        Kind.CONFIRMATION_PENDING,
        Kind.WEEKLY_UPDATE_DUE,
        Kind.TASK_DUE_SOON,
        Kind.TASK_OVERDUE,
        Kind.ESCALATION,
        Kind.SLA_AT_RISK,
        Kind.SLA_BREACHED,
        Kind.OCCURRENCE_MISSED,
    }
)


@dataclass(frozen=True)
class Unsubscribe:
    """What a valid token names: a person (by id) and a reminder kind."""

    person_id: int
    kind: str


def token_for(person: Person, kind: str) -> str:
    """The signed token of ``person`` and ``kind`` (URL-safe: base64 and ``:``)."""
    return signing.dumps({"p": person.pk, "k": str(kind)}, salt=SALT)


def read_token(token: str) -> Unsubscribe | None:
    """What ``token`` names, or None when it is not one of ours, altered, or names no reminder kind."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    person, kind = data.get("p"), data.get("k")
    if not isinstance(person, int) or kind not in REMINDER_KINDS:
        return None
    return Unsubscribe(person, str(kind))


def unsubscribe_url(person: Person, kind: str) -> str | None:
    """The absolute link that mutes ``kind`` for ``person``; None when the kind is not a reminder."""
    if kind not in REMINDER_KINDS:
        return None
    return settings.SITE_URL + reverse("notify:unsubscribe", args=[token_for(person, kind)])
