"""Hostile input is refused with a clear 4xx answer, never a server error (issue 15, point 5).

Deeply nested JSON, bodies above the limits, and workbooks whose XML
declares a DOCTYPE or entities (the way to make a parser read a local file,
call an address or expand a billion laughs). For the workbooks a real
listener on 127.0.0.1 checks that nothing is ever fetched.
"""

from __future__ import annotations

import io
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from tests.api.conftest import as_person, person
from tests.documents.test_safety import rewrite
from xietong.collabs.models import Collaboration
from xietong.documents.org import read_org
from xietong.documents.workbook import WorkbookRefused, read_workbook, template_bytes

DOCTYPE_REFUSED = "DOCTYPE"

# --- deeply nested JSON


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [100_000, 5_000, 900])
def test_deeply_nested_json_to_the_charter_import_is_a_422(depth: int) -> None:
    api = as_person(person("importer"))
    response = api.client.post(
        "/api/collaborations", data=nested(depth), content_type="application/json", headers=api.headers
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert Collaboration.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/tokens"), ("put", "/api/me/notification-preferences"), ("post", "/api/collaborations")],
)
def test_deeply_nested_objects_anywhere_get_a_json_4xx(method: str, path: str) -> None:
    api = as_person(person("caller"))
    body = '{"a":' * 100_000 + "1" + "}" * 100_000
    response = getattr(api.client, method)(
        path, data=body, content_type="application/json", headers=api.headers
    )
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


# --- bodies above the limits


@pytest.mark.django_db
def test_an_oversized_json_body_gets_a_json_413(settings: object) -> None:
    api = as_person(person("caller"))
    body = '{"title": "' + "x" * 3_000_000 + '"}'  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    response = api.client.post(
        "/api/collaborations", data=body, content_type="application/json", headers=api.headers
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert Collaboration.objects.count() == 0


@pytest.mark.django_db
def test_an_oversized_upload_gets_json_on_the_api_and_a_page_elsewhere(settings: object) -> None:
    settings.XIETONG_MAX_UPLOAD_MB = 1  # type: ignore[attr-defined]
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"\0" * (2 * 2**20 + 10))
    api = as_person(person("caller"))
    response = api.client.post("/api/imports/workbook", {"file": big}, headers=api.headers)
    assert response.status_code == 413
    assert response.json()["detail"]

    big.seek(0)
    page = Client()
    page.force_login(person("someone"))
    response = page.post("/import/", {"file": big})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- workbooks whose XML declares a DOCTYPE or entities


class Listener:
    """A TCP listener on 127.0.0.1 that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _address = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


SECRET = "top-secret-local-file-content"
# The template keeps its text inline; Excel writes a shared strings part like this one.
SHARED_STRINGS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
    "<si><t>任务描述</t></si></sst>"
)


def hostile(part: str, port: int, secret_file: Path) -> bytes:
    """The template with ``part`` given a DOCTYPE: external entities to the listener and a local file."""
    with zipfile.ZipFile(io.BytesIO(template_bytes())) as archive:
        xml = archive.read(part).decode() if part in archive.namelist() else SHARED_STRINGS
    declaration, _sep, rest = xml.partition("?>")
    doctype = (
        f'<!DOCTYPE r SYSTEM "http://127.0.0.1:{port}/dtd" ['
        f'<!ENTITY remote SYSTEM "http://127.0.0.1:{port}/entity">'
        f'<!ENTITY local SYSTEM "file://{secret_file}">'
        '<!ENTITY lol "lollollollollollollol">]>'
    )
    if not rest:  # no XML declaration
        declaration, rest = "", xml
    else:
        declaration += "?>"
    # Use the entities where a value is read, so that a parser that honoured them would fetch.
    rest = rest.replace("</t>", "&remote;&local;&lol;</t>", 1)
    return rewrite(template_bytes(), {part: (declaration + doctype + rest).encode()})


PARTS = ["xl/workbook.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"]


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("part", PARTS)
def test_a_doctype_in_any_part_refuses_the_whole_file(
    part: str, listener: Listener, secret_file: Path
) -> None:
    data = hostile(part, listener.port, secret_file)
    with pytest.raises(WorkbookRefused) as caught:
        read_workbook(io.BytesIO(data))
    assert DOCTYPE_REFUSED in str(caught.value)
    assert part in str(caught.value)
    with pytest.raises(WorkbookRefused):
        read_org(io.BytesIO(data))
    assert listener.connections == 0


def test_a_utf16_part_with_a_doctype_is_refused_too(listener: Listener, secret_file: Path) -> None:
    data = hostile("xl/worksheets/sheet1.xml", listener.port, secret_file)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    utf16 = xml.encode("utf-16")  # with a byte-order mark, as the XML standard allows
    with pytest.raises(WorkbookRefused) as caught:
        read_workbook(io.BytesIO(rewrite(template_bytes(), {"xl/worksheets/sheet1.xml": utf16})))
    assert DOCTYPE_REFUSED in str(caught.value)
    assert listener.connections == 0


def test_a_malformed_sheet_is_a_refusal_not_a_crash() -> None:
    broken = {}
    with zipfile.ZipFile(io.BytesIO(template_bytes())) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name)
                broken[name] = xml.replace(b"</sheetData>", b"<row><c>&undefined;</c></row></sheetData>")
    with pytest.raises(WorkbookRefused):
        read_workbook(io.BytesIO(rewrite(template_bytes(), broken)))


@pytest.mark.django_db
def test_the_api_page_and_command_refuse_it_and_store_nothing(
    listener: Listener, secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = hostile("xl/worksheets/sheet1.xml", listener.port, secret_file)
    api = as_person(person("importer"))
    response = api.client.post(
        "/api/imports/workbook", {"file": SimpleUploadedFile("charter.xlsx", data)}, headers=api.headers
    )
    assert response.status_code == 422
    assert DOCTYPE_REFUSED in response.json()["detail"]
    assert SECRET not in response.content.decode()

    page = Client()
    page.force_login(person("someone"))
    response = page.post("/import/", {"file": SimpleUploadedFile("charter.xlsx", data)})
    assert response.status_code == 200
    assert DOCTYPE_REFUSED in response.context["refused"]
    assert SECRET not in response.content.decode()

    path = tmp_path / "charter.xlsx"
    path.write_bytes(data)
    with pytest.raises(SystemExit):
        call_command("import", str(path), stdout=io.StringIO())
    assert DOCTYPE_REFUSED in capsys.readouterr().err

    assert Collaboration.objects.count() == 0
    assert listener.connections == 0
