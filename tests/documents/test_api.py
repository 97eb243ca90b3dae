"""The API's files: export downloads, the workbook template, the workbook and organisation imports."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.api.conftest import person, token_for
from tests.documents.test_org import GOOD, sheet
from tests.documents.test_pages import CONTENT_TYPES, bad_workbook, good_workbook, minutes_meeting
from xietong.collabs.models import Collaboration, Task
from xietong.documents.exports import WHAT_FORMATS
from xietong.documents.org import SHEET
from xietong.documents.workbook import TASKS
from xietong.orgs.models import Person


def client_for(who: Person | None) -> tuple[Client, dict[str, str]]:
    headers = {"Authorization": f"Bearer {token_for(who)}"} if who is not None else {}
    return Client(), headers


def get(who: Person | None, path: str, **params: Any) -> Any:
    client, headers = client_for(who)
    return client.get(path, headers=headers, query_params=params or None)


def post_file(who: Person | None, path: str, data: bytes, name: str = "f.xlsx", **params: Any) -> Any:
    client, headers = client_for(who)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(
        f"{path}?{query}" if query else path, {"file": SimpleUploadedFile(name, data)}, headers=headers
    )


@pytest.mark.django_db
def test_it_downloads_every_export(demo: Collaboration) -> None:
    meeting = minutes_meeting(demo)
    for what, formats in WHAT_FORMATS.items():
        for fmt in formats:
            params = {"meeting": meeting.pk} if what == "minutes" else {}
            response = get(demo.owner, f"/api/collaborations/{demo.slug}/exports/{what}.{fmt}", **params)
            assert response.status_code == 200, (what, fmt, response.content[:200])
            assert response["Content-Type"].startswith(CONTENT_TYPES[fmt])
            assert response["Content-Disposition"].startswith("attachment;")
            assert response.content


@pytest.mark.django_db
def test_downloads_refuse_outsiders_unknown_kinds_and_bad_weeks(demo: Collaboration) -> None:
    outsider = person("outsider")
    base = f"/api/collaborations/{demo.slug}/exports"
    assert get(outsider, f"{base}/table.xlsx").status_code == 404
    assert get(None, f"{base}/table.xlsx").status_code == 401
    assert get(demo.owner, f"{base}/minutes.csv").status_code == 404
    assert get(demo.owner, f"{base}/nothing.xlsx").status_code == 404
    assert get(demo.owner, f"{base}/weekly.md", week="2024-W32").status_code == 200
    response = get(demo.owner, f"{base}/weekly.md", week="soon")
    assert response.status_code == 422 and response.json()["path"] == "query.week"
    assert get(demo.owner, f"{base}/minutes.md", meeting=999999).status_code == 404


@pytest.mark.django_db
def test_it_serves_the_template(demo: Collaboration) -> None:
    response = get(person("anyone"), "/api/workbook-template")
    assert response.status_code == 200 and response["Content-Type"] == CONTENT_TYPES["xlsx"]
    load_workbook(BytesIO(response.content))
    assert get(None, "/api/workbook-template").status_code == 401


@pytest.mark.django_db
def test_a_dry_run_reports_the_problems_and_stores_nothing(demo: Collaboration) -> None:
    response = post_file(person("importer"), "/api/imports/workbook", bad_workbook(demo), dry_run="true")
    assert response.status_code == 200
    body = response.json()
    assert not body["ok"] and body["bad_rows"] == 1
    assert body["problems"][0]["sheet"] == TASKS.name and body["problems"][0]["row"] == 2
    assert Collaboration.objects.count() == 1


@pytest.mark.django_db
def test_a_bad_workbook_is_refused_unless_valid_rows(demo: Collaboration) -> None:
    importer = person("importer")
    refused = post_file(importer, "/api/imports/workbook", bad_workbook(demo))
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["path"].startswith(f"{TASKS.name}!E")
    assert Collaboration.objects.count() == 1
    done = post_file(importer, "/api/imports/workbook", bad_workbook(demo), valid_rows="true")
    assert done.status_code == 201, done.content
    stored = Collaboration.objects.get(slug=done.json()["slug"])
    assert (
        Task.objects.filter(collaboration=stored).count()
        == Task.objects.filter(collaboration=demo).count() - 1
    )
    assert get(importer, f"/api/collaborations/{stored.slug}").status_code == 200


@pytest.mark.django_db
def test_a_good_workbook_creates_the_collaboration(demo: Collaboration) -> None:
    done = post_file(person("importer"), "/api/imports/workbook", good_workbook(demo))
    assert done.status_code == 201
    assert done.json()["ok"] and done.json()["url"] == reverse(
        "collabs:workspace", args=[done.json()["slug"]]
    )
    assert Collaboration.objects.count() == 2


@pytest.mark.django_db
def test_imports_refuse_what_is_not_a_workbook() -> None:
    importer = person("importer")
    response = post_file(importer, "/api/imports/workbook", b"a,b\n", "x.csv")
    assert response.status_code == 422 and response.json()["path"] == "file"
    response = post_file(importer, "/api/imports/workbook", b"PK\x03\x04rubbish")
    assert response.status_code == 422
    assert post_file(None, "/api/imports/workbook", b"x").status_code == 401


@pytest.mark.django_db
def test_only_administrators_import_the_organisation() -> None:
    data = sheet(GOOD)
    assert post_file(person("someone"), "/api/org/import", data).status_code == 403
    assert post_file(person("staff", is_staff=True), "/api/org/import", data).status_code == 403
    assert not Person.objects.filter(username="zhangsan").exists()


@pytest.mark.django_db
def test_the_organisation_import_updates_by_login() -> None:
    admin = person("root", is_superuser=True, is_staff=True)
    dry = post_file(admin, "/api/org/import", sheet(GOOD), dry_run="true")
    assert dry.status_code == 200 and dry.json()["ok"] and dry.json()["rows"] == 3
    assert not Person.objects.filter(username="zhangsan").exists()
    first = post_file(admin, "/api/org/import", sheet(GOOD))
    assert first.status_code == 201 and first.json()["people_created"] == 3
    second = post_file(
        admin, "/api/org/import", sheet([("李四", "lisi", "new@example.com", "", "技术部", "成员")])
    )
    assert second.json()["people_updated"] == 1 and second.json()["people_created"] == 0
    assert Person.objects.get(username="lisi").email == "new@example.com"
    bad = sheet([*GOOD, ("无名", "", "", "", "技术部", "成员")])
    refused = post_file(admin, "/api/org/import", bad)
    assert refused.status_code == 422 and refused.json()["problems"][0]["path"] == f"{SHEET}!B5"
