"""Writes of a person's calendar subscription (日历订阅): create it, reset it.

The feed URL carries ``Signer(salt="xietong.calendar-feed")`` over
``"<person pk>:<nonce>"``; resetting draws a new nonce, so every copy of the
old URL stops working at once. Permission is the caller's business: a
person only ever touches their own feed.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction

from xietong.meetings.models import CalendarFeed
from xietong.orgs.models import Person

NONCE_BYTES = 24


def new_nonce() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


def do_open_calendar_feed(person: Person) -> CalendarFeed:
    """Return ``person``'s calendar subscription, creating it on first use (twice at once: one row)."""
    feed = CalendarFeed.objects.filter(person=person).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(person=person, nonce=new_nonce())
    except IntegrityError:
        return CalendarFeed.objects.get(person=person)


@transaction.atomic
def do_reset_calendar_feed(person: Person) -> CalendarFeed:
    """Give ``person``'s subscription a new secret: the old feed URL answers 404 from now on."""
    feed = do_open_calendar_feed(person)
    feed.nonce = new_nonce()
    feed.save(update_fields=["nonce", "created_at"])
    return feed
