"""``{% task_rows rows collab as drawn %}``: the responsibility table's rows, each cached (``collabs/rowcache.py``)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

from xietong.collabs.models import Collaboration
from xietong.collabs.rowcache import draw_rows
from xietong.collabs.templatetags.fragments import TOKEN_PLACEHOLDER
from xietong.collabs.templatetags.xietong import csrf_field
from xietong.lib.jinja import lent

register = template.Library()

# The CSRF field of a cached row, replaced by each response's own.
PLACEHOLDER_FIELD = csrf_field(TOKEN_PLACEHOLDER)


@register.simple_tag(takes_context=True)
def task_rows(context: Context, rows: list[dict[str, Any]], collab: Collaboration) -> list[SafeString]:
    """Each row's markup with the page's CSRF token (a cached part's placeholder, inside ``{% fragment %}``)."""
    field = csrf_field(context.get("csrf_token"))
    drawn = draw_rows(context.get("request"), collab, rows, lent("comment_disclosure"), PLACEHOLDER_FIELD)
    return [mark_safe(html.replace(PLACEHOLDER_FIELD, field)) for html in drawn]
