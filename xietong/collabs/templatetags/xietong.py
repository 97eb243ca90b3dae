"""Template filters shared by the pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.context import Context
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from xietong.lib.jinja import enumeration, localized
from xietong.lib.numbers import plain

register = template.Library()
register.filter("enumeration", enumeration)


@register.filter
def num(value: Decimal | int | float | None) -> str:
    """Return a number without trailing zeros ("45", "3.8"), localised; "—" for None."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        value = plain(value)
    return number_format(value)


@register.simple_tag(takes_context=True)
def jinja(context: Context, template_name: str, **values: object) -> SafeString:
    """Render the Jinja2 template ``template_name`` (a hot part: ``xietong/lib/jinja.py``) with ``values``.

    The page's CSRF field goes in as ``csrf_input``, made from the context's
    token as Django's ``{% csrf_token %}`` makes it (a cached part's placeholder
    included), and the page's ``request``.
    """
    template = localized().get_template(template_name)
    csrf_input = csrf_field(context.get("csrf_token"))
    return mark_safe(template.render(csrf_input=csrf_input, request=context.get("request"), **values))


def csrf_field(token: object) -> SafeString:
    """The hidden CSRF field Django's ``{% csrf_token %}`` writes for ``token`` (nothing without one)."""
    if not token or token == "NOTPROVIDED":
        return mark_safe("")
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
