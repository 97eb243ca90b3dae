"""In-process benchmarks run against a database prepared beforehand, not a test copy.

``bench/run.py`` migrates the database DATABASE_URL names and fills it with
``xietong bench-data``; pytest-django is told to use it as it is (no test
database is created, nothing is flushed). Tests that write use the ``db``
fixture, whose transaction is rolled back after each test, so the prepared
data is the same for every benchmark.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def django_db_setup() -> None:
    """Use the prepared database as it is."""
