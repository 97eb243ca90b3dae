"""The thread pages: read, post, edit, delete, with htmx and as plain forms; the rows' "评论 (n)"."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.helpers import Cast, row_counts, signed_in
from xietong.discuss.actions import CommentInput, do_post_comment
from xietong.discuss.models import Comment
from xietong.lib.limits import TEXT_LIMIT
from xietong.meetings.models import MinutesItem
from xietong.notify.models import Kind, Notification
from xietong.tracking.models import IssueEntry, Risk

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def url_of(cast: Cast, target: str = "task") -> str:
    rows = {
        "task": cast.task_of("技术部"),
        "subgoal": cast.collab.subgoals.first(),
        "issue": IssueEntry.objects.filter(collaboration=cast.collab).first(),
        "risk": Risk.objects.filter(collaboration=cast.collab).first(),
        "minutes_item": MinutesItem.objects.filter(meeting__collaboration=cast.collab).first(),
    }
    row = rows[target]
    assert row is not None
    return reverse(f"discuss:{target}", args=[cast.collab.slug, row.pk])


@pytest.mark.parametrize("target", ["task", "subgoal", "issue", "risk", "minutes_item"])
def test_every_kind_of_row_has_a_thread_to_post_on(cast: Cast, target: str) -> None:
    client = signed_in(cast.member)
    answer = client.post(url_of(cast, target), {"body": "成员的意见"}, **HTMX)
    assert answer.status_code == 200
    assert "成员的意见" in answer.content.decode()
    assert Comment.objects.get().target == target


def test_without_javascript_a_post_redirects_to_the_thread_at_the_comment(cast: Cast) -> None:
    client = signed_in(cast.liaison)
    answer = client.post(url_of(cast), {"body": "@刘主管 请看"})
    comment = Comment.objects.get()
    assert answer.status_code == 302 and answer["Location"].endswith(f"#comment-{comment.pk}")
    page = client.get(answer["Location"]).content.decode()
    assert "评论已发布" in page and "已提醒:刘主管" in page
    assert Notification.objects.filter(kind=Kind.MENTIONED, recipient__username="刘主管").count() == 1


def test_a_viewer_reads_but_may_not_write_and_an_outsider_sees_nothing(cast: Cast) -> None:
    do_post_comment(cast.collab, cast.task_of("技术部"), CommentInput("已有评论"), actor=cast.liaison)
    viewer = signed_in(cast.viewer)
    page = viewer.get(url_of(cast)).content.decode()
    assert "已有评论" in page and "您可以查看评论,但不能发表评论。" in page and 'name="body"' not in page
    outsider = signed_in(cast.outsider)
    before = row_counts()
    assert viewer.post(url_of(cast), {"body": "查看者"}).status_code == 403
    assert outsider.get(url_of(cast)).status_code == 404
    assert outsider.post(url_of(cast), {"body": "外人"}).status_code == 404
    assert row_counts() == before


def test_html_in_a_comment_is_shown_as_text(cast: Cast) -> None:
    client = signed_in(cast.liaison)
    page = client.post(url_of(cast), {"body": "<script>alert(1)</script><b>x</b>"}, **HTMX).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_huge_comment_is_refused_with_the_text_kept(cast: Cast) -> None:
    client = signed_in(cast.liaison)
    before = row_counts()
    body = "长" * (TEXT_LIMIT + 1)
    page = client.post(url_of(cast), {"body": body}, **HTMX).content.decode()
    assert body in page and "20000" in page
    assert row_counts() == before


def test_a_refused_file_keeps_the_typed_comment(cast: Cast) -> None:
    client = signed_in(cast.liaison)
    before = row_counts()
    fake = SimpleUploadedFile("invoice.pdf", b"MZ not a pdf", content_type="application/pdf")
    page = client.post(url_of(cast), {"body": "附上发票", "files": [fake]}, **HTMX).content.decode()
    assert "附上发票" in page and "文件内容不是 .pdf 格式" in page
    assert row_counts() == before


def test_a_file_is_stored_and_downloaded_by_those_who_see_the_collaboration(cast: Cast) -> None:
    client = signed_in(cast.liaison)
    note = SimpleUploadedFile("说明.txt", "接口说明".encode(), content_type="text/plain")
    page = client.post(url_of(cast), {"body": "", "files": [note]}, **HTMX).content.decode()
    link = re.search(r'href="(/c/[^"]+/attachments/\d+/)"', page)
    assert link is not None
    download = signed_in(cast.viewer).get(link.group(1))
    assert download.status_code == 200 and b"".join(download.streaming_content) == "接口说明".encode()
    assert signed_in(cast.outsider).get(link.group(1)).status_code == 404


def test_the_author_edits_with_the_version_read_and_a_stale_edit_keeps_the_text(cast: Cast) -> None:
    comment = do_post_comment(cast.collab, cast.task_of("技术部"), CommentInput("原文"), actor=cast.liaison)
    client = signed_in(cast.liaison)
    edit = reverse("discuss:edit", args=[cast.collab.slug, comment.pk])
    form = client.get(edit, **HTMX).content.decode()
    assert 'name="version" value="1"' in form and ">原文</textarea>" in form
    assert client.post(edit, {"body": "新的内容", "version": "1"}, **HTMX).status_code == 200
    page = client.post(edit, {"body": "迟到的修改", "version": "1"}, **HTMX).content.decode()
    assert "这条评论刚被修改过" in page and "迟到的修改" in page and "新的内容" in page
    assert Comment.objects.get().body == "新的内容"
    assert signed_in(cast.initiator).post(edit, {"body": "x", "version": "2"}).status_code == 403


def test_the_initiator_deletes_anyones_comment_and_the_thread_says_so(cast: Cast) -> None:
    comment = do_post_comment(
        cast.collab, cast.task_of("技术部"), CommentInput("不当言论"), actor=cast.liaison
    )
    delete = reverse("discuss:delete", args=[cast.collab.slug, comment.pk])
    assert signed_in(cast.member).post(delete).status_code == 403
    page = signed_in(cast.initiator).post(delete, **HTMX).content.decode()
    assert "此评论已删除" in page and "不当言论" not in page


def test_the_table_shows_each_rows_comment_count(cast: Cast) -> None:
    task = cast.task_of("技术部")
    for text in ("一", "二"):
        do_post_comment(cast.collab, task, CommentInput(text), actor=cast.liaison)
    page = signed_in(cast.viewer).get(reverse("collabs:table", args=[cast.collab.slug])).content.decode()
    task = cast.task_of("技术部")
    assert f'hx-get="{url_of(cast)}"' in page and f'<span id="comment-count-task-{task.pk}">2</span>' in page
    assert ">0</span>)" in page


def test_a_closed_collaboration_shows_threads_without_the_form(cast: Cast, client: Client) -> None:
    cast.collab.closed_at = cast.collab.created_at
    cast.collab.save(update_fields=["closed_at"])
    page = signed_in(cast.initiator).get(url_of(cast)).content.decode()
    assert 'name="body"' not in page
    assert signed_in(cast.initiator).post(url_of(cast), {"body": "x"}).status_code == 403


def test_the_thread_reads_in_english(cast: Cast) -> None:
    comment = do_post_comment(
        cast.collab, cast.task_of("技术部"), CommentInput("@outsider hi"), actor=cast.liaison
    )
    cast.liaison.language = "en"
    cast.liaison.save(update_fields=["language"])
    client = signed_in(cast.liaison)
    client.cookies["django_language"] = "en"
    page = client.get(url_of(cast), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Write a comment" in page and "Post comment" in page
    assert "@outsider cannot see this collaboration and was not told." in page
    assert f'id="comment-{comment.pk}"' in page
