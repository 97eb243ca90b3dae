"""A password change or a deactivation ends a person's API tokens (issue 15, point 8).

Every path that changes a password is covered, because the check is made
when a token is used: the token remembers the password it was issued
under. The requests are real, with the token in the Authorization header.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import ApiClient, token_for
from tests.conftest import make_person
from xietong.api.models import ApiToken
from xietong.orgs.models import Person


@pytest.fixture
def wang(db: None) -> Person:
    return make_person("wang")


def works(token: str) -> bool:
    status = ApiClient(token).get("/api/tokens").status_code
    assert status in (200, 401)
    return status == 200


@pytest.mark.django_db
def test_set_password_and_save_ends_the_tokens(wang: Person) -> None:
    token = token_for(wang)
    assert works(token)
    wang.set_password("a-new-password")
    wang.save()
    assert not works(token)
    # refused for good: revoked, even if the old password came back
    assert ApiToken.objects.get(person=wang).revoked_at is not None
    assert works(token_for(wang))  # a token issued under the new password works


@pytest.mark.django_db
def test_the_password_change_page_ends_the_tokens(wang: Person) -> None:
    token = token_for(wang)
    client = Client()
    client.force_login(wang)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pw-wang", "new_password1": "Zx9-tokens-end", "new_password2": "Zx9-tokens-end"},
    )
    assert response.status_code == 302
    assert not works(token)


@pytest.mark.django_db
def test_an_administrator_setting_the_password_in_the_admin_ends_the_tokens(
    wang: Person, admin_user: Person
) -> None:
    token = token_for(wang)
    admin = Client()
    admin.force_login(admin_user)
    response = admin.post(
        f"/admin/orgs/person/{wang.pk}/password/",
        {"password1": "Zx9-tokens-end", "password2": "Zx9-tokens-end", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not works(token)


@pytest.mark.django_db
def test_deactivation_ends_the_tokens(wang: Person) -> None:
    token = token_for(wang)
    wang.is_active = False
    wang.save()
    assert not works(token)


@pytest.mark.django_db
def test_other_changes_to_the_person_keep_the_tokens(wang: Person) -> None:
    token = token_for(wang)
    wang.display_name = "王五"
    wang.email = "wang@example.com"
    wang.save()
    assert works(token)


@pytest.mark.django_db
def test_the_list_and_the_page_show_the_token_as_ended(wang: Person) -> None:
    token = token_for(wang)
    wang.set_password("a-new-password")
    wang.save()
    fresh = token_for(wang, "after")
    listed = {t["name"]: t["active"] for t in ApiClient(fresh).get("/api/tokens").json()}
    assert listed == {"tests": False, "after": True}
    page = Client()
    page.force_login(wang)
    assert "已失效(密码已更改)" in page.get("/api-tokens/").content.decode()
    assert not works(token)
