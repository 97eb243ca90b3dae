"""In-process benchmarks run against a database prepared beforehand, not a test copy.

``bench/run.py`` migrates the database DATABASE_URL names and fills it with
``xietong bench-data``; pytest-django is told to use it as it is (no test
database is created, nothing is flushed). Tests that write use the ``db``
fixture, whose transaction is rolled back after each test, so the prepared
data is the same for every benchmark.

``big_directory``: a real slapd (tests/servers_ldap.py) holding a generated
company of 20,000 people in 2,000 departments, for the LDAP directory sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

# The generated company of the LDAP benchmark (tests/servers_ldap.big_tree_ldif).
BIG_PEOPLE, BIG_DEPARTMENTS = 20_000, 2_000


@dataclass(frozen=True)
class BigDirectory:
    """A slapd holding the big tree: what a deployment sets in ``XIETONG_LDAP_*`` to read it."""

    environ: dict[str, str]
    people: int
    departments: int
    load_s: float  # seconds ldapadd took (setup, not measured by the benchmark)


@pytest.fixture(scope="session")
def django_db_setup() -> None:
    """Use the prepared database as it is."""


@pytest.fixture(scope="session")
def big_directory() -> Iterator[BigDirectory]:
    """Start slapd (skipped without python-ldap or slapd), load the big tree, stop it at the end."""
    servers_ldap = pytest.importorskip(
        "tests.servers_ldap", reason="the ldap extra (python-ldap) is not installed"
    )
    for server in servers_ldap.run_slapd():
        base = f"ou=bench,{servers_ldap.SUFFIX}"
        load_s = servers_ldap.load_big_tree(server, people=BIG_PEOPLE, departments=BIG_DEPARTMENTS, base=base)
        environ = {
            "XIETONG_LDAP_URL": server.url,
            "XIETONG_LDAP_BIND_DN": servers_ldap.BIND_DN,
            "XIETONG_LDAP_BIND_PASSWORD": servers_ldap.BIND_PASSWORD,
            "XIETONG_LDAP_USER_BASE": f"ou=people,{base}",
            "XIETONG_LDAP_DEPARTMENT_BASE": f"ou=departments,{base}",
        }
        yield BigDirectory(environ, BIG_PEOPLE, BIG_DEPARTMENTS, load_s)
