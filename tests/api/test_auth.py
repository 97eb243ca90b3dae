"""Who may call: personal tokens (shown once, stored as a hash, revocable) and the browser's session."""

from __future__ import annotations

import hashlib

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests.api.conftest import ApiClient, Cast, as_person, token_for
from xietong.api.actions import do_issue_token, person_for_token
from xietong.api.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer xt_nonsense",
        "Bearer xt_00000000_" + "a" * 43,
        "Basic dXNlcjpwYXNz",
        "Bearer " + "x" * 5000,
    ],
)
def test_it_refuses_a_missing_or_wrong_token_with_401(cast: Cast, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = Client().get("/api/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_a_token_with_a_wrong_secret(cast: Cast) -> None:
    token = token_for(cast.member)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert ApiClient(forged).get("/api/me").status_code == 401
    assert ApiClient(token).get("/api/me").status_code == 200


def test_it_answers_as_the_tokens_person(cast: Cast) -> None:
    me = as_person(cast.liaison).get("/api/me").json()
    assert (me["id"], me["name"], me["department"]["name"]) == (cast.liaison.pk, "李工", "技术部")


def test_a_revoked_token_is_refused(cast: Cast) -> None:
    api = as_person(cast.member)
    token = api.get("/api/tokens").json()[0]
    assert api.delete(f"/api/tokens/{token['id']}").status_code == 204
    assert api.get("/api/me").status_code == 401


def test_a_token_of_an_inactive_person_is_refused(cast: Cast) -> None:
    api = as_person(cast.member)
    cast.member.is_active = False
    cast.member.save()
    assert api.get("/api/me").status_code == 401


def test_the_secret_is_shown_once_and_never_stored(cast: Cast) -> None:
    api = as_person(cast.member)
    created = api.post("/api/tokens", {"name": "周报脚本"})
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith(f"xt_{created.json()['prefix']}_")
    row = ApiToken.objects.get(pk=created.json()["id"])
    assert row.hashed_secret == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(pk=row.pk).values().get().values()]
    assert not any(secret in value or secret.split("_", 2)[2] in value for value in stored)
    # never shown again: not in the list, not on the page
    listed = api.get("/api/tokens").json()
    assert "token" not in listed[0] and secret not in str(listed)
    page = Client()
    page.force_login(cast.member)
    assert secret not in page.get(reverse("apitokens:tokens")).content.decode()
    assert ApiClient(secret).get("/api/me").json()["id"] == cast.member.pk


def test_nobody_revokes_someone_elses_token(cast: Cast) -> None:
    theirs = do_issue_token(cast.viewer, "theirs").token
    assert as_person(cast.member).delete(f"/api/tokens/{theirs.pk}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_last_use_is_noted_at_most_once_a_minute(cast: Cast) -> None:
    issued = do_issue_token(cast.member, "t")
    with time_machine.travel("2024-08-12 10:00:00+08:00", tick=False):
        person_for_token(issued.secret)
        issued.token.refresh_from_db()
        first = issued.token.last_used_at
    with time_machine.travel("2024-08-12 10:00:30+08:00", tick=False):
        person_for_token(issued.secret)
        issued.token.refresh_from_db()
        assert issued.token.last_used_at == first
    with time_machine.travel("2024-08-12 10:02:00+08:00", tick=False):
        person_for_token(issued.secret)
        issued.token.refresh_from_db()
        assert issued.token.last_used_at is not None and first is not None
        assert issued.token.last_used_at > first


def test_the_session_works_and_unsafe_methods_need_csrf(cast: Cast) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.member)
    assert browser.get("/api/me").json()["id"] == cast.member.pk
    refused = browser.post("/api/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    browser.get(reverse("apitokens:tokens"))  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/tokens", {"name": "x"}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201


def test_a_bad_token_is_not_rescued_by_a_session(cast: Cast) -> None:
    browser = Client()
    browser.force_login(cast.member)
    assert browser.get("/api/me", headers={"Authorization": "Bearer xt_wrong"}).status_code == 401


def test_anonymous_writes_get_401_not_a_csrf_failure(cast: Cast) -> None:
    response = Client(enforce_csrf_checks=True).post(
        "/api/tokens", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 401


def test_messages_follow_the_language_asked_for(cast: Cast) -> None:
    assert "Bearer" in Client().get("/api/me").json()["detail"]
    english = Client().get("/api/collaborations/nope", headers={"Accept-Language": "en"})
    assert english.status_code == 401
    assert english["Content-Language"] == "en"


def test_a_token_speaks_its_persons_language(cast: Cast) -> None:
    cast.member.language = "en"
    cast.member.save()
    api = as_person(cast.member)
    assert api.get("/api/collaborations/nope").headers["Content-Language"] == "en"
    chinese = ApiClient(token_for(cast.member), **{"Accept-Language": "zh-hans"})
    assert chinese.get("/api/collaborations/nope").headers["Content-Language"] == "zh-hans"


# --- the "API tokens" page


def test_the_page_creates_a_token_shows_it_once_and_revokes_it(cast: Cast) -> None:
    page = Client()
    page.force_login(cast.member)
    url = reverse("apitokens:tokens")
    assert page.get(url).status_code == 200
    created = page.post(url, {"name": "周报脚本"})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(person=cast.member, name="周报脚本")
    html = created.content.decode()
    secret = html.split(f"xt_{token.prefix}_", 1)[1].split("<", 1)[0]
    assert ApiClient(f"xt_{token.prefix}_{secret}").get("/api/me").status_code == 200
    assert secret not in page.get(url).content.decode()
    revoked = page.post(reverse("apitokens:revoke", args=[token.pk]))
    assert revoked.status_code == 302
    assert ApiClient(f"xt_{token.prefix}_{secret}").get("/api/me").status_code == 401
    assert "已撤销" in page.get(url).content.decode()


def test_the_page_needs_a_signed_in_person_and_revokes_only_your_tokens(cast: Cast) -> None:
    assert Client().get(reverse("apitokens:tokens")).status_code == 302
    theirs = do_issue_token(cast.viewer, "theirs").token
    page = Client()
    page.force_login(cast.member)
    assert page.post(reverse("apitokens:revoke", args=[theirs.pk])).status_code == 404


def test_the_command_prints_a_working_token(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("api_token", cast.member.username, "--name", "脚本")
    token = capsys.readouterr().out.strip()
    assert ApiClient(token).get("/api/me").json()["id"] == cast.member.pk
    with pytest.raises(CommandError):
        call_command("api_token", "nobody")
