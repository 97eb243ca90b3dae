"""History in words: model and field names as their verbose names, choices by their label.

An entry stores ``object_type`` ("collabs.metricreading") and the changed
fields by their attribute names (``recorded_by``); the page shows "指标读数"
and "记录人". People are stored by name already (``str(person)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from xietong.audit.models import AuditEntry


@dataclass(frozen=True, slots=True)
class Change:
    """One field of an entry: its name in words, and its value before and after, as text."""

    name: str
    before: str
    after: str


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def type_label(object_type: str) -> str:
    """Return the model's verbose name ("指标读数"), or the stored type when the model is gone."""
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def _field(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _value(field: Any, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    choices = dict(getattr(field, "flatchoices", None) or ())
    if isinstance(value, list):
        return str(_("、")).join(_value(field, v) for v in value)
    if isinstance(value, dict):
        # a nested record (a revision, a time limit): its values in words, keys as stored
        return "; ".join(f"{key}: {_value(None, item)}" for key, item in value.items())
    if value in choices:
        return str(choices[value])
    return str(value)


def changes(entry: AuditEntry) -> list[Change]:
    """Return the entry's fields in words, in the stored order (those before, then new ones after)."""
    model = _model(entry.object_type)
    before = entry.before or {}
    after = entry.after or {}
    names = list(before) + [name for name in after if name not in before]
    shown = []
    for name in names:
        field = _field(model, name)
        label = str(field.verbose_name) if field is not None and hasattr(field, "verbose_name") else name
        shown.append(
            Change(
                label,
                _value(field, before.get(name)) if entry.before is not None else "",
                _value(field, after.get(name)) if entry.after is not None else "",
            )
        )
    return shown
