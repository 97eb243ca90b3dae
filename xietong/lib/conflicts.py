"""Edit conflicts that keep what the person typed.

When a save meets a newer version (someone else saved in between), the page
shows the person's own values in the form, the current ("theirs") value next
to each field that differs, and a per-field choice "use mine / use theirs".
The form is redrawn at the current version, so saving again is a decision,
and the choices are applied on that save (``resolve``): nothing typed is lost
and nothing of the other editor's is overwritten unseen.

Works without JavaScript: the choice is a pair of radio buttons posted with
the form (``<prefix>-use-<field>`` = ``mine`` | ``theirs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _

MINE = "mine"
THEIRS = "theirs"


@dataclass(frozen=True)
class FieldConflict:
    """One field whose typed value differs from the current one."""

    name: str
    label: str
    mine: str
    theirs: str
    choice_name: str


def _normal(value: Any) -> Any:
    """Compare values as the form posts them: strings, lists of strings, '' for nothing."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return sorted(str(_normal(v)) for v in value)
    return str(value).replace("\r\n", "\n").strip()


def _shown(field: forms.Field, value: Any) -> str:
    """Return ``value`` as a person reads it: choices by their label, lists joined."""
    labels = {str(k): str(v) for k, v in getattr(field, "choices", [])}
    if isinstance(value, list | tuple | set):
        return "、".join(labels.get(str(v), str(v)) for v in value) or _("(空)")
    text = _normal(value)
    return labels.get(str(text), str(text)) if text != "" else _("(空)")


def conflicts(
    form: forms.Form, current: Mapping[str, Any], *, skip: Iterable[str] = ("version",)
) -> list[FieldConflict]:
    """Return the fields of the bound ``form`` whose posted value differs from ``current``."""
    found = []
    for name, field in form.fields.items():
        if name in skip or name not in current:
            continue
        bound = form[name]
        mine = bound.value()
        if isinstance(field, forms.MultipleChoiceField):
            mine = list(mine or [])
        if _normal(mine) == _normal(current[name]):
            continue
        found.append(
            FieldConflict(
                name=name,
                label=str(field.label or name),
                mine=_shown(field, mine),
                theirs=_shown(field, current[name]),
                choice_name=form.add_prefix(f"use-{name}"),
            )
        )
    return found


def at_version(data: QueryDict, form: forms.Form, version: int, *, field: str = "version") -> QueryDict:
    """Return a copy of the posted ``data`` carrying ``version``: the redrawn form saves over the current one."""
    copy = data.copy()
    copy[form.add_prefix(field)] = str(version)
    return copy


def resolve(data: QueryDict, prefix: str | None, current: Mapping[str, Any]) -> QueryDict:
    """Return ``data`` with each field whose choice is "theirs" set back to its ``current`` value."""
    chosen = [name for name in current if data.get(_key(prefix, f"use-{name}")) == THEIRS]
    if not chosen:
        return data
    copy = data.copy()
    for name in chosen:
        value = current[name]
        key = _key(prefix, name)
        if isinstance(value, list | tuple | set):
            copy.setlist(key, [str(v) for v in value])
        else:
            copy[key] = (
                "" if value is None else (value.isoformat() if isinstance(value, date) else str(value))
            )
    return copy


def _key(prefix: str | None, name: str) -> str:
    return f"{prefix}-{name}" if prefix else name
