"""Comments over the API: the same permissions as the pages (404 outsider, 403 viewer), versions, limits."""

from __future__ import annotations

import pytest

from tests.api.conftest import as_person
from tests.helpers import Cast, row_counts
from xietong.audit.models import AuditEntry, Change
from xietong.discuss.models import Comment
from xietong.lib.limits import TEXT_LIMIT
from xietong.meetings.models import MinutesItem
from xietong.notify.models import Kind, Notification

pytestmark = pytest.mark.django_db


def thread(cast: Cast, segment: str = "tasks", pk: int | None = None) -> str:
    pk = pk if pk is not None else cast.task_of("技术部").pk
    return f"/api/collaborations/{cast.collab.slug}/{segment}/{pk}/comments"


def one(cast: Cast, comment_id: int) -> str:
    return f"/api/collaborations/{cast.collab.slug}/comments/{comment_id}"


def test_post_list_patch_delete(cast: Cast) -> None:
    liaison = as_person(cast.liaison)
    posted = liaison.post(thread(cast), {"body": "@刘主管 @法务部 请看 @outsider"})
    assert posted.status_code == 201, posted.content
    body = posted.json()
    assert body["target"] == "task" and body["author"]["name"] == "李工" and body["version"] == 1
    assert [(m["person"]["name"], m["department"]) for m in body["mentions"]] == [
        ("刘主管", None),
        ("陈专员", "法务部"),
    ]
    assert body["unreached"] == [{"name": "outsider", "why": "outsider"}]
    listed = as_person(cast.viewer).get(thread(cast)).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]

    patched = liaison.patch(one(cast, body["id"]), {"body": "@刘主管 @张经理 改过了", "version": 1})
    assert patched.status_code == 200 and patched.json()["version"] == 2 and patched.json()["edited_at"]
    assert sorted(
        Notification.objects.filter(kind=Kind.MENTIONED).values_list("recipient__username", flat=True)
    ) == ["刘主管", "张经理", "陈专员"]
    stale = liaison.patch(one(cast, body["id"]), {"body": "晚了", "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["body"] == "@刘主管 @张经理 改过了"

    assert as_person(cast.initiator).delete(one(cast, body["id"])).status_code == 204
    after = as_person(cast.viewer).get(thread(cast)).json()["items"][0]
    assert after["deleted"] and after["body"] == ""
    assert AuditEntry.objects.filter(object_type="discuss.comment", change=Change.UPDATE).count() == 2


def test_minutes_items_have_threads_too(cast: Cast) -> None:
    item = MinutesItem.objects.filter(meeting__collaboration=cast.collab).first()
    assert item is not None
    answer = as_person(cast.member).post(thread(cast, "items", item.pk), {"body": "纪要的疑问"})
    assert answer.status_code == 201 and answer.json()["target"] == "minutes_item"


def test_viewer_403_outsider_404_and_nothing_written(cast: Cast) -> None:
    comment = as_person(cast.liaison).post(thread(cast), {"body": "原文"}).json()
    viewer, outsider, member = as_person(cast.viewer), as_person(cast.outsider), as_person(cast.member)
    before = row_counts()
    assert viewer.post(thread(cast), {"body": "x"}).status_code == 403
    assert outsider.get(thread(cast)).status_code == 404
    assert outsider.post(thread(cast), {"body": "x"}).status_code == 404
    assert outsider.patch(one(cast, comment["id"]), {"body": "x", "version": 1}).status_code == 404
    assert outsider.delete(one(cast, comment["id"])).status_code == 404
    # Not the author: may not change it; a member (no moderator) may not delete it.
    assert member.patch(one(cast, comment["id"]), {"body": "x", "version": 1}).status_code == 403
    assert member.delete(one(cast, comment["id"])).status_code == 403
    assert row_counts() == before


def test_empty_and_huge_bodies_are_422(cast: Cast) -> None:
    client = as_person(cast.liaison)
    assert client.post(thread(cast), {"body": "  "}).status_code == 422
    huge = client.post(thread(cast), {"body": "长" * (TEXT_LIMIT + 1)})
    assert huge.status_code == 422 and huge.json()["path"] == "body.body"
    nul = client.post(thread(cast), {"body": "a\x00b"})
    assert nul.status_code == 422 and nul.json()["path"] == "body.body"
    assert not Comment.objects.exists()
