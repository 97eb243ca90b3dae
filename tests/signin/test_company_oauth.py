"""WeCom, DingTalk and Feishu sign-in end to end: the sign-in button's redirect, the vendor's page,
the callback and the person signed in, against local servers that answer as the vendors document
(tests/signin/servers.py names each page)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from tests.signin.servers import DingTalkHandler, FeishuHandler, Vendor, WeComHandler, vendor_server
from xietong.audit.models import AuditEntry
from xietong.orgs.invitations import NewPerson, do_invite_person
from xietong.orgs.models import AccountInvitation, Person, PersonSource
from xietong.signin.config import social_providers_from_env

pytestmark = pytest.mark.django_db

ZHANGSAN = {
    "name": "张三",
    "department": [1],
    "mobile": "13800000000",
    "email": "zhangsan@corp.example",
    "biz_mail": "zhangsan@corp.example",
    "status": 1,
}


@pytest.fixture
def wecom(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Vendor]:
    vendor = Vendor(
        "wwcorp123",
        "wecom-secret",
        {"zhangsan": ZHANGSAN, "lisi": {"name": "李四", "status": 1}, "guest": {"outsider": True}},
    )
    with vendor_server(WeComHandler, vendor):
        for name, value in {
            "CORP_ID": vendor.client_id,
            "SECRET": vendor.secret,
            "AGENT_ID": "1000002",
            "API_URL": vendor.base_url,
            "SSO_URL": vendor.base_url,
            "OAUTH_URL": vendor.base_url,
        }.items():
            monkeypatch.setenv(f"XIETONG_WECOM_{name}", value)
        settings.SOCIALACCOUNT_PROVIDERS = social_providers_from_env()
        yield vendor


@pytest.fixture
def dingtalk(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Vendor]:
    members = {
        "ding-wang": {
            "nick": "王五",
            "email": "wangwu@corp.example",
            "mobile": "13900000000",
            "avatarUrl": "",
        }
    }
    vendor = Vendor("dingclient", "ding-secret", members)
    with vendor_server(DingTalkHandler, vendor):
        monkeypatch.setenv("XIETONG_DINGTALK_CLIENT_ID", vendor.client_id)
        monkeypatch.setenv("XIETONG_DINGTALK_CLIENT_SECRET", vendor.secret)
        monkeypatch.setenv("XIETONG_DINGTALK_LOGIN_URL", vendor.base_url)
        monkeypatch.setenv("XIETONG_DINGTALK_API_URL", vendor.base_url)
        settings.SOCIALACCOUNT_PROVIDERS = social_providers_from_env()
        yield vendor


@pytest.fixture
def feishu(settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Vendor]:
    members = {
        "ou-zhao": {
            "name": "赵六",
            "en_name": "Zhao Liu",
            "email": "zl@gmail.example",
            "enterprise_email": "zhaoliu@corp.example",
            "mobile": "+8613700000000",
            "user_id": "5d9b",
            "tenant_key": "t1",
        }
    }
    vendor = Vendor("cli_a1b2", "feishu-secret", members)
    with vendor_server(FeishuHandler, vendor):
        monkeypatch.setenv("XIETONG_FEISHU_APP_ID", vendor.client_id)
        monkeypatch.setenv("XIETONG_FEISHU_APP_SECRET", vendor.secret)
        monkeypatch.setenv("XIETONG_FEISHU_API_URL", vendor.base_url)
        settings.SOCIALACCOUNT_PROVIDERS = social_providers_from_env()
        yield vendor


def sign_in(client: Client, vendor: Vendor, start: str, member: str, **headers: str) -> str:
    """Press the sign-in button, let ``member`` confirm on the vendor's page, follow the callback.

    Return where the site sends the browser at the end.
    """
    pressed = client.post(start, {"process": "login"}, headers=headers)
    assert pressed.status_code == 302, pressed.content[:500]
    authorize = pressed["Location"]
    assert authorize.startswith(vendor.base_url)
    vendor.next_member = member
    confirmed = requests.get(authorize.split("#", 1)[0], allow_redirects=False, timeout=10)
    assert confirmed.status_code == 302
    back = urlsplit(confirmed.headers["Location"])
    assert back.netloc == "testserver"
    answer = client.get(f"{back.path}?{back.query}", headers=headers)
    return (
        answer["Location"]
        if answer.status_code == 302
        else f"{answer.status_code}: {answer.content.decode()[:2000]}"
    )


def signed_in_as(client: Client) -> Person | None:
    user = client.get("/").wsgi_request.user
    return user if isinstance(user, Person) else None


def test_the_login_page_lists_the_configured_methods(client: Client, wecom: Vendor, dingtalk: Vendor) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "通过企业微信登录" in page and "通过钉钉登录" in page and "飞书" not in page
    assert 'action="/accounts/wecom/login/"' in page


def test_wecom_qr_login_creates_the_member_then_finds_them(client: Client, wecom: Vendor) -> None:
    assert sign_in(client, wecom, "/accounts/wecom/login/", "zhangsan") == "/"
    zhangsan = signed_in_as(client)
    assert zhangsan is not None and zhangsan.source == PersonSource.WECOM
    assert (zhangsan.display_name, zhangsan.email, zhangsan.username) == (
        "张三",
        "zhangsan@corp.example",
        "zhangsan",
    )
    assert not zhangsan.has_usable_password()
    sso = next(s for s in wecom.seen if s.path == "/wwlogin/sso/login")
    assert sso.query["agentid"] == "1000002" and sso.query["redirect_uri"].endswith(
        "/accounts/wecom/login/callback/"
    )
    assert wecom.paths()[-3:] == ["/cgi-bin/gettoken", "/cgi-bin/auth/getuserinfo", "/cgi-bin/user/get"]
    assert AuditEntry.objects.filter(
        object_type="orgs.person", object_id=str(zhangsan.pk), change="create"
    ).exists()

    again = Client()
    assert sign_in(again, wecom, "/accounts/wecom/login/", "zhangsan") == "/"
    assert signed_in_as(again) == zhangsan
    assert Person.objects.filter(source=PersonSource.WECOM).count() == 1


def test_wecom_inside_the_app_uses_the_oauth_link(client: Client, wecom: Vendor) -> None:
    ua = {"User-Agent": "Mozilla/5.0 (iPhone) wxwork/4.1.0 MicroMessenger/7.0.1"}
    assert sign_in(client, wecom, "/accounts/wecom/login/", "lisi", **ua) == "/"
    authorize = next(s for s in wecom.seen if s.path == "/connect/oauth2/authorize")
    assert authorize.query["scope"] == "snsapi_base" and authorize.query["agentid"] == "1000002"
    lisi = signed_in_as(client)
    assert lisi is not None and lisi.display_name == "李四" and lisi.email == ""


def test_wecom_refuses_who_is_not_in_the_directory(client: Client, wecom: Vendor) -> None:
    answer = sign_in(client, wecom, "/accounts/wecom/login/", "guest")
    assert answer.startswith("401") and signed_in_as(client) is None
    assert not Person.objects.filter(source=PersonSource.WECOM).exists()


def test_wecom_links_the_person_with_the_directorys_email(client: Client, wecom: Vendor) -> None:
    existing = Person.objects.create_user("zs", email="ZhangSan@corp.example", display_name="张三(本地)")
    assert sign_in(client, wecom, "/accounts/wecom/login/", "zhangsan") == "/"
    assert signed_in_as(client) == existing
    assert SocialAccount.objects.get(provider="wecom").user == existing
    assert Person.objects.count() == 1


def test_a_local_administrator_is_never_linked_by_email(client: Client, wecom: Vendor) -> None:
    root = Person.objects.create_superuser("root", email="ZhangSan@corp.example", password="local-pw-123")
    assert sign_in(client, wecom, "/accounts/wecom/login/", "zhangsan") == "/"
    signed = signed_in_as(client)
    assert signed is not None and signed != root and signed.source == PersonSource.WECOM
    assert signed.email == ""  # the address stays the administrator's alone
    assert not SocialAccount.objects.filter(user=root).exists()


def test_an_invitation_accepted_through_wecom(client: Client, wecom: Vendor, admin_user: Person) -> None:
    issued = do_invite_person(NewPerson("李四(受邀)", phone="13911112222"), actor=admin_user)
    token = issued.link.rstrip("/").rsplit("/", 1)[-1]
    invite_page = client.get(f"/invite/{token}/").content.decode()
    assert f"/accounts/invite/{token}/wecom/" in invite_page
    assert sign_in(client, wecom, f"/accounts/invite/{token}/wecom/", "lisi") == "/"
    invited = issued.invitation.person
    assert signed_in_as(client) == invited
    assert SocialAccount.objects.get(provider="wecom").user == invited
    assert AccountInvitation.objects.get(pk=issued.invitation.pk).accepted_at is not None
    assert client.get(f"/invite/{token}/").status_code == 404  # used up


def test_dingtalk_creates_a_person_and_does_not_trust_its_email(client: Client, dingtalk: Vendor) -> None:
    other = Person.objects.create_user("ww", email="wangwu@corp.example")
    assert sign_in(client, dingtalk, "/accounts/dingtalk/login/", "ding-wang") == "/"
    wangwu = signed_in_as(client)
    assert wangwu is not None and wangwu != other
    assert (wangwu.source, wangwu.display_name, wangwu.email) == (PersonSource.DINGTALK, "王五", "")
    token_call = next(s for s in dingtalk.seen if s.path == "/v1.0/oauth2/userAccessToken")
    assert token_call.method == "POST" and b'"grantType": "authorization_code"' in token_call.body
    auth = next(s for s in dingtalk.seen if s.path == "/oauth2/auth")
    assert set(auth.query["scope"].split()) == {"openid", "corpid"}


def test_feishu_links_by_the_enterprise_email(client: Client, feishu: Vendor) -> None:
    existing = Person.objects.create_user("zhaoliu", email="zhaoliu@corp.example")
    assert sign_in(client, feishu, "/accounts/feishu/login/", "ou-zhao") == "/"
    assert signed_in_as(client) == existing
    assert feishu.paths()[-3:] == [
        "/open-apis/auth/v3/app_access_token/internal/",
        "/open-apis/authen/v1/access_token",
        "/open-apis/authen/v1/user_info",
    ]


def test_feishu_new_person(client: Client, feishu: Vendor) -> None:
    assert sign_in(client, feishu, "/accounts/feishu/login/", "ou-zhao") == "/"
    zhao = signed_in_as(client)
    assert zhao is not None and (zhao.source, zhao.display_name, zhao.email) == (
        PersonSource.FEISHU,
        "赵六",
        "zhaoliu@corp.example",
    )
    assert parse_qs(urlsplit(feishu.seen[0].path).query) == {}  # the index page got its parameters as a query


def test_a_deactivated_person_cannot_sign_in_through_wecom(client: Client, wecom: Vendor) -> None:
    assert sign_in(client, wecom, "/accounts/wecom/login/", "zhangsan") == "/"
    Person.objects.filter(username="zhangsan").update(is_active=False)
    again = Client()
    assert sign_in(again, wecom, "/accounts/wecom/login/", "zhangsan") == "/accounts/inactive/"
    assert signed_in_as(again) is None
