"""A person's saved filters of a table (保存的筛选): their own bookmarks, so not audited."""

from __future__ import annotations

from django.db import transaction

from xietong.collabs.models import Collaboration, SavedView
from xietong.orgs.models import Person

# Saved views one person keeps per collaboration at most (the list above the table stays short).
MAX_VIEWS = 30


class TooManyViews(Exception):
    """The person already keeps ``MAX_VIEWS`` views of this collaboration."""


@transaction.atomic
def do_save_view(person: Person, collab: Collaboration, name: str, query: str) -> SavedView:
    """Store ``query`` under ``name`` (a view of the same name is replaced); return it.

    ``query`` is the canonical query string of a ``TableFilter``: the caller
    parsed it, so nothing unknown is stored.
    """
    name = name.strip()[: SavedView._meta.get_field("name").max_length]
    existing = SavedView.objects.select_for_update().filter(person=person, collaboration=collab)
    view = existing.filter(name=name).first()
    if view is None:
        if existing.count() >= MAX_VIEWS:
            raise TooManyViews
        return SavedView.objects.create(person=person, collaboration=collab, name=name, query=query)
    view.query = query
    view.save(update_fields=["query"])
    return view


def do_delete_view(view: SavedView) -> None:
    """Forget a saved view (the caller fetched it as the person's own)."""
    view.delete()
