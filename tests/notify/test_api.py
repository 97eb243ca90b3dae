"""Notifications over the API: my inbox and preferences, a collaboration's robots and deliveries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, Cast, as_person
from tests.notify.test_pages import SECRET, WEBHOOK, failed_delivery, notify, robot
from xietong.notify.models import DeliveryState, Kind, Notification, Preference, Robot

pytestmark = pytest.mark.django_db


def test_it_lists_my_notifications_and_marks_them_read(cast: Cast) -> None:
    api = as_person(cast.initiator)
    first, _second = notify(cast.initiator, 2, cast.collab)
    notify(cast.liaison, 1, cast.collab)
    body = api.get("/api/notifications").json()
    assert body["count"] == 2
    assert body["items"][0]["subject"] == "【演示协作】任务已逾期"
    assert body["items"][0]["collaboration"] == cast.collab.slug and body["items"][0]["unread"] is True
    assert api.get("/api/notifications/unread-count").json() == {"unread": 2}
    read = api.post(f"/api/notifications/{first.pk}/read")
    assert read.status_code == 200 and read.json()["unread"] is False
    assert api.get("/api/notifications", unread="true").json()["count"] == 1
    assert api.post("/api/notifications/read-all").json() == {"marked": 1}
    assert api.get("/api/notifications/unread-count").json() == {"unread": 0}


def test_someone_elses_notification_is_404(cast: Cast) -> None:
    (theirs,) = notify(cast.liaison, 1, cast.collab)
    assert as_person(cast.initiator).post(f"/api/notifications/{theirs.pk}/read").status_code == 404
    assert ApiClient().get("/api/notifications").status_code == 401


def test_it_escapes_nothing_but_answers_json(cast: Cast) -> None:
    notify(cast.initiator, 1, cast.collab, task="<script>x</script>")
    item = as_person(cast.initiator).get("/api/notifications").json()["items"][0]
    assert "<script>x</script>" in item["body"]  # JSON, not HTML: the client escapes


def _list_queries(api: ApiClient) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/api/notifications").status_code == 200
    return len(queries)


def test_the_list_reads_the_same_queries_at_any_size(cast: Cast) -> None:
    api = as_person(cast.initiator)
    notify(cast.initiator, 2, cast.collab)
    _list_queries(api)  # the token's first use is recorded once
    small = _list_queries(api)
    notify(cast.initiator, 38, cast.collab)
    assert _list_queries(api) == small


def test_it_reads_and_replaces_my_preferences(cast: Cast) -> None:
    api = as_person(cast.initiator)
    assert api.get("/api/me/notification-preferences").json()["email"] is True
    body = {"email": False, "muted_kinds": ["task_due_soon"], "quiet_from": "22:00", "quiet_until": "08:00"}
    answer = api.put("/api/me/notification-preferences", body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["muted_kinds"] == ["task_due_soon"] and answer.json()["quiet_from"] == "22:00:00"
    preference = Preference.objects.get(person=cast.initiator)
    assert preference.email is False and preference.muted_kinds == [Kind.TASK_DUE_SOON]
    half = api.put("/api/me/notification-preferences", {"quiet_from": "22:00"})
    assert half.status_code == 422 and half.json()["path"] == "body.quiet_until"
    assert api.put("/api/me/notification-preferences", {"muted_kinds": ["nope"]}).status_code == 422


def test_the_initiator_manages_robots_whose_secrets_never_come_back(cast: Cast) -> None:
    api = as_person(cast.initiator)
    base = f"/api/collaborations/{cast.collab.slug}/robots"
    created = api.post(base, {"kind": "feishu", "name": "飞书群", "webhook_url": WEBHOOK, "secret": SECRET})
    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["has_secret"] is True and answer["masked_url"] == "https://qyapi.weixin.qq.com/…"
    robot_id = answer["id"]
    listed = api.get(base)
    patched = api.patch(f"{base}/{robot_id}", {"active": False, "secret": "", "kinds": ["escalation"]})
    assert patched.status_code == 200 and patched.json()["active"] is False
    history = api.get(f"/api/collaborations/{cast.collab.slug}/history")
    for response in (created, listed, patched, history):
        text = response.content.decode()
        assert SECRET not in text and "robot-key-4f1c9a" not in text
    saved = Robot.objects.get(pk=robot_id)
    assert saved.secret == SECRET and saved.kinds == ["escalation"]
    assert api.patch(f"{base}/{robot_id}", {"webhook_url": "ftp://x/"}).status_code == 422
    assert api.post(base, {"kind": "wecom", "name": "群", "webhook_url": "no-scheme"}).status_code == 422
    assert api.delete(f"{base}/{robot_id}").status_code == 204
    assert not Robot.objects.filter(pk=robot_id).exists()


@pytest.mark.parametrize(("who", "status"), [("liaison", 403), ("viewer", 403), ("outsider", 404)])
def test_others_may_not_see_or_manage_robots(cast: Cast, who: str, status: int) -> None:
    saved = robot(cast.collab)
    api = as_person(getattr(cast, who))
    base = f"/api/collaborations/{cast.collab.slug}"
    assert api.get(f"{base}/robots").status_code == status
    assert (
        api.post(f"{base}/robots", {"kind": "wecom", "name": "群", "webhook_url": WEBHOOK}).status_code
        == status
    )
    assert api.patch(f"{base}/robots/{saved.pk}", {"active": False}).status_code == status
    assert api.delete(f"{base}/robots/{saved.pk}").status_code == status
    assert api.get(f"{base}/deliveries").status_code == status


def test_the_initiator_resends_a_failed_delivery(cast: Cast) -> None:
    saved = robot(cast.collab)
    (notification,) = notify(cast.initiator, 1, cast.collab)
    delivery = failed_delivery(notification, saved)
    api = as_person(cast.initiator)
    base = f"/api/collaborations/{cast.collab.slug}/deliveries"
    listed = api.get(base, state="failed").json()
    assert listed["count"] == 1 and listed["items"][0]["target"] == "项目群"
    assert as_person(cast.liaison).post(f"{base}/{delivery.pk}/resend").status_code == 403
    answer = api.post(f"{base}/{delivery.pk}/resend")
    assert answer.status_code == 200 and answer.json()["state"] == "pending"
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    assert api.post(f"{base}/{delivery.pk}/resend").status_code == 422
    assert api.post(f"{base}/999999/resend").status_code == 404
    assert Notification.objects.filter(pk=notification.pk).exists()
