"""WeCom, DingTalk and Feishu directories through their documented APIs, served on 127.0.0.1.

The servers (``tests/servers_directory.py``) follow the vendors' pages named
there: token calls, department and user lists, paging (DingTalk's cursor
with size ≤ 100, Feishu's page_token with page_size ≤ 50, WeCom one
department per call), token expiry and rate-limit codes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from tests.helpers import row_counts
from tests.notify.servers import closed_port
from tests.servers_directory import DingtalkServer, FeishuServer, VendorServer, WecomServer, sample_company
from xietong.orgs.directory.base import DirectoryError
from xietong.orgs.directory.dingtalk import DingtalkSource
from xietong.orgs.directory.feishu import FeishuSource
from xietong.orgs.directory.http import TokenApi
from xietong.orgs.directory.sync import sync
from xietong.orgs.directory.wecom import WecomSource
from xietong.orgs.models import Department, DirectorySync, Person, SyncState

pytestmark = pytest.mark.django_db

SERVERS: dict[str, type[VendorServer]] = {
    "wecom": WecomServer,
    "dingtalk": DingtalkServer,
    "feishu": FeishuServer,
}
USER_LISTS = {
    "wecom": "/cgi-bin/user/list",
    "dingtalk": "/topapi/v2/user/list",
    "feishu": "/open-apis/contact/v3/users/find_by_department",
}


def source_for(server: VendorServer, base_url: str | None = None) -> TokenApi:
    """The product's source pointed at ``server``; waits are recorded instead of slept."""
    url = base_url or server.url
    pauses: list[float] = []
    source: TokenApi
    if isinstance(server, WecomServer):
        source = WecomSource(server.corp_id, server.secret, url, pause=pauses.append)
    elif isinstance(server, DingtalkServer):
        source = DingtalkSource(server.app_key, server.app_secret, url, pause=pauses.append)
    else:
        assert isinstance(server, FeishuServer)
        source = FeishuSource(server.app_id, server.app_secret, url, pause=pauses.append)
    source.pauses = pauses  # type: ignore[attr-defined]
    return source


