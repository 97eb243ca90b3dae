"""An older Xietong refuses a database that a newer one has migrated, before writing anything.

The newer release is played by a row in ``django_migrations`` that today's
code has no file for (``orgs.9999_future``): ``xietong run``, ``xietong
worker`` and ``xietong migrate`` stop with the message naming it and the
database is left as it was; a running worker stops once it appears.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from tests.running import xietong_run
from tests.upgrade.conftest import DATABASE, copy_of, dump, sqlite_half, xietong
from xietong.lib.schema import unknown_migrations

FUTURE = ("orgs", "9999_future")
ZH = "此数据库由更新版本的协同写入"
EN = "This database was written by a newer version of Xietong"


def from_the_future(database: Path) -> None:
    """Record FUTURE as applied, as a newer release's migrate would have."""
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (?, ?, '2030-01-01 00:00:00')", FUTURE
        )
    db.close()


@pytest.fixture
def newer(upgraded: Path, tmp_path: Path) -> Path:
    """A data folder whose database a newer release has migrated."""
    data = copy_of(upgraded, tmp_path / "data")
    from_the_future(data / DATABASE)
    return data


def exited(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait up to ``seconds`` for ``process`` to exit, without reaping it (its process group stays)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.2)
    return False


@sqlite_half
def test_run_refuses_a_newer_database_before_migrating_or_serving(tmp_path: Path, upgraded: Path) -> None:
    data = copy_of(upgraded, tmp_path / "data")  # where xietong_run puts its data folder
    from_the_future(data / DATABASE)
    before = dump(data / DATABASE)
    with xietong_run(tmp_path) as run:
        # The server is reaped when the context ends; until then its process group must exist.
        assert exited(run.server, 60), "xietong run started on a newer database: " + run.log()
        log = run.log()
    assert run.server.returncode == 2
    assert ZH in log and "orgs.9999_future" in log, log
    assert "Traceback" not in log and "协同已启动" not in log
    assert dump(data / DATABASE) == before


@sqlite_half
def test_migrate_refuses_a_newer_database_and_says_so_in_english_too(newer: Path) -> None:
    before = dump(newer / DATABASE)
    done = xietong(newer, "migrate", LANGUAGE_CODE="en")
    assert done.returncode == 2
    assert done.stderr.startswith("xietong: " + EN), done.stderr
    assert "orgs.9999_future" in done.stderr and "restore the backup" in done.stderr
    assert "Traceback" not in done.stderr
    assert dump(newer / DATABASE) == before


@sqlite_half
def test_a_worker_refuses_to_start_on_a_newer_database(newer: Path) -> None:
    before = dump(newer / DATABASE)
    done = xietong(newer, "worker", timeout=60, XIETONG_SWEEP_SECONDS="1")
    assert done.returncode == 2
    assert ZH in done.stderr and "orgs.9999_future" in done.stderr
    assert dump(newer / DATABASE) == before


@sqlite_half
def test_a_running_worker_stops_when_a_newer_release_migrates_the_database(
    upgraded: Path, tmp_path: Path
) -> None:
    data = copy_of(upgraded, tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "LANGUAGE_CODE")}
    env.update(XIETONG_DATA=str(data), XIETONG_SWEEP_SECONDS="1")
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "xietong.cli", "worker"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not beats(data / DATABASE):  # it has swept at least once
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        from_the_future(data / DATABASE)
        code = worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
    assert code == 2, log.read_text()
    assert log.read_text().count("orgs.9999_future") >= 1


def beats(database: Path) -> int:
    with sqlite3.connect(database, timeout=5) as db:
        (count,) = db.execute("SELECT COALESCE(SUM(sweeps), 0) FROM notify_workerbeat").fetchone()
    db.close()
    return int(count)


@pytest.mark.django_db
def test_only_installed_apps_migrations_unknown_to_the_code_count() -> None:
    recorder = MigrationRecorder(connection)
    recorder.record_applied("orgs", "9999_future")
    recorder.record_applied("an_app_removed_long_ago", "0001_initial")  # its history, not a newer schema
    assert unknown_migrations(connection) == [FUTURE]
    recorder.record_unapplied("orgs", "9999_future")
    assert unknown_migrations(connection) == []


@pytest.mark.django_db(transaction=True)
def test_postgresql_migrate_and_worker_refuse_a_newer_database() -> None:
    """The same refusal on PostgreSQL: the test database, with the future migration committed."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (DATABASE_URL)")
    recorder = MigrationRecorder(connection)
    recorder.record_applied(*FUTURE)
    try:
        settings = connection.settings_dict
        url = f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        env = {k: v for k, v in os.environ.items() if k != "LANGUAGE_CODE"}
        env["DATABASE_URL"] = url
        if settings["PASSWORD"]:
            env["PGPASSWORD"] = settings["PASSWORD"]
        for command in ("migrate", "worker"):
            done = subprocess.run(
                [sys.executable, "-m", "xietong.cli", command],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
                check=False,
            )
            assert done.returncode == 2, done.stderr
            assert ZH in done.stderr and "orgs.9999_future" in done.stderr
    finally:
        recorder.record_unapplied(*FUTURE)
