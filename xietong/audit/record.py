"""Recording changes. Actions call ``audited`` around every write they make."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

from xietong.audit.models import AuditEntry, Change

# Bookkeeping fields that change with every write and tell a reader nothing; a secret's hash
# (an invitation's ``token_hash``) stays out of the log too.
IGNORED = {"version", "updated_at", "created_at", "position", "password", "last_login", "token_hash"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def state_of(obj: models.Model | None) -> dict[str, Any] | None:
    """Return the JSON-ready field values of ``obj`` (foreign keys by their name), or None."""
    if obj is None or obj.pk is None:
        return None
    state: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in IGNORED or field.name == "id":
            continue
        if isinstance(field, models.ForeignKey):
            related_id = getattr(obj, field.attname)
            state[field.name] = str(getattr(obj, field.name)) if related_id is not None else None
        else:
            state[field.name] = _plain(getattr(obj, field.name))
    for field in obj._meta.many_to_many:
        state[field.name] = sorted(str(related) for related in getattr(obj, field.name).all())
    return state


def record(
    obj: models.Model,
    before: dict[str, Any] | None,
    *,
    actor: models.Model | None,
    collaboration: models.Model | None,
    reason: str = "",
    deleted: bool = False,
) -> AuditEntry | None:
    """Record the change of ``obj`` from ``before``; nothing when nothing changed. Return the entry."""
    after = None if deleted else state_of(obj)
    if before == after:
        return None
    change = Change.DELETE if deleted else (Change.CREATE if before is None else Change.UPDATE)
    if change == Change.UPDATE and before is not None and after is not None:
        # Keep only what changed: the entry reads as "from … to …".
        keys = [k for k in after if before.get(k) != after.get(k)]
        before, after = {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
    return AuditEntry.objects.create(
        collaboration_id=getattr(collaboration, "pk", None),
        actor_id=getattr(actor, "pk", None),
        change=change,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk) if obj.pk is not None else "",
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        reason=reason,
    )


@contextmanager
def audited(
    obj: models.Model | None,
    *,
    actor: models.Model | None,
    collaboration: models.Model | None,
    reason: str = "",
) -> Iterator[dict[str, Any]]:
    """Record the change the ``with`` block makes to an object.

    Yields a dict; put the object in ``box["obj"]`` when the block creates it
    (``obj`` None), or set ``box["deleted"] = True`` when it deletes ``obj``.
    """
    box: dict[str, Any] = {"obj": obj, "deleted": False}
    before = state_of(obj)
    if box["obj"] is not None and box["obj"].pk is not None:
        box["pk"] = box["obj"].pk
    yield box
    target = box["obj"]
    if target is None:
        return
    if box["deleted"] and target.pk is None:
        target.pk = box.get("pk")  # Django clears the pk on delete; keep it for the record
    record(target, before, actor=actor, collaboration=collaboration, reason=reason, deleted=box["deleted"])
