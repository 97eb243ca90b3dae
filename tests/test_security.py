"""Hardening: CSP, production settings, CSRF, login throttling, uploads, secrets kept out of logs."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from tests.conftest import make_person, page_urls
from tests.helpers import signed_in
from xietong.collabs.models import Collaboration, Task
from xietong.lib.security import (
    ExceptionReporterFilter,
    GunicornLogger,
    RedactSecretsFilter,
    client_ip,
    redact,
    validate_upload,
)
from xietong.orgs.models import Person

ROOT = Path(__file__).resolve().parent.parent
HTMX = {"HTTP_HX_REQUEST": "true"}
STRONG_KEY = "k3y-for-tests-only-7Qx9vN2mL5pR8sT1wY4zA6bC0dE3fG5hJ"
PRODUCTION_DB = "postgresql://xietong@127.0.0.1:1/xietong"  # never connected to: settings only

# --- what every page must (not) contain


class InlineCode(HTMLParser):
    """Collects what a strict Content-Security-Policy would block, or an injected payload would add."""

    URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "poster"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            if name in self.URL_ATTRIBUTES and re.sub(r"\s", "", value).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}> javascript: URL")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            kind = values.get("type", "").lower()
            if "src" not in values and kind != "application/json":
                self._in_script = tag
            elif kind == "application/json" and "src" in values:
                self.problems.append("<script type=application/json src=…>")

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None


def inline_code(html: str) -> list[str]:
    """Return what in ``html`` a strict CSP forbids: inline scripts, handlers, style attributes, javascript: URLs."""
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.problems


EXPECTED_CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "connect-src": {"'self'"},
    "frame-ancestors": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "object-src": {"'none'"},
}


def csp_of(response: object) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    policy: dict[str, set[str]] = {}
    for part in header.split(";"):
        name, *sources = part.split()
        policy[name] = set(sources)
    return policy


def demo_pages(collab: Collaboration) -> list[str]:
    urls = page_urls(collab)
    for task in Task.objects.filter(collaboration=collab):
        urls += [
            reverse("collabs:task", args=[collab.slug, task.pk]),
            reverse("collabs:table", args=[collab.slug]) + f"?edit={task.pk}",
        ]
    return urls


def admin_pages(collab: Collaboration) -> list[str]:
    from django.contrib import admin

    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        pk = model.objects.values_list("pk", flat=True).first()
        if pk is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[pk]))
    return urls


# --- Content-Security-Policy


@pytest.mark.django_db
def test_it_sends_the_strict_policy_on_every_page(demo: Collaboration, admin_user: Person) -> None:
    anonymous = Client()
    for url in ["/accounts/login/", "/no/such/page/"]:
        assert csp_of(anonymous.get(url)) == EXPECTED_CSP, url
    client = signed_in(admin_user)
    for url in [*demo_pages(demo), *admin_pages(demo)]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert csp_of(response) == EXPECTED_CSP, url
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_no_page_has_inline_script_style_handler_or_javascript_url(
    demo: Collaboration, admin_user: Person
) -> None:
    client = signed_in(admin_user)
    found = {}
    for url in [*demo_pages(demo), *admin_pages(demo)]:
        for headers in ({}, HTMX):
            problems = inline_code(client.get(url, **headers).content.decode())
            if problems:
                found[url] = problems
    for task in Task.objects.filter(collaboration=demo):
        url = reverse("collabs:task_edit", args=[demo.slug, task.pk])
        if problems := inline_code(client.get(url, **HTMX).content.decode()):
            found[url] = problems
    for url in ["/accounts/login/", "/no/such/page/"]:
        if problems := inline_code(Client().get(url).content.decode()):
            found[url] = problems
    assert found == {}


def test_the_checker_finds_what_the_policy_forbids() -> None:
    assert inline_code('<script type="application/json" id="d">{"a": 1}</script>') == []
    assert inline_code('<script src="/static/x.js" defer></script>') == []
    assert len(inline_code("<script>alert(1)</script>")) == 1
    assert len(inline_code('<img src=x onerror="alert(1)">')) == 1
    assert len(inline_code('<p style="color:red">')) == 1
    assert len(inline_code('<a href=" JavaScript:alert(1)">')) == 1
    assert len(inline_code("<style>p{}</style>")) == 1


def test_htmx_is_configured_for_the_policy() -> None:
    base = (ROOT / "xietong" / "templates" / "base.html").read_text()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", base)
    assert config is not None
    assert json.loads(config.group(1)) == {"includeIndicatorStyles": False, "allowEval": False}
    css = (ROOT / "xietong" / "static" / "xietong" / "app.css").read_text()
    assert ".htmx-request .htmx-indicator" in css


# --- production settings


def settings_in_fresh_process(tmp_path: Path, *names: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XIETONG_", "DJANGO_")) and k not in ("DATABASE_URL", "SECRET_KEY")
    }
    clean.update(XIETONG_DATA=str(tmp_path), DJANGO_SETTINGS_MODULE="xietong.settings", **env)
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean, timeout=60, check=False
    )


def read_settings(tmp_path: Path, *names: str, **env: str) -> dict[str, object]:
    done = settings_in_fresh_process(tmp_path, *names, **env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


SECURITY_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
)


def test_the_embedded_default_keeps_working_over_plain_http(tmp_path: Path) -> None:
    got = read_settings(tmp_path, *SECURITY_SETTINGS)
    assert got["SESSION_COOKIE_SECURE"] is False
    assert got["CSRF_COOKIE_SECURE"] is False
    assert got["SECURE_HSTS_SECONDS"] == 0
    assert got["SECURE_SSL_REDIRECT"] is False
    assert got["SESSION_COOKIE_HTTPONLY"] is True
    assert got["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": PRODUCTION_DB, "SECRET_KEY": STRONG_KEY},
        {"XIETONG_SECURE": "1"},
    ],
    ids=["database_url", "xietong_secure"],
)
def test_production_mode_has_secure_cookies_and_hsts(tmp_path: Path, env: dict[str, str]) -> None:
    got = read_settings(tmp_path, *SECURITY_SETTINGS, **env)
    assert got == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
    }


def test_production_settings_follow_the_environment(tmp_path: Path) -> None:
    got = read_settings(
        tmp_path,
        *SECURITY_SETTINGS,
        "AXES_FAILURE_LIMIT",
        "AXES_COOLOFF_TIME",
        "XIETONG_MAX_UPLOAD_MB",
        DATABASE_URL=PRODUCTION_DB,
        SECRET_KEY=STRONG_KEY,
        XIETONG_HSTS_SECONDS="0",
        XIETONG_HSTS_INCLUDE_SUBDOMAINS="1",
        XIETONG_BEHIND_PROXY="1",
        XIETONG_SSL_REDIRECT="1",
        XIETONG_LOGIN_FAILURES="3",
        XIETONG_LOGIN_LOCKOUT_MINUTES="30",
        XIETONG_MAX_UPLOAD_MB="25",
    )
    assert got["SECURE_HSTS_SECONDS"] == 0
    assert got["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["SECURE_SSL_REDIRECT"] is True
    assert got["AXES_FAILURE_LIMIT"] == 3
    assert got["AXES_COOLOFF_TIME"] == "0:30:00"
    assert got["XIETONG_MAX_UPLOAD_MB"] == 25


def test_xietong_secure_0_turns_production_mode_off_explicitly(tmp_path: Path) -> None:
    got = read_settings(
        tmp_path, *SECURITY_SETTINGS, DATABASE_URL=PRODUCTION_DB, SECRET_KEY="short", XIETONG_SECURE="0"
    )
    assert got["SESSION_COOKIE_SECURE"] is False
    assert got["SECURE_HSTS_SECONDS"] == 0


@pytest.mark.parametrize(
    "key",
    ["test-only-secret", "a" * 60, "django-insecure-" + "x7Kp2" * 8],
    ids=["short", "repetitive", "placeholder"],
)
def test_a_weak_secret_key_refuses_to_start_in_production(tmp_path: Path, key: str) -> None:
    done = settings_in_fresh_process(tmp_path, DATABASE_URL=PRODUCTION_DB, SECRET_KEY=key)
    assert done.returncode != 0
    assert "SECRET_KEY is too weak" in done.stderr
    assert key not in done.stderr  # the key itself is never printed


def test_check_deploy_is_clean_in_production_mode(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("XIETONG_", "DJANGO_"))}
    clean.update(XIETONG_DATA=str(tmp_path), DATABASE_URL=PRODUCTION_DB, SECRET_KEY=STRONG_KEY)
    done = subprocess.run(
        [sys.executable, "-m", "xietong.cli", "check", "--deploy"],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNINGS" not in done.stdout + done.stderr


# --- CSRF


def test_every_post_form_carries_the_csrf_token() -> None:
    missing = []
    for template in (ROOT / "xietong").rglob("templates/**/*.html"):
        text = template.read_text()
        for form in re.finditer(r"<form\b[^>]*>(.*?)</form>", text, flags=re.S | re.I):
            opening = form.group(0)[: form.group(0).index(">") + 1]
            if re.search(r"method=[\"']?post", opening, re.I) and "{% csrf_token %}" not in form.group(1):
                missing.append(f"{template.relative_to(ROOT)}: {opening}")
    assert missing == []


# The one exemption: RFC 8058 one-click unsubscribe, POSTed by the mail provider with no session and
# no token; the signed per-person, per-kind token in its URL is the proof, and it only mutes a kind.
CSRF_EXEMPT = {"xietong/notify/views.py": ["unsubscribe"]}


def test_no_view_is_exempt_from_csrf_but_the_one_click_unsubscribe() -> None:
    hits = {}
    for path in (ROOT / "xietong").rglob("*.py"):
        text = path.read_text()
        if "csrf_exempt" in text:
            exempt = re.findall(r"@csrf_exempt\b[^\n]*\n(?:@[^\n]*\n)*def (\w+)", text)
            hits[str(path.relative_to(ROOT))] = exempt
    assert hits == CSRF_EXEMPT


@pytest.mark.django_db
def test_a_post_without_the_token_is_refused(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo.owner)
    response = client.post(reverse("collabs:goal", args=[demo.slug]), {"statement": "x"})
    assert response.status_code == 403
    login = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "a", "password": "b"})
    assert login.status_code == 403


@pytest.mark.django_db
def test_htmx_requests_send_the_csrf_token(demo: Collaboration) -> None:
    assert demo.owner is not None
    page = signed_in(demo.owner).get("/").content.decode()
    assert re.search(
        r"<body hx-headers='\{&quot;X-CSRFToken&quot;: &quot;[\w-]+&quot;\}'|"
        r"<body hx-headers='\{\"X-CSRFToken\": \"[\w-]+\"\}'",
        page,
    )


# --- login throttling

LOCKED = "登录失败次数过多,请 1 分钟后再试。"


def attempt(username: str, password: str, ip: str = "10.0.0.1", client: Client | None = None) -> HttpResponse:
    return (client or Client()).post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def fail(username: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        attempt(username, "wrong password", ip)


@pytest.mark.django_db
def test_five_failures_make_the_pair_wait_even_for_the_right_password() -> None:
    # Per username *and* address (tests/test_lockouts.py has the growing delay and the unlock page).
    make_person("wang")
    for _ in range(4):
        assert attempt("wang", "wrong").status_code == 200
    fifth = attempt("wang", "wrong")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()
    client = Client()
    refused = attempt("wang", "pw-wang", client=client)
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # from another address the owner still signs in: nobody can lock an account out
    assert attempt("wang", "pw-wang", ip="10.9.9.9").status_code == 302


@pytest.mark.django_db
def test_other_people_are_not_affected() -> None:
    make_person("wang")
    make_person("li")
    fail("wang", 5)
    assert attempt("li", "pw-li", ip="10.0.0.2").status_code == 302


@pytest.mark.django_db
@override_settings(XIETONG_LOGIN_ADDRESS_FAILURES=5)
def test_failures_from_one_address_over_many_usernames_make_that_address_wait() -> None:
    make_person("li")
    for name in ["a", "b", "c", "d", "e"]:
        fail(name, 1, ip="10.0.0.7")
    assert attempt("li", "pw-li", ip="10.0.0.7").status_code == 429
    assert attempt("li", "pw-li", ip="10.0.0.8").status_code == 302


@pytest.mark.django_db
def test_it_works_again_after_the_lockout_time() -> None:
    make_person("wang")
    fail("wang", 5)
    assert attempt("wang", "pw-wang").status_code == 429
    with time_machine.travel(timezone.now() + timedelta(seconds=55), tick=False):
        assert attempt("wang", "pw-wang").status_code == 429
    # a refused attempt does not count: the wait runs 1 minute from the fifth failure
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        assert attempt("wang", "pw-wang").status_code == 302


@pytest.mark.django_db
def test_a_successful_login_resets_the_pairs_count() -> None:
    make_person("wang")
    fail("wang", 4)
    fail("wang", 4, ip="10.0.0.2")
    assert attempt("wang", "pw-wang", ip="10.0.0.2").status_code == 302
    assert not AccessAttempt.objects.filter(username="wang", ip_address="10.0.0.2").exists()
    # the failures from elsewhere stay (an attacker gets no fresh guesses)
    assert AccessAttempt.objects.get(username="wang", ip_address="10.0.0.1").failures_since_start == 4
    fail("wang", 4, ip="10.0.0.2")
    assert attempt("wang", "pw-wang", ip="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_signing_in_as_oneself_does_not_reset_someone_elses_count() -> None:
    make_person("victim")
    make_person("insider")
    fail("victim", 4, ip="10.0.0.5")
    assert attempt("insider", "pw-insider", ip="10.0.0.5").status_code == 302
    fail("victim", 1, ip="10.0.0.5")
    assert attempt("victim", "pw-victim", ip="10.0.0.5").status_code == 429


@pytest.mark.django_db
def test_the_counts_are_in_the_database_without_the_password() -> None:
    fail("wang", 2)
    attempt_row = AccessAttempt.objects.get(username="wang")
    assert attempt_row.failures_since_start == 2
    assert "wrong password" not in attempt_row.post_data


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=2, AXES_COOLOFF_TIME=timedelta(minutes=3))
def test_the_numbers_are_configurable() -> None:
    make_person("wang")
    fail("wang", 2)
    response = attempt("wang", "pw-wang")
    assert response.status_code == 429
    assert "请 1 分钟后再试" in response.content.decode()
    for wait in (2, 3, 3):  # doubling, up to AXES_COOLOFF_TIME
        with time_machine.travel(AccessAttempt.objects.get().attempt_time + timedelta(minutes=5), tick=False):
            response = attempt("wang", "wrong")
            assert f"请 {wait} 分钟后再试" in response.content.decode()


@pytest.mark.django_db
def test_the_admin_login_is_throttled_too(admin_user: Person) -> None:
    for _ in range(5):
        Client().post("/admin/login/", {"username": "root", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    response = Client().post(
        "/admin/login/", {"username": "root", "password": "pw-root"}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


@pytest.mark.django_db
def test_force_login_still_works(demo: Collaboration) -> None:
    assert demo.owner is not None
    assert signed_in(demo.owner).get("/").status_code == 200


def test_a_forwarded_address_counts_only_behind_the_proxy() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 172.16.0.5")
    assert client_ip(request) == "10.0.0.9"
    with override_settings(XIETONG_BEHIND_PROXY=True):
        assert client_ip(request) == "172.16.0.5"
        garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="unknown")
        assert client_ip(garbage) == "10.0.0.9"


# --- uploads


def xlsx_bytes() -> bytes:
    """A minimal real workbook, made with the standard library."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        archive.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet/>')
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120


