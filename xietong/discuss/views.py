"""The comment thread of a row: read it, post, edit and delete comments, download their files.

One thread per row (a task, a sub-goal, an issue, a risk, a minutes item).
With htmx the thread is a fragment swapped in place (opened from the row's
"评论 (n)" disclosure); without JavaScript the same URLs are a page and its
forms post and redirect. What a person typed comes back with the reason
when a write is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.collabs.access import Access, get_collaboration_for_user, get_part_of, signed_in_person
from xietong.collabs.models import Collaboration
from xietong.discuss.actions import (
    ATTACHMENT_KINDS,
    TARGET_MODELS,
    CommentGone,
    CommentInput,
    EmptyComment,
    StaleComment,
    do_delete_comment,
    do_edit_comment,
    do_post_comment,
    row_title,
    thread_url,
)
from xietong.discuss.models import Attachment, Comment, Mention
from xietong.lib.http import HtmxHttpRequest, pk_param
from xietong.lib.limits import LimitedForm, LimitError
from xietong.lib.security import FILE_KINDS
from xietong.orgs.roles import Action


class CommentForm(LimitedForm):
    body = forms.CharField(
        label=_("评论"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def accepted_files() -> str:
    """The ``accept`` attribute of the file input: the extensions of the accepted kinds."""
    return ",".join(f".{ext}" for kind in ATTACHMENT_KINDS for ext in FILE_KINDS[kind].extensions)


@dataclass
class Thread:
    collab: Collaboration
    access: Access
    target: str
    row: Model

    @property
    def url(self) -> str:
        return thread_url(self.collab, self.target, self.row.pk)

    @property
    def title(self) -> str:
        return row_title(self.row)

    @property
    def row_url(self) -> str:
        """The page the row is shown on, at the row."""
        slug, pk = self.collab.slug, self.row.pk
        if self.target == "task":
            return reverse("collabs:table", args=[slug]) + f"#task-{pk}"
        if self.target == "subgoal":
            return reverse("collabs:subgoals", args=[slug]) + f"#subgoal-{pk}"
        if self.target == "minutes_item":
            return reverse("meetings:meeting", args=[slug, self.row.meeting_id]) + f"#item-{pk}"  # type: ignore[attr-defined]
        return reverse(f"tracking:{self.target}s", args=[slug]) + f"#{self.target}-{pk}"

    def comments(self) -> QuerySet[Comment]:
        """The thread in order, with what it shows (four queries whatever its length)."""
        return (
            Comment.objects.filter(**{self.target: self.row})
            .select_related("author")
            .prefetch_related(
                "attachments",
                Prefetch(
                    "mentions", queryset=Mention.objects.select_related("person", "department").order_by("pk")
                ),
            )
        )


def _open(request: HtmxHttpRequest, slug: str, target: str, pk: int) -> Thread:
    """The thread of row ``pk`` of kind ``target`` in collaboration ``slug``: 404 for outsiders."""
    collab, access = get_collaboration_for_user(request.user, slug)
    field = "meeting__collaboration" if target == "minutes_item" else "collaboration"
    row = get_part_of(collab, field, TARGET_MODELS[target]._default_manager.all(), pk)
    return Thread(collab, access, target, row)


def _comment_of(request: HtmxHttpRequest, slug: str, pk: int) -> tuple[Thread, Comment]:
    collab, access = get_collaboration_for_user(request.user, slug)
    comment = get_part_of(collab, "collaboration", Comment.objects.all(), pk)
    if comment.deleted_at is not None:
        raise Http404
    row = getattr(comment, comment.target)
    return Thread(collab, access, comment.target, row), comment


def _show(
    request: HtmxHttpRequest,
    thread: Thread,
    *,
    form: CommentForm | None = None,
    editing: int | None = None,
    edit_form: CommentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The thread: with htmx its fragment, otherwise a page of its own."""
    me = signed_in_person(request)
    can_comment = thread.access.can(Action.COMMENT)
    can_moderate = thread.access.can(Action.MODERATE_COMMENTS)
    comments = list(thread.comments())
    for comment in comments:
        mine = comment.author_id == me.pk
        comment.may_edit = can_comment and mine and comment.deleted_at is None  # type: ignore[attr-defined]
        comment.may_delete = comment.deleted_at is None and ((can_comment and mine) or can_moderate)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "collab": thread.collab,
        "thread": thread,
        "comments": comments,
        "count": sum(1 for c in comments if c.deleted_at is None),
        "can_comment": can_comment,
        "form": form or CommentForm(),
        "editing": editing,
        "edit_form": edit_form,
        "error": error,
        "accept": accepted_files(),
    }
    template = "discuss/_thread.html" if request.htmx else "discuss/thread.html"
    return render(request, template, context, status=status)


