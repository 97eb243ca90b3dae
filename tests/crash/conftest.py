"""Fixtures of the crash tests: a prepared database per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crash.stack import Database, Prepared, postgresql_reachable


@pytest.fixture(scope="session")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prepared]:
    found = Prepared(tmp_path_factory.mktemp("crash-prepared"))
    try:
        yield found
    finally:
        found.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, prepared: Prepared, tmp_path: Path) -> Iterator[Database]:
    """A copy of the prepared database: the data folder's SQLite file, or a PostgreSQL database made for the test."""
    # `make test` runs the suite twice: each variant runs once, in the pass of its own database.
    on_postgresql = os.environ.get("DATABASE_URL", "").startswith("postgres")
    if request.param == "postgresql" and not on_postgresql:
        pytest.skip("the PostgreSQL variant runs in the suite's PostgreSQL pass")
    if request.param == "postgresql" and not postgresql_reachable():
        pytest.skip("psycopg cannot connect to postgresql://postgres@127.0.0.1:5432/")
    if request.param == "sqlite" and on_postgresql:
        pytest.skip("the SQLite variant runs in the suite's SQLite pass")
    copy = prepared.copy(request.param, tmp_path / "data")
    try:
        yield copy
    finally:
        prepared.drop(copy)
