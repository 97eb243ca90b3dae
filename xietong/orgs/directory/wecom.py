"""WeCom (企业微信) contacts as a directory source.

Documented APIs (developer.work.weixin.qq.com):
- access token: GET /cgi-bin/gettoken?corpid=…&corpsecret=… (/document/path/91039);
- departments: GET /cgi-bin/department/list?access_token=… (/document/path/90208), each
  ``{"id", "name", "parentid", "order", "department_leader"}``; the root (parentid 0) is the
  company itself and is not made a department;
- people: GET /cgi-bin/user/list?access_token=…&department_id=…&fetch_child=0 (/document/path/90201),
  one department at a time (a person in several departments is listed under each), each
  ``{"userid", "name", "department", "is_leader_in_dept", "mobile", "email", "biz_mail", "status", …}``.

Codes: 42001 (token expired) and 40014 (invalid token) fetch a new token once;
45009 (frequency limit) and 45033 (concurrency limit) are waited out.
People whose ``status`` is 2 (disabled) or 5 (left) are not in the directory:
the sync deactivates them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xietong.lib.env import env_str
from xietong.orgs.directory.base import DirDepartment, DirectoryError, DirPerson
from xietong.orgs.directory.http import TokenApi

GONE_STATUSES = {2, 5}


class WecomSource(TokenApi):
    name = "wecom"
    vendor = "企业微信"
    token_codes = frozenset({42001, 40014})
    rate_codes = frozenset({45009, 45033, -1})

    def __init__(self, corp_id: str, secret: str, base_url: str = "https://qyapi.weixin.qq.com", **kw: Any):
        super().__init__(base_url, **kw)
        self.corp_id, self.secret = corp_id, secret
        self._department_ids: list[int] = []

    @classmethod
    def from_env(cls) -> WecomSource:
        corp_id = env_str("XIETONG_WECOM_CORP_ID", "")
        secret = env_str("XIETONG_WECOM_SYNC_SECRET", "") or env_str("XIETONG_WECOM_SECRET", "")
        if not corp_id or not secret:
            raise DirectoryError("企业微信:请设置 XIETONG_WECOM_CORP_ID 和 XIETONG_WECOM_SYNC_SECRET")
        return cls(corp_id, secret, env_str("XIETONG_WECOM_API_URL", "https://qyapi.weixin.qq.com"))

    def fetch_token(self) -> str:
        data = self.http("GET", "/cgi-bin/gettoken", {"corpid": self.corp_id, "corpsecret": self.secret})
        return self.token_from(data, "access_token")

    def departments(self) -> Iterator[DirDepartment]:
        data = self.call("GET", "/cgi-bin/department/list")
        rows = data.get("department") or []
        roots = {str(r["id"]) for r in rows if not r.get("parentid")}
        self._department_ids = [int(r["id"]) for r in rows]
        for row in rows:
            ext, parent = str(row["id"]), str(row.get("parentid") or "")
            if ext in roots:
                continue
            yield DirDepartment(ext, str(row.get("name", "")), "" if parent in roots else parent)

    def people(self) -> Iterator[DirPerson]:
        if not self._department_ids:
            for _dept in self.departments():
                pass
        seen: set[str] = set()
        for dept in self._department_ids:
            data = self.call("GET", "/cgi-bin/user/list", {"department_id": dept, "fetch_child": 0})
            for row in data.get("userlist") or []:
                userid = str(row.get("userid", ""))
                if not userid or userid in seen or row.get("status") in GONE_STATUSES:
                    continue
                seen.add(userid)
                departments = tuple(str(d) for d in row.get("department") or [])
                flags = row.get("is_leader_in_dept") or []
                leads = tuple(d for d, flag in zip(departments, flags, strict=False) if flag)
                main = str(row.get("main_department") or "")
                if main in departments:
                    departments = (main, *[d for d in departments if d != main])
                yield DirPerson(
                    external_id=userid,
                    login=userid,
                    name=str(row.get("name") or userid),
                    email=str(row.get("email") or row.get("biz_mail") or ""),
                    mobile=str(row.get("mobile") or ""),
                    employee_number="",
                    department_ids=departments,
                    leads=leads,
                )
