"""Local vendor directories on 127.0.0.1: WeCom, DingTalk and Feishu contacts APIs, as documented.

Each server is a ``ThreadingHTTPServer`` that answers the requests the
vendor's documentation describes, with the documented response shapes and
error codes, from one ``Company`` (departments and people):

- WeCom: GET /cgi-bin/gettoken (https://developer.work.weixin.qq.com/document/path/91039),
  GET /cgi-bin/department/list (/document/path/90208), GET /cgi-bin/user/list
  ?department_id=&fetch_child= (/document/path/90201); errcode 42001 (token
  expired), 40014 (invalid token), 45009 (frequency limit).
- DingTalk: GET /gettoken (https://open.dingtalk.com/document/orgapp/obtain-orgapp-token),
  POST /topapi/v2/department/listsub (/document/orgapp/obtain-the-department-list-v2),
  POST /topapi/v2/user/list with cursor and size ≤ 100
  (/document/orgapp/queries-the-complete-information-of-a-department-user); errcode
  40014 / 42001 (token), 90018 (too many calls).
- Feishu: POST /open-apis/auth/v3/tenant_access_token/internal
  (https://open.feishu.cn/document/server-docs/authentication-management/access-token/tenant_access_token_internal),
  GET /open-apis/contact/v3/departments/:id/children (/server-docs/contact-v3/department/children),
  GET /open-apis/contact/v3/users/find_by_department (/server-docs/contact-v3/user/find_by_department),
  ``page_token`` paging with page_size ≤ 50; code 99991663 (token invalid, HTTP 400),
  99991400 (frequency limit, HTTP 400).

Every server enforces its token (issued by its own token call, expiring
after ``token_uses`` calls), its paging limits, and can be told to answer
with a rate limit (``rate_limited``: the next n API calls) or to fail
(``fail_on``: an HTTP 500 for a path from its n-th call on).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Worker:
    userid: str
    name: str
    departments: list[str]
    leads: list[str] = field(default_factory=list)
    email: str = ""
    mobile: str = ""
    number: str = ""
    active: bool = True


@dataclass
class Company:
    """The directory the servers serve: departments (id -> (name, parent id; "" under the root)) and people."""

    departments: dict[str, tuple[str, str]] = field(default_factory=dict)
    people: list[Worker] = field(default_factory=list)


def sample_company() -> Company:
    """技术部 (with 前端组) and 售后部; 25 people in 技术部 so that lists take several pages."""
    company = Company(
        departments={"2": ("技术部", ""), "3": ("售后部", ""), "4": ("前端组", "2")},
        people=[
            Worker("zhao", "赵总监", ["2"], ["2"], "zhao@example.com", "13800000001", "E001"),
            Worker("li", "李工", ["2", "4"], ["4"], "li@example.com", "13800000002", "E002"),
            Worker("wang", "王经理", ["3"], ["3"], "wang@example.com", "13800000003", "E003"),
            Worker("boss", "老板", [], [], "boss@example.com"),  # in the root only: no department
        ],
    )
    company.people += [Worker(f"dev{n}", f"开发{n}", ["2"], email=f"dev{n}@example.com") for n in range(25)]
    return company


Answer = tuple[int, dict[str, Any]]


class VendorServer:
    """The common part: tokens, call counting, injected rate limits and failures."""

    vendor = ""

    def __init__(self, company: Company) -> None:
        self.company = company
        self.token_uses = 1000  # API calls a token is good for
        self.rate_limited = 0  # the next n API calls answer with the rate-limit code
        self.fail_on: tuple[str, int] | None = None  # (path, n): HTTP 500 from its n-th call on
        self.calls: list[str] = []
        self.tokens_issued = 0
        self._token = ""
        self._uses = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with server._lock:
                    status, answer = server.answer(method, parts.path, query, body, dict(self.headers))
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def issue_token(self) -> str:
        self.tokens_issued += 1
        self._token, self._uses = f"token-{self.tokens_issued}", 0
        return self._token

    def token_state(self, given: str) -> str:
        """ "ok", "invalid" or "expired" for the token a request carries (counting the use)."""
        if not given or given != self._token:
            return "invalid" if not given or not given.startswith("token-") else "expired"
        self._uses += 1
        return "expired" if self._uses > self.token_uses else "ok"

    def api_call(self, path: str) -> Answer | None:
        """Count an API call; return an injected failure or rate limit, or None to answer it."""
        self.calls.append(path)
        if self.fail_on and path == self.fail_on[0] and self.calls.count(path) >= self.fail_on[1]:
            return 500, {"error": "internal"}
        if self.rate_limited:
            self.rate_limited -= 1
            return self.rate_limit()
        return None

    def rate_limit(self) -> Answer:
        raise NotImplementedError

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> Answer:
        raise NotImplementedError

    def children(self, parent: str) -> list[str]:
        return [d for d, (_n, p) in self.company.departments.items() if p == parent]

    def members(self, department: str) -> list[Worker]:
        return [w for w in self.company.people if department in w.departments]


class WecomServer(VendorServer):
    vendor = "wecom"
    corp_id, secret = "ww-corp", "wecom-secret"

    def rate_limit(self) -> Answer:
        return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> Answer:
        if path == "/cgi-bin/gettoken":
            if (query.get("corpid"), query.get("corpsecret")) != (self.corp_id, self.secret):
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": self.issue_token(), "expires_in": 7200}
        state = self.token_state(query.get("access_token", ""))
        if state != "ok":
            code = 42001 if state == "expired" else 40014
            return 200, {"errcode": code, "errmsg": f"access_token {state}"}
        injected = self.api_call(path)
        if injected:
            return injected
        if path == "/cgi-bin/department/list" and method == "GET":
            rows = [{"id": 1, "name": "示例公司", "parentid": 0, "order": 100000000}]
            rows += [
                {"id": int(d), "name": n, "parentid": int(p or 1), "order": 1, "department_leader": []}
                for d, (n, p) in self.company.departments.items()
            ]
            return 200, {"errcode": 0, "errmsg": "ok", "department": rows}
        if path == "/cgi-bin/user/list" and method == "GET":
            dept = query.get("department_id", "")
            if query.get("fetch_child") not in (None, "0"):
                return 200, {"errcode": 0, "errmsg": "ok", "userlist": []}  # not used by the source
            people = (
                self.members(dept) if dept != "1" else [w for w in self.company.people if not w.departments]
            )
            rows = []
            for w in people:
                departments = w.departments or ["1"]
                rows.append(
                    {
                        "userid": w.userid,
                        "name": w.name,
                        "department": [int(d) for d in departments],
                        "order": [0 for _ in departments],
                        "is_leader_in_dept": [1 if d in w.leads else 0 for d in departments],
                        "main_department": int(departments[0]),
                        "mobile": w.mobile,
                        "email": w.email,
                        "status": 1 if w.active else 5,
                    }
                )
            return 200, {"errcode": 0, "errmsg": "ok", "userlist": rows}
        return 404, {"errcode": 404, "errmsg": "no such api"}


class DingtalkServer(VendorServer):
    vendor = "dingtalk"
    app_key, app_secret = "ding-key", "ding-secret"

    def rate_limit(self) -> Answer:
        return 200, {"errcode": 90018, "errmsg": "当前企业所有应用调用该接口次数过多"}

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> Answer:
        if path == "/gettoken":
            if (query.get("appkey"), query.get("appsecret")) != (self.app_key, self.app_secret):
                return 200, {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": self.issue_token(), "expires_in": 7200}
        state = self.token_state(query.get("access_token", ""))
        if state != "ok":
            return 200, {"errcode": 42001 if state == "expired" else 40014, "errmsg": "不合法的access_token"}
        injected = self.api_call(path)
        if injected:
            return injected
        if path == "/topapi/v2/department/listsub" and method == "POST":
            parent = str(body.get("dept_id", 1))
            rows = [
                {"dept_id": int(d), "name": self.company.departments[d][0], "parent_id": int(parent)}
                for d in self.children("" if parent == "1" else parent)
            ]
            return 200, {"errcode": 0, "errmsg": "ok", "result": rows, "request_id": "r"}
        if path == "/topapi/v2/user/list" and method == "POST":
            size = int(body.get("size", 0))
            if not 1 <= size <= 100:
                return 200, {"errcode": 400002, "errmsg": "size 无效"}
            dept = str(body.get("dept_id"))
            people = (
                self.members(dept) if dept != "1" else [w for w in self.company.people if not w.departments]
            )
            cursor = int(body.get("cursor", 0))
            page = people[cursor : cursor + size]
            rows = [
                {
                    "userid": w.userid,
                    "name": w.name,
                    "mobile": w.mobile,
                    "email": w.email,
                    "job_number": w.number,
                    "dept_id_list": [int(d) for d in w.departments] or [1],
                    "leader": dept in w.leads,
                    "active": w.active,
                }
                for w in page
            ]
            more = cursor + size < len(people)
            result = {"has_more": more, "list": rows, **({"next_cursor": cursor + size} if more else {})}
            return 200, {"errcode": 0, "errmsg": "ok", "result": result, "request_id": "r"}
        return 404, {"errcode": 404, "errmsg": "no such api"}


class FeishuServer(VendorServer):
    vendor = "feishu"
    app_id, app_secret = "cli_app", "feishu-secret"

    def rate_limit(self) -> Answer:
        return 400, {"code": 99991400, "msg": "request trigger frequency limit"}

    def _page(self, items: list[dict[str, Any]], query: dict[str, str]) -> Answer:
        size = int(query.get("page_size", 10))
        if not 1 <= size <= 50:
            return 400, {"code": 99992402, "msg": "field validation failed"}
        start = int(query.get("page_token") or 0)
        page, more = items[start : start + size], start + size < len(items)
        data = {"has_more": more, "items": page, **({"page_token": str(start + size)} if more else {})}
        return 200, {"code": 0, "msg": "success", "data": data}

    def answer(
        self, method: str, path: str, query: dict[str, str], body: Any, headers: dict[str, str]
    ) -> Answer:
        if path == "/open-apis/auth/v3/tenant_access_token/internal" and method == "POST":
            if (body.get("app_id"), body.get("app_secret")) != (self.app_id, self.app_secret):
                return 400, {"code": 10014, "msg": "app secret invalid"}
            return 200, {"code": 0, "msg": "ok", "tenant_access_token": self.issue_token(), "expire": 7200}
        auth = headers.get("Authorization", "")
        state = self.token_state(auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else "")
        if state != "ok":
            return 400, {"code": 99991663 if state == "expired" else 99991661, "msg": "Invalid access token"}
        injected = self.api_call(path)
        if injected:
            return injected
        if path == "/open-apis/contact/v3/departments/0/children" and method == "GET":
            if query.get("fetch_child") != "true":
                return 200, {"code": 0, "msg": "success", "data": {"has_more": False, "items": []}}
            rows = []
            for d, (name, parent) in self.company.departments.items():
                leader = next((w.userid for w in self.company.people if d in w.leads), "")
                rows.append(
                    {
                        "name": name,
                        "department_id": f"D{d}",
                        "open_department_id": f"od-{d}",
                        "parent_department_id": f"od-{parent}" if parent else "0",
                        "leader_user_id": f"ou-{leader}" if leader else "",
                        "status": {"is_deleted": False},
                    }
                )
            return self._page(rows, query)
        if path == "/open-apis/contact/v3/users/find_by_department" and method == "GET":
            dept = query.get("department_id", "").removeprefix("od-")
            people = (
                self.members(dept) if dept != "0" else [w for w in self.company.people if not w.departments]
            )
            rows = [
                {
                    "open_id": f"ou-{w.userid}",
                    "user_id": w.userid,
                    "name": w.name,
                    "email": w.email,
                    "mobile": f"+86{w.mobile}" if w.mobile else "",
                    "employee_no": w.number,
                    "department_ids": [f"od-{d}" for d in w.departments] or ["0"],
                    "status": {"is_activated": True, "is_frozen": False, "is_resigned": not w.active},
                }
                for w in people
            ]
            return self._page(rows, query)
        return 404, {"code": 404, "msg": "not found"}


def _running(server: VendorServer) -> Iterator[VendorServer]:
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def wecom_server() -> Iterator[VendorServer]:
    yield from _running(WecomServer(sample_company()))


@pytest.fixture
def dingtalk_server() -> Iterator[VendorServer]:
    yield from _running(DingtalkServer(sample_company()))


@pytest.fixture
def feishu_server() -> Iterator[VendorServer]:
    yield from _running(FeishuServer(sample_company()))


Factory = Callable[..., Any]
