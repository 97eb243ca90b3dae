"""Files sent with a meeting's agenda (会议议程及背景资料).

Stored under the data folder (``MEDIA_ROOT``) by a random name and served
only through the meeting's page after the access check; the size limit is
``XIETONG_MAX_UPLOAD_MB`` and the content must really be one of the
accepted kinds (the browser's claim is ignored).
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.db import transaction

from xietong.audit.record import audited
from xietong.collabs.actions.common import bump_version, delete_row
from xietong.lib.security import validate_upload
from xietong.meetings.models import Material, Meeting
from xietong.orgs.models import Person

# Documents, slides, sheets, pictures and plain text: what a meeting's background is made of.
MATERIAL_KINDS = ("pdf", "docx", "xlsx", "pptx", "png", "jpeg", "gif", "txt", "csv")


@transaction.atomic
def do_add_material(meeting: Meeting, upload: Any, *, actor: Person | None = None) -> Material:
    """Check and store an uploaded file as a material of ``meeting``; return it.

    Raises ``ValidationError`` (with a message for people) for a file too
    big or of a kind not accepted; nothing is stored then.
    """
    kind = validate_upload(upload, MATERIAL_KINDS)
    collab = meeting.collaboration
    name = PurePath(str(upload.name).replace("\\", "/")).name[:200]
    material = Material(
        meeting=meeting, name=name, size=upload.size, content_type=kind.content_type, uploaded_by=actor
    )
    material.file.save(name, upload, save=False)
    try:
        with audited(None, actor=actor, collaboration=collab) as box:
            material.save()
            box["obj"] = material
        bump_version(collab)
    except BaseException:
        # The row was not stored: its file must not stay behind.
        material.file.storage.delete(material.file.name)
        raise
    return material


@transaction.atomic
def do_delete_material(material: Material, *, actor: Person | None = None) -> None:
    """Remove a material and, once the deletion is committed, its file."""
    file = material.file
    delete_row(material, material.meeting.collaboration, actor=actor)
    transaction.on_commit(lambda: file.storage.delete(file.name))
