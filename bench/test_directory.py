"""Directory sync at 20,000 people in 2,000 departments (issue 18).

The generated company of ``tests/directory_source.py`` (an in-process
source: the vendors' HTTP time is theirs, not ours). Timed: the first sync
(everything created) as the benchmark's one round; ``second_s`` the sync
right after with nothing changed (it writes nothing). ``peak_mb`` is the
tracemalloc peak of a separate, untimed first sync (rolled back): the
directory's records read whole plus one batch of rows. Everything is rolled
back after the test (the ``db`` fixture).

Target: the first sync under 60 s on the benchmark machine.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any

from django.db import transaction

from tests.directory_source import GeneratedSource
from xietong.orgs.directory.sync import sync

PEOPLE, DEPARTMENTS = 20_000, 2_000


def _first_sync_memory() -> float:
    """The tracemalloc peak (MB) of a first sync, rolled back."""
    tracemalloc.start()
    try:
        with transaction.atomic():
            sync(GeneratedSource(DEPARTMENTS, PEOPLE))
            transaction.set_rollback(True)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_directory_sync(benchmark: Any, db: None) -> None:
    peak = _first_sync_memory()
    run, _plan = benchmark.pedantic(
        lambda: sync(GeneratedSource(DEPARTMENTS, PEOPLE)), rounds=1, iterations=1
    )
    assert run.people_created == PEOPLE
    began = time.perf_counter()
    again, plan = sync(GeneratedSource(DEPARTMENTS, PEOPLE))
    second = time.perf_counter() - began
    assert plan.empty and again.people_updated == 0
    benchmark.extra_info.update(people=PEOPLE, departments=DEPARTMENTS, second_s=second, peak_mb=peak)
