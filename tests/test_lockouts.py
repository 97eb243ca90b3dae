"""Login throttling per username *and* address, with a growing delay, and staff unlocking (issue 15, point 8).

Five wrong passwords used to lock any username, the administrator's
included, for everyone: anyone could keep an account shut. Now the pair
(username, address) waits 1, 2, 4 … minutes; the owner signs in from
elsewhere; staff unlock from /org/lockouts/.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_person
from tests.test_security import attempt, fail
from xietong.lib.throttle import delay_after
from xietong.orgs.models import Person

ATTACKER = "203.0.113.9"
OFFICE = "10.0.0.2"


def wait_message(minutes: int) -> str:
    return f"登录失败次数过多,请 {minutes} 分钟后再试。"


@pytest.mark.django_db
def test_an_attacker_elsewhere_cannot_lock_the_administrator_out(admin_user: Person) -> None:
    for _ in range(10):
        Client().post("/admin/login/", {"username": "root", "password": "guess"}, REMOTE_ADDR=ATTACKER)
    fail("root", 10, ip=ATTACKER)
    # The attacker's address waits, even with the right password ...
    assert attempt("root", "pw-root", ip=ATTACKER).status_code == 429
    # ... the administrator from the office does not, on the site and in the admin.
    assert attempt("root", "pw-root", ip=OFFICE).status_code == 302
    admin = Client().post("/admin/login/", {"username": "root", "password": "pw-root"}, REMOTE_ADDR=OFFICE)
    assert admin.status_code == 302


@pytest.mark.django_db
def test_the_pair_waits_longer_after_each_failure() -> None:
    make_person("wang")
    for _ in range(4):
        assert attempt("wang", "wrong").status_code == 200
    fifth = attempt("wang", "wrong")
    assert fifth.status_code == 429
    assert wait_message(1) in fifth.content.decode()
    assert fifth["Retry-After"] == "60"
    start = timezone.now()
    with time_machine.travel(start + timedelta(seconds=50), tick=False):
        assert attempt("wang", "pw-wang").status_code == 429  # even the right password waits
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        sixth = attempt("wang", "wrong")
        assert sixth.status_code == 429
        assert wait_message(2) in sixth.content.decode()
    with time_machine.travel(start + timedelta(seconds=61 + 110), tick=False):
        assert attempt("wang", "pw-wang").status_code == 429
    with time_machine.travel(start + timedelta(seconds=61 + 121), tick=False):
        assert attempt("wang", "pw-wang").status_code == 302


def test_the_delay_doubles_up_to_the_cap() -> None:
    waits = [delay_after(failures, 5) for failures in range(4, 14)]
    assert waits[0] is None
    assert [w.total_seconds() // 60 for w in waits[1:] if w is not None] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert delay_after(10_000, 5) == timedelta(hours=1)


@pytest.mark.django_db
def test_refused_attempts_during_the_wait_do_not_make_it_longer() -> None:
    make_person("wang")
    fail("wang", 5)
    for _ in range(5):
        response = attempt("wang", "wrong")
        assert wait_message(1) in response.content.decode()
    assert AccessAttempt.objects.get(username="wang").failures_since_start == 5


@pytest.mark.django_db
def test_signing_in_forgets_only_that_pair() -> None:
    make_person("root", is_staff=True)
    make_person("li")
    fail("root", 4, ip=ATTACKER)
    fail("li", 2, ip=OFFICE)
    assert attempt("root", "pw-root", ip=OFFICE).status_code == 302
    # the attacker gets no fresh guesses because the owner signed in elsewhere
    fail("root", 1, ip=ATTACKER)
    assert attempt("root", "pw-root", ip=ATTACKER).status_code == 429
    # nor does signing in as oneself reset another account's count from the same address
    assert attempt("root", "pw-root", ip=OFFICE).status_code == 302
    assert AccessAttempt.objects.filter(username="li", ip_address=OFFICE).exists()


@pytest.mark.django_db
@override_settings(XIETONG_LOGIN_ADDRESS_FAILURES=8)
def test_one_address_guessing_many_accounts_waits() -> None:
    make_person("li")
    for name in "abcdefgh":
        fail(name, 1, ip=ATTACKER)
    assert attempt("li", "pw-li", ip=ATTACKER).status_code == 429
    assert attempt("li", "pw-li", ip=OFFICE).status_code == 302


@pytest.mark.django_db
def test_failures_are_forgotten_a_day_after_the_last() -> None:
    make_person("wang")
    fail("wang", 4)
    with time_machine.travel(timezone.now() + timedelta(hours=24, seconds=1), tick=False):
        fail("wang", 1)
        assert attempt("wang", "pw-wang").status_code == 302


@pytest.mark.django_db
def test_staff_see_the_lockouts_and_unlock_from_the_page(caplog: pytest.LogCaptureFixture) -> None:
    make_person("wang")
    staff = make_person("hr", is_staff=True, is_superuser=True)
    fail("wang", 7, ip=ATTACKER)  # the last two are refused during the wait: not counted
    assert attempt("wang", "pw-wang", ip=ATTACKER).status_code == 429

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    page = client.get("/org/lockouts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "wang" in html and ATTACKER in html and "<td>5</td>" in html
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    assert client.post("/org/lockouts/unlock/", {"username": "wang", "address": ATTACKER}).status_code == 403
    with caplog.at_level(logging.WARNING, logger="xietong.security"):
        done = client.post(
            "/org/lockouts/unlock/",
            {"username": "wang", "address": ATTACKER, "csrfmiddlewaretoken": token.group(1)},
            follow=True,
        )
    assert done.status_code == 200
    assert "当前没有被锁定的登录" in done.content.decode()
    assert "unlocked by hr" in caplog.text and "wang" in caplog.text
    assert attempt("wang", "pw-wang", ip=ATTACKER).status_code == 302


@pytest.mark.django_db
def test_only_staff_who_manage_people_open_the_page() -> None:
    fail("wang", 5)
    for who in (make_person("clerk"), make_person("viewer", is_staff=True)):
        client = Client()
        client.force_login(who)
        assert client.get("/org/lockouts/").status_code == 403
        assert (
            client.post("/org/lockouts/unlock/", {"username": "wang", "address": "10.0.0.1"}).status_code
            == 403
        )
    assert AccessAttempt.objects.filter(username="wang").exists()
    assert Client().get("/org/lockouts/").status_code == 302  # to the login page


def _locked_pairs(count: int) -> None:
    now = timezone.now()
    AccessAttempt.objects.bulk_create(
        AccessAttempt(
            username=f"user{i}",
            ip_address=f"10.1.{i // 250}.{i % 250}",
            user_agent="test",
            get_data="",
            post_data="",
            http_accept="",
            path_info="/accounts/login/",
            failures_since_start=6,
            attempt_time=now,
        )
        for i in range(count)
    )


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_for_2_or_200_lockouts(admin_user: Person) -> None:
    client = Client()
    client.force_login(admin_user)
    _locked_pairs(2)
    client.get("/org/lockouts/")  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get("/org/lockouts/").content.decode().count("user") >= 2
    AccessAttempt.objects.all().delete()
    _locked_pairs(200)
    with CaptureQueriesContext(connection) as large:
        assert "user199" in client.get("/org/lockouts/").content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
