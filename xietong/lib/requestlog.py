"""Request ids, JSON log lines and the per-request measurements (docs/operations.md, "Monitoring").

Every request gets an id: the caller's ``X-Request-ID`` when it is sane
(at most 64 of ``[A-Za-z0-9._-]``, what proxies and load balancers send),
else a new one. It is sent back in the response's ``X-Request-ID`` and held
in a context variable for as long as the request runs, so that
``RequestIdFilter`` puts it on every log line written meanwhile, whichever
logger writes it. The tasks a request queues carry it to the worker
(``xietong.notify.tasks``), which binds it again while it runs them.

``XIETONG_LOG_FORMAT=json`` formats each line as one JSON object
(``JsonFormatter``) and makes ``RequestLogMiddleware`` write one line per
request with its id, the user's id, the view, the status and the duration;
in the default text format the lines stay as they were (gunicorn's access
log names each request).

Imported by the logging configuration while Django starts and by gunicorn's
master (``GunicornJsonLogger``): nothing here imports a model, or the
metrics (they create their files when imported), at module level.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject
from django.utils.log import log_response

from xietong.lib.security import REDACTED, GunicornLogger, is_secret_name, redact

HEADER = "X-Request-ID"
FORMAT_ENV = "XIETONG_LOG_FORMAT"
FORMATS = ("text", "json")
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_request_id: ContextVar[str] = ContextVar("xietong_request_id", default="")

request_logger = logging.getLogger("xietong.request")

# What a request's log line carries besides the message (``extra=``), in this order.
REQUEST_FIELDS = ("user_id", "method", "path", "view", "status", "duration_ms", "queries")


def current() -> str:
    """The id of the request (or of the task a request queued) being handled here; ``""`` outside one."""
    return _request_id.get()


@contextmanager
def bound(request_id: str) -> Iterator[None]:
    """Hold ``request_id`` as the current one inside the block (nothing changes for ``""``)."""
    if not request_id:
        yield
        return
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def request_id_for(incoming: str | None) -> str:
    """The caller's id when it is sane, else a new one (32 hex digits)."""
    if incoming and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (``record.request_id``, ``""`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, and a request's fields.

    The message and the traceback are formatted as they were redacted by
    ``RedactSecretsFilter`` (on the same handler, before this formatter).
    """

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        request_id = getattr(record, "request_id", "") or current()
        if request_id:
            line["request_id"] = request_id
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def json_logs() -> bool:
    return bool(getattr(settings, "XIETONG_LOG_FORMAT", "text") == "json")


def _view_of(request: HttpRequest) -> str:
    """The bounded name of what answered: the URL pattern's name (or route), never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name or match.route or "unnamed")
    if request.path.startswith(settings.STATIC_URL):
        return "static"  # answered by WhiteNoise before the URLs are resolved
    return "unmatched"


def _logged_path(request: HttpRequest) -> str:
    """The path with its secrets redacted: known token paths, and URL parameters with a secret name (``token``)."""
    path = redact(request.path)
    match = getattr(request, "resolver_match", None)
    for name, value in (match.kwargs if match is not None else {}).items():
        if isinstance(value, str) and value and is_secret_name(name):
            path = path.replace(value, REDACTED)
    return path


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in person's id if the request already looked them up (logging never adds a query).

    A session's user is lazy (``_cached_user`` once looked up); an API token sets ``request.user`` itself.
    """
    user = request.__dict__.get("user")
    if user is None or isinstance(user, SimpleLazyObject):
        user = request.__dict__.get("_cached_user")
    pk = getattr(user, "pk", None)
    return pk if isinstance(pk, int) else None


class RequestLogMiddleware:
    """First in MIDDLEWARE: give the request its id, count its queries and time, record and log it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from xietong.lib import metrics  # here, not at import: the logging config imports this module

        self.get_response = get_response
        self.metrics = metrics

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request.headers.get(HEADER))
        queries = 0

        def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        began = time.perf_counter()
        with bound(request_id), connection.execute_wrapper(count):
            response = self.get_response(request)
            seconds = time.perf_counter() - began
            response[HEADER] = request_id
            if response.status_code >= 400:
                # Django's own "Not Found: /x" line, written here while the id is bound and with the
                # path's secrets redacted (Django writes it after this middleware returned, unless a
                # response was logged already).
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    _logged_path(request),
                    response=response,
                    request=request,
                )
            view = _view_of(request)
            self.metrics.observe_request(view, response.status_code, seconds, queries)
            if json_logs():
                path = _logged_path(request)
                request_logger.info(
                    "%s %s %s",
                    request.method,
                    path,
                    response.status_code,
                    extra={
                        "user_id": _user_id(request),
                        "method": request.method,
                        "path": path,
                        "view": view,
                        "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 1),
                        "queries": queries,
                    },
                )
        return response


class GunicornJsonLogger(GunicornLogger):
    """Gunicorn's logger writing its own lines (start, workers, errors) as JSON objects.

    Used by ``xietong run`` with ``XIETONG_LOG_FORMAT=json``, where gunicorn's
    access log is off: the app's request line (``RequestLogMiddleware``)
    replaces it. Gunicorn's master reads no Django settings: the format comes
    from the environment.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if os.environ.get(FORMAT_ENV, "text") == "json":
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())


def gunicorn_log_args(log_format: str) -> list[str]:
    """Gunicorn's logging options for ``xietong run``: its access log in text, the app's request line in json."""
    if log_format == "json":
        return ["--logger-class", "xietong.lib.requestlog.GunicornJsonLogger"]
    return ["--access-logfile", "-", "--logger-class", "xietong.lib.security.GunicornLogger"]
