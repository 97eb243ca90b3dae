"""Security helpers: secrets kept out of logs, login throttling, upload checks.

Imported by the logging configuration while Django starts, before the apps
are loaded: nothing here may import a model at module level.
See docs/security.md for what is protected how.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext as _
from django.views.debug import SafeExceptionReporterFilter
from gunicorn import glogging

REDACTED = "[redacted]"

# --- secrets out of logs

# A parameter is secret when one of the words of its name (split at "_", "-",
# ".", "[" and camelCase; trailing digits ignored, so "new_password2") is one of these.
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "csrftoken",
        "csrfmiddlewaretoken",
        "sessionid",
        "sign",
        "signature",
        "key",
        "apikey",
        "authorization",
        "credential",
        "credentials",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# name=value as in query strings, form bodies, cookies and "key=value" log lines
_PAIR = re.compile(r"(?P<name>[A-Za-z0-9_.\-\[\]]+)=(?P<value>[^&\s;'\"]*)")
# 'name': 'value' / "name": "value" as in dict reprs and JSON
_QUOTED = re.compile(
    r"(?P<q>['\"])(?P<name>[A-Za-z0-9_.\-\[\]]+)(?P=q)(?P<sep>\s*:\s*)(?P<vq>['\"])(?P<value>.*?)(?<!\\)(?P=vq)"
)
# an Authorization header line, in any spelling: "Authorization: Bearer x", "HTTP_AUTHORIZATION=x"
_AUTH_HEADER = re.compile(
    r"(?P<name>(?:HTTP_)?(?:PROXY_)?AUTHORIZATION['\"]?\s*[:=]\s*['\"]?)(?P<value>[^\r\n'\",}]+)", re.I
)


# Secrets carried in a path: an invitation link (/invite/<token>/) and a calendar feed (/calendar/<token>.ics).
_PATH_TOKEN = re.compile(r"(?P<name>/(?:invite|calendar)/)(?P<value>[A-Za-z0-9_\-]{8,})")


def is_secret_name(name: str) -> bool:
    """Return whether a parameter, header or field called ``name`` carries a secret."""
    words = (word.lower().rstrip("0123456789") for word in _WORD.findall(name))
    return any(word in SECRET_WORDS for word in words) or name.lower() in SECRET_WORDS


def redact(text: str) -> str:
    """Return ``text`` with the values of secret parameters and Authorization headers replaced."""
    text = _AUTH_HEADER.sub(lambda m: m["name"] + REDACTED, text)
    text = _PATH_TOKEN.sub(lambda m: m["name"] + REDACTED, text)
    text = _QUOTED.sub(
        lambda m: (
            m[0] if not is_secret_name(m["name"]) else f"{m['q']}{m['name']}{m['q']}{m['sep']}'{REDACTED}'"
        ),
        text,
    )
    return _PAIR.sub(
        lambda m: m[0] if not is_secret_name(m["name"]) or not m["value"] else m["name"] + "=" + REDACTED,
        text,
    )


class RedactSecretsFilter(logging.Filter):
    """A logging filter (on the root handler) that redacts secrets from every message.

    The message is formatted once with its arguments, then redacted; a
    traceback is formatted and redacted too, so that no handler sees the
    original text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class GunicornLogger(glogging.Logger):
    """Gunicorn's logger with secrets redacted from access-log lines (query strings, referrers).

    Use with ``gunicorn --logger-class xietong.lib.security.GunicornLogger``.
    """

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's safe filter for error reports, stricter.

    Also hides settings and request headers named like a database URL or a
    signature, and POST values with a secret name even in views that forgot
    ``@sensitive_post_parameters``.
    """

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGN|HTTP_COOKIE|DATABASE_URL|CSRF", flags=re.I
    )

    def _cleanse_secret_names(self, values: Any) -> Any:
        if not any(is_secret_name(name) for name in values):
            return values
        cleansed = values.copy()
        for name in cleansed:
            if is_secret_name(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        post = super().get_post_parameters(request)
        if request is None or not self.is_active(request):
            return post
        return self._cleanse_secret_names(post)

    def get_cleansed_multivaluedict(self, request: HttpRequest, multivaluedict: Any) -> Any:
        multivaluedict = super().get_cleansed_multivaluedict(request, multivaluedict)
        if isinstance(multivaluedict, QueryDict) and self.is_active(request):
            return self._cleanse_secret_names(multivaluedict)
        return multivaluedict


# --- login throttling (django-axes, counts in the database; the handler is xietong.lib.throttle)


def client_ip(request: HttpRequest) -> str | None:
    """Return the address a login attempt comes from, for the per-address count.

    Behind the reverse proxy (``XIETONG_BEHIND_PROXY=1``) that is the last
    address of X-Forwarded-For, the one our proxy added; earlier entries are
    the client's own claims. Otherwise X-Forwarded-For is ignored: anyone
    could send one to dodge the count or to lock out another address.
    """
    if settings.XIETONG_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if _is_ip(forwarded):
            return forwarded
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if _is_ip(remote) else None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """Return the login page saying how long to wait before trying again (status 429, ``Retry-After``)."""
    from axes.helpers import get_client_username  # type: ignore[import-untyped]
    from django.contrib.auth.forms import AuthenticationForm
    from django.shortcuts import render
    from django.utils import timezone

    from xietong.lib.throttle import locked_until, minutes_left

    username = request.POST.get("username", "") if request.method == "POST" else ""
    now = timezone.now()
    until = locked_until(
        get_client_username(request, credentials), getattr(request, "axes_ip_address", None), now
    )
    minutes = minutes_left(until, now) if until is not None else 1
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", "") or request.GET.get("next", ""),
        "locked_out": True,
        "lockout_minutes": minutes,
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


# --- uploads


@dataclass(frozen=True)
class FileKind:
    """A file type we accept: its extensions, its first bytes and, for Office files, a member it must hold."""

    name: str
    extensions: tuple[str, ...]
    signatures: tuple[bytes, ...]
    content_type: str
    zip_member: str = ""


_ZIP = b"PK\x03\x04"
FILE_KINDS: dict[str, FileKind] = {
    kind.name: kind
    for kind in (
        FileKind("pdf", ("pdf",), (b"%PDF-",), "application/pdf"),
        FileKind("png", ("png",), (b"\x89PNG\r\n\x1a\n",), "image/png"),
        FileKind("jpeg", ("jpg", "jpeg"), (b"\xff\xd8\xff",), "image/jpeg"),
        FileKind("gif", ("gif",), (b"GIF87a", b"GIF89a"), "image/gif"),
        FileKind(
            "xlsx",
            ("xlsx",),
            (_ZIP,),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xl/workbook.xml",
        ),
        FileKind(
            "docx",
            ("docx",),
            (_ZIP,),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "word/document.xml",
        ),
        FileKind(
            "pptx",
            ("pptx",),
            (_ZIP,),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "ppt/presentation.xml",
        ),
        # Text has no signature: it must decode as UTF-8 and hold no NUL byte.
        FileKind("csv", ("csv",), (), "text/csv"),
        FileKind("txt", ("txt",), (), "text/plain"),
    )
}
_TEXT_KINDS = {"csv", "txt"}


def max_upload_bytes() -> int:
    return int(settings.XIETONG_MAX_UPLOAD_MB) * 1024 * 1024


def validate_upload(file: Any, allowed: Iterable[str], *, max_bytes: int | None = None) -> FileKind:
    """Check an uploaded file's size and its real type; return its ``FileKind``.

    ``allowed`` names kinds of ``FILE_KINDS`` ("xlsx", "pdf" …). The name's
    extension must be one of them and the content must start the way that
    kind starts (an Office file must also be a ZIP holding that kind's main
    part). The type the browser claims is ignored: the client chooses it.
    Raises ``ValidationError`` with a message for people.
    """
    kinds = [FILE_KINDS[name] for name in allowed]
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    size = getattr(file, "size", None)
    if size is None:
        size = _size_of(file)
    if size > limit:
        raise ValidationError(
            _("文件太大:%(size)s MB,最大 %(limit)s MB。")
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            code="too_big",
        )
    name = str(getattr(file, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = next((k for k in kinds if extension in k.extensions), None)
    if kind is None:
        accepted = ", ".join(f".{ext}" for k in kinds for ext in k.extensions)
        raise ValidationError(
            _("不接受这种文件:%(name)s(可上传 %(accepted)s)。") % {"name": name, "accepted": accepted},
            code="extension",
        )
    if not _content_matches(file, kind):
        raise ValidationError(
            _("文件内容不是 %(ext)s 格式:%(name)s。") % {"ext": f".{extension}", "name": name},
            code="content",
        )
    return kind


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _size_of(file: IO[bytes]) -> int:
    position = file.tell()
    file.seek(0, 2)
    size = file.tell()
    file.seek(position)
    return size


def _content_matches(file: Any, kind: FileKind) -> bool:
    file.seek(0)
    try:
        if kind.name in _TEXT_KINDS:
            return _is_text(file.read(64 * 1024))
        head = file.read(16)
        if not any(head.startswith(signature) for signature in kind.signatures):
            return False
        if kind.zip_member:
            file.seek(0)
            return _zip_holds(file, kind.zip_member)
        return True
    finally:
        file.seek(0)


def _is_text(sample: bytes) -> bool:
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # the sample may end inside a character
        return exc.reason == "unexpected end of data"
    return True


def _zip_holds(file: IO[bytes], member: str) -> bool:
    """Return whether ``file`` is a readable ZIP archive listing ``member`` (nothing is extracted)."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return member in names and "[Content_Types].xml" in names


class UploadSizeLimitHandler(FileUploadHandler):
    """Refuse a multipart request larger than the upload limit before reading it (400).

    Checked on the declared length, with 1 MB of room for the other fields,
    so that nobody can fill the server's disk with one request; files under
    the limit reach ``validate_upload``, which explains a refusal to people.
    """

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length > max_upload_bytes() + 1024 * 1024:
            raise RequestDataTooBig(f"Upload of {content_length} bytes exceeds XIETONG_MAX_UPLOAD_MB")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
