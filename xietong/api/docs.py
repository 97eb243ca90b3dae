"""The API docs page: ninja's Swagger UI from this site's own static files.

ninja falls back to a CDN when the ``ninja`` app is not installed; an
intranet server must never depend on one, so this page always renders the
local template (``api/docs.html``): the bundle, the stylesheet and
``swagger-ui-init.js`` come from ``/static/ninja/`` (ninja's static files),
and the settings travel as JSON data, so ``script-src 'self'`` holds.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {
            # "</" cannot end the JSON's <script> element early
            "swagger_settings": json.dumps(self.settings).replace("</", "<\\/"),
            "api": api,
            # "Try it out" with the browser's session needs the CSRF token
            "add_csrf": isinstance(api.auth, list | tuple)
            and any(getattr(auth, "csrf", False) for auth in api.auth),
        }
        return render(request, self.template, context)
