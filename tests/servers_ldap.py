"""A real OpenLDAP server for the tests: Debian's ``slapd`` on a free loopback port.

One temporary instance per test session (its own ``slapd.conf``, an mdb
database and the schemas core, cosine, inetorgperson and nis from
/etc/ldap/schema), started in the foreground so that the fixture owns the
process and stops it at the end. It holds a small company::

    dc=example,dc=com
      cn=xietong                      the service account the product binds as
      ou=departments
        ou=研发中心                    (manager: 周总)
          ou=技术部                    a nested department (manager: 李工)
        ou=市场部
      ou=people                       inetOrgPerson: uid, cn, mail, mobile, employeeNumber, ou, userPassword
      ou=groups
        cn=xietong-staff              groupOfNames: the staff group

Tests change entries with :class:`Ldap` (python-ldap, bound as the root DN)
and put them back, since the server lives for the whole session.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ldap
import ldap.modlist
import pytest
from ldif import LDIFWriter
from pytest_django.fixtures import Settings as SettingsWrapper

from xietong.lib.ldap_config import LdapConfig, auth_ldap_settings

SLAPD = Path("/usr/sbin/slapd")
LDAPADD = Path("/usr/bin/ldapadd")
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")

SUFFIX = "dc=example,dc=com"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
BIND_DN = f"cn=xietong,{SUFFIX}"
BIND_PASSWORD = "xietong-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
DEPARTMENTS = f"ou=departments,{SUFFIX}"
STAFF_GROUP = f"cn=xietong-staff,{GROUPS}"
BACKEND = "xietong.orgs.ldap_backend.LdapBackend"

CONF = """\
{includes}
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
# The service account pages through the whole directory; nobody else gets a limit raised.
sizelimit size.soft=500 size.hard=unlimited size.prtotal=unlimited size.pr=500

database mdb
maxsize 1073741824
# A test instance: no fsync per write (loading 20,000 entries is several times quicker).
dbnosync
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_password}
directory {dir}/data
index objectClass eq
index uid,mail,ou,cn eq
index member eq
index entryUUID eq
limits dn.exact="{bind_dn}" size=unlimited
# Passwords: each person may bind with their own; only the root DN reads them.
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to *
  by * read
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def department_dn(*path: str) -> str:
    """``department_dn("研发中心", "技术部")``: the DN of 技术部 inside 研发中心."""
    return ",".join(f"ou={name}" for name in reversed(path)) + f",{DEPARTMENTS}"


def _values(attrs: Mapping[str, str | Iterable[str]]) -> dict[str, list[bytes]]:
    return {
        name: [value.encode()] if isinstance(value, str) else [v.encode() for v in value]
        for name, value in attrs.items()
    }


def person_attrs(
    uid: str,
    name: str,
    *,
    password: str | None = None,
    mail: str = "",
    mobile: str = "",
    employee_number: str = "",
    ou: str | Iterable[str] = (),
    **extra: str | Iterable[str],
) -> dict[str, str | Iterable[str]]:
    """Return an inetOrgPerson's attributes (password ``pw-<uid>`` unless given)."""
    attrs: dict[str, str | Iterable[str]] = {
        "objectClass": ["inetOrgPerson"],
        "uid": uid,
        "cn": name,
        "sn": name[:1] or uid,
        "displayName": name,
        "userPassword": password or f"pw-{uid}",
    }
    for key, value in (("mail", mail), ("mobile", mobile), ("employeeNumber", employee_number)):
        if value:
            attrs[key] = value
    if ou:
        attrs["ou"] = ou
    attrs.update(extra)
    return attrs


