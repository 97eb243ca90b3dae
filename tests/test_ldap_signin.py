"""Sign-in with the directory password (issue 18, LDAP): the real login page against a real slapd.

The directory (tests/servers_ldap.py) has 周总 (zhou, staff group, 研发中心),
李工 (ligong, 技术部 inside 研发中心) and 张三 (zhangsan, 市场部); each
password is ``pw-<uid>``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.conftest import make_person
from tests.servers_ldap import (
    BACKEND,
    STAFF_GROUP,
    Ldap,
    department_dn,
    ldap_config,
    person_dn,
    use_ldap,
)
from tests.test_security import attempt
from xietong.audit.models import AuditEntry
from xietong.lib.ldap_config import LdapConfig, auth_ldap_settings
from xietong.orgs.models import Department, Person, PersonSource

pytestmark = pytest.mark.django_db

WRONG = "用户名或密码不正确。"
UNREACHABLE = "暂时无法连接目录服务(LDAP)"


@pytest.fixture
def directory(slapd_server: Ldap, settings: SettingsWrapper) -> Iterator[Ldap]:
    """LDAP sign-in on, against the session's slapd; the tree is put back afterwards."""
    use_ldap(settings, ldap_config(slapd_server))
    yield slapd_server
    slapd_server.restore()


def test_the_directory_password_signs_a_new_person_in(directory: Ldap) -> None:
    response = attempt("zhangsan", "pw-zhangsan")
    assert response.status_code == 302
    person = Person.objects.get(username="zhangsan")
    assert person.source == PersonSource.LDAP
    assert (person.display_name, person.email, person.phone, person.employee_number) == (
        "张三",
        "zhangsan@example.com",
        "13800000003",
        "E003",
    )
    assert person.external_id == directory.entry_uuid(person_dn("zhangsan"))
    assert not person.has_usable_password()
    assert not person.is_staff
    assert AuditEntry.objects.filter(object_type="orgs.person", object_id=str(person.pk)).exists()
    # Signing in again finds the same person, not a second one.
    assert attempt("ZhangSan", "pw-zhangsan").status_code == 302
    assert Person.objects.filter(source=PersonSource.LDAP).count() == 1


def test_a_wrong_directory_password_is_refused_and_counted(directory: Ldap) -> None:
    response = attempt("zhangsan", "not-the-password")
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert not Person.objects.filter(username="zhangsan").exists()
    assert AccessAttempt.objects.get(username="zhangsan").failures_since_start == 1
    for _ in range(4):
        attempt("zhangsan", "not-the-password")
    # The pair waits now, even with the right directory password (tests/test_lockouts.py).
    assert attempt("zhangsan", "pw-zhangsan").status_code == 429


def test_a_local_account_with_the_same_login_is_linked(directory: Ldap) -> None:
    local = make_person("ligong", email="")
    assert attempt("ligong", "pw-ligong").status_code == 302
    local.refresh_from_db()
    assert local.source == PersonSource.LDAP
    assert local.display_name == "李工"
    assert Person.objects.count() == 1
    # The local password (pw-ligong was also the local one: use another) no longer counts.
    local.set_password("old-local-password")
    local.save()
    assert attempt("ligong", "pw-ligong").status_code == 302
    local.refresh_from_db()
    assert not local.has_usable_password()


def test_a_local_account_with_the_same_email_is_linked(directory: Ldap) -> None:
    local = make_person("li.gong", email="LiGong@Example.com")
    assert attempt("ligong", "pw-ligong").status_code == 302
    local.refresh_from_db()
    assert local.source == PersonSource.LDAP
    assert local.external_id == directory.entry_uuid(person_dn("ligong"))
    assert not Person.objects.filter(username="ligong").exists()
    # The next sign-in finds them by the directory's id.
    assert attempt("ligong", "pw-ligong").status_code == 302
    assert Person.objects.count() == 1


def test_an_email_two_people_share_links_nobody(directory: Ldap) -> None:
    make_person("li1", email="ligong@example.com")
    make_person("li2", email="ligong@example.com")
    assert attempt("ligong", "pw-ligong").status_code == 302
    created = Person.objects.get(username="ligong")
    assert created.source == PersonSource.LDAP
    assert Person.objects.filter(username__in=["li1", "li2"], source=PersonSource.LOCAL).count() == 2


