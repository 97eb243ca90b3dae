"""Writing comments: post, edit, delete; their @mentions, attachments and notices.

Every write is one transaction, audited, and bumps the collaboration's
version like any row write. Notices go into the outbox in the same
transaction (``notify_once``: one per comment and person, ever), so a
refused write tells nobody and the sweep plans the mail and robot posts.

Who is told:

- each person a comment @mentions (``MENTIONED``), once per comment: an
  edit that adds mentions tells only the new ones; a department mention
  reaches its liaison at that time, or its head when it has none;
- the assignee and the watchers of a commented task (``COMMENTED``), on
  posting, except the author and those the comment mentions;
- the collaboration's group robots that post ``MENTIONED``, once per comment
  that mentions someone (the group sees who was asked);
- never the author, and never someone who cannot see the collaboration: the
  thread says which mentions reached nobody and why (``Comment.unreached``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Model, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.audit.record import audited
from xietong.collabs.access import access_for
from xietong.collabs.actions.common import CANDIDATES_SHOWN, bump_version
from xietong.collabs.models import Collaboration, Participant, SubGoal, Task
from xietong.discuss.mentions import candidates, excerpt, fold, parse
from xietong.discuss.models import Attachment, Comment, Mention
from xietong.lib.jinja import fast_reverse
from xietong.lib.limits import check_input
from xietong.lib.security import validate_upload
from xietong.meetings.actions.materials import MATERIAL_KINDS
from xietong.meetings.models import MinutesItem
from xietong.notify.models import Kind, Notification, Robot, notify_once
from xietong.orgs.models import Department, Person
from xietong.tracking.models import IssueEntry, Risk

# The model of each kind of row a comment can be on (``discuss.models.TARGETS``).
TARGET_MODELS: dict[str, type[Model]] = {
    "task": Task,
    "subgoal": SubGoal,
    "issue": IssueEntry,
    "risk": Risk,
    "minutes_item": MinutesItem,
}
# Files a comment may carry: those of meeting materials (documents, sheets, slides, pictures, text).
ATTACHMENT_KINDS = MATERIAL_KINDS
MAX_ATTACHMENTS = 5


class Unreached(StrEnum):
    """Why a mention told nobody (stored in ``Comment.unreached``, said in the thread)."""

    OUTSIDER = "outsider"  # the person cannot see the collaboration
    AMBIGUOUS = "ambiguous"  # several people have that name: write their login
    NOBODY = "nobody"  # the department has neither liaison nor head


class EmptyComment(ValueError):
    """Neither text nor a file: nothing to post."""


class StaleComment(Exception):
    """The comment changed since the person loaded it; ``current`` is how it is now."""

    def __init__(self, current: Comment) -> None:
        self.current = current
        super().__init__(f"comment {current.pk} is at version {current.version}")


class CommentGone(Exception):
    """The comment was deleted meanwhile."""


@dataclass(frozen=True)
class CommentInput:
    body: str


def row_title(row: Model) -> str:
    """The words that name a row in a notice: its description, title or text."""
    for name in ("description", "title", "text"):
        value = getattr(row, name, None)
        if isinstance(value, str):
            return value
    return str(row)


def thread_url(collab: Collaboration, target: str, row_id: int) -> str:
    # Reversed once per kind and collaboration: a table shows one per row.
    return fast_reverse(f"discuss:{target}", collab.slug, row_id)


# --- mentions


@dataclass
class Resolved:
    """Whom a comment's mentions reach (person, through department or None), and the mentions that reach nobody."""

    reached: list[tuple[Person, Department | None]]
    unreached: list[dict[str, str]]


