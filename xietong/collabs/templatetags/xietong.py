"""Template filters shared by the pages."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext

from xietong.lib.numbers import plain

register = template.Library()


@register.filter
def num(value: Decimal | int | float | None) -> str:
    """Return a number without trailing zeros ("45", "3.8"), localised; "—" for None."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        value = plain(value)
    return number_format(value)


@register.filter
def enumeration(items: Iterable[object]) -> str:
    """Join ``items`` with the active language's list separator (、 in Chinese, ", " in English)."""
    return str(gettext("、")).join(str(item) for item in items)
