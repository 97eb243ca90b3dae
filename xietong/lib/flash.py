"""Messages shown next to what was saved, and a redirect that returns to it.

After a save the page comes back at the saved section or row (the URL's
``#anchor``) and its message is drawn there, not at the top of a long page
1,400 px above (``{% flash_at "anchor" %}`` in ``collabs/templatetags/flash.py``).
Messages without an anchor stay at the top.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.http import HttpRequest, HttpResponseRedirect

PREFIX = "at-"


def anchor_tag(anchor: str) -> str:
    """Return the message's extra tag that places it at ``anchor``."""
    return PREFIX + anchor


def anchor_of(message: Message) -> str | None:
    """Return the anchor a message is shown at, or None for the top of the page."""
    for tag in (message.extra_tags or "").split():
        if tag.startswith(PREFIX):
            return tag[len(PREFIX) :]
    return None


def saved_at(
    request: HttpRequest,
    url: str,
    anchor: str,
    text: str,
    *,
    level: int = messages.SUCCESS,
    near: str | None = None,
) -> HttpResponseRedirect:
    """Add ``text`` at ``near`` (default ``anchor``) and redirect to ``url#anchor``.

    The page at ``url`` must draw ``{% flash_at near %}``: a message placed
    nowhere on it would not be shown.
    """
    messages.add_message(request, level, text, extra_tags=anchor_tag(near or anchor))
    return HttpResponseRedirect(f"{url}#{anchor}")
