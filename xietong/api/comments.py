"""Comments on a collaboration's rows over the API: a row's thread, post, change, delete.

The same rules as the pages: anyone who sees the collaboration reads a
thread (404 otherwise), the roles with a part in the work write (403 for
viewers, and for everyone once the collaboration is closed), only the author
changes a comment, and the author, the initiator or an administrator deletes
it. Mentions (``@姓名``, ``@部门``) are told as on the pages.
"""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from xietong.api.auth import caller
from xietong.api.common import collaboration
from xietong.api.errors import INVALID, NOT_FOUND, STALE_ROW, Conflict, Invalid, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import PersonRef, Text
from xietong.collabs.access import Access, get_part_of, reread
from xietong.collabs.models import Collaboration
from xietong.discuss.actions import (
    TARGET_MODELS,
    CommentGone,
    CommentInput,
    EmptyComment,
    StaleComment,
    do_delete_comment,
    do_edit_comment,
    do_post_comment,
)
from xietong.discuss.models import Comment, Mention
from xietong.lib.limits import LimitError
from xietong.orgs.roles import Action

router = Router(tags=["comments"])

# The path segment of each kind of row (those of the rows' own endpoints and pages).
SEGMENTS = {
    "task": "tasks",
    "subgoal": "subgoals",
    "issue": "issues",
    "risk": "risks",
    "minutes_item": "items",
}

# At most 20,000 characters, no NUL (PostgreSQL stores none), outer spaces stripped.
Body = Text


class CommentIn(Schema):
    body: Body


class CommentPatch(Schema):
    body: Body
    version: int  # the comment's version you read (409 when it moved on)


class MentionOut(Schema):
    person: PersonRef
    department: str | None  # set when reached through a department mention (its liaison, or head)


class UnreachedOut(Schema):
    name: str
    why: str  # outsider (cannot see the collaboration), ambiguous (namesakes), nobody (no liaison nor head)


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    url: str  # downloaded with the same access check as the thread


class CommentOut(Schema):
    id: int
    target: str  # task, subgoal, issue, risk or minutes_item
    row: int
    author: PersonRef | None
    body: str  # empty once deleted
    created_at: datetime
    edited_at: datetime | None
    deleted: bool
    version: int
    mentions: list[MentionOut]
    unreached: list[UnreachedOut]
    attachments: list[AttachmentOut]


class CommentConflictOut(Schema):
    """409: the comment changed since you read it; ``current`` is how it is now."""

    detail: str
    current: CommentOut


def _comments() -> QuerySet[Comment]:
    return (
        Comment.objects.select_related("author", "collaboration")
        .prefetch_related(
            "attachments",
            Prefetch(
                "mentions", queryset=Mention.objects.select_related("person", "department").order_by("pk")
            ),
        )
        .order_by("created_at", "id")
    )


def comment_out(comment: Comment) -> CommentOut:
    slug = comment.collaboration.slug
    author = comment.author
    return CommentOut(
        id=comment.pk,
        target=comment.target,
        row=comment.row_id,
        author=PersonRef(id=author.pk, name=author.name) if author is not None else None,
        body=comment.body,
        created_at=comment.created_at,
        edited_at=comment.edited_at,
        deleted=comment.deleted_at is not None,
        version=comment.version,
        mentions=[
            MentionOut(
                person=PersonRef(id=m.person.pk, name=m.person.name),
                department=m.department.name if m.department else None,
            )
            for m in comment.mentions.all()
        ],
        unreached=[UnreachedOut(name=u.get("name", ""), why=u.get("why", "")) for u in comment.unreached],
        attachments=[
            AttachmentOut(
                id=a.pk,
                name=a.name,
                size=a.size,
                content_type=a.content_type,
                url=reverse("discuss:attachment", args=[slug, a.pk]),
            )
            for a in comment.attachments.all()
        ],
    )


def _present(rows: list[Comment]) -> list[CommentOut]:
    return [comment_out(c) for c in rows]


