"""A whole collaboration as one charter document (format v1, docs/charter.md).

``CHARTER_SCHEMA`` describes the document in the OpenAPI spec, for both the
import (``POST /api/collaborations``) and the export (``GET …/charter``); it
is derived from the models that validate the document
(``xietong.charter.format.charter_json_schema``), never described twice. The
import itself is ``xietong.charter.store.import_charter_for``, as for every
other way in; the API only turns its ``CharterError`` into a 422.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from typing import Any

from django.http import HttpRequest
from ninja import Router

from xietong.api.auth import caller
from xietong.api.common import collaboration
from xietong.api.errors import NOT_FOUND, Invalid, responses
from xietong.charter.format import CharterError, charter_json_schema, dump_charter
from xietong.charter.store import charter_snapshot, import_charter_for
from xietong.collabs.models import Collaboration

router = Router(tags=["charter"])

CHARTER_SCHEMA: dict[str, Any] = charter_json_schema()

CHARTER_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": CHARTER_SCHEMA}},
    }
}


def refused(exc: CharterError) -> Invalid:
    """Return the 422 of a refused charter: every problem with its path; nothing was stored."""
    return Invalid([(p.path, p.reason) for p in exc.problems])


def import_charter(request: HttpRequest) -> Collaboration:
    """Store the charter in the request body as a new collaboration, or raise ``Invalid``."""
    try:
        return import_charter_for(caller(request), request.body)
    except CharterError as exc:
        raise refused(exc) from None


@router.get(
    "/collaborations/{slug}/charter",
    response=responses({200: dict[str, Any]}, NOT_FOUND),
    openapi_extra={"responses": {200: {"content": {"application/json": {"schema": CHARTER_SCHEMA}}}}},
    summary="The whole charter",
)
def get_charter(request: HttpRequest, slug: str) -> dict[str, Any]:
    """The collaboration as a charter document, as `xietong export` writes it."""
    collab, _access = collaboration(request, slug)
    return dump_charter(charter_snapshot(collab))
