"""The LDAP source of the directory sync (issue 18) against a real slapd (tests/servers_ldap.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command

from tests.servers_ldap import (
    BIND_DN,
    BIND_PASSWORD,
    DEPARTMENTS,
    PEOPLE,
    Ldap,
    department_dn,
    ldap_config,
    load_big_tree,
    person_dn,
)
from xietong.orgs.directory.base import DirDepartment, DirectoryError, DirPerson
from xietong.orgs.directory.ldap import LdapSource
from xietong.orgs.models import Person, PersonSource

_bench_trees = itertools.count()


@pytest.fixture
def directory(slapd_server: Ldap) -> Iterator[Ldap]:
    yield slapd_server
    slapd_server.restore()


def people_by_login(source: LdapSource) -> dict[str, DirPerson]:
    return {p.login: p for p in source.people()}


def test_departments_are_the_units_with_their_parents(directory: Ldap) -> None:
    departments = list(LdapSource(ldap_config(directory)).departments())
    centre = directory.entry_uuid(department_dn("研发中心"))
    tech = directory.entry_uuid(department_dn("研发中心", "技术部"))
    market = directory.entry_uuid(department_dn("市场部"))
    assert sorted(departments, key=lambda d: d.name) == sorted(
        [
            DirDepartment(external_id=centre, name="研发中心"),
            DirDepartment(external_id=tech, name="技术部", parent_id=centre),
            DirDepartment(external_id=market, name="市场部"),
        ],
        key=lambda d: d.name,
    )
    # a parent comes before its children
    names = [d.name for d in departments]
    assert names.index("研发中心") < names.index("技术部")


def test_people_with_their_departments_and_the_departments_they_head(directory: Ldap) -> None:
    people = people_by_login(LdapSource(ldap_config(directory)))
    assert set(people) == {"zhou", "ligong", "zhangsan"}
    ligong = people["ligong"]
    tech = directory.entry_uuid(department_dn("研发中心", "技术部"))
    assert ligong == DirPerson(
        external_id=directory.entry_uuid(person_dn("ligong")),
        login="ligong",
        name="李工",
        email="ligong@example.com",
        mobile="13800000002",
        employee_number="E002",
        department_ids=(tech,),
        leads=(tech,),  # 技术部's manager
    )
    assert people["zhou"].leads == (directory.entry_uuid(department_dn("研发中心")),)
    assert people["zhangsan"].leads == ()
    assert people["zhangsan"].department_ids == (directory.entry_uuid(department_dn("市场部")),)


def test_a_leader_attribute_on_the_person_names_what_they_head(directory: Ldap) -> None:
    directory.replace(person_dn("zhangsan"), description="市场部")
    people = people_by_login(LdapSource(ldap_config(directory, leader_attr="description")))
    assert people["zhangsan"].leads == (directory.entry_uuid(department_dn("市场部")),)


def test_a_department_named_by_its_dn_and_several_departments(directory: Ldap) -> None:
    directory.add_person("wangwu", "王五", ou=["市场部", department_dn("研发中心", "技术部"), "没有的部门"])
    wangwu = people_by_login(LdapSource(ldap_config(directory)))["wangwu"]
    assert wangwu.department_ids == (
        directory.entry_uuid(department_dn("市场部")),
        directory.entry_uuid(department_dn("研发中心", "技术部")),
    )


def test_a_person_removed_from_the_directory_is_no_longer_yielded(directory: Ldap) -> None:
    directory.remove(person_dn("zhangsan"))
    assert set(people_by_login(LdapSource(ldap_config(directory)))) == {"zhou", "ligong"}


def test_people_are_read_page_by_page(directory: Ldap) -> None:
    for n in range(4):
        directory.add_person(f"page{n}", f"翻页{n}")
    source = LdapSource(ldap_config(directory, page_size=2))
    list(source.departments())
    source.pages_read = 0
    assert len(people_by_login(source)) == 7
    assert source.pages_read == 4  # 7 people, 2 a page


def test_without_a_department_base_people_have_no_departments(directory: Ldap) -> None:
    source = LdapSource(ldap_config(directory, department_base=""))
    assert list(source.departments()) == []
    assert all(p.department_ids == () for p in source.people())


def test_an_unreachable_server_is_a_directory_error(directory: Ldap) -> None:
    source = LdapSource(ldap_config(None))
    with pytest.raises(DirectoryError, match=r"无法读取 LDAP 目录 ldap://127\.0\.0\.1:\d+"):
        list(source.people())
    with pytest.raises(DirectoryError):
        list(source.departments())


def test_a_wrong_bind_password_is_a_directory_error(directory: Ldap) -> None:
    source = LdapSource(ldap_config(directory, bind_dn=BIND_DN, bind_password="wrong"))
    with pytest.raises(DirectoryError, match="Invalid credentials"):
        list(source.people())


def test_a_missing_base_is_a_directory_error(directory: Ldap) -> None:
    source = LdapSource(ldap_config(directory, department_base=f"ou=nowhere,{DEPARTMENTS}"))
    with pytest.raises(DirectoryError, match="No such object"):
        list(source.departments())


def test_a_generated_tree_is_read_in_pages(directory: Ldap) -> None:
    base = f"ou=bench{next(_bench_trees)},dc=example,dc=com"
    load_big_tree(directory, people=1_200, departments=120, base=base)
    source = LdapSource(
        ldap_config(directory, user_base=f"ou=people,{base}", department_base=f"ou=departments,{base}")
    )
    departments = list(source.departments())
    assert len(departments) == 120
    assert sum(1 for d in departments if d.parent_id) == 108  # nine of every ten sit under another
    source.pages_read = 0
    people = list(source.people())
    assert len(people) == 1_200
    assert source.pages_read == 3  # 500 a page
    assert all(len(p.department_ids) == 1 for p in people)


def ldap_env(server: Ldap) -> dict[str, str]:
    """The environment a deployment sets (docs/sign-in-ldap.md) for ``server``."""
    return {
        "XIETONG_LDAP_URL": server.url,
        "XIETONG_LDAP_BIND_DN": BIND_DN,
        "XIETONG_LDAP_BIND_PASSWORD": BIND_PASSWORD,
        "XIETONG_LDAP_USER_BASE": PEOPLE,
        "XIETONG_LDAP_DEPARTMENT_BASE": DEPARTMENTS,
    }


@pytest.mark.django_db
def test_sync_directory_from_ldap_then_a_removed_person_is_deactivated(
    directory: Ldap, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ldap_env(directory).items():
        monkeypatch.setenv(name, value)
    call_command("sync_directory", "--source", "ldap", stdout=StringIO())
    ligong = Person.objects.select_related("department").get(username="ligong")
    assert ligong.source == PersonSource.LDAP
    assert ligong.external_id == directory.entry_uuid(person_dn("ligong"))
    assert ligong.department is not None and ligong.department.name == "技术部"
    assert ligong.department.parent is not None and ligong.department.parent.name == "研发中心"
    assert Person.objects.get(username="zhangsan").is_active

    directory.remove(person_dn("zhangsan"))
    call_command("sync_directory", "--source", "ldap", stdout=StringIO())
    assert not Person.objects.get(username="zhangsan").is_active
    assert Person.objects.get(username="ligong").is_active


@pytest.mark.django_db
def test_sync_directory_fails_cleanly_when_the_server_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ldap_config(None).url
    monkeypatch.setenv("XIETONG_LDAP_URL", url)
    monkeypatch.setenv("XIETONG_LDAP_USER_BASE", PEOPLE)
    with pytest.raises(SystemExit) as exit_info:
        call_command("sync_directory", "--source", "ldap", stdout=StringIO())
    assert exit_info.value.code != 0
    assert f"无法读取 LDAP 目录 {url}" in capsys.readouterr().err
    assert not Person.objects.exists()
