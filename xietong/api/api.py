"""The REST API (django-ninja): OpenAPI 3 at /api/openapi.json, docs at /api/docs.

One router per concern; every endpoint parses its input, fetches through
the access layer (``xietong.collabs.access``, the same one the pages use),
calls an action and answers. Later features add their own router here.
"""

from ninja import NinjaAPI

from xietong.api import (
    allocations,
    charter,
    closing,
    collaborations,
    comments,
    documents,
    goal,
    history,
    issues,
    meetings,
    milestones,
    nominations,
    notifications,
    org,
    participants,
    risks,
    sla,
    subgoals,
    tasks,
    tokens,
    tracking,
)
from xietong.api.auth import AUTH
from xietong.api.docs import LocalSwagger
from xietong.api.errors import install
from xietong.api.renderers import RENDERER

DESCRIPTION = """
The API of Xietong (协同). Authenticate with a personal token
(`Authorization: Bearer xt_…`, from the “API tokens” page or `POST /api/tokens`)
or with the browser's session (unsafe methods then need the `X-CSRFToken` header).

- Errors are `{"detail": "…"}`; 422 adds `path` and `problems`; messages follow
  `Accept-Language` (zh-hans, en), else your saved language.
- 404: the object does not exist or you may not see it; 403: you may see it but not do this.
- Every editable object carries a `version`; a write with a stale one is refused with
  409, whose body holds `current`, the object as it is now.
- Lists are pages: `?limit=` (default 50, at most 500) and `?offset=`; `{"items", "count"}`.
"""


api = NinjaAPI(
    title="Xietong API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=AUTH,
    docs=LocalSwagger(),
    renderer=RENDERER,
)
install(api)

api.add_router("", collaborations.router)
api.add_router("", charter.router)
api.add_router("", goal.router)
api.add_router("", participants.router)
api.add_router("", tasks.router)
api.add_router("", subgoals.router)
api.add_router("", meetings.router)
api.add_router("", history.router)
api.add_router("", org.router)
api.add_router("", tokens.router)
api.add_router("", tracking.router)
api.add_router("", closing.router)
api.add_router("", issues.router)
api.add_router("", risks.router)
api.add_router("", sla.router)
api.add_router("", allocations.router)
api.add_router("", milestones.router)
api.add_router("", notifications.router)
api.add_router("", nominations.router)
api.add_router("", documents.router)
api.add_router("", comments.router)  # comment threads of rows (docs/comments.md)