@dataclass
class Ldap:
    """A running slapd: its URL and a root connection to change the tree."""

    url: str
    port: int
    conn: ldap.ldapobject.LDAPObject
    folder: Path
    # What puts the tree back after a test (see ``restore``): the tree lives for the whole session.
    undo: list[Callable[[], None]] = field(default_factory=list)

    def add(self, dn: str, attrs: Mapping[str, str | Iterable[str]]) -> str:
        self.conn.add_s(dn, ldap.modlist.addModlist(_values(attrs)))
        self.undo.append(lambda: self.delete(dn) if self.exists(dn) else None)
        return dn

    def restore(self) -> None:
        """Undo what the test added, modified or deleted through this object, last first."""
        while self.undo:
            self.undo.pop()()

    def _saved(self, dn: str) -> None:
        """Remember the entry as it is, to put it back in ``restore``."""
        [(_, attrs)] = self.conn.search_s(dn, ldap.SCOPE_BASE, attrlist=["*"])

        def put_back() -> None:
            if self.exists(dn):
                self.conn.delete_s(dn)
            self.conn.add_s(dn, ldap.modlist.addModlist(attrs))

        self.undo.append(put_back)

    def add_person(self, uid: str, name: str, **attrs: str | Iterable[str]) -> str:
        """Add an inetOrgPerson under ou=people (see :func:`person_attrs`); return its DN."""
        return self.add(person_dn(uid), person_attrs(uid, name, **attrs))  # type: ignore[arg-type]

    def replace(self, dn: str, **attrs: str | Iterable[str]) -> None:
        """Replace attributes of an entry (an empty list removes the attribute)."""
        self._saved(dn)
        self.conn.modify_s(dn, [(ldap.MOD_REPLACE, name, v) for name, v in _values(attrs).items()])

    def add_values(self, dn: str, **attrs: str | Iterable[str]) -> None:
        self._saved(dn)
        self.conn.modify_s(dn, [(ldap.MOD_ADD, name, v) for name, v in _values(attrs).items()])

    def delete_values(self, dn: str, **attrs: str | Iterable[str]) -> None:
        self._saved(dn)
        self.conn.modify_s(dn, [(ldap.MOD_DELETE, name, v) for name, v in _values(attrs).items()])

    def delete(self, dn: str) -> None:
        self.conn.delete_s(dn)

    def remove(self, dn: str) -> None:
        """Delete an entry of the small tree for one test (``restore`` adds it back)."""
        self._saved(dn)
        self.conn.delete_s(dn)

    def exists(self, dn: str) -> bool:
        try:
            self.conn.search_s(dn, ldap.SCOPE_BASE, attrlist=["1.1"])
        except ldap.NO_SUCH_OBJECT:
            return False
        return True

    def entry_uuid(self, dn: str) -> str:
        [(_, attrs)] = self.conn.search_s(dn, ldap.SCOPE_BASE, attrlist=["entryUUID"])
        return str(attrs["entryUUID"][0].decode())


# The small tree every test starts from: (dn, attributes).
def base_tree() -> list[tuple[str, dict[str, str | Iterable[str]]]]:
    return [
        (SUFFIX, {"objectClass": ["dcObject", "organization"], "dc": "example", "o": "Example"}),
        (
            BIND_DN,
            {
                "objectClass": ["organizationalRole", "simpleSecurityObject"],
                "cn": "xietong",
                "userPassword": BIND_PASSWORD,
            },
        ),
        (PEOPLE, {"objectClass": ["organizationalUnit"], "ou": "people"}),
        (GROUPS, {"objectClass": ["organizationalUnit"], "ou": "groups"}),
        (DEPARTMENTS, {"objectClass": ["organizationalUnit"], "ou": "departments"}),
        # extensibleObject lets an ou carry ``manager`` (in AD: managedBy).
        (
            department_dn("研发中心"),
            {
                "objectClass": ["organizationalUnit", "extensibleObject"],
                "ou": "研发中心",
                "manager": person_dn("zhou"),
            },
        ),
        (
            department_dn("研发中心", "技术部"),
            {
                "objectClass": ["organizationalUnit", "extensibleObject"],
                "ou": "技术部",
                "manager": person_dn("ligong"),
            },
        ),
        (department_dn("市场部"), {"objectClass": ["organizationalUnit"], "ou": "市场部"}),
        (
            person_dn("zhou"),
            person_attrs(
                "zhou",
                "周总",
                mail="zhou@example.com",
                mobile="13800000001",
                employee_number="E001",
                ou="研发中心",
            ),
        ),
        (
            person_dn("ligong"),
            person_attrs(
                "ligong",
                "李工",
                mail="ligong@example.com",
                mobile="13800000002",
                employee_number="E002",
                ou="技术部",
            ),
        ),
        (
            person_dn("zhangsan"),
            person_attrs(
                "zhangsan",
                "张三",
                mail="zhangsan@example.com",
                mobile="13800000003",
                employee_number="E003",
                ou="市场部",
            ),
        ),
        (
            STAFF_GROUP,
            {"objectClass": ["groupOfNames"], "cn": "xietong-staff", "member": [person_dn("zhou")]},
        ),
    ]


