"""The download links of every export, and the workbook import pages."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import make_person
from tests.helpers import signed_in
from tests.test_security import inline_code
from xietong.collabs.models import Collaboration, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.documents.exports import WHAT_FORMATS
from xietong.documents.workbook import TASKS, workbook_bytes
from xietong.meetings.models import Meeting
from xietong.orgs.models import Person

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv",
    "md": "text/markdown",
}


@pytest.fixture(autouse=True)
def _staging_in_tmp(settings: object, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]


def good_workbook(collab: Collaboration) -> bytes:
    return workbook_bytes(load_snapshot(collab))


def bad_workbook(collab: Collaboration) -> bytes:
    """The collaboration's workbook with the first task's deadline (column E, row 2) not a date."""
    book = load_workbook(BytesIO(good_workbook(collab)))
    book[TASKS.name]["E2"] = "not a date"
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "import.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def minutes_meeting(collab: Collaboration) -> Meeting:
    meeting = Meeting.objects.filter(collaboration=collab, minutes_revision__gt=0).first()
    assert meeting is not None
    return meeting


# --- downloads


@pytest.mark.django_db
def test_it_downloads_every_export_in_every_format(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    meeting = minutes_meeting(demo)
    for what, formats in WHAT_FORMATS.items():
        for fmt in formats:
            url = reverse("documents:download", args=[demo.slug, what, fmt])
            if what == "minutes":
                url += f"?meeting={meeting.pk}"
            response = client.get(url)
            assert response.status_code == 200, (what, fmt)
            assert response["Content-Type"].startswith(CONTENT_TYPES[fmt]), (what, fmt)
            assert response["Content-Disposition"].startswith("attachment;"), (what, fmt)
            assert response.content, (what, fmt)


@pytest.mark.django_db
def test_it_downloads_the_weekly_list_of_a_chosen_week(demo: Collaboration) -> None:
    assert demo.owner is not None
    url = reverse("documents:download", args=[demo.slug, "weekly", "md"])
    client = signed_in(demo.owner)
    assert client.get(url + "?week=2024-W32").status_code == 200
    assert client.get(url + "?week=someday").status_code == 400


@pytest.mark.django_db
def test_it_hides_downloads_from_outsiders_and_unknown_kinds(demo: Collaboration, outsider: Person) -> None:
    url = reverse("documents:download", args=[demo.slug, "table", "xlsx"])
    assert signed_in(outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
    assert demo.owner is not None
    owner = signed_in(demo.owner)
    assert owner.get(reverse("documents:download", args=[demo.slug, "minutes", "csv"])).status_code == 404
    assert owner.get(reverse("documents:download", args=[demo.slug, "budget", "xlsx"])).status_code == 404
    other = Collaboration.objects.create(slug="other", title="other")
    assert owner.get(f"/c/{demo.slug}/export/minutes.md?meeting=999999").status_code == 404
    meeting = Meeting.objects.create(collaboration=other)
    assert owner.get(f"/c/{demo.slug}/export/minutes.md?meeting={meeting.pk}").status_code == 404


@pytest.mark.django_db
def test_the_pages_link_their_downloads(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    for page, what in (
        ("collabs:table", "table"),
        ("collabs:subgoals", "subgoals"),
        ("tracking:tracking", "weekly"),
        ("tracking:issues", "issues"),
        ("tracking:risks", "risks"),
    ):
        html = client.get(reverse(page, args=[demo.slug])).content.decode()
        assert reverse("documents:download", args=[demo.slug, what, "xlsx"]) in html, page
    html = client.get(reverse("meetings:kickoff", args=[demo.slug])).content.decode()
    assert reverse("documents:download", args=[demo.slug, "minutes", "docx"]) in html
    assert reverse("documents:import") in client.get(reverse("collabs:new")).content.decode()


# --- the workbook import


@pytest.mark.django_db
def test_it_serves_the_template(demo: Collaboration, outsider: Person) -> None:
    response = signed_in(outsider).get(reverse("documents:template"))
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES["xlsx"]
    load_workbook(BytesIO(response.content))  # a real workbook
    assert Client().get(reverse("documents:template")).status_code == 302


@pytest.mark.django_db
def test_the_import_pages_have_no_inline_code(demo: Collaboration, outsider: Person) -> None:
    client = signed_in(outsider)
    page = client.get(reverse("documents:import"))
    assert page.status_code == 200
    assert 'src="/static/xietong/upload.js"' in page.content.decode()
    assert 'hx-encoding="multipart/form-data"' in page.content.decode()
    assert inline_code(page.content.decode()) == []
    preview = client.post(reverse("documents:import"), {"file": upload(bad_workbook(demo))})
    assert inline_code(preview.content.decode()) == []


@pytest.mark.django_db
def test_the_preview_reports_each_bad_row_and_stores_nothing(demo: Collaboration, outsider: Person) -> None:
    before = Collaboration.objects.count()
    response = signed_in(outsider).post(reverse("documents:import"), {"file": upload(bad_workbook(demo))})
    assert response.status_code == 200
    read = response.context["read"]
    assert not read.ok
    assert any(
        p.sheet == TASKS.name and p.row == 2 and (p.column or "").startswith("E") for p in read.problems
    )
    html = response.content.decode()
    assert TASKS.name in html and "仅导入有效行" in html
    assert Collaboration.objects.count() == before


@pytest.mark.django_db
def test_confirming_a_bad_workbook_without_choosing_valid_rows_stores_nothing(
    demo: Collaboration, outsider: Person
) -> None:
    client = signed_in(outsider)
    before = Collaboration.objects.count()
    token = client.post(reverse("documents:import"), {"file": upload(bad_workbook(demo))}).context["token"]
    response = client.post(reverse("documents:import_confirm"), {"token": token, "choice": "all"})
    assert response.status_code == 200
    assert Collaboration.objects.count() == before


@pytest.mark.django_db
def test_valid_rows_import_stores_only_the_good_rows(
    demo: Collaboration, outsider: Person, settings: object
) -> None:
    client = signed_in(outsider)
    token = client.post(reverse("documents:import"), {"file": upload(bad_workbook(demo))}).context["token"]
    response = client.post(reverse("documents:import_confirm"), {"token": token, "choice": "valid"})
    assert response.status_code == 302
    stored = Collaboration.objects.exclude(pk=demo.pk).get()
    assert response["Location"] == reverse("collabs:workspace", args=[stored.slug])
    assert (
        Task.objects.filter(collaboration=stored).count()
        == Task.objects.filter(collaboration=demo).count() - 1
    )
    # the importer can open what they imported, and the staged file is gone
    assert signed_in(outsider).get(response["Location"]).status_code == 200
    assert list((Path(settings.DATA_DIR) / "imports").glob("*.xlsx")) == []  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_good_workbook_creates_the_collaboration(
    demo: Collaboration, outsider: Person, settings: object
) -> None:
    client = signed_in(outsider)
    preview = client.post(reverse("documents:import"), {"file": upload(good_workbook(demo))})
    assert preview.context["read"].ok
    assert "仅导入有效行" not in preview.content.decode()
    staged = list((Path(settings.DATA_DIR) / "imports").glob("*.xlsx"))  # type: ignore[attr-defined]
    assert len(staged) == 1
    response = client.post(
        reverse("documents:import_confirm"), {"token": preview.context["token"], "choice": "all"}
    )
    assert response.status_code == 302
    stored = Collaboration.objects.exclude(pk=demo.pk).get()
    assert stored.title == demo.title
    assert (
        Task.objects.filter(collaboration=stored).count() == Task.objects.filter(collaboration=demo).count()
    )
    assert not staged[0].exists()


@pytest.mark.django_db
def test_cancel_deletes_the_staged_file_and_another_session_cannot_use_a_token(
    demo: Collaboration, outsider: Person, settings: object
) -> None:
    client = signed_in(outsider)
    token = client.post(reverse("documents:import"), {"file": upload(good_workbook(demo))}).context["token"]
    thief = signed_in(make_person("thief"))
    response = thief.post(reverse("documents:import_confirm"), {"token": token, "choice": "all"})
    assert response.status_code == 200 and "失效" in response.content.decode()
    assert Collaboration.objects.count() == 1
    response = client.post(reverse("documents:import_confirm"), {"token": token, "choice": "cancel"})
    assert response.status_code == 302
    assert list((Path(settings.DATA_DIR) / "imports").glob("*.xlsx")) == []  # type: ignore[attr-defined]
    response = client.post(reverse("documents:import_confirm"), {"token": token, "choice": "all"})
    assert Collaboration.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_what_is_not_a_workbook(outsider: Person) -> None:
    client = signed_in(outsider)
    response = client.post(reverse("documents:import"), {"file": upload(b"a,b\n1,2\n", "x.csv")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    response = client.post(reverse("documents:import"), {"file": upload(b"PK\x03\x04garbage")})
    assert response.context["form"].errors["file"] or response.context.get("refused")
    assert Collaboration.objects.count() == 0


def test_the_preview_says_what_the_import_would_change_in_the_organisation(
    demo: Collaboration, outsider: Person
) -> None:
    # A workbook naming a head for a department that has none: the preview says it is only
    # proposed (issue 15: a charter never changes organisation data silently).
    department = demo.participants.select_related("department").first().department  # type: ignore[union-attr]
    head = department.head
    workbook = good_workbook(demo)  # names the head
    department.head = None
    department.save(update_fields=["head"])
    preview = signed_in(outsider).post(reverse("documents:import"), {"file": upload(workbook)})
    page = preview.content.decode()
    assert "导入还会改变组织数据" in page
    assert f"{department.name} ← {head.name}" in page  # type: ignore[union-attr]
    department.refresh_from_db()
    assert department.head is None  # previewing changes nothing


def test_the_preview_of_a_workbook_of_known_people_reports_no_organisation_change(
    demo: Collaboration, outsider: Person
) -> None:
    preview = signed_in(outsider).post(reverse("documents:import"), {"file": upload(good_workbook(demo))})
    assert "导入还会改变组织数据" not in preview.content.decode()


@pytest.mark.django_db
def test_a_retry_after_the_answer_was_lost_finds_the_import_instead_of_repeating_it(
    demo: Collaboration, outsider: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies after the import committed, before the answer left (docs/operations.md, crashes).

    Dying there means the session middleware never saves the session after the view; modelled by
    letting process_response return without saving. The import forgot its staged upload in its own
    transaction, so the person who presses 导入 again is sent to the collaboration: no second one.
    """
    client = signed_in(outsider)
    token = client.post(reverse("documents:import"), {"file": upload(good_workbook(demo))}).context["token"]
    with monkeypatch.context() as crash:
        crash.setattr(SessionMiddleware, "process_response", lambda self, request, response: response)
        client.post(reverse("documents:import_confirm"), {"token": token, "choice": "all"})
    stored = Collaboration.objects.exclude(pk=demo.pk).get()

    retry = client.post(reverse("documents:import_confirm"), {"token": token, "choice": "all"})
    assert retry.status_code == 302 and retry["Location"] == reverse("collabs:workspace", args=[stored.slug])
    assert Collaboration.objects.count() == 2  # the demo and the one import
    assert "这个工作簿已经导入" in client.get(retry["Location"]).content.decode()
    # Someone else holding the token is not told where it went.
    assert (
        "失效"
        in signed_in(make_person("other"))
        .post(reverse("documents:import_confirm"), {"token": token, "choice": "all"})
        .content.decode()
    )
