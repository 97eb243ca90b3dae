"""What the pages and the API share: answering with a file, and uploads kept between preview and import.

An upload to preview is written to ``DATA_DIR/imports/<token>.xlsx``, the
token random and remembered in the uploader's session only; confirming
imports exactly the file that was previewed (no second upload that could
differ), and nobody else can name it. The file is deleted on import or
cancel, and files left behind by abandoned previews after a day.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from xietong.collabs.access import get_object_in
from xietong.collabs.models import Collaboration
from xietong.documents.exports import WHAT_FORMATS, Document
from xietong.meetings.models import Meeting
from xietong.tracking.weekly import IsoWeek

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Staged uploads older than this are removed whenever a new one is staged.
STALE_AFTER_SECONDS = 24 * 3600
_SESSION_KEY = "xietong.staged_uploads"


def attachment(document: Document) -> HttpResponse:
    """Return ``document`` as a download (the name in both header forms, Chinese kept)."""
    response = HttpResponse(document.data, content_type=document.content_type)
    disposition = content_disposition_header(True, document.filename)
    assert disposition is not None  # None only for an inline file without a name
    response["Content-Disposition"] = disposition
    response["Content-Length"] = str(len(document.data))
    return response


def known_export(what: str, fmt: str) -> bool:
    return fmt in WHAT_FORMATS.get(what, ())


def parse_week(text: str | None) -> IsoWeek | None:
    """Return the week ``2024-W32``, None for no text; ValueError for a malformed one."""
    return IsoWeek.parse(text) if text else None


def meeting_of(collab: Collaboration, meeting_id: Any) -> Meeting | None:
    """Return the collaboration's meeting ``meeting_id``; None for none; Http404 for a wrong one."""
    if meeting_id in (None, ""):
        return None
    try:
        pk = int(meeting_id)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_in(collab, Meeting.objects.all(), pk)


# --- uploads kept between preview and import


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stage(request: HttpRequest, kind: str, upload: Any) -> str:
    """Keep ``upload`` for this session's next confirm of ``kind``; return its token."""
    discard(request, kind)
    folder = _folder()
    cutoff = time.time() - STALE_AFTER_SECONDS
    for old in folder.glob("*.xlsx"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:  # another request removed it first
            pass
    token = secrets.token_urlsafe(24)
    with (folder / f"{token}.xlsx").open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    staged = dict(request.session.get(_SESSION_KEY, {}))
    staged[kind] = token
    request.session[_SESSION_KEY] = staged
    return token


def staged_path(request: HttpRequest, kind: str, token: str) -> Path | None:
    """Return the file this session staged under ``token``, or None (another's token, expired, gone)."""
    mine = request.session.get(_SESSION_KEY, {}).get(kind)
    if not mine or not secrets.compare_digest(str(mine), str(token)):
        return None
    path = _folder() / f"{mine}.xlsx"
    return path if path.is_file() else None


_IMPORTED_KEY = "xietong.imported_uploads"


def forget_imported(request: HttpRequest, kind: str, token: str, slug: str) -> None:
    """Forget this session's staged ``kind`` as imported into ``slug``, saving the session at once.

    Called inside the import's transaction: with the sessions in the database the import and the
    forgetting commit together, so a person who retries after a crash that came after the commit
    (the answer never arrived) is sent to what was imported instead of importing it twice.
    """
    staged = dict(request.session.get(_SESSION_KEY, {}))
    staged.pop(kind, None)
    request.session[_SESSION_KEY] = staged
    request.session[_IMPORTED_KEY] = {**request.session.get(_IMPORTED_KEY, {}), kind: [token, slug]}
    request.session.save()


def remove_staged_file(token: str) -> None:
    """Delete a staged file once its import committed (one a crash left goes with the stale ones)."""
    (_folder() / f"{token}.xlsx").unlink(missing_ok=True)


def imported_into(request: HttpRequest, kind: str, token: str) -> str | None:
    """The slug this session's upload ``token`` of ``kind`` was imported into, if it was."""
    done = request.session.get(_IMPORTED_KEY, {}).get(kind)
    if not done or not secrets.compare_digest(str(done[0]), str(token)):
        return None
    return str(done[1])


def discard(request: HttpRequest, kind: str) -> None:
    """Delete this session's staged file of ``kind``, if any."""
    staged = dict(request.session.get(_SESSION_KEY, {}))
    token = staged.pop(kind, None)
    if token:
        (_folder() / f"{token}.xlsx").unlink(missing_ok=True)
        request.session[_SESSION_KEY] = staged
