"""How the API says no: ``{"detail": "…"}`` with the right status, in the active language.

- 401: no, a wrong, a revoked token, or an inactive person;
- 403: may see the collaboration but not do this (or a session request without CSRF);
- 404: no such object, or one the caller may not see (its existence does not leak);
- 409: a stale ``version``; the body carries ``current``, the object as it is now;
- 413: a request body larger than the limits (``DATA_UPLOAD_MAX_MEMORY_SIZE``, the upload limit);
- 422: ``{"detail", "path", "problems": [{"path", "reason"}]}``: nothing was written.

Hostile bodies get these JSON answers too, never Django's HTML error page:
a body too large is 413, a malformed or absurdly nested one 400 or 422.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic_core import ErrorDetails

from xietong.api.schemas import ErrorOut, InvalidOut

# What a 409 says about a row (the table page says the same).
STALE_ROW = gettext_lazy("这一行刚被他人修改,已显示最新内容;请在此基础上重新修改。")

# The error answers every operation may give (401/403 for every one: a
# session request without its CSRF token is 403 too).
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut}
# An operation with a path parameter: no such object, or a malformed id.
NOT_FOUND: dict[int, Any] = {404: ErrorOut, 422: InvalidOut}
INVALID: dict[int, Any] = {400: ErrorOut, 422: InvalidOut}


def responses(ok: dict[int, Any], *more: dict[int, Any]) -> dict[int, Any]:
    """Return an operation's response schemas: ``ok``, the common errors and ``more``."""
    merged = {**ok, **ERRORS}
    for extra in more:
        merged.update(extra)
    return merged


class Invalid(Exception):
    """The request is not acceptable: 422 with the problems' paths; nothing was written."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in problems))

    @classmethod
    def at(cls, path: str, reason: str) -> Invalid:
        return cls([(path, reason)])


class Conflict(Exception):
    """A write against a version that has moved on: 409 with the object as it is now."""

    def __init__(self, detail: str, current: Schema) -> None:
        self.detail = detail
        self.current = current
        super().__init__(detail)


def _path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """Return ninja's error location as a path: ``body.metrics[0].name``, ``query.limit``."""
    parts = list(loc)
    if len(parts) > 1 and parts[0] == "body" and isinstance(parts[1], str) and parts[1] == "payload":
        parts.pop(1)  # the body parameter's own name says nothing to the caller
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _reason(error: ErrorDetails | dict[str, Any]) -> str:
    """Return a validation error in words, in the active language where the kind is known."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("缺少此项")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("应为对象")
    if kind in ("list_type", "tuple_type"):
        return _("应为列表")
    if kind in ("enum", "literal_error"):
        return _("不是允许的值(可选:%(expected)s)") % {"expected": ctx.get("expected", "")}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind in ("string_type",):
        return _("应为文本")
    if kind.startswith(("int_", "float_", "decimal_")):
        return _("应为数字") if kind.endswith(("_type", "_parsing")) else str(error.get("msg", ""))
    if kind.startswith("date"):
        return _("应为日期 YYYY-MM-DD")
    return str(error.get("msg", kind))


def _invalid(request: HttpRequest, problems: list[tuple[str, str]], api: NinjaAPI) -> HttpResponse:
    path, reason = problems[0] if problems else ("", "")
    body = {
        "detail": f"{path}: {reason}" if path else reason,
        "path": path,
        "problems": [{"path": p, "reason": r} for p, r in problems],
    }
    return api.create_response(request, body, status=422)


def install(api: NinjaAPI) -> None:
    """Register the error answers on ``api``."""

    def detail(request: HttpRequest, message: str, status: int) -> HttpResponse:
        return api.create_response(request, {"detail": message}, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = detail(request, _("请先登录,或提供有效的接口令牌(Authorization: Bearer …)"), 401)
        response["WWW-Authenticate"] = 'Bearer realm="xietong"'
        return response

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return detail(request, _("你没有权限执行此操作"), 403)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return detail(request, _("未找到"), 404)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            return detail(request, _("请求体不是有效的 JSON"), 400)
        if exc.status_code == 403:  # ninja's CSRF check of a session request
            return detail(request, _("CSRF 校验失败:请带上 X-CSRFToken 头,或改用接口令牌"), 403)
        return detail(request, str(exc), exc.status_code)

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Logged as Django logs it for pages (django.security.*), answered in JSON.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc))
        if isinstance(exc, RequestDataTooBig):
            return detail(request, _("请求体过大,已拒绝"), 413)
        return detail(request, _("请求不被接受"), 400)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        problems = [(_path(e.get("loc", ())), _reason(e)) for e in exc.errors]
        return _invalid(request, problems, api)

    @api.exception_handler(Invalid)
    def invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
        return _invalid(request, exc.problems, api)

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return api.create_response(request, {"detail": exc.detail, "current": exc.current}, status=409)