def resolve_mentions(collab: Collaboration, text: str) -> Resolved:
    """Read the @mentions of ``text`` against the people and the collaboration's departments.

    A fixed number of queries (two lookups, then at most two per mention
    for access): the names are looked up all at once. A department's name
    wins over a person's of the same spelling; among namesakes the one who
    can see the collaboration is meant, and a login names exactly one person.
    """
    found_names = candidates(text)
    if not found_names:
        return Resolved([], [])
    folded = {fold(n) for n in found_names}
    participants = {
        fold(p.department.name): p
        for p in Participant.objects.filter(
            collaboration=collab, department__name__in=found_names
        ).select_related("department__head", "liaison")
    }
    people = list(
        Person.objects.annotate(login=Lower("username"))
        .filter(Q(display_name__in=found_names) | Q(login__in=folded), is_active=True)
        .order_by("pk")[:500]
    )
    known = (
        set(participants)
        | {fold(p.display_name) for p in people if p.display_name}
        | {p.username.casefold() for p in people}
    )
    sees: dict[int, bool] = {}

    def can_see(person: Person) -> bool:
        if person.pk not in sees:
            sees[person.pk] = access_for(person, collab).sees_anything
        return sees[person.pk]

    reached: list[tuple[Person, Department | None]] = []
    unreached: list[dict[str, str]] = []
    done: set[str] = set()
    for mention in parse(text, known):
        key = fold(mention.name)
        if key in done:
            continue
        done.add(key)
        participant = participants.get(key)
        if participant is not None:
            department = participant.department
            liaison, head = participant.liaison, department.head
            who = next((p for p in (liaison, head) if p is not None and p.is_active), None)
            if who is None:
                unreached.append({"name": mention.name, "why": Unreached.NOBODY})
            else:
                reached.append((who, department))
            continue
        by_login = [p for p in people if p.username.casefold() == key]
        named = by_login or [p for p in people if fold(p.display_name) == key]
        if len(named) > 1:
            # Namesakes: the one who can see the collaboration is meant (a bounded number checked).
            named = [p for p in named[:CANDIDATES_SHOWN] if can_see(p)] or named
        if len(named) > 1:
            unreached.append({"name": mention.name, "why": Unreached.AMBIGUOUS})
        elif named and can_see(named[0]):
            reached.append((named[0], None))
        elif named:
            unreached.append({"name": mention.name, "why": Unreached.OUTSIDER})
    seen: set[int] = set()
    unique = [(p, d) for p, d in reached if not (p.pk in seen or seen.add(p.pk))]  # type: ignore[func-returns-value]
    return Resolved(unique, unreached)


# --- notices


def _params(comment: Comment, collab: Collaboration, row: Model, actor: Person) -> dict[str, str]:
    return {
        "who": actor.name,
        "collab": collab.title,
        "target": comment.target,  # a kind key: the message names it in the reader's language
        "title": excerpt(row_title(row)),
        "excerpt": excerpt(comment.body),
    }


def _tell(
    comment: Comment,
    collab: Collaboration,
    row: Model,
    actor: Person,
    mentioned: Sequence[Person],
    *,
    posted: bool,
) -> None:
    """Write the notices of a comment just posted (``posted``) or edited: see the module's docstring."""
    params = _params(comment, collab, row, actor)
    link = thread_url(collab, comment.target, comment.row_id) + f"#comment-{comment.pk}"
    told = []
    for person in mentioned:
        if person.pk == actor.pk:
            continue
        if notify_once(
            key=f"mentioned:c{comment.pk}:p{person.pk}",
            kind=Kind.MENTIONED,
            collaboration=collab,
            recipient=person,
            params=params,
            link=link,
        ):
            told.append(person)
    if told and any(r.posts(Kind.MENTIONED) for r in Robot.objects.filter(collaboration=collab, active=True)):
        # The group's one post per comment: who asked whom (written like the sweep's group reminders).
        Notification.objects.get_or_create(
            key=f"mentioned:c{comment.pk}:group",
            defaults={
                "kind": Kind.MENTIONED,
                "collaboration": collab,
                "recipient": None,
                "params": {**params, "people": "、".join(p.name for p in told)},
                "link": link,
            },
        )
    if not posted or not isinstance(row, Task):
        return
    skip = {actor.pk, *(p.pk for p in mentioned)}
    followers = Person.objects.filter(
        Q(pk=row.assignee_id) | Q(watched_tasks=row) if row.assignee_id else Q(watched_tasks=row),
        is_active=True,
    ).distinct()
    for person in followers:
        if person.pk in skip:
            continue
        notify_once(
            key=f"commented:c{comment.pk}:p{person.pk}",
            kind=Kind.COMMENTED,
            collaboration=collab,
            recipient=person,
            params=params,
            link=link,
        )


# --- writes


def _check_body(data: CommentInput, has_files: bool) -> CommentInput:
    body = data.body.strip()
    if not body and not has_files:
        raise EmptyComment(_("请填写评论内容"))
    data = CommentInput(body)
    check_input(data, Comment)  # LimitError for a body past the limit
    return data


def check_uploads(uploads: Sequence[Any]) -> None:
    """Raise ``ValidationError`` (for people) when a file is too big, of a kind not accepted, or too many."""
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(_("一条评论最多附带 %(count)s 个文件") % {"count": MAX_ATTACHMENTS})
    for upload in uploads:
        validate_upload(upload, ATTACHMENT_KINDS)


def _refuse_if_closed(collab: Collaboration) -> None:
    if collab.closed_at is not None:
        raise PermissionDenied


