"""The responsibility table's rows, each cached under what it shows.

Every write to a collaboration moves its version, which makes the whole
table's cached rows stale: the next person to open the table used to draw
every row again. A row's markup is a function of a few dozen values (its
fields, number, findings, comment disclosure, picker, the viewer's roles and
language), so each row is cached under a digest of exactly those values: after
an edit only the rows whose values changed are drawn again, whatever the
version. A value the row shows and the digest missed would show stale, so the
digest is taken of what the template reads, not of a version number.

Rows are drawn with the caller's ``csrf_input``: a placeholder (shared by
every viewer, as ``{% fragment %}`` does) that the caller replaces by the
page's token (``templatetags/table_rows.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import get_language

from xietong.collabs.models import Collaboration
from xietong.lib.jinja import localized

ROW_TEMPLATE = "collabs/_task_row.jinja"


def shown_values(row: dict[str, Any]) -> tuple[Any, ...]:
    """Everything ``_task_row.jinja`` reads of ``row`` (the row dict of ``views/table.py``)."""
    task = row["task"]
    return (
        task.pk,
        task.version,
        task.description,
        task.department_id,
        str(task.department) if task.department_id else "",
        task.standard,
        task.deadline,
        task.status,
        task.blocked_reason,
        task.assignee_id,
        task.assignee.name if task.assignee_id else "",
        row["number"],
        row["overdue"],
        tuple((f.rule, str(f.severity), f.text()) for f in row["findings"]),
        tuple(row["collaborators"]),
        row["watcher_count"],
        row["watching"],
        row["can_edit"],
        row["can_arrange"],
        row["can_assign"],
        row["can_watch"],
        tuple((p.pk, p.name) for p in row["assignees"]),
        row.get("selected", False),
        row.get("assign_chosen"),
        row.get("assign_error", ""),
        tuple(sorted(row["comments"].items())),
    )


def row_key(collab: Collaboration, row: dict[str, Any]) -> str:
    digest = hashlib.sha256(repr((ROW_TEMPLATE, collab.slug, shown_values(row))).encode()).hexdigest()
    return f"task-row:{get_language()}:{digest[:40]}"


def draw_rows(
    request: HttpRequest | None,
    collab: Collaboration,
    rows: Sequence[dict[str, Any]],
    comments: Callable[..., dict[str, object]],
    csrf_input: str,
) -> list[str]:
    """Return each row's markup (a row being edited: its ``html``), drawing only the ones not cached.

    ``comments(request, collab, "task", pk)`` is what the row's comment
    disclosure shows (lent by the discuss app): part of the row, so of its key.
    """
    for row in rows:
        if not row.get("html"):
            row["comments"] = comments(request, collab, "task", row["task"].pk)
    keys = {i: row_key(collab, row) for i, row in enumerate(rows) if not row.get("html")}
    found = cache.get_many(list(keys.values()))
    template = localized().get_template(ROW_TEMPLATE)
    drawn: dict[str, str] = {}
    markup = []
    for i, row in enumerate(rows):
        if row.get("html"):
            markup.append(row["html"])
            continue
        key = keys[i]
        html = found.get(key)
        if html is None:
            html = drawn[key] = template.render(
                row=row, collab=collab, csrf_input=csrf_input, request=request
            )
        markup.append(html)
    if drawn:
        cache.set_many(drawn, settings.XIETONG_SNAPSHOT_SECONDS)
    return markup
