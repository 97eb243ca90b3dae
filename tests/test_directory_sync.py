"""Directory sync (issue 18): departments, people and heads from a company directory.

The engine against in-process sources (``tests/directory_source.py``); the
vendors' HTTP APIs against local servers in ``test_directory_vendors.py``.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import make_person
from tests.directory_source import GeneratedSource, ListSource
from tests.helpers import row_counts, signed_in
from xietong.audit.models import AuditEntry
from xietong.notify.management.commands.worker import clock
from xietong.orgs.directory import schedule
from xietong.orgs.directory.base import DirDepartment, DirectoryError, DirPerson
from xietong.orgs.directory.sync import SyncRefused, sync
from xietong.orgs.models import Department, DirectorySync, Person, SyncState

pytestmark = pytest.mark.django_db

D = DirDepartment


def P(ext: str, name: str, *depts: str, leads: tuple[str, ...] = (), **kw: str) -> DirPerson:
    return DirPerson(ext, kw.pop("login", ext), name, department_ids=depts, leads=leads, **kw)


def company() -> ListSource:
    """总部 with 技术部 (and its 前端组) and 售后部; a head each; someone in no department."""
    return ListSource(
        [D("1", "技术部"), D("2", "售后部"), D("3", "前端组", "1")],
        [
            P("zhao", "赵总监", "1", leads=("1",), email="zhao@example.com", mobile="13800000001"),
            P("li", "李工", "1", "3", leads=("3",), email="li@example.com", employee_number="E002"),
            P("wang", "王经理", "2", leads=("2",)),
            P("chen", "陈顾问"),  # in no department
        ],
    )


def writes(queries: CaptureQueriesContext) -> list[str]:
    """The INSERT / UPDATE / DELETE statements on the organisation and the audit log."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.I)
        and re.search(r'"?(orgs_person|orgs_department|audit_auditentry)"?', q["sql"])
    ]


def test_first_sync_creates_the_tree_the_people_and_the_heads() -> None:
    run, _plan = sync(company())
    assert run.state == SyncState.OK
    tech, service, front = (Department.objects.get(external_id=e, source="wecom") for e in "123")
    assert (tech.name, tech.parent, front.parent) == ("技术部", None, tech)
    assert tech.head and tech.head.username == "zhao"
    assert front.head and front.head.username == "li"
    assert service.head and service.head.username == "wang"
    li = Person.objects.get(username="li")
    assert (li.department, li.email, li.employee_number, li.source) == (
        tech,
        "li@example.com",
        "E002",
        "wecom",
    )
    assert not li.has_usable_password()  # they sign in through WeCom
    assert Person.objects.get(username="chen").department is None
    assert (run.departments_created, run.people_created, run.heads_set) == (3, 4, 3)
    # One audit entry for the whole run, with its counts.
    entries = AuditEntry.objects.filter(object_type="orgs.directorysync")
    assert [e.after["people_created"] for e in entries] == [4]
    assert AuditEntry.objects.count() == 1


def test_a_second_sync_with_nothing_changed_writes_nothing() -> None:
    sync(company())
    with CaptureQueriesContext(connection) as queries:
        run, plan = sync(company())
    assert writes(queries) == []
    assert plan.empty and run.message == "无变化"
    assert AuditEntry.objects.count() == 1


def test_a_department_renamed_and_moved_is_changed_in_place() -> None:
    sync(company())
    tech = Department.objects.get(name="技术部")
    front = Department.objects.get(name="前端组")
    moved = company()
    moved.departments_list = [D("1", "研发中心"), D("2", "售后部"), D("3", "前端组", "2")]
    run, _plan = sync(moved)
    tech.refresh_from_db()
    front.refresh_from_db()
    assert tech.name == "研发中心"
    assert front.parent and front.parent.name == "售后部"
    assert run.departments_updated == 2 and run.departments_created == 0
    assert Department.objects.count() == 3


