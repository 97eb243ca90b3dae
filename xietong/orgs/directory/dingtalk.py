"""DingTalk (钉钉) contacts as a directory source.

Documented APIs (open.dingtalk.com):
- access token: GET /gettoken?appkey=…&appsecret=… (/document/orgapp/obtain-orgapp-token);
- departments: POST /topapi/v2/department/listsub?access_token=… with ``{"dept_id": …}``
  (/document/orgapp/obtain-the-department-list-v2), one level at a time from the root
  (dept_id 1, the company itself, not made a department), each ``{"dept_id", "name", "parent_id"}``;
- people: POST /topapi/v2/user/list?access_token=… with ``{"dept_id", "cursor", "size": 100}``
  (/document/orgapp/queries-the-complete-information-of-a-department-user), cursor paging
  (``result.has_more``, ``result.next_cursor``), each ``{"userid", "name", "mobile", "email",
  "org_email", "job_number", "dept_id_list", "leader", "active"}``; ``leader`` says whether
  the person leads the department listed.

Codes: 40014 (invalid token) and 42001 (expired) fetch a new token once; 88 and
90018 (too many calls), 90002 (busy) and -1 (system busy) are waited out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from xietong.lib.env import env_str
from xietong.orgs.directory.base import DirDepartment, DirectoryError, DirPerson
from xietong.orgs.directory.http import TokenApi

ROOT = 1
PAGE = 100


class DingtalkSource(TokenApi):
    name = "dingtalk"
    vendor = "钉钉"
    token_codes = frozenset({40014, 42001})
    rate_codes = frozenset({88, 90018, 90002, -1})

    def __init__(self, app_key: str, app_secret: str, base_url: str = "https://oapi.dingtalk.com", **kw: Any):
        super().__init__(base_url, **kw)
        self.app_key, self.app_secret = app_key, app_secret
        self._department_ids: list[int] = []

    @classmethod
    def from_env(cls) -> DingtalkSource:
        key = env_str("XIETONG_DINGTALK_APP_KEY", "") or env_str("XIETONG_DINGTALK_CLIENT_ID", "")
        secret = env_str("XIETONG_DINGTALK_APP_SECRET", "") or env_str("XIETONG_DINGTALK_CLIENT_SECRET", "")
        if not key or not secret:
            raise DirectoryError("钉钉:请设置 XIETONG_DINGTALK_APP_KEY 和 XIETONG_DINGTALK_APP_SECRET")
        return cls(key, secret, env_str("XIETONG_DINGTALK_OAPI_URL", "https://oapi.dingtalk.com"))

    def fetch_token(self) -> str:
        data = self.http("GET", "/gettoken", {"appkey": self.app_key, "appsecret": self.app_secret})
        return self.token_from(data, "access_token")

    def departments(self) -> Iterator[DirDepartment]:
        self._department_ids = []
        queue = [ROOT]
        while queue:
            parent = queue.pop(0)
            data = self.call("POST", "/topapi/v2/department/listsub", body={"dept_id": parent})
            for row in data.get("result") or []:
                dept = int(row["dept_id"])
                self._department_ids.append(dept)
                queue.append(dept)
                yield DirDepartment(
                    str(dept), str(row.get("name", "")), "" if parent == ROOT else str(parent)
                )

    def people(self) -> Iterator[DirPerson]:
        if not self._department_ids:
            for _dept in self.departments():
                pass
        for dept in [ROOT, *self._department_ids]:
            cursor = 0
            while True:
                body = {"dept_id": dept, "cursor": cursor, "size": PAGE}
                result = self.call("POST", "/topapi/v2/user/list", body=body).get("result") or {}
                for row in result.get("list") or []:
                    if row.get("active") is False:
                        continue
                    userid = str(row.get("userid", ""))
                    departments = tuple(str(d) for d in row.get("dept_id_list") or [] if int(d) != ROOT)
                    yield DirPerson(
                        external_id=userid,
                        login=userid,
                        name=str(row.get("name") or userid),
                        email=str(row.get("email") or row.get("org_email") or ""),
                        mobile=str(row.get("mobile") or ""),
                        employee_number=str(row.get("job_number") or ""),
                        department_ids=departments,
                        leads=(str(dept),) if row.get("leader") and dept != ROOT else (),
                    )
                if not result.get("has_more"):
                    break
                cursor = int(result.get("next_cursor") or 0)
