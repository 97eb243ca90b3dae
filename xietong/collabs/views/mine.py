"""我的任务: a person's rows across every open collaboration they may see, with filters kept in the URL."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xietong.collabs.access import signed_in_person
from xietong.collabs.assignees import DUE_FILTERS, SHOW_FILTERS, my_rows
from xietong.lib.http import HtmxHttpRequest
from xietong.rules.clock import context_for

# Rows shown at most (a person with more narrows them with the filters).
LIMIT = 200


@login_required
@require_GET
def my_tasks(request: HtmxHttpRequest) -> HttpResponse:
    person = signed_in_person(request)
    show = request.GET.get("show", "assigned")
    show = show if show in SHOW_FILTERS else "assigned"
    due = request.GET.get("due", "all")
    due = due if due in DUE_FILTERS else "all"
    today = context_for().today
    found = list(my_rows(person, today, show=show, due=due)[: LIMIT + 1])
    rows = [{"task": t, "overdue": t.is_overdue(today)} for t in found[:LIMIT]]
    return render(
        request,
        "collabs/my_tasks.html",
        {
            "rows": rows,
            "more": len(found) > LIMIT,
            "limit": LIMIT,
            "show": show,
            "due": due,
            "show_filters": SHOW_FILTERS.items(),
            "due_filters": DUE_FILTERS.items(),
            "page_title": _("我的任务"),
        },
    )
