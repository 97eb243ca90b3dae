"""The previous release's database (tests/upgrade/fixtures), and today's console script run on a copy of it.

Everything here runs ``xietong`` as a separate process with its own data
folder: pytest-django's test database is not involved.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.running import sqlite_pass_only

FIXTURES = Path(__file__).parent / "fixtures"
DATABASE = "xietong.sqlite3"  # its name in a data folder (settings.DATABASES on the embedded default)


def xietong(data: Path, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """Run today's console script on the SQLite database of the data folder ``data``."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "LANGUAGE_CODE")
    }
    environ.update(XIETONG_DATA=str(data), **env)
    return subprocess.run(
        [sys.executable, "-m", "xietong.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout,
        check=False,
    )


def previous_release(data: Path) -> Path:
    """Unpack the previous release's database into the data folder ``data``; return its path."""
    data.mkdir(parents=True, exist_ok=True)
    with gzip.open(FIXTURES / "xietong.sqlite3.gz", "rb") as source, (data / DATABASE).open("wb") as target:
        shutil.copyfileobj(source, target)
    return data / DATABASE


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def applied(database: Path) -> set[tuple[str, str]]:
    """The migrations recorded as applied, read as another process would."""
    with sqlite3.connect(database) as db:
        return set(db.execute("SELECT app, name FROM django_migrations"))


def dump(database: Path) -> list[str]:
    """Every table's schema and rows as SQL statements: equal dumps, equal databases."""
    db = sqlite3.connect(database)
    try:
        return list(db.iterdump())
    finally:
        db.close()


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose database the previous release wrote and today's ``migrate`` upgraded."""
    data = tmp_path_factory.mktemp("upgraded") / "data"
    previous_release(data)
    done = xietong(data, "migrate", "--verbosity", "0")
    assert done.returncode == 0, done.stderr
    return data


def copy_of(data: Path, into: Path) -> Path:
    """Copy the data folder ``data`` (its database) to ``into``; return ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(data / DATABASE)
    try:
        target = sqlite3.connect(into / DATABASE)
        db.backup(target)  # consistent even with a WAL file beside it
        target.close()
    finally:
        db.close()
    return into


# These tests never use DATABASE_URL (each process gets its own SQLite data folder): the PostgreSQL half
# of `make test` would repeat them word for word, so they run in the SQLite half only.
sqlite_half = sqlite_pass_only