def _row(request: HttpRequest, slug: str, target: str, row_id: int) -> tuple[Collaboration, Access, Model]:
    collab, access = collaboration(request, slug)
    field = "meeting__collaboration" if target == "minutes_item" else "collaboration"
    return collab, access, get_part_of(collab, field, TARGET_MODELS[target]._default_manager.all(), row_id)


def _comment(request: HttpRequest, slug: str, comment_id: int) -> tuple[Access, Comment]:
    collab, access = collaboration(request, slug)
    comment = get_part_of(collab, "collaboration", _comments(), comment_id)
    return access, comment


def _body_refused(error: Exception) -> Invalid:
    reason = error.reason if isinstance(error, LimitError) else str(error)
    return Invalid.at("body.body", reason)


def _thread_routes(target: str, segment: str) -> None:
    path = f"/collaborations/{{slug}}/{segment}/{{row_id}}/comments"

    @paginate(Pages, present=_present)
    def list_comments(request: HttpRequest, slug: str, row_id: int) -> QuerySet[Comment]:
        _collab, _access, row = _row(request, slug, target, row_id)
        return _comments().filter(**{target: row})

    def post_comment(request: HttpRequest, slug: str, row_id: int, payload: CommentIn) -> Status[CommentOut]:
        collab, access, row = _row(request, slug, target, row_id)
        if not access.can(Action.COMMENT):
            raise PermissionDenied
        try:
            comment = do_post_comment(collab, row, CommentInput(payload.body), actor=caller(request))
        except (EmptyComment, LimitError) as refused:
            raise _body_refused(refused) from None
        return Status(201, comment_out(reread(_comments(), comment)))

    label = target.replace("_", " ")
    list_comments.__doc__ = (
        f"The comments on a {label} in order (deleted ones keep their place, without text)."
    )
    post_comment.__doc__ = (
        f"Comment on a {label}; `@name` and `@department` mention people (told through the inbox, mail "
        "and the group's robots). Viewers may not comment (403)."
    )
    router.add_api_operation(
        path,
        ["GET"],
        list_comments,
        response=responses({200: list[CommentOut]}, NOT_FOUND, INVALID),
        operation_id=f"list_{target}_comments",
    )
    router.add_api_operation(
        path,
        ["POST"],
        post_comment,
        response=responses({201: CommentOut}, NOT_FOUND, INVALID),
        operation_id=f"post_{target}_comment",
    )


for _target, _segment in SEGMENTS.items():
    _thread_routes(_target, _segment)


@router.patch(
    "/collaborations/{slug}/comments/{comment_id}",
    response=responses({200: CommentOut, 409: CommentConflictOut}, NOT_FOUND, INVALID),
)
def update_comment(request: HttpRequest, slug: str, comment_id: int, payload: CommentPatch) -> CommentOut:
    """Change your own comment's text; only mentions it did not have before are told (409 when stale)."""
    access, comment = _comment(request, slug, comment_id)
    if comment.deleted_at is not None:
        raise Http404
    if not access.can(Action.COMMENT) or comment.author_id != caller(request).pk:
        raise PermissionDenied
    try:
        do_edit_comment(comment, CommentInput(payload.body), actor=caller(request), version=payload.version)
    except StaleComment:
        raise Conflict(str(STALE_ROW), comment_out(reread(_comments(), comment))) from None
    except CommentGone:
        raise Http404 from None
    except (EmptyComment, LimitError) as refused:
        raise _body_refused(refused) from None
    return comment_out(reread(_comments(), comment))


@router.delete("/collaborations/{slug}/comments/{comment_id}", response=responses({204: None}, NOT_FOUND))
def delete_comment(request: HttpRequest, slug: str, comment_id: int) -> Status[None]:
    """Delete a comment (its author, the initiator, administrators): "此评论已删除" stays in the thread."""
    access, comment = _comment(request, slug, comment_id)
    if comment.deleted_at is not None:
        raise Http404
    mine = comment.author_id == caller(request).pk and access.can(Action.COMMENT)
    if not (mine or access.can(Action.MODERATE_COMMENTS)):
        raise PermissionDenied
    try:
        do_delete_comment(comment, actor=caller(request))
    except CommentGone:
        raise Http404 from None
    return Status(204, None)
