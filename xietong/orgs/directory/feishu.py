"""Feishu (飞书) contacts as a directory source.

Documented APIs (open.feishu.cn/document):
- access token: POST /open-apis/auth/v3/tenant_access_token/internal with ``{"app_id", "app_secret"}``
  (/server-docs/authentication-management/access-token/tenant_access_token_internal);
- departments: GET /open-apis/contact/v3/departments/0/children?fetch_child=true&page_size=50
  (/server-docs/contact-v3/department/children), ``page_token`` paging (``data.has_more``,
  ``data.page_token``), each ``{"open_department_id", "name", "parent_department_id",
  "leader_user_id"}``; "0" is the company itself, not made a department;
- people: GET /open-apis/contact/v3/users/find_by_department?department_id=…&page_size=50
  (/server-docs/contact-v3/user/find_by_department), direct members of one department,
  ``page_token`` paging, each ``{"open_id", "user_id", "name", "email", "enterprise_email",
  "mobile", "employee_no", "department_ids", "status": {"is_resigned", "is_frozen"}}``.

Authorization: ``Bearer <tenant_access_token>``. Codes: 99991663, 99991668 and 99991677
(token invalid or expired) fetch a new token once; 99991400 (frequency limit) is waited out.
A department's head is its ``leader_user_id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xietong.lib.env import env_str
from xietong.orgs.directory.base import DirDepartment, DirectoryError, DirPerson
from xietong.orgs.directory.http import TokenApi

ROOT = "0"
PAGE = 50
ID_TYPES = {"department_id_type": "open_department_id", "user_id_type": "open_id"}


class FeishuSource(TokenApi):
    name = "feishu"
    vendor = "飞书"
    token_codes = frozenset({99991663, 99991668, 99991677})
    rate_codes = frozenset({99991400})

    def __init__(self, app_id: str, app_secret: str, base_url: str = "https://open.feishu.cn", **kw: Any):
        super().__init__(base_url, **kw)
        self.app_id, self.app_secret = app_id, app_secret
        self._leaders: dict[str, str] = {}  # department -> its leader's open_id
        self._department_ids: list[str] = []

    @classmethod
    def from_env(cls) -> FeishuSource:
        app_id, secret = env_str("XIETONG_FEISHU_APP_ID", ""), env_str("XIETONG_FEISHU_APP_SECRET", "")
        if not app_id or not secret:
            raise DirectoryError("飞书:请设置 XIETONG_FEISHU_APP_ID 和 XIETONG_FEISHU_APP_SECRET")
        return cls(app_id, secret, env_str("XIETONG_FEISHU_API_URL", "https://open.feishu.cn"))

    def code_of(self, data: dict[str, Any]) -> tuple[int, str]:
        return int(data.get("code", 0) or 0), str(data.get("msg", ""))

    def authorise(self, token: str, params: dict[str, Any], headers: dict[str, str]) -> None:
        headers["Authorization"] = f"Bearer {token}"

    def fetch_token(self) -> str:
        data = self.http(
            "POST",
            "/open-apis/auth/v3/tenant_access_token/internal",
            body={"app_id": self.app_id, "app_secret": self.app_secret},
        )
        return self.token_from(data, "tenant_access_token")

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            query = {**ID_TYPES, **params, "page_size": PAGE, **({"page_token": token} if token else {})}
            data = self.call("GET", path, query).get("data") or {}
            yield from data.get("items") or []
            token = str(data.get("page_token") or "")
            if not data.get("has_more") or not token:
                return

    def departments(self) -> Iterator[DirDepartment]:
        self._leaders, self._department_ids = {}, []
        path = f"/open-apis/contact/v3/departments/{ROOT}/children"
        for row in self._pages(path, {"fetch_child": "true"}):
            if (row.get("status") or {}).get("is_deleted"):
                continue
            ext = str(row.get("open_department_id") or "")
            parent = str(row.get("parent_department_id") or "")
            self._department_ids.append(ext)
            if row.get("leader_user_id"):
                self._leaders[ext] = str(row["leader_user_id"])
            yield DirDepartment(ext, str(row.get("name", "")), "" if parent == ROOT else parent)

    def people(self) -> Iterator[DirPerson]:
        if not self._department_ids:
            for _dept in self.departments():
                pass
        leads_of: dict[str, list[str]] = {}
        for dept, leader in self._leaders.items():
            leads_of.setdefault(leader, []).append(dept)
        seen: set[str] = set()
        for dept in [ROOT, *self._department_ids]:
            for row in self._pages("/open-apis/contact/v3/users/find_by_department", {"department_id": dept}):
                status = row.get("status") or {}
                open_id = str(row.get("open_id") or "")
                if not open_id or open_id in seen or status.get("is_resigned") or status.get("is_frozen"):
                    continue
                seen.add(open_id)
                yield DirPerson(
                    external_id=open_id,
                    login=str(row.get("user_id") or open_id),
                    name=str(row.get("name") or open_id),
                    email=str(row.get("enterprise_email") or row.get("email") or ""),
                    mobile=str(row.get("mobile") or ""),
                    employee_number=str(row.get("employee_no") or ""),
                    department_ids=tuple(str(d) for d in row.get("department_ids") or [] if str(d) != ROOT),
                    leads=tuple(leads_of.get(open_id, ())),
                )
