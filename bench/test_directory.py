"""Directory sync at 20,000 people in 2,000 departments (issue 18).

``test_directory_sync``: the generated company of ``tests/directory_source.py``
(an in-process source: the vendors' HTTP time is theirs, not ours). Timed:
the first sync (everything created) as the benchmark's one round;
``second_s`` the sync right after with nothing changed (it writes nothing).
``peak_mb`` is the tracemalloc peak of a separate, untimed first sync (rolled
back): the directory's records read whole plus one batch of rows.

``test_directory_sync_ldap``: the same size from a real slapd
(``big_directory`` in bench/conftest.py, the tree of
``tests/servers_ldap.big_tree_ldif``), read with paged results (500 a page)
by ``xietong sync_directory --source ldap``, configured from
``XIETONG_LDAP_*`` as a deployment is. Timed: the first sync through the
command; ``second_s`` the command again with nothing changed (no row
written but the run's own record, no audit entry). ``peak_mb``: the
tracemalloc peak of a rolled-back first sync; ``read_peak_mb``: the engine's
read alone (the directory's compact records, whole); ``source_peak_mb``: the
LDAP source alone, its departments and people iterated and dropped (the
department index plus one page).

Everything is rolled back after each test (the ``db`` fixture).
Target: the first sync under 60 s on the benchmark machine.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from io import StringIO
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils.translation import gettext

from tests.directory_source import GeneratedSource
from xietong.audit.models import AuditEntry
from xietong.orgs.directory.sync import read, sync
from xietong.orgs.models import Department, DirectorySync, Person, PersonSource, SyncState

if TYPE_CHECKING:
    from bench.conftest import BigDirectory
    from xietong.orgs.directory.ldap import LdapSource

PEOPLE, DEPARTMENTS = 20_000, 2_000

T = TypeVar("T")


def _peak_mb(work: Callable[[], T]) -> tuple[float, T]:
    """Run ``work`` under tracemalloc; return its peak (MB) and its result."""
    tracemalloc.start()
    try:
        result = work()
        return tracemalloc.get_traced_memory()[1] / 1e6, result
    finally:
        tracemalloc.stop()


def _rolled_back(work: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        with transaction.atomic():
            work()
            transaction.set_rollback(True)

    return run


def test_directory_sync(benchmark: Any, db: None) -> None:
    peak, _ = _peak_mb(_rolled_back(lambda: sync(GeneratedSource(DEPARTMENTS, PEOPLE))))
    run, _plan = benchmark.pedantic(
        lambda: sync(GeneratedSource(DEPARTMENTS, PEOPLE)), rounds=1, iterations=1
    )
    assert run.people_created == PEOPLE
    began = time.perf_counter()
    again, plan = sync(GeneratedSource(DEPARTMENTS, PEOPLE))
    second = time.perf_counter() - began
    assert plan.empty and again.people_updated == 0
    benchmark.extra_info.update(people=PEOPLE, departments=DEPARTMENTS, second_s=second, peak_mb=peak)


def _command() -> DirectorySync:
    """``xietong sync_directory --source ldap``; return the run it recorded."""
    call_command("sync_directory", "--source", "ldap", stdout=StringIO(), stderr=StringIO())
    return DirectorySync.objects.filter(source="ldap").latest("pk")


def _iterate(source: LdapSource) -> tuple[int, int]:
    """Read the source as the engine does, keeping nothing: (departments, people)."""
    departments = sum(1 for _ in source.departments())
    people = sum(1 for _ in source.people())
    return departments, people


def test_directory_sync_ldap(
    benchmark: Any, db: None, big_directory: BigDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # python-ldap is the ldap extra: imported here so that the other benchmarks run without it
    # (``big_directory`` skips this one then).
    from xietong.orgs.directory.ldap import LdapSource

    for name, value in big_directory.environ.items():
        monkeypatch.setenv(name, value)
    people, departments = big_directory.people, big_directory.departments

    # What the source alone holds at its peak, then the engine's read, then a whole first sync.
    source = LdapSource.from_env()
    source_peak, counted = _peak_mb(lambda: _iterate(source))
    assert counted == (departments, people)
    pages = source.pages_read
    read_peak, found = _peak_mb(lambda: read(LdapSource.from_env()))
    assert (len(found.departments), len(found.people)) == (departments, people)
    del found
    peak, _ = _peak_mb(_rolled_back(lambda: sync(LdapSource.from_env())))
    assert not Person.objects.filter(source=PersonSource.LDAP).exists()  # rolled back

    run = benchmark.pedantic(_command, rounds=1, iterations=1)
    assert run.state == SyncState.OK, run.message
    assert (run.people_created, run.departments_created) == (people, departments)
    assert Person.objects.filter(source=PersonSource.LDAP, is_active=True).count() == people
    # nine of every ten departments sit under another (tests/servers_ldap.big_tree_ldif)
    assert (
        Department.objects.filter(source=PersonSource.LDAP, parent__isnull=False).count()
        == departments * 9 // 10
    )

    audit_before = AuditEntry.objects.count()
    began = time.perf_counter()
    again = _command()
    second = time.perf_counter() - began
    # Nothing changed in the directory: the plan was empty, so nothing was written.
    assert again.message == gettext("无变化"), again.report
    assert AuditEntry.objects.count() == audit_before
    assert not any(
        getattr(again, f)
        for f in (
            "departments_created",
            "departments_updated",
            "departments_gone",
            "people_created",
            "people_updated",
            "people_deactivated",
            "heads_set",
        )
    )
    benchmark.extra_info.update(
        people=people,
        departments=departments,
        second_s=second,
        peak_mb=peak,
        read_peak_mb=read_peak,
        source_peak_mb=source_peak,
        pages=pages,
        page_size=source.config.page_size,
        load_s=big_directory.load_s,
    )
