"""Reference views for ``make bench``: the yardsticks product pages are measured against.

Mounted only when ``XIETONG_BENCH_VIEWS`` is set. They do the least work a
page of their kind can do, with no login, no access check and no rules, so
a product page's throughput as a fraction of theirs says what its own work
costs, whatever the machine.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from xietong.collabs.models import Task, TaskStatus


def minimal(request: HttpRequest) -> HttpResponse:
    """The smallest Django response: no database, no template."""
    return HttpResponse(b"ok", content_type="text/plain")


def one_query(request: HttpRequest, slug: str) -> HttpResponse:
    """One aggregate query over a collaboration's tasks and a small template."""
    counts = Task.objects.filter(collaboration__slug=slug).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=TaskStatus.DONE)),
        blocked=Count("pk", filter=Q(status=TaskStatus.BLOCKED)),
    )
    return render(request, "bench/one_query.html", {"slug": slug, "counts": counts})


def list50(request: HttpRequest, slug: str) -> HttpResponse:
    """The first 50 rows of a collaboration's table, with their departments (one query)."""
    rows = Task.objects.filter(collaboration__slug=slug).select_related("department")[:50]
    return render(request, "bench/list50.html", {"slug": slug, "rows": rows})
