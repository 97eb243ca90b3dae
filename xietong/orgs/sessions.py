"""Ending a person's sessions: raising ``Person.session_epoch``.

The epoch is part of the session hash (``Person._get_session_auth_hash``),
so raising it ends every session signed in before, at its next request:
Django's ``get_user`` finds the stored hash no longer matches and signs the
session out. It is raised on sign-out (``user_logged_out``, sent by every
logout view: Django's, the admin's, allauth's) and on deactivation
(``orgs.actions._set_active``). A password change needs no epoch: the hash
covers the password already, and the views that change it keep the current
session with ``update_session_auth_hash``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F

from xietong.orgs.models import Person


def end_sessions(person_id: int) -> None:
    """End every session of the person ``person_id`` (an UPDATE: concurrent raises all count)."""
    Person.objects.filter(pk=person_id).update(session_epoch=F("session_epoch") + 1)


def on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Signing out of one session signs the person out of all of them (``user_logged_out``)."""
    if isinstance(user, Person) and user.pk is not None:
        end_sessions(user.pk)
