"""Template filters shared by the pages."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def num(value: Decimal | int | float | None) -> str:
    """Return a number without trailing zeros ("45", "3.8"), localised; "—" for None."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        value = value.normalize()
        # normalize() writes 100 as 1E+2; quantize back to a plain integer
        if value == value.to_integral_value():
            value = value.quantize(Decimal(1))
    return number_format(value)
