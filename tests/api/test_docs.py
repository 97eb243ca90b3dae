"""The OpenAPI spec and the docs page: served from this site, working under the strict CSP."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _value in pairs]
    assert len(keys) == len(set(keys)), f"duplicated keys in the spec: {keys}"
    return dict(pairs)


def test_the_spec_is_openapi_3_with_every_endpoint() -> None:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    # Swagger UI (unlike Python) refuses a document with a key twice
    spec = json.loads(response.content, object_pairs_hook=_no_duplicate_keys)
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    for path in (
        "/api/collaborations",
        "/api/collaborations/{slug}",
        "/api/collaborations/{slug}/charter",
        "/api/collaborations/{slug}/findings",
        "/api/collaborations/{slug}/goal",
        "/api/collaborations/{slug}/departments",
        "/api/collaborations/{slug}/departments/{participant_id}",
        "/api/collaborations/{slug}/tasks",
        "/api/tasks/{task_id}",
        "/api/collaborations/{slug}/subgoals",
        "/api/subgoals/{subgoal_id}",
        "/api/collaborations/{slug}/metrics",
        "/api/metrics/{metric_id}/readings",
        "/api/collaborations/{slug}/history",
        "/api/departments",
        "/api/people",
        "/api/me",
        "/api/tokens",
        "/api/tokens/{token_id}",
    ):
        assert path in paths, path
    assert spec["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert "409" in spec["paths"]["/api/tasks/{task_id}"]["patch"]["responses"]


def test_the_docs_page_loads_and_uses_only_local_files_and_no_inline_script() -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert urls and all(url.startswith(settings.STATIC_URL + "ninja/") for url in urls), urls
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attributes, body in scripts:
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
        assert "src=" not in attributes or not body.strip()
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_docs_files_are_served_from_ninjas_static_files() -> None:
    missing = [name for name in ASSETS if finders.find(f"ninja/{name}") is None]
    assert missing == []
