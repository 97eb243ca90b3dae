"""``{% topbar %}``: the top navigation every page shows, rendered with Jinja2.

Django's template language spent about 3 ms a page on it (a dozen ``{% url %}``
and twenty ``{% translate %}``); the Jinja2 template (``xietong/jinja2/_topbar.jinja``)
is compiled once per language with the links reversed once per process
(``xietong/lib/jinja.py``). It reads what ``base.html`` read from the context:
the person, the inbox badge (``inbox``, counted only for a signed-in person),
``may_manage_org`` (looked up only for staff), ``current_nav`` and ``oob_badge``.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, get_language_info

from xietong.collabs.templatetags.xietong import csrf_field
from xietong.lib.jinja import localized

register = template.Library()


@register.simple_tag(takes_context=True)
def topbar(context: Context) -> SafeString:
    user = context.get("user")
    signed_in = bool(user is not None and user.is_authenticated)
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    token = context.get("csrf_token")
    inbox = context.get("inbox")
    language = get_language()
    html = (
        localized()
        .get_template("_topbar.jinja")
        .render(
            user=user,
            may_manage_org=context.get("may_manage_org", False),
            unread=getattr(inbox, "unread", 0) if signed_in and inbox is not None else 0,
            view_name=getattr(match, "view_name", ""),
            current_nav=context.get("current_nav", ""),
            oob_badge=context.get("oob_badge", False),
            csrf_input=csrf_field(token),
            next_path=request.get_full_path() if request is not None else "",
            language=language,
            languages=[(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES],
        )
    )
    return mark_safe(html)
