"""Numbers as people write them."""

from __future__ import annotations

from decimal import Decimal


def plain(value: Decimal) -> Decimal:
    """Return ``value`` without trailing zeros: 45.0000 -> 45, 3.8000 -> 3.8 (never 1E+2)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value