def test_a_person_changed_in_the_directory_is_updated_only_where_it_differs() -> None:
    sync(company())
    changed = company()
    changed.people_list[1] = P("li", "李工程师", "2", mobile="13900000000", email="li@example.com")
    with CaptureQueriesContext(connection) as queries:
        run, _plan = sync(changed)
    li = Person.objects.get(username="li")
    assert (li.display_name, li.phone, li.department, li.employee_number) == (
        "李工程师",
        "13900000000",
        Department.objects.get(name="售后部"),
        "",
    )
    assert run.people_updated == 1
    person_updates = [q for q in writes(queries) if q.startswith("UPDATE") and "orgs_person" in q]
    assert len(person_updates) == 1  # one row, one statement
    assert Department.objects.get(name="前端组").head is None  # li no longer leads it


def test_two_departments_may_swap_names() -> None:
    sync(company())
    swapped = company()
    swapped.departments_list = [D("1", "售后部"), D("2", "技术部"), D("3", "前端组", "1")]
    sync(swapped)
    assert Department.objects.get(external_id="1").name == "售后部"
    assert Department.objects.get(external_id="2").name == "技术部"


def test_duplicate_names_get_the_parent_name_and_sync_again_without_changes() -> None:
    source = ListSource(
        [D("b", "北京分公司"), D("s", "上海分公司"), D("b1", "研发部", "b"), D("s1", "研发部", "s")],
        [P("a", "甲", "b1"), P("b", "乙", "s1")],
    )
    sync(source)
    assert Department.objects.get(external_id="b1").name == "研发部(北京分公司)"
    assert Department.objects.get(external_id="s1").name == "研发部(上海分公司)"
    _run, plan = sync(source)
    assert plan.empty


def test_a_person_gone_from_the_directory_is_deactivated_never_deleted() -> None:
    sync(company())
    wang = Person.objects.get(username="wang")
    wang.set_password("secret-pw-123")  # even with a password, they cannot sign in any more
    wang.save()
    left = company()
    left.people_list = [p for p in left.people_list if p.external_id != "wang"]
    run, _plan = sync(left)
    wang.refresh_from_db()
    assert run.people_deactivated == 1
    assert not wang.is_active and wang.display_name == "王经理"  # the name stays on old rows
    assert Department.objects.get(external_id="2").head is None  # no longer named by the directory
    signing_in = Client().post("/accounts/login/", {"username": "wang", "password": "secret-pw-123"})
    assert signing_in.status_code == 200  # the form again, not a redirect: refused
    # Back in the directory: active again.
    sync(company())
    wang.refresh_from_db()
    assert wang.is_active


def test_someone_staff_deactivated_stays_deactivated_while_the_directory_still_lists_them() -> None:
    from xietong.orgs.actions import do_deactivate_person, do_reactivate_person

    sync(company())
    admin = make_person("admin", is_staff=True, is_superuser=True)
    wang = Person.objects.get(username="wang")
    do_deactivate_person(wang, actor=admin, reason="已离职,目录尚未删除")
    run, plan = sync(company())  # the leaver's entry lingers in the directory
    wang.refresh_from_db()
    assert not wang.is_active and "wang" not in " ".join(plan.lines)
    assert run.people_updated == 0
    # Staff let them back in; then the directory drops and restores them: the sync follows it again.
    do_reactivate_person(wang, actor=admin)
    left = company()
    left.people_list = [p for p in left.people_list if p.external_id != "wang"]
    sync(left)
    sync(company())
    wang.refresh_from_db()
    assert wang.is_active


def test_a_local_person_with_the_same_login_or_email_is_linked_not_doubled() -> None:
    by_login = make_person("zhao", email="old@example.com")
    by_email = make_person("wang.local", email="Wang@Example.com")
    source = company()
    source.people_list[2] = P("wang", "王经理", "2", leads=("2",), email="wang@example.com")
    sync(source)
    by_login.refresh_from_db()
    by_email.refresh_from_db()
    assert (by_login.source, by_login.external_id, by_login.email) == ("wecom", "zhao", "zhao@example.com")
    assert by_login.has_usable_password()  # their own password is kept
    assert (by_email.source, by_email.external_id, by_email.username) == ("wecom", "wang", "wang.local")
    assert Person.objects.count() == 4


