"""The request type of views that answer htmx requests."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through ``HtmxMiddleware``: ``request.htmx`` is truthy for htmx requests."""

    htmx: HtmxDetails
