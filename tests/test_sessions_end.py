"""Sessions end when they should (issue 18, part B).

Signing out, deactivation and a password change end the person's other
sessions; the API tokens of a deactivated person stop working. Each test
signs the same person in twice through the real login page (two browsers)
and asks the home page, which sends a signed-out browser to the login page.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import ApiClient, token_for
from tests.conftest import make_person
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db

PASSWORD = "pw-wang"


@pytest.fixture
def wang(db: None) -> Person:
    return make_person("wang")


@pytest.fixture
def staff(db: None) -> Person:
    return make_person("root", is_superuser=True, is_staff=True)


def browser(username: str = "wang", password: str = PASSWORD) -> Client:
    """Return a client signed in through the login page, as a person does."""
    client = Client()
    answer = client.post("/accounts/login/", {"username": username, "password": password})
    assert answer.status_code == 302, "signing in failed"
    return client


def signed_in(client: Client) -> bool:
    answer = client.get("/")
    assert answer.status_code in (200, 302)
    return answer.status_code == 200


def test_it_keeps_both_sessions_while_nothing_happens(wang: Person) -> None:
    first, second = browser(), browser()
    assert signed_in(first) and signed_in(second)
    wang.refresh_from_db()
    assert wang.session_epoch == 0  # signing in does not move it


def test_signing_out_in_one_browser_ends_the_other(wang: Person) -> None:
    first, second = browser(), browser()
    assert signed_in(first) and signed_in(second)

    assert first.post("/accounts/logout/").status_code == 302

    assert not signed_in(first)
    assert not signed_in(second)
    third = browser()  # signing in again works, and only the new session counts
    assert signed_in(third) and not signed_in(second)


def test_signing_out_leaves_other_people_signed_in(wang: Person) -> None:
    make_person("li")
    wang_browser, li_browser = browser(), browser("li", "pw-li")
    wang_browser.post("/accounts/logout/")
    assert signed_in(li_browser)


def test_deactivation_ends_both_sessions_and_reactivation_does_not_bring_them_back(
    wang: Person, staff: Person
) -> None:
    first, second = browser(), browser()
    admin = browser("root", "pw-root")

    answer = admin.post(f"/org/people/{wang.pk}/deactivate/", {"reason": "离职", "confirm": "on"})
    assert answer.status_code == 302

    assert not signed_in(first) and not signed_in(second)
    assert signed_in(admin)  # the staff member who did it stays signed in
    answer = admin.post(f"/org/people/{wang.pk}/reactivate/", {"reason": "返聘"})
    assert answer.status_code in (200, 302)
    wang.refresh_from_db()
    assert wang.is_active
    # Back at work, the person signs in anew: the sessions of before stay ended.
    assert not signed_in(first) and not signed_in(second)
    assert signed_in(browser())


def test_a_password_change_ends_the_other_session_but_not_this_one(wang: Person) -> None:
    here, elsewhere = browser(), browser()
    answer = here.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "Zx9-sessions-end", "new_password2": "Zx9-sessions-end"},
    )
    assert answer.status_code == 302

    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert signed_in(browser(password="Zx9-sessions-end"))


def test_the_api_token_of_a_deactivated_person_is_refused(wang: Person, staff: Person) -> None:
    token = token_for(wang)
    assert ApiClient(token).get("/api/me").status_code == 200
    admin = browser("root", "pw-root")
    admin.post(f"/org/people/{wang.pk}/deactivate/", {"reason": "离职", "confirm": "on"})
    assert ApiClient(token).get("/api/me").status_code == 401
    # Nor does the browser session reach the API any more.
    assert Client().get("/api/me").status_code == 401


def test_a_session_from_before_the_epoch_existed_stays_valid(wang: Person) -> None:
    """Epoch 0 gives Django's own hash: sessions signed in before this change are not ended by it."""
    from django.contrib.auth.base_user import AbstractBaseUser

    assert wang.get_session_auth_hash() == AbstractBaseUser._get_session_auth_hash(wang)
    Person.objects.filter(pk=wang.pk).update(session_epoch=1)
    wang.refresh_from_db()
    assert wang.get_session_auth_hash() != AbstractBaseUser._get_session_auth_hash(wang)