@transaction.atomic
def do_post_comment(
    collab: Collaboration,
    row: Model,
    data: CommentInput,
    *,
    actor: Person,
    uploads: Sequence[Any] = (),
) -> Comment:
    """Post a comment on ``row`` (of ``collab``, fetched through the access layer); return it.

    Raises ``EmptyComment``, ``LimitError`` (a body too long) or
    ``ValidationError`` (a file refused); nothing is written then.
    """
    _refuse_if_closed(collab)
    data = _check_body(data, bool(uploads))
    check_uploads(uploads)
    target = next(t for t, model in TARGET_MODELS.items() if isinstance(row, model))
    resolved = resolve_mentions(collab, data.body)
    comment = Comment(
        collaboration=collab, author=actor, body=data.body, unreached=resolved.unreached, **{target: row}
    )
    stored: list[str] = []
    try:
        with audited(None, actor=actor, collaboration=collab) as box:
            comment.save()
            box["obj"] = comment
        for upload in uploads:
            _attach(comment, collab, upload, actor, stored)
        Mention.objects.bulk_create(
            [Mention(comment=comment, person=p, department=d) for p, d in resolved.reached]
        )
        bump_version(collab)
        _tell(comment, collab, row, actor, [p for p, _d in resolved.reached], posted=True)
    except BaseException:
        # Nothing was stored: no file of it may stay behind.
        for name in stored:
            Attachment.file.field.storage.delete(name)
        raise
    return comment


def _attach(comment: Comment, collab: Collaboration, upload: Any, actor: Person, stored: list[str]) -> None:
    name = PurePath(str(upload.name).replace("\\", "/")).name[:200]
    kind = validate_upload(upload, ATTACHMENT_KINDS)
    attachment = Attachment(comment=comment, name=name, size=upload.size, content_type=kind.content_type)
    attachment.file.save(name, upload, save=False)
    stored.append(attachment.file.name)
    with audited(None, actor=actor, collaboration=collab) as box:
        attachment.save()
        box["obj"] = attachment


def _locked(comment: Comment, version: int | None) -> Comment:
    current = (
        Comment.objects.select_for_update().select_related("collaboration").filter(pk=comment.pk).first()
    )
    if current is None or current.deleted_at is not None:
        raise CommentGone
    if version is not None and current.version != version:
        raise StaleComment(current)
    return current


@transaction.atomic
def do_edit_comment(
    comment: Comment, data: CommentInput, *, actor: Person, version: int | None = None
) -> Comment:
    """Change the text of one's own comment; audited; only mentions it did not have before are told.

    Raises ``PermissionDenied`` (not the author), ``StaleComment``,
    ``CommentGone``, ``EmptyComment`` or ``LimitError``.
    """
    current = _locked(comment, version)
    collab = current.collaboration
    _refuse_if_closed(collab)
    if current.author_id != actor.pk:
        raise PermissionDenied
    data = _check_body(data, current.attachments.exists())
    if data.body == current.body:
        return current
    resolved = resolve_mentions(collab, data.body)
    with audited(current, actor=actor, collaboration=collab) as box:
        current.body = data.body
        current.unreached = resolved.unreached
        current.edited_at = timezone.now()
        current.version = F("version") + 1
        current.save(update_fields=["body", "unreached", "edited_at", "version"])
        current.refresh_from_db()
        box["obj"] = current
    before = set(current.mentions.values_list("person_id", flat=True))
    new = [(p, d) for p, d in resolved.reached if p.pk not in before]
    Mention.objects.bulk_create([Mention(comment=current, person=p, department=d) for p, d in new])
    bump_version(collab)
    row = getattr(current, current.target)
    _tell(current, collab, row, actor, [p for p, _d in new], posted=False)
    return current


@transaction.atomic
def do_delete_comment(comment: Comment, *, actor: Person, version: int | None = None) -> Comment:
    """Delete a comment: its place stays in the thread (此评论已删除); its text only in the audit trail.

    The caller decided who may (the author, the initiator, administrators).
    Its files are removed once the deletion is committed.
    """
    current = _locked(comment, version)
    collab = current.collaboration
    _refuse_if_closed(collab)
    files = [a.file.name for a in current.attachments.all()]
    with audited(current, actor=actor, collaboration=collab) as box:
        current.body = ""
        current.unreached = []
        current.deleted_at = timezone.now()
        current.version = F("version") + 1
        current.save(update_fields=["body", "unreached", "deleted_at", "version"])
        current.refresh_from_db()
        box["obj"] = current
    for attachment in current.attachments.all():
        with audited(attachment, actor=actor, collaboration=collab) as gone:
            attachment.delete()
            gone["deleted"] = True
    bump_version(collab)
    storage = Attachment.file.field.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])  # type: ignore[func-returns-value]
    return current
