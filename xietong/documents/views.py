"""Downloads of every export, the workbook template, and the workbook and organisation imports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.charter.format import CharterError, parse_charter
from xietong.charter.store import check_charter, import_charter_for, organisation_changes
from xietong.collabs.access import get_collaboration_for_user
from xietong.documents import serve
from xietong.documents.exports import Document, ExportRefused, export
from xietong.documents.forms import ConfirmForm, UploadForm
from xietong.documents.org import read_org
from xietong.documents.org import template_bytes as org_template_bytes
from xietong.documents.workbook import Problem as WorkbookProblem
from xietong.documents.workbook import WorkbookRead, WorkbookRefused, read_workbook, template_bytes
from xietong.orgs.actions import do_import_org, may_manage_org
from xietong.orgs.models import Department, Person
from xietong.orgs.roles import Action

WORKBOOK = "workbook"
ORG = "org"


@login_required
@require_GET
def download(request: HttpRequest, slug: str, what: str, fmt: str) -> HttpResponse:
    """One export of a collaboration as a file; 404 for an unknown kind or format."""
    collab, _access = get_collaboration_for_user(request.user, slug, Action.VIEW)
    if not serve.known_export(what, fmt):
        raise Http404
    try:
        week = serve.parse_week(request.GET.get("week"))
    except ValueError:
        return HttpResponseBadRequest(_("周应写作 2024-W32"))
    meeting = serve.meeting_of(collab, request.GET.get("meeting"))
    try:
        document = export(collab, what, fmt, week=week, meeting=meeting)
    except ExportRefused as exc:
        return HttpResponseBadRequest(str(exc))
    return serve.attachment(document)


@login_required
@require_GET
def workbook_template(request: HttpRequest) -> HttpResponse:
    """The empty collaboration workbook, its department lists holding the organisation's departments."""
    names = list(Department.objects.order_by("name").values_list("name", flat=True))
    return serve.attachment(Document(_("协作导入模板") + ".xlsx", serve.XLSX, template_bytes(names)))


@login_required
@require_http_methods(["GET", "POST"])
def import_workbook(request: HttpRequest) -> HttpResponse:
    """Upload a workbook and see what it holds; anyone who may start a collaboration may import one."""
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "page_title": _("从 Excel 导入协作")}
    if request.method == "POST" and form.is_valid():
        token = serve.stage(request, WORKBOOK, form.cleaned_data["file"])
        path = serve.staged_path(request, WORKBOOK, token)
        assert path is not None
        context |= _preview_workbook(path, token)
        if context.get("refused"):
            serve.discard(request, WORKBOOK)
    return render(request, "documents/import.html", context)


def _preview_workbook(path: Path, token: str) -> dict[str, Any]:
    try:
        read = read_workbook(path)
    except WorkbookRefused as exc:
        return {"refused": str(exc)}
    # What the import itself would refuse (no title, say) is named in the preview, at its cell:
    # the untouched template must not read "文件没有问题" and then fail on 导入.
    blocking = _unstorable(read)
    read.problems += blocking
    return {
        "read": read,
        # a sheet that cannot be read is never dropped whole by 仅导入有效行
        "blocked": bool(blocking) or not read.importable,
        "token": token,
        "good_rows": read.rows - read.bad_rows,
        "org_changes": _org_changes(read.charter),
    }


def _unstorable(read: WorkbookRead) -> list[WorkbookProblem]:
    """Return what the charter import would refuse in ``read``, placed at the workbook's cells."""
    try:
        check_charter(read.charter)
    except CharterError as exc:
        return [read.place(problem.path, problem.reason) for problem in exc.problems]
    return []


def _org_changes(charter: dict[str, Any]) -> list[str]:
    """What importing would change in the organisation, so that nothing changes silently."""
    try:
        return [line.strip() for line in organisation_changes(parse_charter(charter)).lines()[1:]]
    except CharterError:
        return []  # the preview already lists what is wrong with the file


@dataclass(frozen=True)
class Confirmed:
    """A previewed upload the person chose to import, as read again from the staged file."""

    read: Any
    context: dict[str, Any]


