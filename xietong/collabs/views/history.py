"""A collaboration's change history (its audit entries), for its initiator and administrators; CSV export."""

from __future__ import annotations

import csv
import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xietong.audit.models import AuditEntry
from xietong.audit.words import changes, type_label
from xietong.collabs.workspace import open_workspace, render_step
from xietong.lib.cells import neutralise_cell
from xietong.orgs.roles import Action

PAGE_SIZE = 100


def _entries(collab_pk: int) -> Any:
    return AuditEntry.objects.filter(collaboration_id=collab_pk).select_related("actor")


@login_required
@require_GET
def history(request: HttpRequest, slug: str) -> HttpResponse:
    ws = open_workspace(request, slug, Action.VIEW_AUDIT)
    entries = _entries(ws.collab.pk)
    # ``?object=collabs.task:12`` keeps one row's history (a change request links there);
    # ``collabs.goal:`` every entry of that type.
    shown = request.GET.get("object", "")
    object_type, _sep, object_id = shown.partition(":")
    if object_type:
        entries = entries.filter(object_type=object_type[:50])
        if object_id:
            entries = entries.filter(object_id=object_id[:50])
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"entry": e, "type": type_label(e.object_type), "changes": changes(e)} for e in page]
    return render_step(
        request, ws, "audit/history.html", "history", _("变更记录"), page=page, rows=rows, shown=shown
    )


@login_required
@require_GET
def history_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Return the whole history as CSV (UTF-8 with BOM so that Excel reads Chinese)."""
    ws = open_workspace(request, slug, Action.VIEW_AUDIT)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="history-{ws.collab.pk}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [_("时间"), _("操作人"), _("操作"), _("对象类型"), _("对象"), _("修改前"), _("修改后"), _("原因")]
    )
    for entry in _entries(ws.collab.pk).iterator(chunk_size=2000):
        writer.writerow(
            [
                neutralise_cell(str(value))
                for value in (
                    timezone.localtime(entry.at).isoformat(timespec="seconds"),
                    entry.actor.name if entry.actor else "",
                    entry.get_change_display(),
                    entry.object_type,
                    entry.object_repr,
                    json.dumps(entry.before, ensure_ascii=False) if entry.before is not None else "",
                    json.dumps(entry.after, ensure_ascii=False) if entry.after is not None else "",
                    entry.reason,
                )
            ]
        )
    return response