def test_a_real_xlsx_passes() -> None:
    kind = validate_upload(upload("进度.xlsx", xlsx_bytes()), {"xlsx"})
    assert kind.name == "xlsx"
    assert kind.content_type.endswith("spreadsheetml.sheet")


@pytest.mark.parametrize(
    ("name", "content", "allowed"),
    [
        ("纪要.pdf", PDF, {"pdf", "docx"}),
        ("图.PNG", PNG, {"png", "jpeg"}),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + b"0" * 20, {"jpeg"}),
    ],
)
def test_real_files_of_allowed_kinds_pass(name: str, content: bytes, allowed: set[str]) -> None:
    validate_upload(upload(name, content), allowed)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.xlsx", EXE, "content"),  # an .exe renamed .xlsx
        ("archive.xlsx", b"PK\x03\x04" + b"\x00" * 40, "content"),  # ZIP magic, not a ZIP
        ("report.pdf", PDF, "extension"),  # a real PDF, but only workbooks are asked for
        ("noextension", xlsx_bytes(), "extension"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(name: str, content: bytes, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload(name, content), {"xlsx"})
    assert refused.value.code == code


def test_a_docx_renamed_xlsx_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(ValidationError):
        validate_upload(upload("表.xlsx", buffer.getvalue()), {"xlsx"})
    assert validate_upload(upload("文.docx", buffer.getvalue()), {"xlsx", "docx"}).name == "docx"


def test_an_oversized_file_is_refused() -> None:
    big = upload("大.pdf", PDF + b"0" * (2 * 1024 * 1024))
    with pytest.raises(ValidationError) as refused:
        validate_upload(big, {"pdf"}, max_bytes=1024 * 1024)
    assert refused.value.code == "too_big"
    with override_settings(XIETONG_MAX_UPLOAD_MB=1), pytest.raises(ValidationError):
        validate_upload(big, {"pdf"})
    validate_upload(big, {"pdf"})  # the default limit is 10 MB


def test_text_files_must_be_text() -> None:
    assert validate_upload(upload("名单.csv", "部门,对接人\n售后部,王经理\n".encode()), {"csv"}).name == "csv"
    with pytest.raises(ValidationError):
        validate_upload(upload("名单.csv", EXE), {"csv"})


def test_the_file_can_be_read_again_after_the_check() -> None:
    file = upload("进度.xlsx", xlsx_bytes())
    validate_upload(file, {"xlsx"})
    assert file.read(4) == b"PK\x03\x04"


@pytest.mark.django_db
@override_settings(XIETONG_MAX_UPLOAD_MB=1)
def test_a_request_larger_than_the_upload_limit_is_refused_unread() -> None:
    big = upload("大.pdf", PDF + b"0" * (3 * 1024 * 1024))
    response = Client().post("/accounts/login/", {"username": "a", "password": "b", "file": big})
    assert response.status_code == 400
    small = upload("小.pdf", PDF)
    assert (
        Client().post("/accounts/login/", {"username": "a", "password": "b", "file": small}).status_code
        == 200
    )


# --- secrets out of logs


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /feed?token=abc123&page=2 HTTP/1.1", "abc123"),
        ("username=wang&password=hunter2&next=/", "hunter2"),
        ("POST body: new_password1=s3cret&new_password2=s3cret", "s3cret"),
        ("callback?sign=9f8e7d&ts=1", "9f8e7d"),
        ("?api_key=AKIA123&x=1", "AKIA123"),
        ("?accessToken=tok-1", "tok-1"),
        ("client_secret=shh", "shh"),
        ("{'password': 'hunter2', 'username': 'wang'}", "hunter2"),
        ('{"token": "abc.def", "page": 1}', "abc.def"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi"),
        ("{'HTTP_AUTHORIZATION': 'Basic d2FuZzpodW50ZXIy'}", "d2FuZzpodW50ZXIy"),
        ("Cookie: sessionid=abcd1234; csrftoken=efgh5678", "abcd1234"),
        ('"GET /invite/Zq3_xY-8kLmN0pQrStUvWxYz0123456789abcdefGhI/ HTTP/1.1" 200', "Zq3_xY-8kLmN0pQ"),
        ("GET /calendar/f00dfeedcafe1234.ics", "f00dfeedcafe1234"),
    ],
)
def test_redact_hides_secret_values(text: str, secret: str) -> None:
    redacted = redact(text)
    assert secret not in redacted
    assert "[redacted]" in redacted