def _refusal(error: Exception) -> str:
    if isinstance(error, LimitError):
        return _("评论%(reason)s") % {"reason": error.reason}
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _done(request: HtmxHttpRequest, thread: Thread, message: str, anchor: str) -> HttpResponse:
    if request.htmx:
        return _show(request, thread)
    messages.success(request, message)
    return redirect(thread.url + anchor)


@login_required
@require_http_methods(["GET", "POST"])
def thread(request: HtmxHttpRequest, slug: str, pk: int, target: str) -> HttpResponse:
    """GET: the thread; POST: a new comment (text and files), its mentions told."""
    thread = _open(request, slug, target, pk)
    if request.method == "GET":
        return _show(request, thread)
    if not thread.access.can(Action.COMMENT):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _show(request, thread, form=form)
    uploads = request.FILES.getlist("files")
    try:
        comment = do_post_comment(
            thread.collab,
            thread.row,
            CommentInput(form.cleaned_data["body"]),
            actor=signed_in_person(request),
            uploads=uploads,
        )
    except (EmptyComment, LimitError, ValidationError) as refused:
        return _show(request, thread, form=form, error=_refusal(refused))
    return _done(request, thread, _("评论已发布"), f"#comment-{comment.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET: the thread with the comment's edit form; POST: the new text (``version`` as read)."""
    thread, comment = _comment_of(request, slug, pk)
    if not thread.access.can(Action.COMMENT) or comment.author_id != request.user.pk:
        raise PermissionDenied
    if request.method == "GET":
        form = CommentForm(initial={"body": comment.body})
        return _show(request, thread, editing=comment.pk, edit_form=form)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _show(request, thread, editing=comment.pk, edit_form=form)
    try:
        do_edit_comment(
            comment,
            CommentInput(form.cleaned_data["body"]),
            actor=signed_in_person(request),
            version=pk_param(request.POST.get("version")),
        )
    except StaleComment:
        # Someone changed it meanwhile (the author in another tab): the current text is shown
        # above, and what was typed stays in the form.
        message = _("这条评论刚被修改过,上方是最新内容;您的修改仍在表单中,请核对后再保存。")
        return _show(request, thread, editing=comment.pk, edit_form=form, error=message)
    except CommentGone:
        return _show(request, thread, error=_("这条评论已被删除。"))
    except (EmptyComment, LimitError) as refused:
        return _show(request, thread, editing=comment.pk, edit_form=form, error=_refusal(refused))
    return _done(request, thread, _("评论已修改"), f"#comment-{comment.pk}")


@login_required
@require_POST
def delete(request: HtmxHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Delete a comment (its author, the initiator, administrators): 此评论已删除 stays in the thread."""
    thread, comment = _comment_of(request, slug, pk)
    mine = comment.author_id == request.user.pk and thread.access.can(Action.COMMENT)
    if not (mine or thread.access.can(Action.MODERATE_COMMENTS)):
        raise PermissionDenied
    try:
        do_delete_comment(
            comment, actor=signed_in_person(request), version=pk_param(request.POST.get("version"))
        )
    except StaleComment:
        return _show(request, thread, error=_("这条评论刚被修改过,请看过最新内容后再删除。"))
    except CommentGone:
        pass
    return _done(request, thread, _("评论已删除"), f"#comment-{comment.pk}")


@login_required
@require_GET
def attachment(request: HtmxHttpRequest, slug: str, pk: int) -> FileResponse:
    """Download a comment's file, after the access check (never from a public URL)."""
    collab, _access = get_collaboration_for_user(request.user, slug)
    row = get_part_of(collab, "comment__collaboration", Attachment.objects.all(), pk)
    try:
        handle = row.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(handle, as_attachment=True, filename=row.name, content_type=row.content_type)
