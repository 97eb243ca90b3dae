"""Comment threads on the rows' pages: the "评论 (n)" disclosure, and the thread's notes.

The counts of a page's rows are read in one aggregate query per page and
kind of row (kept on the request), never one per row.
"""

from __future__ import annotations

from django import template
from django.db.models import Count
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from xietong.collabs.models import Collaboration
from xietong.discuss.actions import Unreached, thread_url
from xietong.discuss.models import Comment
from xietong.lib.jinja import localized

register = template.Library()


def comment_counts(request: HttpRequest | None, collab: Collaboration, target: str) -> dict[int, int]:
    """The number of comments (not deleted) of each row of kind ``target`` in ``collab``: one query per request."""
    cache: dict[tuple[int, str], dict[int, int]] = getattr(request, "_comment_counts", {})
    key = (collab.pk, target)
    if key not in cache:
        rows = (
            Comment.objects.filter(collaboration=collab, deleted_at=None, **{f"{target}__isnull": False})
            .values_list(f"{target}_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        cache[key] = dict(rows)
        if request is not None:
            request._comment_counts = cache  # type: ignore[attr-defined]
    return cache[key]


def disclosure_values(
    request: HttpRequest | None, collab: Collaboration, target: str, row_id: int
) -> dict[str, object]:
    """What the row's "评论 (n)" disclosure shows (``discuss/_disclosure.jinja``'s context)."""
    counts = comment_counts(request, collab, target)
    # The thread's stylesheet once per page, with the first disclosure.
    styled = getattr(request, "_comment_styles", False)
    if request is not None:
        request._comment_styles = True  # type: ignore[attr-defined]
    return {
        "url": thread_url(collab, target, row_id),
        "count": counts.get(row_id, 0),
        "styles": not styled,
        "target": target,
        "row_id": row_id,
    }


def disclosure(request: HttpRequest | None, collab: Collaboration, target: str, row_id: int) -> SafeString:
    """The row's "评论 (n)" disclosure: opens its thread in place (htmx), or links to its page.

    A Jinja2 global of the row templates too (``DiscussConfig.ready``).
    """
    template = localized().get_template("discuss/_disclosure.jinja")
    return mark_safe(template.render(**disclosure_values(request, collab, target, row_id)))


@register.simple_tag(takes_context=True)
def comments_of(context: template.Context, collab: Collaboration, target: str, row_id: int) -> SafeString:
    """``{% comments_of collab "task" row.pk %}``: the row's disclosure (``disclosure``)."""
    return disclosure(context.get("request"), collab, target, row_id)


@register.simple_tag
def unreached_note(note: dict[str, str]) -> str:
    """Why a mention reached nobody, in the reader's language."""
    name = note.get("name", "")
    why = note.get("why")
    if why == Unreached.OUTSIDER:
        text = _("@%(name)s 看不到这个协作,未通知。")
    elif why == Unreached.AMBIGUOUS:
        text = _("@%(name)s 有多位同名人员,未通知:请用登录名提及。")
    else:
        text = _("@%(name)s 没有对接负责人或部门负责人,未通知任何人。")
    return text % {"name": name}