def test_a_local_department_of_the_same_name_is_linked() -> None:
    local = Department.objects.create(name="技术部")
    sync(company())
    local.refresh_from_db()
    assert (local.source, local.external_id) == ("wecom", "1")
    assert Department.objects.count() == 3


def test_a_shared_email_stays_with_the_first_and_is_reported() -> None:
    source = company()
    source.people_list[2] = P("wang", "王经理", "2", email="LI@example.com")
    run, plan = sync(source)
    assert Person.objects.get(username="li").email == "li@example.com"
    assert Person.objects.get(username="wang").email == ""
    assert any("LI@example.com" in p for p in plan.problems)
    assert "LI@example.com" in run.report


def test_a_cycle_in_the_tree_is_refused_and_nothing_changes() -> None:
    source = ListSource([D("1", "甲", "3"), D("2", "乙", "1"), D("3", "丙", "2")], [P("a", "甲某", "1")])
    before = row_counts()
    with pytest.raises(DirectoryError, match="循环"):
        sync(source)
    after = row_counts()
    assert after.pop("orgs_directorysync") == before.pop("orgs_directorysync") + 1
    assert after == before
    run = DirectorySync.objects.get()
    assert run.state == SyncState.FAILED and "循环" in run.message


def test_a_failure_mid_read_changes_nothing() -> None:
    sync(company())
    changed = company()
    changed.departments_list = [D("1", "研发中心"), D("2", "售后部"), D("3", "前端组", "1")]
    changed.fail_after = 2
    before = row_counts()
    names = sorted(Department.objects.values_list("name", flat=True))
    with pytest.raises(DirectoryError):
        sync(changed)
    assert sorted(Department.objects.values_list("name", flat=True)) == names
    after = row_counts()
    after.pop("orgs_directorysync"), before.pop("orgs_directorysync")
    assert after == before
    assert DirectorySync.objects.first().state == SyncState.FAILED  # type: ignore[union-attr]


def test_a_dry_run_prints_the_difference_and_writes_nothing() -> None:
    sync(company())
    changed = company()
    changed.departments_list = [D("1", "研发中心"), D("2", "售后部"), D("3", "前端组", "1")]
    changed.people_list = changed.people_list[:3]
    before = row_counts()
    run, plan = sync(changed, dry_run=True)
    after = row_counts()
    assert after.pop("orgs_directorysync") == before.pop("orgs_directorysync") + 1
    assert after == before
    report = plan.report()
    assert "技术部 → 研发中心" in report and "陈顾问 (chen) 停用" in report
    assert run.dry_run and run.departments_updated == 1 and run.people_deactivated == 1


def test_one_sync_at_a_time() -> None:
    DirectorySync.objects.create(source="ldap")  # running, in another process
    with pytest.raises(SyncRefused):
        sync(company())
    assert not Person.objects.exists()


def test_the_command_dry_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "xietong.orgs.management.commands.sync_directory.source_named", lambda name: company()
    )
    out = StringIO()
    call_command("sync_directory", "--source", "wecom", "--dry-run", stdout=out)
    assert "+ 部门 技术部" in out.getvalue() and "+ 人员 赵总监 (zhao)" in out.getvalue()
    assert not Person.objects.exists()
    call_command("sync_directory", "--source", "wecom", stdout=out)
    assert Person.objects.count() == 4


def test_the_command_says_why_it_failed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        call_command("sync_directory", "--source", "feishu")
    assert exited.value.code == 2
    assert "XIETONG_FEISHU_APP_ID" in capsys.readouterr().err


def test_twenty_thousand_people_in_two_thousand_departments() -> None:
    """Scale: runs (timed in bench/test_directory.py); a second sync writes nothing; renames stay few queries."""
    source = GeneratedSource()
    run, _plan = sync(source)
    assert (run.departments_created, run.people_created, run.heads_set) == (2000, 20000, 2000)
    assert Department.objects.get(external_id="d123").parent == Department.objects.get(external_id="d11")
    with CaptureQueriesContext(connection) as queries:
        _run, plan = sync(source)
    assert plan.empty and writes(queries) == []
    source.renamed = 5
    run, _plan = sync(source)
    assert run.departments_updated == 5 and run.people_updated == 0


