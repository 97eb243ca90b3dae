"""The request type of views that answer htmx requests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.http import Http404, HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through ``HtmxMiddleware``: ``request.htmx`` is truthy for htmx requests."""

    htmx: HtmxDetails


def pk_param(raw: str | None) -> int | None:
    """Return a primary key from a query or form value: None when absent, 404 when malformed."""
    if raw is None or raw == "":
        return None
    # Beyond a 64-bit key no row can match, and SQLite cannot even take the number.
    if not raw.isdigit() or len(raw) > 18:
        raise Http404
    return int(raw)


def page_asked(request: HttpRequest) -> str:
    """The page number of a paged list the request asks for ('' for the first).

    A write answered in place by htmx re-draws the list as the person was
    looking at it: the page of htmx's current URL (``HX-Current-URL``).
    """
    asked = request.GET.get("page")
    if asked is None:
        current = request.headers.get("HX-Current-URL", "")
        asked = parse_qs(urlsplit(current).query).get("page", [""])[0]
    return asked[:9] if asked.isdigit() else ""