def test_an_administrator_is_never_linked_by_email(directory: Ldap) -> None:
    make_person("root", email="ligong@example.com", is_superuser=True, is_staff=True)
    assert attempt("ligong", "pw-ligong").status_code == 302
    root = Person.objects.get(username="root")
    assert root.source == PersonSource.LOCAL
    assert root.has_usable_password()


def test_the_department_comes_from_the_attribute(directory: Ldap) -> None:
    assert attempt("ligong", "pw-ligong").status_code == 302
    department = Person.objects.get(username="ligong").department
    assert department is not None
    assert department.name == "技术部"
    assert department.source == PersonSource.LDAP
    assert department.external_id == directory.entry_uuid(department_dn("研发中心", "技术部"))


def test_a_department_the_sync_made_is_found_by_its_id(directory: Ldap) -> None:
    synced = Department.objects.create(
        name="技术部(研发中心)",
        source=PersonSource.LDAP,
        external_id=directory.entry_uuid(department_dn("研发中心", "技术部")),
    )
    Department.objects.create(name="技术部")  # a local namesake is not it
    assert attempt("ligong", "pw-ligong").status_code == 302
    assert Person.objects.get(username="ligong").department == synced


def test_a_department_the_directory_does_not_have_is_not_made(directory: Ldap) -> None:
    directory.replace(person_dn("zhangsan"), ou="不存在的部门")
    assert attempt("zhangsan", "pw-zhangsan").status_code == 302
    assert Person.objects.get(username="zhangsan").department is None
    assert not Department.objects.exists()


def test_without_a_department_base_a_department_is_made_by_name_within_its_limit(
    directory: Ldap, settings: SettingsWrapper
) -> None:
    use_ldap(settings, ldap_config(directory, department_base=""))
    assert attempt("zhangsan", "pw-zhangsan").status_code == 302
    assert Person.objects.get(username="zhangsan").department == Department.objects.get(name="市场部")
    directory.add_person("longou", "长部门", ou="部" * 101)
    assert attempt("longou", "pw-longou").status_code == 302
    assert Person.objects.get(username="longou").department is None
    assert list(Department.objects.values_list("name", flat=True)) == ["市场部"]


def test_the_staff_group_makes_staff_and_leaving_it_ends_it(directory: Ldap) -> None:
    assert attempt("zhou", "pw-zhou").status_code == 302
    assert Person.objects.get(username="zhou").is_staff
    directory.add_values(STAFF_GROUP, member=person_dn("zhangsan"))  # a group is never left empty
    directory.delete_values(STAFF_GROUP, member=person_dn("zhou"))
    assert attempt("zhou", "pw-zhou").status_code == 302
    assert not Person.objects.get(username="zhou").is_staff


def test_an_administrator_keeps_staff_outside_the_group(directory: Ldap) -> None:
    assert attempt("zhangsan", "pw-zhangsan").status_code == 302
    Person.objects.filter(username="zhangsan").update(is_superuser=True, is_staff=True)
    assert attempt("zhangsan", "pw-zhangsan").status_code == 302
    person = Person.objects.get(username="zhangsan")
    assert person.is_staff and person.is_superuser


def test_a_local_administrator_sharing_a_login_is_never_taken_over(directory: Ldap) -> None:
    root = make_person("zhangsan", is_superuser=True, is_staff=True)
    root.set_password("local-admin-password")
    root.save()
    response = attempt("zhangsan", "pw-zhangsan")  # the directory's password for that login
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    root.refresh_from_db()
    assert root.source == PersonSource.LOCAL and root.check_password("local-admin-password")
    assert attempt("zhangsan", "local-admin-password").status_code == 302


def test_a_deactivated_person_cannot_sign_in_with_the_directory_password(directory: Ldap) -> None:
    assert attempt("ligong", "pw-ligong").status_code == 302
    Person.objects.filter(username="ligong").update(is_active=False)
    response = attempt("ligong", "pw-ligong")
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    person = Person.objects.get(username="ligong")
    assert not person.is_active


def test_a_person_removed_from_the_directory_cannot_sign_in(directory: Ldap) -> None:
    assert attempt("zhangsan", "pw-zhangsan").status_code == 302
    directory.remove(person_dn("zhangsan"))
    assert attempt("zhangsan", "pw-zhangsan").status_code == 200