def test_redact_keeps_what_is_not_secret() -> None:
    text = "GET /c/demo/table/?edit=5&design=blue&assignee=3&monkey=1 HTTP/1.1"
    assert redact(text) == text
    assert redact("username=wang&password=x&next=/") == "username=wang&password=[redacted]&next=/"


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the root logger's handler prints, while the test runs."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    )
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(old)  # type: ignore[arg-type]


def test_the_root_handler_redacts_messages_arguments_and_tracebacks(console: io.StringIO) -> None:
    log = logging.getLogger("xietong.test")
    log.warning("fetching %s", "https://sso.example.com/cb?code=1&token=t0k3n")
    try:
        raise ValueError("bad request body password=hunter2")
    except ValueError:
        log.exception("failed with secret=%s", "shh-1")
    logging.getLogger("django.request").error("Authorization: Bearer abc.def.ghi")
    output = console.getvalue()
    assert "t0k3n" not in output and "hunter2" not in output and "shh-1" not in output
    assert "abc.def.ghi" not in output
    assert output.count("[redacted]") >= 4
    assert "ValueError" in output  # the traceback is still there


def test_runserver_request_lines_are_redacted_too() -> None:
    # django.server does not propagate to the root logger: it must use the redacting handler itself
    handlers = logging.getLogger("django.server").handlers
    assert any(isinstance(f, RedactSecretsFilter) for h in handlers for f in h.filters)
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]
    # Django's default handlers (unfiltered) are gone: its messages reach the root handler
    assert logging.getLogger("django").handlers == [] and logging.getLogger("django").propagate


