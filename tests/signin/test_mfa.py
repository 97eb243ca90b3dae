"""A second factor (TOTP, allauth.mfa) for local accounts, and XIETONG_REQUIRE_MFA_FOR_STAFF.

Codes are computed as an authenticator app does (RFC 6238: HOTP of the
30-second counter) with allauth's own helpers; the clock is pinned and moved
so that each code is a fresh one (a used code is refused for its window).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from tests.conftest import make_person
from tests.helpers import at
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db

START = at(2026, 3, 2, 9, 0)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code(secret: str) -> str:
    """The code an authenticator app shows now for ``secret``."""
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def password_login(client: Client, person: Person) -> str:
    answer = client.post(
        "/accounts/login/", {"username": person.username, "password": f"pw-{person.username}"}
    )
    assert answer.status_code == 302, answer.content[:300]
    return str(answer["Location"])


def who(client: Client) -> Person | None:
    user = client.get("/accounts/2fa/").wsgi_request.user
    return user if isinstance(user, Person) else None


def enable_totp(client: Client, clock: time_machine.Coordinates, password: str) -> str:
    """Turn TOTP on for the person signed in on ``client``; return its secret."""
    # allauth asks for the password again before a second factor changes.
    asked = client.get("/accounts/2fa/totp/activate/")
    if asked.status_code == 302:
        assert asked["Location"].startswith("/accounts/reauthenticate/")
        wrong = client.post(asked["Location"], {"password": "not-it"})
        assert wrong.status_code == 200
        confirmed = client.post(asked["Location"], {"password": password})
        assert confirmed.status_code == 302 and confirmed["Location"] == "/accounts/2fa/totp/activate/"
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert 'src="data:image/svg+xml' in page.content.decode()  # the QR code, served under the CSP
    wrong = client.post(
        "/accounts/2fa/totp/activate/", {"code": "000000" if code(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and not Authenticator.objects.filter(type="totp").exists()
    done = client.post("/accounts/2fa/totp/activate/", {"code": code(secret)})
    assert done.status_code == 302
    clock.shift(timedelta(seconds=60))  # the next code is a new one
    return str(secret)


def test_without_a_second_factor_the_password_signs_in(
    client: Client, clock: time_machine.Coordinates
) -> None:
    ann = make_person("ann")
    assert password_login(client, ann) == "/"
    assert who(client) == ann


def test_a_person_turns_totp_on_and_sign_in_then_asks_for_the_code(
    client: Client, clock: time_machine.Coordinates
) -> None:
    ann = make_person("ann")
    password_login(client, ann)
    secret = enable_totp(client, clock, "pw-ann")
    assert Authenticator.objects.filter(user=ann, type="totp").exists()
    client.post("/accounts/logout/")

    assert password_login(client, ann) == "/accounts/2fa/authenticate/"
    assert who(client) is None  # the password alone signs nobody in
    page = client.get("/accounts/2fa/authenticate/")
    assert page.status_code == 200
    bad = client.post("/accounts/2fa/authenticate/", {"code": "12345"})
    assert bad.status_code == 200 and who(client) is None
    good = client.post("/accounts/2fa/authenticate/", {"code": code(secret)})
    assert good.status_code == 302 and good["Location"] == "/"
    assert who(client) == ann


def test_staff_must_set_up_a_second_factor_when_required(
    client: Client, settings, clock: time_machine.Coordinates
) -> None:
    settings.XIETONG_REQUIRE_MFA_FOR_STAFF = True
    boss = make_person("boss", is_staff=True)
    password_login(client, boss)
    for path in ("/", "/org/", "/admin/"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer["Location"] == "/accounts/2fa/totp/activate/", path
    client.post("/accounts/reauthenticate/", {"password": "pw-boss"})
    assert "管理人员须先启用两步验证" in client.get("/accounts/2fa/totp/activate/").content.decode()
    enable_totp(client, clock, "pw-boss")
    assert client.get("/").status_code == 200

    worker = make_person("worker")
    other = Client()
    password_login(other, worker)
    assert other.get("/").status_code == 200  # only staff are held


def test_staff_are_not_held_unless_required(client: Client, clock: time_machine.Coordinates) -> None:
    boss = make_person("boss", is_staff=True)
    password_login(client, boss)
    assert client.get("/").status_code == 200


def test_staff_signed_in_by_a_company_method_are_left_to_it(client: Client, settings) -> None:
    """The requirement is for passwords: a company sign-in brings the provider's own second factor."""
    from allauth.account.internal.flows.login import record_authentication
    from django.contrib.auth import login
    from django.test import RequestFactory

    settings.XIETONG_REQUIRE_MFA_FOR_STAFF = True
    boss = make_person("boss", is_staff=True)
    request = RequestFactory().get("/")
    request.session = client.session
    login(request, boss, backend="django.contrib.auth.backends.ModelBackend")
    record_authentication(request, boss, "socialaccount", provider="oidc", uid="sub-boss")
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    assert client.get("/").status_code == 200