def _confirmed(
    request: HttpRequest,
    kind: str,
    page: Callable[..., HttpResponse],
    preview: Callable[[Path, str], dict[str, Any]],
    back: str,
) -> HttpResponse | Confirmed:
    """Read the confirmation of a staged upload: the file to import, or the page to answer with."""
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    choice, token = form.cleaned_data["choice"], form.cleaned_data["token"]
    path = serve.staged_path(request, kind, token)
    if path is None and (slug := serve.imported_into(request, kind, token)) is not None:
        # Imported already: the answer was lost (a crash after the commit, a second click), not the import.
        messages.info(request, _("这个工作簿已经导入。"))
        return redirect("collabs:workspace", slug)
    if choice == ConfirmForm.CANCEL or path is None:
        serve.discard(request, kind)
        if path is None and choice != ConfirmForm.CANCEL:
            return page(request, refused=_("上传的文件已失效,请重新上传。"))
        return redirect(back)
    context = preview(path, token)
    read = context.get("read")
    if read is None or context.get("blocked") or (not read.ok and choice != ConfirmForm.VALID):
        return page(request, **context)
    return Confirmed(read, context)


@login_required
@require_POST
def import_workbook_confirm(request: HttpRequest) -> HttpResponse:
    """Import the previewed workbook (all of it, or only its valid rows), or cancel."""
    assert isinstance(request.user, Person)
    outcome = _confirmed(request, WORKBOOK, _import_page, _preview_workbook, "documents:import")
    if isinstance(outcome, HttpResponse):
        return outcome
    context = outcome.context
    try:
        with transaction.atomic():  # the collaboration and the session forgetting its upload, together
            stored = import_charter_for(request.user, outcome.read.charter)
            serve.forget_imported(request, WORKBOOK, context["token"], stored.slug)
    except CharterError as exc:
        # shown with the preview, the staged upload kept: fix the file, or import again
        return _import_page(request, failed=[str(p) for p in exc.problems], **context)
    serve.remove_staged_file(context["token"])
    waiting = list(stored.pending_people.values_list("name", flat=True))
    if waiting:
        # Nobody was created for names the directory does not know: they wait on the departments step.
        messages.warning(
            request,
            _("导入完成。%(count)s 人在目录中找不到,已列为待邀请:%(names)s。可在参与部门步骤一次全部邀请。")
            % {"count": len(waiting), "names": "、".join(waiting)},
        )
        return redirect(reverse("collabs:departments", args=[stored.slug]) + "#pending")
    return redirect("collabs:workspace", stored.slug)


def _import_page(request: HttpRequest, **context: Any) -> HttpResponse:
    context |= {"form": UploadForm(), "page_title": _("从 Excel 导入协作")}
    return render(request, "documents/import.html", context)


# --- the organisation


def _org_page(request: HttpRequest, **context: Any) -> HttpResponse:
    context.setdefault("form", UploadForm())
    context["page_title"] = _("导入组织架构")
    return render(request, "documents/org_import.html", context)


def _preview_org(path: Path, token: str) -> dict[str, Any]:
    try:
        read = read_org(path)
    except WorkbookRefused as exc:
        return {"refused": str(exc)}
    return {"read": read, "token": token}


@login_required
@require_http_methods(["GET", "POST"])
def import_org(request: HttpRequest) -> HttpResponse:
    """Upload the organisation sheet and see what it holds (staff who manage people only)."""
    if not may_manage_org(request.user):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        token = serve.stage(request, ORG, form.cleaned_data["file"])
        path = serve.staged_path(request, ORG, token)
        assert path is not None
        context |= _preview_org(path, token)
        if context.get("refused"):
            serve.discard(request, ORG)
    return _org_page(request, **context)


@login_required
@require_POST
def import_org_confirm(request: HttpRequest) -> HttpResponse:
    """Store the previewed organisation sheet (all of it, or only its valid rows), or cancel."""
    if not may_manage_org(request.user):
        raise PermissionDenied
    outcome = _confirmed(request, ORG, _org_page, _preview_org, "documents:org_import")
    if isinstance(outcome, HttpResponse):
        return outcome
    assert isinstance(request.user, Person)
    done = do_import_org(outcome.read.rows, actor=request.user)
    serve.discard(request, ORG)
    return _org_page(request, done=done)


@login_required
@require_GET
def org_template(request: HttpRequest) -> HttpResponse:
    if not may_manage_org(request.user):
        raise PermissionDenied
    return serve.attachment(Document(_("组织架构导入模板") + ".xlsx", serve.XLSX, org_template_bytes()))
