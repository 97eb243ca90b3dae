"""Who has not answered being named in a collaboration: the sweep reminds them of nothing there.

A person named to a role by someone else (``Nomination``) is "unheard" in
that collaboration while the nomination is pending and they have not acted
in it themselves (an audit entry of theirs there, other than answering a
nomination). Existing data has no nominations: nothing stops for anyone.
Defined once here and used by the outbox for both of its paths (streamed
finders and the reminders it writes in SQL).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q

from xietong.audit.models import AuditEntry
from xietong.collabs.models import Nomination, NominationState

# Answering a nomination is audited too, but is not taking part.
NOMINATION_LABEL = Nomination._meta.label_lower


def _acted(collaboration: Any, person: Any) -> Exists:
    return Exists(
        AuditEntry.objects.filter(collaboration_id=collaboration, actor_id=person).exclude(
            object_type=NOMINATION_LABEL
        )
    )


def unheard(collaboration: Any, person: Any) -> Q:
    """A condition on rows where ``person`` is unheard in ``collaboration`` (expressions or ``OuterRef``s)."""
    pending = Nomination.objects.filter(
        collaboration_id=collaboration, person_id=person, state=NominationState.PENDING
    )
    return Q(Exists(pending)) & ~Q(_acted(collaboration, person))


def unheard_pairs(collab_ids: Iterable[int], person_ids: Iterable[int]) -> set[tuple[int, int]]:
    """The (collaboration, person) pairs among these where the person is unheard (one query)."""
    people = set(person_ids)
    if not people:
        return set()
    rows = (
        Nomination.objects.filter(
            collaboration_id__in=set(collab_ids), person_id__in=people, state=NominationState.PENDING
        )
        .exclude(_acted(OuterRef("collaboration_id"), OuterRef("person_id")))
        .values_list("collaboration_id", "person_id")
    )
    return set(rows)