@pytest.fixture(params=sorted(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[VendorServer]:
    running = SERVERS[request.param](sample_company())
    running.thread.start()
    try:
        yield running
    finally:
        running.httpd.shutdown()
        running.httpd.server_close()


def people() -> dict[str, tuple[str, str | None, bool]]:
    return {
        p.username: (p.display_name, p.department.name if p.department else None, p.is_active)
        for p in Person.objects.select_related("department")
    }


def org_state() -> tuple[dict[str, int], list[tuple[str, str, int | None]]]:
    counts = row_counts()
    counts.pop("orgs_directorysync")
    return counts, sorted(Department.objects.values_list("name", "external_id", "head_id"))


def test_first_sync_creates_the_tree_the_people_and_the_heads(server: VendorServer) -> None:
    run, _plan = sync(source_for(server))
    assert run.state == SyncState.OK, run.message
    names = dict(Department.objects.values_list("name", "parent__name"))
    assert names == {"技术部": None, "售后部": None, "前端组": "技术部"}
    heads = dict(Department.objects.values_list("name", "head__username"))
    assert heads == {"技术部": "zhao", "售后部": "wang", "前端组": "li"}
    found = people()
    assert len(found) == 29
    assert found["li"] == ("李工", "技术部", True)
    assert found["boss"] == ("老板", None, True)  # in the company root only
    li = Person.objects.get(username="li")
    assert li.email == "li@example.com" and li.source == server.vendor
    if server.vendor != "wecom":  # WeCom has no employee number field
        assert li.employee_number == "E002"
    # Paging was followed: 25 developers come in several pages (WeCom: one call per department).
    assert server.calls.count(USER_LISTS[server.vendor]) >= 4


def test_a_second_sync_with_nothing_changed_writes_nothing(server: VendorServer) -> None:
    sync(source_for(server))
    before = org_state()
    run, plan = sync(source_for(server))
    assert plan.empty and run.message == "无变化"
    assert org_state() == before


def test_an_expired_token_is_fetched_again(server: VendorServer) -> None:
    server.token_uses = 3
    run, _plan = sync(source_for(server))
    assert run.state == SyncState.OK and Person.objects.count() == 29
    assert server.tokens_issued >= 2


def test_a_rate_limit_is_waited_out(server: VendorServer) -> None:
    server.rate_limited = 2
    source = source_for(server)
    run, _plan = sync(source)
    assert run.state == SyncState.OK and Person.objects.count() == 29
    assert source.pauses == [1.0, 2.0]  # type: ignore[attr-defined]


def test_a_rate_limit_that_lasts_fails_and_changes_nothing(server: VendorServer) -> None:
    sync(source_for(server))
    before = org_state()
    server.company.departments["2"] = ("研发中心", "")
    server.rate_limited = 100
    with pytest.raises(DirectoryError, match="频率"):
        sync(source_for(server))
    assert org_state() == before


def test_a_failure_mid_paging_changes_nothing(server: VendorServer) -> None:
    sync(source_for(server))
    before = org_state()
    server.company.departments["2"] = ("研发中心", "")
    server.company.people = [w for w in server.company.people if w.userid != "wang"]
    server.fail_on = (USER_LISTS[server.vendor], 2)
    with pytest.raises(DirectoryError, match="HTTP 500"):
        sync(source_for(server))
    assert org_state() == before
    assert Person.objects.get(username="wang").is_active
    run = DirectorySync.objects.first()
    assert run is not None and run.state == SyncState.FAILED and "HTTP 500" in run.message


def test_changes_in_the_directory_arrive(server: VendorServer) -> None:
    sync(source_for(server))
    server.company.departments["2"] = ("研发中心", "")
    server.company.departments["4"] = ("前端组", "3")
    server.company.people = [w for w in server.company.people if w.userid != "dev7"]
    run, _plan = sync(source_for(server))
    assert (run.departments_updated, run.people_deactivated) == (2, 1)
    assert dict(Department.objects.values_list("name", "parent__name"))["前端组"] == "售后部"
    assert not Person.objects.get(username="dev7").is_active


def test_an_unreachable_server_fails_with_a_clear_message(server: VendorServer) -> None:
    source = source_for(server, base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(DirectoryError, match=r"无法连接 http://127\.0\.0\.1"):
        sync(source)
    assert not Person.objects.exists() and not Department.objects.exists()


def test_wrong_credentials_say_so(server: VendorServer) -> None:
    source = source_for(server)
    for attr in ("secret", "app_secret"):
        if hasattr(source, attr):
            setattr(source, attr, "wrong")
    with pytest.raises(DirectoryError, match="获取访问令牌失败"):
        sync(source)


@pytest.fixture
def wecom_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[VendorServer], None]:
    def point(server: VendorServer) -> None:
        monkeypatch.setenv("XIETONG_WECOM_CORP_ID", WecomServer.corp_id)
        monkeypatch.setenv("XIETONG_WECOM_SYNC_SECRET", WecomServer.secret)
        monkeypatch.setenv("XIETONG_WECOM_API_URL", server.url)

    return point


def test_the_command_against_wecom(wecom_env: Callable[[VendorServer], None]) -> None:
    running = WecomServer(sample_company())
    running.thread.start()
    try:
        wecom_env(running)
        out = StringIO()
        call_command("sync_directory", "--source", "wecom", "--dry-run", stdout=out)
        assert "+ 部门 技术部" in out.getvalue() and "+ 人员 李工 (li)" in out.getvalue()
        assert "试运行" in out.getvalue()
        assert not Person.objects.exists()
        call_command("sync_directory", "--source", "wecom", stdout=out)
        assert Person.objects.count() == 29
    finally:
        running.httpd.shutdown()
        running.httpd.server_close()
