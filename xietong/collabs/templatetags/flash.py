"""``{% flash_at "anchor" %}``: the messages placed next to one section or row (``xietong.lib.flash``).

The anchor may be given in parts (``{% flash_at "participant-" p.pk %}``);
``{% flash_at "" %}`` draws the messages without a place (at the top of the page).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.messages import get_messages

from xietong.lib.flash import anchor_of

register = template.Library()


@register.inclusion_tag("collabs/_flash.html", takes_context=True)
def flash_at(context: Any, *parts: object) -> dict[str, Any]:
    anchor = "".join(str(part) for part in parts)
    request = context.get("request")
    # The storage may be read more than once per request; all of it is marked as shown.
    shown = [m for m in get_messages(request) if (anchor_of(m) or "") == anchor] if request else []
    return {"flash": shown}