@dataclass
class Slapd:
    """A slapd process in a temporary folder."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> None:
        (self.folder / "data").mkdir(parents=True)
        includes = "\n".join(f"include /etc/ldap/schema/{name}.schema" for name in SCHEMAS)
        conf = self.folder / "slapd.conf"
        conf.write_text(
            CONF.format(
                includes=includes,
                dir=self.folder,
                suffix=SUFFIX,
                root_dn=ROOT_DN,
                root_password=ROOT_PASSWORD,
                bind_dn=BIND_DN,
            )
        )
        # -d 0: stay in the foreground (the fixture owns the process), log nothing.
        self.process = subprocess.Popen(
            [str(SLAPD), "-d", "0", "-h", f"{self.url}/", "-f", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "slapd.log").open("wb"),
        )
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                log = (self.folder / "slapd.log").read_text(errors="replace")
                raise RuntimeError(f"slapd exited with {self.process.returncode}: {log}")
            try:
                self.connect().unbind_s()
                return
            except ldap.SERVER_DOWN:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def connect(self) -> ldap.ldapobject.LDAPObject:
        conn = ldap.initialize(self.url, bytes_mode=False)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
        conn.simple_bind_s(ROOT_DN, ROOT_PASSWORD)
        return conn

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def load_tree(server: Ldap) -> None:
    for dn, attrs in base_tree():
        server.add(dn, attrs)


def run_slapd() -> Iterator[Ldap]:
    """Start slapd with the small tree loaded, yield it, stop it (skips when slapd is not installed).

    Used by the session fixture ``slapd_server`` in tests/conftest.py.
    """
    if not SLAPD.exists():
        pytest.skip("slapd not installed: apt-get install slapd ldap-utils")
    folder = Path(tempfile.mkdtemp(prefix="xietong-slapd-"))
    server = Slapd(folder)
    try:
        server.start()
        ldap_server = Ldap(url=server.url, port=server.port, conn=server.connect(), folder=folder)
        load_tree(ldap_server)
        ldap_server.undo.clear()  # the small tree stays for the whole session
        yield ldap_server
        ldap_server.conn.unbind_s()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def ldap_config(server: Ldap | None, **overrides: Any) -> LdapConfig:
    """Return the product's LDAP configuration for ``server`` (None: a port nobody listens on)."""
    values: dict[str, Any] = {
        "url": server.url if server is not None else f"ldap://127.0.0.1:{free_port()}",
        "user_base": PEOPLE,
        "bind_dn": BIND_DN,
        "bind_password": BIND_PASSWORD,
        "department_base": DEPARTMENTS,
        "staff_group": STAFF_GROUP,
        "group_base": GROUPS,
        "timeout": 3,
    }
    values.update(overrides)
    return LdapConfig(**values)


def use_ldap(settings: SettingsWrapper, config: LdapConfig) -> LdapConfig:
    """Turn LDAP sign-in on for one test, as the settings module does when XIETONG_LDAP_URL is set."""
    settings.XIETONG_LDAP = config
    for name, value in auth_ldap_settings(config).items():
        setattr(settings, name, value)
    backends = list(settings.AUTHENTICATION_BACKENDS)
    if BACKEND not in backends:
        backends.insert(1, BACKEND)
    settings.AUTHENTICATION_BACKENDS = backends
    return config


# ---------------------------------------------------------------- big trees, for the bench


def big_tree_ldif(path: Path, *, people: int = 20_000, departments: int = 2_000, base: str = "") -> Path:
    """Write an LDIF of ``departments`` ou (in groups of ten under a parent) and ``people`` inetOrgPerson.

    The entries go under ``base`` (default ``ou=bench,dc=example,dc=com``, whose
    ou=departments and ou=people are created too). Person ``b<n>`` is in
    department ``部门<n % departments>``. Written one entry at a time: memory
    stays small whatever the size.
    """
    base = base or f"ou=bench,{SUFFIX}"
    with path.open("w", encoding="utf-8") as out:
        writer = LDIFWriter(out, cols=1000)

        def entry(dn: str, attrs: Mapping[str, str | Iterable[str]]) -> None:
            writer.unparse(dn, _values(attrs))

        entry(base, {"objectClass": "organizationalUnit", "ou": base.split(",")[0][3:]})
        entry(f"ou=departments,{base}", {"objectClass": "organizationalUnit", "ou": "departments"})
        entry(f"ou=people,{base}", {"objectClass": "organizationalUnit", "ou": "people"})
        dept_dns = []
        for n in range(departments):
            name = f"部门{n:04d}"
            parent = dept_dns[n - n % 10] if n % 10 else f"ou=departments,{base}"
            dn = f"ou={name},{parent}"
            dept_dns.append(dn)
            entry(dn, {"objectClass": "organizationalUnit", "ou": name})
        for n in range(people):
            uid = f"b{n:05d}"
            entry(
                f"uid={uid},ou=people,{base}",
                person_attrs(
                    uid,
                    f"员工{n:05d}",
                    password=f"pw-{uid}",
                    mail=f"{uid}@bench.example.com",
                    employee_number=f"B{n:05d}",
                    ou=f"部门{n % departments:04d}",
                ),
            )
    return path


def load_big_tree(server: Ldap, *, people: int = 20_000, departments: int = 2_000, base: str = "") -> float:
    """Load a generated tree with ``ldapadd`` (as the root DN); return the seconds it took."""
    ldif = big_tree_ldif(server.folder / "big.ldif", people=people, departments=departments, base=base)
    start = time.monotonic()
    subprocess.run(
        [str(LDAPADD), "-x", "-H", server.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD, "-f", str(ldif)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - start
