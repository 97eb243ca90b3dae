"""Local HTTP servers on 127.0.0.1 that answer like WeCom, DingTalk and Feishu's sign-in APIs.

Each answers the documented requests with the documented shapes (the pages
are named at each handler), checks what a real one would refuse (a wrong
secret, an unknown code or token), and records the requests it got. The
authorisation page stands for the person who scans or confirms: it sends the
browser back to ``redirect_uri`` with a one-time code and the ``state``.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Vendor:
    """The vendor's state: its app's credentials, its members, the codes and tokens it issued."""

    client_id: str
    secret: str
    members: dict[str, dict[str, Any]]  # the member who "scans" next -> their profile
    next_member: str = ""
    codes: dict[str, str] = field(default_factory=dict)  # code -> member
    tokens: dict[str, str] = field(default_factory=dict)  # user token -> member
    app_tokens: set[str] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)
    base_url: str = ""

    def issue_code(self) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = self.next_member
        return code

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


class _Handler(BaseHTTPRequestHandler):
    vendor: Vendor
    routes: dict[tuple[str, str], str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any] | None = None, location: str = "") -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        payload = json.dumps(body or {}, ensure_ascii=False).encode()
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        seen = Seen(method, parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body)
        self.vendor.seen.append(seen)
        name = self.routes.get((method, parts.path))
        if name is None:
            self._reply(404, {"error": "not found"})
            return
        getattr(self, name)(seen)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def authorize(self, seen: Seen, code_name: str = "code") -> None:
        """The person confirmed (scanned): back to redirect_uri with a code and the state."""
        code = self.vendor.issue_code()
        target = seen.query["redirect_uri"]
        self._reply(
            302, location=f"{target}?{urlencode({code_name: code, 'state': seen.query.get('state', '')})}"
        )


# --------------------------------------------------------------------------- WeCom


class WeComHandler(_Handler):
    routes = {
        # 构造企业微信登录链接 (QR code): https://developer.work.weixin.qq.com/document/path/98151
        ("GET", "/wwlogin/sso/login"): "sso_login",
        # 构造网页授权链接: https://developer.work.weixin.qq.com/document/path/91335
        ("GET", "/connect/oauth2/authorize"): "oauth2_authorize",
        # 获取access_token: https://developer.work.weixin.qq.com/document/path/91039
        ("GET", "/cgi-bin/gettoken"): "gettoken",
        # 获取访问用户身份: https://developer.work.weixin.qq.com/document/path/91437 (and 98176)
        ("GET", "/cgi-bin/auth/getuserinfo"): "getuserinfo",
        # 读取成员: https://developer.work.weixin.qq.com/document/path/90196
        ("GET", "/cgi-bin/user/get"): "user_get",
    }

    def sso_login(self, seen: Seen) -> None:
        ok = seen.query.get("login_type") == "CorpApp" and seen.query.get("appid") == self.vendor.client_id
        if not ok or not seen.query.get("agentid"):
            self._reply(400, {"errcode": 40013, "errmsg": "invalid corpid"})
            return
        self.authorize(seen)

    def oauth2_authorize(self, seen: Seen) -> None:
        ok = seen.query.get("appid") == self.vendor.client_id and seen.query.get("scope") == "snsapi_base"
        if not ok or seen.query.get("response_type") != "code":
            self._reply(400, {"errcode": 40013, "errmsg": "invalid corpid"})
            return
        self.authorize(seen)

    def gettoken(self, seen: Seen) -> None:
        if (
            seen.query.get("corpid") != self.vendor.client_id
            or seen.query.get("corpsecret") != self.vendor.secret
        ):
            self._reply(200, {"errcode": 40001, "errmsg": "invalid credential"})
            return
        token = secrets.token_urlsafe(24)
        self.vendor.app_tokens.add(token)
        self._reply(200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    def getuserinfo(self, seen: Seen) -> None:
        if seen.query.get("access_token") not in self.vendor.app_tokens:
            self._reply(200, {"errcode": 40014, "errmsg": "invalid access_token"})
            return
        member = self.vendor.codes.pop(seen.query.get("code", ""), None)
        if member is None:
            self._reply(200, {"errcode": 40029, "errmsg": "invalid code"})
            return
        profile = self.vendor.members[member]
        if profile.get("outsider"):  # not in the company's directory: an openid only
            self._reply(
                200, {"errcode": 0, "errmsg": "ok", "openid": "oAAAAAAA", "external_userid": "wmAAAA"}
            )
            return
        self._reply(
            200, {"errcode": 0, "errmsg": "ok", "userid": member, "user_ticket": secrets.token_urlsafe(8)}
        )

    def user_get(self, seen: Seen) -> None:
        if seen.query.get("access_token") not in self.vendor.app_tokens:
            self._reply(200, {"errcode": 40014, "errmsg": "invalid access_token"})
            return
        member = seen.query.get("userid", "")
        if member not in self.vendor.members:
            self._reply(200, {"errcode": 60111, "errmsg": "userid not found"})
            return
        self._reply(200, {"errcode": 0, "errmsg": "ok", "userid": member, **self.vendor.members[member]})


# --------------------------------------------------------------------------- DingTalk


class DingTalkHandler(_Handler):
    # 获取用户个人信息 (登录第三方网站):
    # https://open.dingtalk.com/document/orgapp/tutorial-obtaining-user-personal-information
    routes = {
        ("GET", "/oauth2/auth"): "auth",
        # 获取用户token: https://open.dingtalk.com/document/orgapp/obtain-user-token
        ("POST", "/v1.0/oauth2/userAccessToken"): "user_access_token",
        # 获取用户通讯录个人信息: https://open.dingtalk.com/document/orgapp/dingtalk-retrieve-user-information
        ("GET", "/v1.0/contact/users/me"): "me",
    }

    def auth(self, seen: Seen) -> None:
        if seen.query.get("client_id") != self.vendor.client_id or seen.query.get("response_type") != "code":
            self._reply(400, {"code": "invalidClientId"})
            return
        self.authorize(seen, code_name="authCode")  # DingTalk names it authCode

    def user_access_token(self, seen: Seen) -> None:
        data = json.loads(seen.body or b"{}")
        if data.get("clientId") != self.vendor.client_id or data.get("clientSecret") != self.vendor.secret:
            self._reply(400, {"code": "invalidClientSecret", "message": "clientSecret is invalid"})
            return
        member = self.vendor.codes.pop(data.get("code", ""), None)
        if member is None or data.get("grantType") != "authorization_code":
            self._reply(400, {"code": "invalidAuthCode", "message": "authCode is invalid"})
            return
        token = secrets.token_urlsafe(24)
        self.vendor.tokens[token] = member
        self._reply(
            200,
            {
                "accessToken": token,
                "refreshToken": secrets.token_urlsafe(8),
                "expireIn": 7200,
                "corpId": "dingcorp",
            },
        )

    def me(self, seen: Seen) -> None:
        member = self.vendor.tokens.get(seen.headers.get("x-acs-dingtalk-access-token", ""))
        if member is None:
            self._reply(401, {"code": "InvalidAuthentication", "message": "token is invalid"})
            return
        self._reply(
            200,
            {
                "openId": member,
                "unionId": f"union-{member}",
                "stateCode": "86",
                **self.vendor.members[member],
            },
        )


# --------------------------------------------------------------------------- Feishu


class FeishuHandler(_Handler):
    routes = {
        # 获取登录预授权码: https://open.feishu.cn/document/server-docs/authentication-management/login-state-management/obtain-code
        ("GET", "/open-apis/authen/v1/index"): "index",
        # 自建应用获取 app_access_token: https://open.feishu.cn/document/server-docs/authentication-management/access-token/app_access_token_internal
        ("POST", "/open-apis/auth/v3/app_access_token/internal/"): "app_access_token",
        # 获取 user_access_token (v1): https://open.feishu.cn/document/server-docs/authentication-management/access-token/create-2
        ("POST", "/open-apis/authen/v1/access_token"): "access_token",
        # 获取用户信息: https://open.feishu.cn/document/server-docs/authentication-management/login-state-management/get
        ("GET", "/open-apis/authen/v1/user_info"): "user_info",
    }

    def index(self, seen: Seen) -> None:
        if seen.query.get("app_id") != self.vendor.client_id:
            self._reply(400, {"code": 20029, "msg": "app_id is invalid"})
            return
        self.authorize(seen)

    def app_access_token(self, seen: Seen) -> None:
        raw = seen.body.decode()
        data = json.loads(raw) if raw.startswith("{") else {k: v[0] for k, v in parse_qs(raw).items()}
        if data.get("app_id") != self.vendor.client_id or data.get("app_secret") != self.vendor.secret:
            self._reply(200, {"code": 10014, "msg": "app secret invalid"})
            return
        token = "a-" + secrets.token_urlsafe(24)
        self.vendor.app_tokens.add(token)
        self._reply(200, {"code": 0, "msg": "ok", "app_access_token": token, "expire": 7200})

    def access_token(self, seen: Seen) -> None:
        data = json.loads(seen.body or b"{}")
        bearer = seen.headers.get("authorization", "").removeprefix("Bearer ")
        if (data.get("app_access_token") or bearer) not in self.vendor.app_tokens:
            self._reply(200, {"code": 20014, "msg": "app access token invalid"})
            return
        member = self.vendor.codes.pop(data.get("code", ""), None)
        if member is None or data.get("grant_type") != "authorization_code":
            self._reply(200, {"code": 20003, "msg": "invalid code"})
            return
        token = "u-" + secrets.token_urlsafe(24)
        self.vendor.tokens[token] = member
        profile = self.vendor.members[member]
        self._reply(
            200,
            {
                "code": 0,
                "msg": "success",
                "data": {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 7140,
                    "open_id": member,
                    **profile,
                },
            },
        )

    def user_info(self, seen: Seen) -> None:
        member = self.vendor.tokens.get(seen.headers.get("authorization", "").removeprefix("Bearer "))
        if member is None:
            self._reply(200, {"code": 20005, "msg": "invalid access token"})
            return
        profile = self.vendor.members[member]
        self._reply(
            200,
            {"code": 0, "msg": "success", "data": {"open_id": member, "union_id": f"on-{member}", **profile}},
        )


@contextmanager
def vendor_server(handler: type[_Handler], vendor: Vendor) -> Iterator[Vendor]:
    """Serve ``vendor`` with ``handler`` on a free port of 127.0.0.1; ``vendor.base_url`` is its address."""
    cls = type(handler.__name__, (handler,), {"vendor": vendor})
    server = ThreadingHTTPServer(("127.0.0.1", 0), cls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    vendor.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield vendor
    finally:
        server.shutdown()
        server.server_close()
