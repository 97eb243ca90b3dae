"""Each channel against a real local server: what arrives, how it is signed, and how refusals are read.

The SMTP server is aiosmtpd; the robots are a local HTTP server that checks
signatures the way the vendors describe them (DESIGN.md 5a), computed here
independently of the product's code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from django.conf import settings
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import make_person
from tests.notify.conftest import (
    OVERDUE,
    email_delivery,
    make_notification,
    make_robot,
    robot_delivery,
)
from tests.notify.servers import Answer, Check, Received, RobotServer, SmtpServer, closed_port
from xietong.collabs.models import Collaboration
from xietong.notify.delivery import deliver
from xietong.notify.messages import render
from xietong.notify.models import Delivery, DeliveryState, Transport

# The robots here are the test servers on 127.0.0.1, allow-listed.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_robots")]

SECRET = "SEC0123456789abcdef-robot-secret"


def _reload(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


# ---------------------------------------------------------------- email


def test_a_reminder_mail_arrives_with_subject_text_html_and_the_absolute_link(smtp: SmtpServer) -> None:
    person = make_person("zhang", email="zhang@example.com")
    notification = make_notification(person)
    delivery = email_delivery(notification, "zhang@example.com")

    outcome = deliver(delivery.pk)

    assert outcome.state == DeliveryState.SENT
    [mail] = smtp.mails
    assert mail.recipients == ["zhang@example.com"]
    assert mail.sender == settings.DEFAULT_FROM_EMAIL
    assert mail.subject == "【新品上市协同】任务已逾期"
    text = mail.part("text/plain")
    link = settings.SITE_URL + "/c/launch/table/"
    assert "市场部的任务“完成包装设计”已于 2024-08-09 到期,仍未完成。" in text
    assert link in text
    html = mail.part("text/html")
    assert f'href="{link}"' in html and "完成包装设计" in html
    assert 'lang="zh-hans"' in html
    delivery = _reload(delivery)
    assert (delivery.state, delivery.attempts, delivery.last_error) == (DeliveryState.SENT, 1, "")
    assert delivery.sent_at is not None and timezone.now() - delivery.sent_at < timedelta(seconds=30)


def test_a_person_who_reads_english_gets_the_mail_in_english(smtp: SmtpServer) -> None:
    person = make_person("li", email="li@example.com", language="en")
    notification = make_notification(person)
    deliver(email_delivery(notification, "li@example.com").pk)

    [mail] = smtp.mails
    english = render(notification, "en")
    assert mail.subject == english.subject
    assert english.body in mail.part("text/plain")
    assert 'lang="en"' in mail.part("text/html")


def test_html_in_the_values_is_escaped_in_the_html_part(smtp: SmtpServer) -> None:
    person = make_person("wang", email="wang@example.com")
    notification = make_notification(person, params={**OVERDUE, "task": "<script>alert(1)</script>"})
    deliver(email_delivery(notification, "wang@example.com").pk)

    [mail] = smtp.mails
    assert "<script>" not in mail.part("text/html")
    assert "&lt;script&gt;" in mail.part("text/html")
    assert "<script>alert(1)</script>" in mail.part("text/plain")


def test_a_mailbox_the_server_refuses_fails_after_one_attempt(smtp: SmtpServer) -> None:
    smtp.handler.refuse["nobody@example.com"] = "550 5.1.1 no such user"
    delivery = email_delivery(make_notification(), "nobody@example.com")

    outcome = deliver(delivery.pk)

    assert outcome.state == DeliveryState.FAILED and outcome.retry_at is None
    delivery = _reload(delivery)
    assert (delivery.state, delivery.attempts, delivery.sent_at) == (DeliveryState.FAILED, 1, None)
    assert "550" in delivery.last_error
    assert smtp.mails == []
    # a failed delivery is not tried again
    assert deliver(delivery.pk, now=timezone.now() + timedelta(days=1)).state is None


def test_a_mailbox_busy_for_now_is_tried_again(smtp: SmtpServer) -> None:
    smtp.handler.refuse["busy@example.com"] = "450 4.2.1 mailbox busy"
    delivery = email_delivery(make_notification(), "busy@example.com")

    assert deliver(delivery.pk).state == DeliveryState.PENDING
    delivery = _reload(delivery)
    assert delivery.attempts == 1 and "450" in delivery.last_error


def test_no_mail_server_listening_means_try_again_after_the_back_off(settings: SettingsWrapper) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 5
    settings.XIETONG_RETRY_SECONDS = 90
    delivery = email_delivery(make_notification(), "zhang@example.com")

    before = timezone.now()
    outcome = deliver(delivery.pk)
    after = timezone.now()

    delivery = _reload(delivery)
    assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 1)
    assert outcome.retry_at == delivery.next_attempt_at
    assert before + timedelta(seconds=90) <= delivery.next_attempt_at <= after + timedelta(seconds=90)
    assert "connection" in delivery.last_error.lower()


# ---------------------------------------------------------------- DingTalk


def dingtalk_check(secret: str) -> Check:
    """A robot that checks requests like DingTalk: a fresh millisecond timestamp and its signature."""

    def check(request: Received) -> Answer | None:
        stamp = request.query.get("timestamp", "")
        if not stamp.isdigit() or abs(int(stamp) - time.time() * 1000) > 3600 * 1000:
            return 200, {"errcode": 310000, "errmsg": "invalid timestamp"}
        digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
        # parse_qs already undid the URL encoding: compare with the Base64 itself
        if request.query.get("sign") != base64.b64encode(digest).decode():
            return 200, {"errcode": 310000, "errmsg": "sign not match"}
        return None

    return check


def test_dingtalk_gets_a_signed_markdown_message(robot_server: RobotServer, collab: Collaboration) -> None:
    robot_server.check = dingtalk_check(SECRET)
    robot = make_robot(collab, Transport.DINGTALK, robot_server.url(query="access_token=tok123"), SECRET)
    delivery = robot_delivery(make_notification(collab=collab), robot)

    assert deliver(delivery.pk).state == DeliveryState.SENT

    [request] = robot_server.requests
    assert request.path == "/robot/send" and request.query["access_token"] == "tok123"
    assert request.headers["content-type"].startswith("application/json")
    body = request.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "【新品上市协同】任务已逾期"
    text = body["markdown"]["text"]
    assert "完成包装设计" in text
    assert text.rstrip().endswith(f"({settings.SITE_URL}/c/launch/table/)")
    assert _reload(delivery).state == DeliveryState.SENT


def test_dingtalk_signature_is_url_encoded_in_the_address(
    robot_server: RobotServer, collab: Collaboration
) -> None:
    # Try secrets until the Base64 signature holds "+" or "/", which must be sent encoded.
    robot = make_robot(collab, Transport.DINGTALK, robot_server.url(query="access_token=t"), SECRET)
    raw_queries: list[str] = []
    for n in range(20):
        Delivery.objects.all().delete()
        robot.secret = f"{SECRET}-{n}"
        robot.save()
        robot_server.check = dingtalk_check(robot.secret)
        delivery = robot_delivery(make_notification(collab=collab), robot)
        assert deliver(delivery.pk).state == DeliveryState.SENT, _reload(delivery).last_error
        raw_queries.append(robot_server.requests[-1].query["sign"])
    signs = "".join(raw_queries)
    assert "+" in signs or "/" in signs  # the cases that need encoding were met, and verified


def test_dingtalk_without_a_secret_sends_no_signature(
    robot_server: RobotServer, collab: Collaboration
) -> None:
    robot = make_robot(collab, Transport.DINGTALK, robot_server.url(query="access_token=tok123"))
    assert deliver(robot_delivery(make_notification(collab=collab), robot).pk).state == DeliveryState.SENT
    [request] = robot_server.requests
    assert request.query == {"access_token": "tok123"}


def test_dingtalk_refusing_the_signature_fails_without_retry(
    robot_server: RobotServer, collab: Collaboration
) -> None:
    robot_server.check = dingtalk_check("the-secret-dingtalk-knows")
    robot = make_robot(collab, Transport.DINGTALK, robot_server.url(query="access_token=t"), "a-wrong-secret")
    delivery = robot_delivery(make_notification(collab=collab), robot)

    assert deliver(delivery.pk).state == DeliveryState.FAILED
    delivery = _reload(delivery)
    assert "310000" in delivery.last_error and "sign not match" in delivery.last_error


def test_dingtalk_sending_too_fast_is_retried(robot_server: RobotServer, collab: Collaboration) -> None:
    robot_server.answer((200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}))
    robot = make_robot(collab, Transport.DINGTALK, robot_server.url())
    delivery = robot_delivery(make_notification(collab=collab), robot)
    assert deliver(delivery.pk).state == DeliveryState.PENDING
    assert "130101" in _reload(delivery).last_error


# ---------------------------------------------------------------- Feishu


def feishu_check(secret: str) -> Check:
    """A bot that checks the body's timestamp (seconds) and signature like Feishu."""

    def check(request: Received) -> Answer | None:
        body = request.json()
        stamp = body.get("timestamp")
        fail = (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
        if not isinstance(stamp, str) or not stamp.isdigit() or abs(int(stamp) - time.time()) > 3600:
            return fail
        key = f"{stamp}\n{secret}".encode()
        if body.get("sign") != base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode():
            return fail
        return None

    return check


def test_feishu_gets_a_signed_post(robot_server: RobotServer, collab: Collaboration) -> None:
    robot_server.default = (200, {"code": 0, "msg": "success", "data": {}})
    robot_server.check = feishu_check(SECRET)
    robot = make_robot(collab, Transport.FEISHU, robot_server.url("/open-apis/bot/v2/hook/abc"), SECRET)
    delivery = robot_delivery(make_notification(collab=collab), robot)

    assert deliver(delivery.pk).state == DeliveryState.SENT, _reload(delivery).last_error

    [request] = robot_server.requests
    body = request.json()
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "【新品上市协同】任务已逾期"
    flat = [element for line in post["content"] for element in line]
    assert any("完成包装设计" in element.get("text", "") for element in flat)
    link = settings.SITE_URL + "/c/launch/table/"
    assert {"tag": "a", "text": link, "href": link} in flat or any(e.get("href") == link for e in flat)


def test_feishu_refusing_the_signature_fails_with_the_reason(
    robot_server: RobotServer, collab: Collaboration
) -> None:
    robot_server.answer((200, {"code": 19021, "msg": "sign match fail"}))
    robot = make_robot(collab, Transport.FEISHU, robot_server.url(), SECRET)
    delivery = robot_delivery(make_notification(collab=collab), robot)

    outcome = deliver(delivery.pk)

    assert outcome.state == DeliveryState.FAILED and outcome.retry_at is None
    delivery = _reload(delivery)
    assert delivery.attempts == 1
    assert "19021" in delivery.last_error and "sign match fail" in delivery.last_error
    assert len(robot_server.requests) == 1


def test_feishu_without_a_secret_sends_no_signature(robot_server: RobotServer, collab: Collaboration) -> None:
    robot_server.default = (200, {"code": 0, "msg": "success"})
    robot = make_robot(collab, Transport.FEISHU, robot_server.url())
    assert deliver(robot_delivery(make_notification(collab=collab), robot).pk).state == DeliveryState.SENT
    body = robot_server.requests[0].json()
    assert "sign" not in body and "timestamp" not in body


def test_feishu_frequency_limit_is_retried(robot_server: RobotServer, collab: Collaboration) -> None:
    robot_server.answer(
        (200, {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"})
    )
    robot = make_robot(collab, Transport.FEISHU, robot_server.url())
    assert deliver(robot_delivery(make_notification(collab=collab), robot).pk).state == DeliveryState.PENDING


# ---------------------------------------------------------------- WeCom


def test_wecom_gets_markdown_cut_to_4096_bytes_with_the_link_kept(
    robot_server: RobotServer, collab: Collaboration
) -> None:
    robot = make_robot(collab, Transport.WECOM, robot_server.url("/cgi-bin/webhook/send", "key=k-1"))
    huge = "很长的任务说明" * 1430  # 10,010 characters, about 30 KB
    delivery = robot_delivery(make_notification(collab=collab, params={**OVERDUE, "task": huge}), robot)

    assert deliver(delivery.pk).state == DeliveryState.SENT

    [request] = robot_server.requests
    assert request.query == {"key": "k-1"}
    body = request.json()
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
    content = body["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.startswith("### 【新品上市协同】任务已逾期")
    assert "很长的任务说明" in content
    assert content.endswith(f"({settings.SITE_URL}/c/launch/table/)")


def test_wecom_short_message_is_sent_whole(robot_server: RobotServer, collab: Collaboration) -> None:
    robot = make_robot(collab, Transport.WECOM, robot_server.url())
    deliver(robot_delivery(make_notification(collab=collab), robot).pk)
    content = robot_server.requests[0].json()["markdown"]["content"]
    assert "市场部的任务“完成包装设计”已于 2024-08-09 到期,仍未完成。" in content
    assert "…" not in content


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ((200, {"errcode": 45009, "errmsg": "api freq out of limit"}), DeliveryState.PENDING),
        ((200, {"errcode": 93000, "errmsg": "invalid webhook url"}), DeliveryState.FAILED),
        ((200, {"errcode": -1, "errmsg": "system busy"}), DeliveryState.PENDING),
    ],
)
def test_wecom_error_codes_decide_retry_or_failure(
    robot_server: RobotServer, collab: Collaboration, answer: Answer, state: DeliveryState
) -> None:
    robot_server.answer(answer)
    robot = make_robot(collab, Transport.WECOM, robot_server.url())
    delivery = robot_delivery(make_notification(collab=collab), robot)
    assert deliver(delivery.pk).state == state
    delivery = _reload(delivery)
    assert str(answer[1]["errcode"]) in delivery.last_error and answer[1]["errmsg"] in delivery.last_error


def test_a_robot_message_uses_the_site_language(
    robot_server: RobotServer, collab: Collaboration, settings: SettingsWrapper
) -> None:
    robot = make_robot(collab, Transport.WECOM, robot_server.url())
    notification = make_notification(collab=collab)
    deliver(robot_delivery(notification, robot).pk)
    content = robot_server.requests[0].json()["markdown"]["content"]
    assert render(notification, settings.LANGUAGE_CODE).subject in content


def test_feishu_request_stays_within_20_kb_for_a_huge_task(
    robot_server: RobotServer, collab: Collaboration
) -> None:
    robot_server.default = (200, {"code": 0, "msg": "success"})
    robot_server.check = feishu_check(SECRET)
    robot = make_robot(collab, Transport.FEISHU, robot_server.url(), SECRET)
    huge = '很长的"任务"\n说明' * 2000  # quotes and line breaks take more room once in JSON
    notification = make_notification(collab=collab, params={**OVERDUE, "task": huge})
    assert deliver(robot_delivery(notification, robot).pk).state == DeliveryState.SENT

    [request] = robot_server.requests
    assert len(request.body) <= 20 * 1024
    flat = [e for line in request.json()["content"]["post"]["zh_cn"]["content"] for e in line]
    assert "很长的" in flat[0]["text"] and flat[0]["text"].endswith("…")
    assert flat[-1]["href"] == settings.SITE_URL + "/c/launch/table/"


def test_a_subject_with_a_line_break_still_makes_a_mail(smtp: SmtpServer) -> None:
    notification = make_notification(params={**OVERDUE, "collab": "新品\n上市协同"})
    delivery = email_delivery(notification, "zhang@example.com")
    assert deliver(delivery.pk).state == DeliveryState.SENT, _reload(delivery).last_error
    assert smtp.mails[0].subject == "【新品 上市协同】任务已逾期"


def test_an_answer_without_an_error_code_is_no_delivery(
    robot_server: RobotServer, collab: Collaboration
) -> None:
    """A proxy's page answered with 200 is not the robot saying it posted the message."""
    robot_server.answer((200, "<html>login to the proxy</html>"))
    robot = make_robot(collab, Transport.WECOM, robot_server.url())
    delivery = robot_delivery(make_notification(collab=collab), robot)
    assert deliver(delivery.pk).state == DeliveryState.PENDING
    assert "errcode" in _reload(delivery).last_error


def test_a_redirect_is_not_followed(robot_server: RobotServer, collab: Collaboration) -> None:
    robot_server.answer((302, {}))
    robot = make_robot(collab, Transport.WECOM, robot_server.url())
    delivery = robot_delivery(make_notification(collab=collab), robot)
    assert deliver(delivery.pk).state == DeliveryState.FAILED
    assert "302" in _reload(delivery).last_error
    assert len(robot_server.requests) == 1


def test_a_webhook_that_is_not_http_is_refused_without_opening_it(
    collab: Collaboration, tmp_path: Path
) -> None:
    secret_file = tmp_path / "answer.json"
    secret_file.write_text('{"errcode": 0}')
    robot = make_robot(collab, Transport.WECOM, secret_file.as_uri())
    delivery = robot_delivery(make_notification(collab=collab), robot)
    assert deliver(delivery.pk).state == DeliveryState.FAILED
    assert "HTTP" in _reload(delivery).last_error


def test_quote_plus_reference() -> None:
    """The test's own DingTalk check compares decoded values: make sure decoding undoes quote_plus."""
    from urllib.parse import parse_qs

    raw = "a+b/c=="
    assert parse_qs(f"sign={quote_plus(raw)}")["sign"] == [raw]