def test_an_unreachable_directory_fails_cleanly_with_a_message(
    slapd_server: Ldap, settings: SettingsWrapper
) -> None:
    use_ldap(settings, ldap_config(None))  # a port nobody listens on
    response = attempt("zhangsan", "pw-zhangsan")
    assert response.status_code == 200
    assert UNREACHABLE in response.content.decode()
    assert not Person.objects.filter(username="zhangsan").exists()
    # Local accounts still sign in while the directory is away, and are not told about it.
    make_person("wang")
    client = Client()
    assert attempt("wang", "pw-wang", client=client).status_code == 302
    assert UNREACHABLE not in client.get("/accounts/login/").content.decode()


def test_local_accounts_still_sign_in(directory: Ldap) -> None:
    make_person("wang")
    assert attempt("wang", "pw-wang").status_code == 302
    response = attempt("wang", "wrong")
    assert WRONG in response.content.decode()
    assert UNREACHABLE not in response.content.decode()
    assert Person.objects.get(username="wang").source == PersonSource.LOCAL


def test_a_person_the_sync_made_is_found_by_the_directory_id(directory: Ldap) -> None:
    synced = Person.objects.create_user(
        "zs", source=PersonSource.LDAP, external_id=directory.entry_uuid(person_dn("zhangsan"))
    )
    assert attempt("zhangsan", "pw-zhangsan").status_code == 302
    assert Person.objects.get().pk == synced.pk


def test_a_department_named_by_its_dn(directory: Ldap) -> None:
    directory.replace(person_dn("zhangsan"), ou=department_dn("研发中心", "技术部"))
    assert attempt("zhangsan", "pw-zhangsan").status_code == 302
    department = Person.objects.select_related("department").get(username="zhangsan").department
    assert department is not None and department.name == "技术部"


def test_a_dn_outside_the_department_base_is_ignored(directory: Ldap) -> None:
    directory.replace(person_dn("zhangsan"), ou=STAFF_GROUP)
    assert attempt("zhangsan", "pw-zhangsan").status_code == 302
    assert Person.objects.get(username="zhangsan").department is None
    assert not Department.objects.exists()


# --- configuration from the environment


def _settings_in_fresh_process(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    clean.update(XIETONG_DATA=str(tmp_path), DJANGO_SETTINGS_MODULE="xietong.settings", **env)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.AUTHENTICATION_BACKENDS); print(settings.AUTH_LDAP_USER_SEARCH.filterstr)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean, timeout=60, check=False
    )


def test_the_environment_turns_ldap_on_after_axes_and_before_local_passwords(tmp_path: Path) -> None:
    done = _settings_in_fresh_process(
        tmp_path,
        XIETONG_LDAP_URL="ldap://127.0.0.1:1",
        XIETONG_LDAP_USER_BASE="ou=people,dc=example,dc=com",
        XIETONG_LDAP_USER_FILTER="(sAMAccountName=%(user)s)",
    )
    assert done.returncode == 0, done.stderr
    backends, user_filter = done.stdout.splitlines()[-2:]
    order = [name.strip(" '[]") for name in backends.split(",")]
    axes, ldap_backend = order.index("axes.backends.AxesStandaloneBackend"), order.index(BACKEND)
    assert axes < ldap_backend < order.index("django.contrib.auth.backends.ModelBackend")
    assert user_filter == "(sAMAccountName=%(user)s)"


def test_without_the_url_ldap_is_off(tmp_path: Path) -> None:
    done = _settings_in_fresh_process(tmp_path)
    assert BACKEND not in done.stdout
    assert "AUTH_LDAP_USER_SEARCH" in done.stderr  # the setting does not even exist


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("XIETONG_LDAP_USER_FILTER", "(uid=someone)", "must contain %(user)s"),
        ("XIETONG_LDAP_GROUP_TYPE", "posix", "is not one of"),
        ("XIETONG_LDAP_USER_BASE", None, "XIETONG_LDAP_USER_BASE is required"),
    ],
)
def test_a_bad_ldap_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str | None, message: str
) -> None:
    monkeypatch.setenv("XIETONG_LDAP_URL", "ldap://127.0.0.1:1")
    monkeypatch.setenv("XIETONG_LDAP_USER_BASE", "ou=people,dc=example,dc=com")
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        LdapConfig.from_env()


def test_a_missing_ldap_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ldap", None)  # as if python-ldap were not installed
    with pytest.raises(ImproperlyConfigured, match=re.escape("pip install 'xietong[ldap]'")):
        auth_ldap_settings(LdapConfig(url="ldap://127.0.0.1:1", user_base="dc=example,dc=com"))
