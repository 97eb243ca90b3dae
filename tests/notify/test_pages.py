"""The notification pages: my inbox, my preferences, a collaboration's robots, the failed deliveries.

The demo's owner (王经理) is the initiator; 李工 is 技术部's liaison.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import make_person
from tests.helpers import liaison_of, owner_of, signed_in
from tests.test_security import EXPECTED_CSP, csp_of, inline_code
from xietong.audit.models import AuditEntry
from xietong.collabs.models import Collaboration
from xietong.notify.models import Delivery, DeliveryState, Kind, Notification, Preference, Robot, Transport
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-4f1c9a"
SECRET = "SECdeadbeef-very-secret-value"


def notify(
    person: Person, n: int = 1, collab: Collaboration | None = None, **params: Any
) -> list[Notification]:
    start = Notification.objects.count()
    return [
        Notification.objects.create(
            key=f"test:{person.pk}:{start + i}",
            kind=Kind.TASK_OVERDUE,
            collaboration=collab,
            recipient=person,
            params={
                "collab": "演示协作",
                "department": "技术部",
                "task": f"任务{i}",
                "deadline": "2024-08-01",
            }
            | params,
            link="/c/demo/table/",
        )
        for i in range(n)
    ]


def robot(demo: Collaboration, **extra: Any) -> Robot:
    values: dict[str, Any] = {
        "kind": Transport.WECOM,
        "name": "项目群",
        "webhook_url": WEBHOOK,
        "secret": SECRET,
    }
    return Robot.objects.create(collaboration=demo, **(values | extra))


def failed_delivery(notification: Notification, target: Robot | None = None) -> Delivery:
    return Delivery.objects.create(
        notification=notification,
        transport=Transport.WECOM if target else Transport.EMAIL,
        target=f"robot:{target.pk}" if target else f"email:x{notification.pk}@example.com",
        robot=target,
        state=DeliveryState.FAILED,
        attempts=5,
        last_error="errcode 93000: invalid webhook url",
    )


def assert_clean(response: Any) -> None:
    assert csp_of(response) == EXPECTED_CSP
    assert inline_code(response.content.decode()) == []


# --- my inbox


def test_it_shows_my_notifications_in_my_language(demo: Collaboration) -> None:
    me = owner_of(demo)
    notify(me, 2, demo)
    response = signed_in(me).get(reverse("notify:inbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "【演示协作】任务已逾期" in html
    assert "技术部的任务“任务1”已于 2024-08-01 到期" in html
    assert 'class="unread"' in html
    assert 'id="inbox-badge"' in html and ">2<" in html
    assert_clean(response)
    me.language = "en"
    me.save()
    english = signed_in(me).get(reverse("notify:inbox"), HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_it_escapes_what_a_notification_carries(demo: Collaboration) -> None:
    me = owner_of(demo)
    notify(me, 1, demo, task="<script>alert(1)</script>")
    html = signed_in(me).get(reverse("notify:inbox")).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_marks_one_read_with_htmx_and_all_read(demo: Collaboration) -> None:
    me = owner_of(demo)
    first, second, _third = notify(me, 3, demo)
    client = signed_in(me)
    response = client.post(reverse("notify:mark_read", args=[first.pk]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{first.pk}"' in html and 'hx-swap-oob="true"' in html
    assert 'class="unread"' not in html
    first.refresh_from_db()
    assert first.read_at is not None
    response = client.post(reverse("notify:mark_read", args=[second.pk]))
    assert response.status_code == 302
    response = client.post(reverse("notify:mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=me, read_at__isnull=True).exists()


def test_it_hides_other_peoples_notifications(demo: Collaboration) -> None:
    (theirs,) = notify(liaison_of(demo), 1, demo)
    response = signed_in(owner_of(demo)).post(reverse("notify:mark_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert "任务0" not in signed_in(owner_of(demo)).get(reverse("notify:inbox")).content.decode()


def test_it_asks_for_sign_in() -> None:
    response = Client().get(reverse("notify:inbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _inbox_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("notify:inbox")).status_code == 200
    return len(queries)


def test_the_inbox_reads_the_same_queries_at_any_size(demo: Collaboration) -> None:
    me = owner_of(demo)
    client = signed_in(me)
    notify(me, 2, demo)
    small = _inbox_queries(client)
    notify(me, 38, demo)
    assert _inbox_queries(client) == small


def test_the_badge_is_on_every_page(demo: Collaboration) -> None:
    me = owner_of(demo)
    notify(me, 3, demo)
    html = signed_in(me).get(reverse("collabs:home")).content.decode()
    assert reverse("notify:inbox") in html and ">3<" in html


# --- my preferences


def test_it_saves_preferences(demo: Collaboration) -> None:
    me = owner_of(demo)
    client = signed_in(me)
    page = client.get(reverse("notify:preferences"))
    assert page.status_code == 200
    assert_clean(page)
    kinds = [k for k in Kind.values if k != Kind.TASK_DUE_SOON]
    response = client.post(
        reverse("notify:preferences"),
        {"email": "", "kinds": kinds, "quiet_from": "22:00", "quiet_until": "08:00"},
    )
    assert response.status_code == 302
    preference = Preference.objects.get(person=me)
    assert preference.email is False
    assert preference.muted_kinds == [Kind.TASK_DUE_SOON]
    assert str(preference.quiet_from) == "22:00:00" and str(preference.quiet_until) == "08:00:00"
    again = client.post(reverse("notify:preferences"), {"email": "on", "kinds": Kind.values})
    assert again.status_code == 302
    preference.refresh_from_db()
    assert preference.email is True and preference.muted_kinds == [] and preference.quiet_from is None


def test_it_wants_both_ends_of_quiet_hours(demo: Collaboration) -> None:
    me = owner_of(demo)
    response = signed_in(me).post(
        reverse("notify:preferences"), {"email": "on", "kinds": Kind.values, "quiet_from": "22:00"}
    )
    assert response.status_code == 200
    assert "免打扰时段请同时填写开始和结束时间" in response.content.decode()
    assert not Preference.objects.filter(person=me).exists()


def test_it_says_where_mail_goes(demo: Collaboration) -> None:
    nobody = make_person("no-mail")
    assert "你还没有设置邮箱地址" in signed_in(nobody).get(reverse("notify:preferences")).content.decode()
    nobody.email = "me@example.com"
    nobody.save()
    assert "me@example.com" in signed_in(nobody).get(reverse("notify:preferences")).content.decode()


# --- a collaboration's robots


def robots_url(demo: Collaboration) -> str:
    return reverse("notify:robots", args=[demo.slug])


def test_the_owner_adds_a_robot_whose_secrets_are_never_shown(demo: Collaboration) -> None:
    client = signed_in(owner_of(demo))
    page = client.get(robots_url(demo))
    assert page.status_code == 200
    assert_clean(page)
    response = client.post(
        robots_url(demo),
        {
            "kind": "dingtalk",
            "name": "钉钉项目群",
            "webhook_url": WEBHOOK,
            "secret": SECRET,
            "kinds": ["escalation"],
        },
    )
    assert response.status_code == 302
    saved = Robot.objects.get(collaboration=demo, name="钉钉项目群")
    assert saved.webhook_url == WEBHOOK and saved.secret == SECRET and saved.kinds == ["escalation"]
    pages = [
        robots_url(demo),
        reverse("notify:robot_edit", args=[demo.slug, saved.pk]),
        reverse("notify:robot_delete", args=[demo.slug, saved.pk]),
        reverse("collabs:history", args=[demo.slug]),
        reverse("collabs:history_csv", args=[demo.slug]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "robot-key-4f1c9a" not in html and SECRET not in html, url
    listing = client.get(robots_url(demo)).content.decode()
    assert "https://qyapi.weixin.qq.com/…" in listing and "已设置" in listing
    entry = AuditEntry.objects.filter(object_type="notify.robot").get()
    assert SECRET not in str(entry.after) and "robot-key" not in str(entry.after)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "qyapi.weixin.qq.com/send", "https:///nohost", "javascript:alert(1)"]
)
def test_it_refuses_a_webhook_that_is_not_http(demo: Collaboration, url: str) -> None:
    response = signed_in(owner_of(demo)).post(
        robots_url(demo), {"kind": "wecom", "name": "群", "webhook_url": url}
    )
    assert response.status_code == 200
    assert 'class="form-errors"' in response.content.decode()
    assert not Robot.objects.filter(collaboration=demo).exists()


def test_an_empty_secret_or_address_keeps_the_stored_one(demo: Collaboration) -> None:
    saved = robot(demo)
    client = signed_in(owner_of(demo))
    url = reverse("notify:robot_edit", args=[demo.slug, saved.pk])
    response = client.post(
        url, {"name": "改名的群", "webhook_url": "", "secret": "", "kinds": [], "active": ""}
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.webhook_url, saved.secret, saved.active) == ("改名的群", WEBHOOK, SECRET, False)
    new = "https://oapi.dingtalk.com/robot/send?access_token=new-token-77"
    client.post(url, {"name": "改名的群", "webhook_url": new, "secret": "SECnew", "active": "on"})
    saved.refresh_from_db()
    assert (saved.webhook_url, saved.secret, saved.active) == (new, "SECnew", True)
    history = client.get(reverse("collabs:history", args=[demo.slug])).content.decode()
    assert "SECnew" not in history and "new-token-77" not in history and "更换了加签密钥" in history


def test_the_owner_deletes_a_robot(demo: Collaboration) -> None:
    saved = robot(demo)
    response = signed_in(owner_of(demo)).post(reverse("notify:robot_delete", args=[demo.slug, saved.pk]))
    assert response.status_code == 302
    assert not Robot.objects.filter(pk=saved.pk).exists()


def test_a_liaison_and_an_outsider_may_not_manage_robots(demo: Collaboration, outsider: Person) -> None:
    saved = robot(demo)
    liaison, stranger = signed_in(liaison_of(demo)), signed_in(outsider)
    assert liaison.get(robots_url(demo)).status_code == 403
    assert stranger.get(robots_url(demo)).status_code == 404
    add = {"kind": "wecom", "name": "群", "webhook_url": WEBHOOK}
    assert liaison.post(robots_url(demo), add).status_code == 403
    assert stranger.post(robots_url(demo), add).status_code == 404
    edit = reverse("notify:robot_edit", args=[demo.slug, saved.pk])
    assert liaison.get(edit).status_code == 403
    assert stranger.post(reverse("notify:robot_delete", args=[demo.slug, saved.pk])).status_code == 404
    assert Robot.objects.filter(collaboration=demo).count() == 1


def test_a_robot_of_another_collaboration_is_404(demo: Collaboration) -> None:
    saved = robot(demo)
    other = Collaboration.objects.create(title="别的协作", slug="other", owner=owner_of(demo))
    response = signed_in(owner_of(demo)).get(reverse("notify:robot_edit", args=[other.slug, saved.pk]))
    assert response.status_code == 404


def test_a_closed_collaboration_shows_robots_read_only(demo: Collaboration) -> None:
    from django.utils import timezone

    robot(demo)
    Collaboration.objects.filter(pk=demo.pk).update(closed_at=timezone.now())
    client = signed_in(owner_of(demo))
    page = client.get(robots_url(demo))
    assert page.status_code == 200
    assert "添加群机器人" not in page.content.decode()
    assert (
        client.post(robots_url(demo), {"kind": "wecom", "name": "群", "webhook_url": WEBHOOK}).status_code
        == 403
    )


# --- failed deliveries


def test_resend_puts_a_failed_delivery_back_in_the_queue(demo: Collaboration) -> None:
    saved = robot(demo)
    (notification,) = notify(owner_of(demo), 1, demo)
    delivery = failed_delivery(notification, saved)
    client = signed_in(owner_of(demo))
    page = client.get(robots_url(demo)).content.decode()
    assert "errcode 93000" in page and "项目群" in page
    assert (
        signed_in(liaison_of(demo)).post(reverse("notify:resend", args=[demo.slug, delivery.pk])).status_code
        == 403
    )
    response = client.post(reverse("notify:resend", args=[demo.slug, delivery.pk]))
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)
    assert AuditEntry.objects.filter(object_type="notify.delivery", collaboration=demo).exists()


def _robots_queries(client: Client, demo: Collaboration) -> int:
    cache.clear()  # cold: the collaboration's cached snapshot would spare the second request its queries
    with CaptureQueriesContext(connection) as queries:
        assert client.get(robots_url(demo)).status_code == 200
    return len(queries)


def test_the_robots_page_reads_the_same_queries_at_any_size(demo: Collaboration) -> None:
    client = signed_in(owner_of(demo))
    saved = robot(demo)
    for n in notify(owner_of(demo), 2, demo):
        failed_delivery(n, saved)
    small = _robots_queries(client, demo)
    for i, n in enumerate(notify(owner_of(demo), 38, demo)):
        failed_delivery(n, robot(demo, name=f"群{i}") if i % 2 else None)
    assert _robots_queries(client, demo) == small


def _failed_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("notify:failed"))
        assert response.status_code == 200
    assert_clean(response)
    return len(queries)


def test_staff_see_every_failed_delivery_at_constant_queries(demo: Collaboration, admin_user: Person) -> None:
    client = signed_in(admin_user)
    saved = robot(demo)
    for n in notify(owner_of(demo), 2, demo):
        failed_delivery(n, saved)
    small = _failed_queries(client)
    for n in notify(owner_of(demo), 38, demo):
        failed_delivery(n)
    assert _failed_queries(client) == small
    html = client.get(reverse("notify:failed")).content.decode()
    assert SECRET not in html and "robot-key-4f1c9a" not in html
    delivery = Delivery.objects.filter(state=DeliveryState.FAILED).first()
    assert delivery is not None
    assert client.post(reverse("notify:failed_resend", args=[delivery.pk])).status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PENDING


def test_only_staff_see_the_failed_list(demo: Collaboration) -> None:
    assert signed_in(owner_of(demo)).get(reverse("notify:failed")).status_code == 403
    assert Client().get(reverse("notify:failed")).status_code == 302


def test_the_communication_plan_links_to_the_robots(demo: Collaboration) -> None:
    html = signed_in(owner_of(demo)).get(reverse("meetings:communication", args=[demo.slug])).content.decode()
    assert robots_url(demo) in html
    html = (
        signed_in(liaison_of(demo)).get(reverse("meetings:communication", args=[demo.slug])).content.decode()
    )
    assert robots_url(demo) not in html


def test_the_admin_never_shows_a_robots_secrets(demo: Collaboration, admin_user: Person) -> None:
    saved = robot(demo)
    client = signed_in(admin_user)
    for url in [
        reverse("admin:notify_robot_changelist"),
        reverse("admin:notify_robot_change", args=[saved.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert SECRET not in html and "robot-key-4f1c9a" not in html, url
