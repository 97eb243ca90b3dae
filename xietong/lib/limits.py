"""What a person may enter: dates within a sane window, texts within their column.

One definition for the forms, the API schemas, the actions' input classes,
the charter and the workbook import, so that every way in says the same:

- **Dates** (deadlines, readings, meeting times, SLA times) lie between
  ``EARLIEST`` (2000-01-01) and ``latest()``, 31 December twenty years after
  this year. Nothing the guide plans runs longer, and the bounds keep every
  computation on a date (a day after the deadline, an ISO week, working days
  ahead) far from the ends of Python's calendar: a deadline of 9999-12-31 used
  to make the dashboard answer 500 for everyone.
- **Texts** fit their column: a ``CharField`` its ``max_length``, a
  ``TextField`` ``TEXT_LIMIT`` characters. SQLite stores any length; PostgreSQL
  refuses what is longer than a column, so data moved from the embedded
  default to PostgreSQL would fail to load.

Values stored before these checks may lie outside the window: pages compute
with ``clamp_day`` / ``clamp_moment`` instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

_D = TypeVar("_D", bound=date | None)  # a datetime is a date too

EARLIEST = date(2000, 1, 1)
YEARS_AHEAD = 20
# The longest text of a TextField (a description, a standard, minutes' items):
# about ten pages of Chinese, more than any row of a table needs.
TEXT_LIMIT = 20_000


def latest(today: date | None = None) -> date:
    """Return the last date a person may enter: 31 December, ``YEARS_AHEAD`` years after ``today``'s."""
    today = today or timezone.localdate()
    return date(today.year + YEARS_AHEAD, 12, 31)


def date_problem(value: date | datetime | None) -> str | None:
    """Return why ``value`` is outside the window, in the active language; None when it is inside."""
    if value is None:
        return None
    if isinstance(value, datetime):
        # the day on its own clock: converting 0001-01-01T00:00+08:00 would overflow
        value = value.date()
    last = latest()
    if EARLIEST <= value <= last:
        return None
    return _("日期须在 %(earliest)s 与 %(latest)s 之间") % {
        "earliest": EARLIEST.isoformat(),
        "latest": last.isoformat(),
    }


def check_date(value: _D) -> _D:
    """Return ``value`` when inside the window; ``ValueError`` otherwise (a pydantic validator)."""
    problem = date_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def validate_date(value: date | datetime | None) -> None:
    """A form field validator: ``ValidationError`` for a date outside the window."""
    problem = date_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="date_window")


def clamp_day(value: date) -> date:
    """Return ``value`` moved into the window: stored extremes stay computable on pages."""
    return min(max(value, EARLIEST), latest())


def clamp_moment(value: datetime) -> datetime:
    """Return the aware ``value`` moved into the window (its bounds at midnight UTC)."""
    first = datetime.combine(EARLIEST, time(), tzinfo=UTC)
    last = datetime.combine(latest(), time(), tzinfo=UTC)
    return min(max(value, first), last)


def length_problem(value: str, limit: int) -> str | None:
    """Return why ``value`` is longer than ``limit``, in the active language; None when it fits."""
    if len(value) <= limit:
        return None
    return _("不能超过 %(limit)s 个字符(现有 %(length)s 个)") % {"limit": limit, "length": len(value)}


def check_length(limit: int) -> Any:
    """Return a pydantic validator refusing texts longer than ``limit``."""

    def check(value: str) -> str:
        problem = length_problem(value, limit)
        if problem is not None:
            raise ValueError(problem)
        return value

    return check


def limit_of(model: type[models.Model], name: str) -> int:
    """Return the longest text ``model.name`` holds: its ``max_length``, or ``TEXT_LIMIT``."""
    field = model._meta.get_field(name)
    return getattr(field, "max_length", None) or TEXT_LIMIT


class LimitError(ValueError):
    """A value an action was given is outside its limits; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def check_values(model: type[models.Model], values: Iterable[tuple[str, Any]]) -> None:
    """Raise ``LimitError`` for the first of ``values`` that ``model``'s field of that name cannot take.

    A text longer than the field's limit, or a date outside the window; names
    that are not fields of ``model`` are skipped.
    """
    for name, value in values:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(value, str) and isinstance(field, models.CharField | models.TextField):
            problem = length_problem(value, limit_of(model, name))
        elif isinstance(value, date) and isinstance(field, models.DateField):
            problem = date_problem(value)
        else:
            continue
        if problem is not None:
            raise LimitError(name, problem)


def check_input(data: Any, model: type[models.Model]) -> None:
    """Check an action's input dataclass against ``model``'s fields of the same names."""
    assert is_dataclass(data)
    check_values(model, ((f.name, getattr(data, f.name)) for f in fields(data)))


class LimitedForm(forms.Form):
    """A form whose dates lie in the window and whose texts have a limit shown to the browser.

    A text field without ``max_length`` gets ``TEXT_LIMIT``; a field that maps to a
    shorter column declares its own ``max_length``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_fields(self.fields.values())


def limit_fields(form_fields: Iterable[forms.Field]) -> None:
    """Give ``form_fields`` the window and the text limits (see ``LimitedForm``)."""
    for field in form_fields:
        if isinstance(field, forms.DateField | forms.DateTimeField):
            if validate_date not in field.validators:
                field.validators.append(validate_date)
            # the browser's date picker offers only the window
            kind = getattr(field.widget, "input_type", "")
            if kind in ("date", "datetime-local"):
                suffix = "T00:00" if kind == "datetime-local" else ""
                field.widget.attrs.setdefault("min", EARLIEST.isoformat() + suffix)
                field.widget.attrs.setdefault("max", latest().isoformat() + ("T23:59" if suffix else ""))
        elif isinstance(field, forms.CharField) and field.max_length is None:
            field.max_length = TEXT_LIMIT
            field.validators.append(MaxLengthValidator(TEXT_LIMIT))
            field.widget.attrs.update(field.widget_attrs(field.widget))  # maxlength="20000"