# --- the organisation page


def _org_page(admin: Person) -> tuple[str, int]:
    client = signed_in(admin)
    client.get("/org/")  # the session and caches warmed
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/org/")
    assert page.status_code == 200
    return page.content.decode(), len(queries.captured_queries)


def test_the_organisation_page_shows_the_tree_with_heads_and_the_last_sync(admin_user: Person) -> None:
    sync(company())
    sync(company(), dry_run=True)  # a dry run is not "the last sync"
    html, _queries = _org_page(admin_user)
    tech = Department.objects.get(name="技术部")
    front = Department.objects.get(name="前端组")
    # 前端组 is inside 技术部's item (a nested list), each with its head.
    assert re.search(
        rf'id="department-{tech.pk}".*?赵总监.*?<ul>.*?id="department-{front.pk}".*?李工', html, re.S
    )
    assert 'id="sync-wecom"' in html and "已同步" in html and "新建 4" in html


def test_the_organisation_page_costs_the_same_queries_for_a_small_and_a_big_tree(admin_user: Person) -> None:
    sync(GeneratedSource(departments_count=5, people_count=10, name="wecom"))
    _html, small = _org_page(admin_user)
    sync(GeneratedSource(departments_count=200, people_count=400, name="feishu"))
    _html, big = _org_page(admin_user)
    assert big == small


# --- the worker's schedule


def test_the_schedule_is_read_strictly() -> None:
    entries = schedule.parse("wecom@02:00, ldap/6h")
    assert entries == (
        schedule.Entry("wecom", at=dt.time(2, 0)),
        schedule.Entry("ldap", every=dt.timedelta(hours=6)),
    )
    for bad in ("wecom", "wecom@25:00", "qq@02:00", "ldap/1m", "ldap/6d"):
        with pytest.raises(ValueError, match="XIETONG_DIRECTORY_SYNC"):
            schedule.parse(bad)


def test_a_daily_sync_runs_once_after_its_time(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.XIETONG_DIRECTORY_SYNC = schedule.parse("wecom@02:00")
    monkeypatch.setattr("xietong.orgs.directory.sources.source_named", lambda name: company())
    tz = timezone.get_current_timezone()
    assert schedule.run_due(dt.datetime(2026, 3, 2, 1, 59, tzinfo=tz)) == []
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 1, tzinfo=tz), tick=False):
        assert schedule.run_due(timezone.now()) == ["wecom"]
        assert schedule.run_due(timezone.now()) == []  # done for today
    assert Person.objects.count() == 4
    with time_machine.travel(dt.datetime(2026, 3, 3, 2, 0, tzinfo=tz), tick=False):
        assert schedule.run_due(timezone.now()) == ["wecom"]


def test_an_unconfigured_source_is_recorded_as_failed_not_retried_every_minute(
    settings: SettingsWrapper,
) -> None:
    settings.XIETONG_DIRECTORY_SYNC = schedule.parse("feishu/1h")
    assert schedule.run_due(timezone.now()) == ["feishu"]
    assert schedule.run_due(timezone.now()) == []
    run = DirectorySync.objects.get()
    assert run.state == SyncState.FAILED and "XIETONG_FEISHU_APP_ID" in run.message


@pytest.mark.django_db(transaction=True)
def test_the_worker_clock_runs_the_sync(settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.XIETONG_DIRECTORY_SYNC = schedule.parse("wecom/1h")
    monkeypatch.setattr("xietong.orgs.directory.sources.source_named", lambda name: company())
    stop = threading.Event()

    def worker_clock() -> None:
        try:
            clock(stop, 0.05)
        finally:
            connection.close()  # this thread's own connection: the test database can be dropped

    thread = threading.Thread(target=worker_clock, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not DirectorySync.objects.filter(state=SyncState.OK).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=20)
    assert Person.objects.count() == 4
    assert DirectorySync.objects.count() == 1  # the next rounds found it done for the hour