@pytest.mark.django_db
def test_a_failed_login_logs_no_password(console: io.StringIO) -> None:
    attempt("wang", "hunter2-secret")
    assert "hunter2-secret" not in console.getvalue()


def test_gunicorn_access_lines_are_redacted() -> None:
    from gunicorn.config import Config

    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/feed?token=t0k3n&page=2",
        "PATH_INFO": "/feed",
        "QUERY_STRING": "token=t0k3n&page=2",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_REFERER": "https://x.example/?sign=s1gn",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer abc")])
    atoms = GunicornLogger(Config()).atoms(response, request, environ, timedelta(seconds=1))
    text = json.dumps(atoms, default=str)
    assert "t0k3n" not in text and "s1gn" not in text
    assert atoms["q"] == "token=[redacted]&page=2"


def test_error_reports_use_the_safe_filter_with_more_hidden_names() -> None:
    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER == "xietong.lib.security.ExceptionReporterFilter"
    assert issubclass(ExceptionReporterFilter, SafeExceptionReporterFilter)
    safe = ExceptionReporterFilter()
    assert safe.cleanse_setting("DATABASE_URL", "postgresql://x:pw@db/x") == safe.cleansed_substitute
    assert safe.cleanse_setting("HTTP_AUTHORIZATION", "Bearer x") == safe.cleansed_substitute
    assert safe.cleanse_setting("LANGUAGE_CODE", "zh-hans") == "zh-hans"


def test_an_error_report_never_shows_a_posted_password() -> None:
    # a view without @sensitive_post_parameters: the filter still hides secret-named fields
    request = RequestFactory().post("/c/x/", {"title": "ok", "password": "hunter2", "api_token": "t0k"})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "hunter2" not in report and "t0k" not in report
    assert "ok" in report
