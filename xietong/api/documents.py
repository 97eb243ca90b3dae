"""Files: every export of a collaboration, the workbook template, and the workbook and organisation imports.

A workbook's problems are reported as ``{"sheet", "row", "column", "reason"}``
(the same as the import page shows). An import refused because of them is
422 with each problem's path written ``sheet!D7``; nothing was stored.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.charter import refused
from xietong.api.common import collaboration
from xietong.api.errors import INVALID, NOT_FOUND, Invalid, responses
from xietong.api.schemas import OrgChangesOut
from xietong.charter.format import CharterError, parse_charter
from xietong.charter.store import import_charter_for, organisation_changes
from xietong.documents import serve
from xietong.documents.exports import WHAT_FORMATS, Document, ExportRefused, export
from xietong.documents.org import read_org
from xietong.documents.safety import WorkbookRefused
from xietong.documents.workbook import Problem, read_workbook, template_bytes
from xietong.lib.security import validate_upload
from xietong.orgs.actions import do_import_org, may_manage_org
from xietong.orgs.models import Department

router = Router(tags=["documents"])

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_TYPES = {
    "xlsx": serve.XLSX,
    "csv": "text/csv",
    "md": "text/markdown",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _file_responses(*types: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {"description": "The file, as an attachment", "content": dict.fromkeys(types, _BINARY)}
        }
    }


class WorkbookProblemOut(Schema):
    sheet: str
    row: int | None
    column: str | None
    reason: str


class WorkbookPreviewOut(Schema):
    """What the file holds; nothing was stored."""

    ok: bool
    rows: int
    bad_rows: int
    problems: list[WorkbookProblemOut]
    notices: list[WorkbookProblemOut] = Field(
        default_factory=list,
        description="What was skipped on purpose and not refused: title rows, hidden rows",
    )


class WorkbookCheckedOut(WorkbookPreviewOut):
    organisation_changes: OrgChangesOut | None = Field(
        description="What importing would change in the organisation (heads are only proposed); "
        "null when the rows do not make a charter"
    )


class WorkbookImportedOut(WorkbookPreviewOut):
    slug: str
    url: str


class OrgImportedOut(WorkbookPreviewOut):
    departments_created: int
    people_created: int
    people_updated: int
    heads_set: int


class ImportOptions(Schema):
    dry_run: bool = False
    valid_rows: bool = False


def _org_changes(charter: Any) -> OrgChangesOut | None:
    """What importing ``charter`` would change in the organisation, so that nothing changes silently."""
    try:
        changes = organisation_changes(parse_charter(charter))
    except CharterError:
        return None
    return OrgChangesOut(**changes.as_dict())


def _problems(problems: list[Problem]) -> list[WorkbookProblemOut]:
    return [WorkbookProblemOut(sheet=p.sheet, row=p.row, column=p.column, reason=p.reason) for p in problems]


def _refuse(problems: list[Problem]) -> Invalid:
    """422 naming every bad cell: ``sheet!D7``, ``sheet!7`` for a whole row, ``sheet`` for a sheet."""
    return Invalid([(_cell(p), p.reason) for p in problems])


def _cell(problem: Problem) -> str:
    # A workbook's column is "D(时间节点)": the letter names the cell, the header is for people.
    letter = (problem.column or "").split("(", 1)[0]
    return f"{problem.sheet}!{letter}{problem.row if problem.row is not None else ''}".rstrip("!")


def _checked(file: UploadedFile) -> UploadedFile:
    try:
        validate_upload(file, ["xlsx"])
    except ValidationError as exc:
        raise Invalid.at("file", exc.messages[0]) from None
    return file


@router.get(
    "/collaborations/{slug}/exports/{what}.{fmt}",
    response=responses({200: None}, NOT_FOUND, INVALID),
    openapi_extra=_file_responses(*_TYPES.values()),
    summary="Download an export",
)
def download_export(
    request: HttpRequest, slug: str, what: str, fmt: str, week: str | None = None, meeting: int | None = None
) -> HttpResponse:
    """One export as a file: `what` is one of table, subgoals, weekly, minutes, issues, risks; `fmt` one of
    xlsx, csv, docx, md (not every pair exists: 404). `week` (`2024-W32`) picks the weekly list's week,
    `meeting` the meeting whose minutes (default: the kickoff's)."""
    collab, _access = collaboration(request, slug)
    if fmt not in WHAT_FORMATS.get(what, ()):
        raise Http404
    try:
        week_value = serve.parse_week(week)
    except ValueError:
        raise Invalid.at("query.week", _("周应写作 2024-W32")) from None
    try:
        document = export(collab, what, fmt, week=week_value, meeting=serve.meeting_of(collab, meeting))
    except ExportRefused as exc:
        raise Invalid.at("", str(exc)) from None
    return serve.attachment(document)


@router.get(
    "/workbook-template",
    response=responses({200: None}),
    openapi_extra=_file_responses(serve.XLSX),
    summary="The collaboration workbook template",
)
def workbook_template(request: HttpRequest) -> HttpResponse:
    """The empty workbook to fill in and import; its department lists hold the organisation's departments."""
    names = list(Department.objects.order_by("name").values_list("name", flat=True))
    return serve.attachment(Document(_("协作导入模板") + ".xlsx", serve.XLSX, template_bytes(names)))


@router.post(
    "/imports/workbook",
    response=responses({200: WorkbookCheckedOut, 201: WorkbookImportedOut}, INVALID),
    summary="Import a collaboration from a workbook",
)
def import_workbook(
    request: HttpRequest, file: File[UploadedFile], options: Query[ImportOptions]
) -> Status[WorkbookPreviewOut]:
    """Read an .xlsx workbook (multipart field `file`). With `dry_run=true` only report what it holds (200).
    Otherwise store it as a new collaboration (201) — refused with 422 naming every bad cell when a row
    is bad, unless `valid_rows=true`, which stores only the good rows."""
    try:
        read = read_workbook(_checked(file))
    except WorkbookRefused as exc:
        raise Invalid.at("file", str(exc)) from None
    preview = WorkbookPreviewOut(
        ok=read.ok,
        rows=read.rows,
        bad_rows=read.bad_rows,
        problems=_problems(read.problems),
        notices=_problems(read.notices),
    )
    if options.dry_run:
        return Status(
            200, WorkbookCheckedOut(organisation_changes=_org_changes(read.charter), **preview.model_dump())
        )
    # A sheet that cannot be read is never dropped whole, not even for valid_rows.
    if not read.ok and (not options.valid_rows or not read.importable):
        raise _refuse(read.problems)
    try:
        stored = import_charter_for(caller(request), read.charter)
    except CharterError as exc:
        raise refused(exc) from None
    url = reverse("collabs:workspace", args=[stored.slug])
    return Status(201, WorkbookImportedOut(slug=stored.slug, url=url, **preview.model_dump()))


@router.post(
    "/org/import",
    response=responses({200: WorkbookPreviewOut, 201: OrgImportedOut}, INVALID),
    summary="Import the organisation from a sheet (administrators)",
)
def import_org(
    request: HttpRequest, file: File[UploadedFile], options: Query[ImportOptions]
) -> Status[WorkbookPreviewOut]:
    """Departments, their heads and people (name, login, email, phone, department, role) from an .xlsx
    sheet; people are matched by login and updated, never duplicated. `dry_run` and `valid_rows` as for
    the workbook import. Only staff who may add and change people and departments."""
    if not may_manage_org(caller(request)):
        raise PermissionDenied
    try:
        read = read_org(_checked(file))
    except WorkbookRefused as exc:
        raise Invalid.at("file", str(exc)) from None
    preview = WorkbookPreviewOut(
        ok=read.ok, rows=read.total, bad_rows=read.bad_rows, problems=_problems(read.problems)
    )
    if options.dry_run:
        return Status(200, preview)
    if not read.ok and not options.valid_rows:
        raise _refuse(read.problems)
    done = do_import_org(read.rows, actor=caller(request))
    return Status(
        201,
        OrgImportedOut(
            departments_created=done.departments_created,
            people_created=done.people_created,
            people_updated=done.people_updated,
            heads_set=done.heads_set,
            **preview.model_dump(),
        ),
    )
