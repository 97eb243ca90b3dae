"""The worker's scheduled backup in the database: one at a time, recorded, retried, pruned.

What the archive holds is the backup's own tests' concern (and the worker test's
in test_schedule_worker.py); here a stand-in writer that takes a moment keeps
the guard held long enough for a real race between two database connections.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.helpers import at
from xietong.ops import backup, schedule
from xietong.ops.backup import BackupResult
from xietong.ops.models import BackupRun, BackupState

NOW = at(2026, 12, 7, 3, 0)


class SlowWriter:
    """Writes a small file after ``seconds``, as ``write_backup`` does (to the path it is given); counts calls."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.calls = 0

    def __call__(self, destination: Path, *, progress: bool = False) -> BackupResult:
        self.calls += 1
        time.sleep(self.seconds)
        destination.write_bytes(b"archive")
        return BackupResult(path=destination, size=7, manifest={})


@pytest.fixture
def backups(settings: Any, tmp_path: Path) -> Path:
    settings.XIETONG_BACKUP_SCHEDULE = schedule.parse("daily@02:30")
    settings.XIETONG_BACKUP_DIR = tmp_path / "backups"
    settings.XIETONG_BACKUP_KEEP = 2
    return Path(settings.XIETONG_BACKUP_DIR)


@pytest.fixture
def writer(monkeypatch: pytest.MonkeyPatch) -> SlowWriter:
    stand_in = SlowWriter()
    monkeypatch.setattr(backup, "write_backup", stand_in)
    return stand_in


@pytest.mark.django_db
def test_a_due_backup_is_written_recorded_and_not_written_again_in_its_slot(
    backups: Path, writer: SlowWriter
) -> None:
    run = schedule.run_due(NOW)
    assert run is not None and run.state == BackupState.OK
    path = Path(run.path)
    assert path.parent == backups and path.read_bytes() == b"archive" and run.size == 7
    assert schedule.SCHEDULED_NAME.match(path.name)
    assert schedule.run_due(NOW + timedelta(hours=5)) is None
    assert schedule.run_due(at(2026, 12, 8, 2, 29)) is None
    assert schedule.run_due(at(2026, 12, 8, 2, 31)) is not None
    assert writer.calls == 2
    assert BackupRun.objects.filter(state=BackupState.OK).count() == 2


@pytest.mark.django_db
def test_only_the_keep_newest_scheduled_backups_stay_after_a_new_one(
    backups: Path, writer: SlowWriter
) -> None:
    backups.mkdir()
    by_hand = backups / "xietong-backup-20200101-000000.tar.gz"
    by_hand.write_bytes(b"mine")
    killed = backups / ".xietong-scheduled-20261201-183000.tar.gz.partial"  # a worker killed mid-write
    killed.write_bytes(b"half")
    for day in range(7, 11):
        assert schedule.run_due(at(2026, 12, day, 3, 0)) is not None
    kept = sorted(p.name for p in backups.iterdir())
    assert kept == [
        "xietong-backup-20200101-000000.tar.gz",
        "xietong-scheduled-20261208-190000.tar.gz",
        "xietong-scheduled-20261209-190000.tar.gz",
    ]
    assert not killed.exists()


@pytest.mark.django_db
def test_a_failed_backup_is_recorded_without_secrets_and_retried_later(backups: Path, settings: Any) -> None:
    backups.parent.mkdir(exist_ok=True)
    backups.write_text(settings.SECRET_KEY)  # a file where the folder should be: the real write fails
    settings.XIETONG_BACKUP_DIR = backups / settings.SECRET_KEY
    run = schedule.run_due(NOW)
    assert run is not None and run.state == BackupState.FAILED
    assert run.error.startswith(("NotADirectoryError", "FileExistsError"))
    assert settings.SECRET_KEY not in run.error and "***" in run.error
    assert run.finished_at is not None and run.path == ""
    assert schedule.run_due(NOW + timedelta(minutes=10)) is None  # not at every sweep
    retried = schedule.run_due(NOW + schedule.RETRY_AFTER)
    assert retried is not None and retried.state == BackupState.FAILED


@pytest.mark.django_db
def test_a_running_backup_blocks_another_until_its_worker_is_gone(backups: Path, writer: SlowWriter) -> None:
    held = BackupRun.objects.create(started_at=NOW, alive_at=NOW)
    assert schedule.run_due(NOW + timedelta(minutes=1)) is None
    assert writer.calls == 0
    # Its worker died (nothing touched the row for STALE_AFTER): the row is marked failed, and
    # the backup is retried like a failed one (a backup that kills its worker does not loop).
    assert schedule.run_due(NOW + schedule.STALE_AFTER + timedelta(seconds=1)) is None
    held.refresh_from_db()
    assert held.state == BackupState.FAILED and held.error == schedule.INTERRUPTED
    run = schedule.run_due(NOW + schedule.RETRY_AFTER)
    assert run is not None and run.state == BackupState.OK and writer.calls == 1


@pytest.mark.django_db
def test_the_command_does_nothing_without_a_schedule(
    settings: Any, tmp_path: Path, writer: SlowWriter
) -> None:
    settings.XIETONG_BACKUP_SCHEDULE = None
    settings.XIETONG_BACKUP_DIR = tmp_path
    call_command("backup_due")
    call_command("backup_due", background=True)
    assert writer.calls == 0 and not BackupRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_in_the_background_and_touches_its_row(
    backups: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock returns at once; the row says running, then ok; a dead worker's row would stop moving."""
    slow = SlowWriter(seconds=1.5)
    monkeypatch.setattr(backup, "write_backup", slow)
    monkeypatch.setattr(schedule, "TOUCH_SECONDS", 0.2)
    began = time.monotonic()
    call_command("backup_due", background=True)
    assert time.monotonic() - began < 1.0
    run = BackupRun.objects.get()
    assert run.state == BackupState.RUNNING
    first_alive = run.alive_at
    deadline = time.monotonic() + 10
    while run.state == BackupState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.1)
        run.refresh_from_db()
    assert run.state == BackupState.OK
    assert run.alive_at > first_alive
    assert [p.name for p in backups.iterdir()] == [Path(run.path).name]


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_write_one_backup(backups: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two threads, two connections to PostgreSQL, the same due backup at the same moment: one writes."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections need PostgreSQL")
    slow = SlowWriter(seconds=0.5)
    monkeypatch.setattr(backup, "write_backup", slow)
    start = threading.Barrier(2)
    results: list[BackupRun | None] = []

    def worker() -> None:
        try:
            start.wait()
            results.append(schedule.run_due(timezone.now()))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = [run for run in results if run is not None]
    assert len(results) == 2 and len(written) == 1 and slow.calls == 1
    assert written[0].state == BackupState.OK
    assert BackupRun.objects.count() == 1
    assert len(list(backups.iterdir())) == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_lets_one_of_two_simultaneous_claims_through(backups: Path) -> None:
    """Past every check, at the very insert: the partial unique constraint refuses the second running row."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections need PostgreSQL")

    def claim(start: threading.Barrier, claimed: list[BackupRun | None]) -> None:
        try:
            start.wait()
            claimed.append(schedule.claim(timezone.now()))
        finally:
            connection.close()

    for _round in range(5):
        start = threading.Barrier(4)
        claimed: list[BackupRun | None] = []
        threads = [threading.Thread(target=claim, args=(start, claimed)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(claimed) == 4 and len([run for run in claimed if run is not None]) == 1
        assert BackupRun.objects.filter(state=BackupState.RUNNING).count() == 1
        BackupRun.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_backup_is_a_real_archive_that_verifies(backups: Path, tmp_path: Path) -> None:
    """No stand-in: ``write_backup`` of the database under test (pg_dump on PostgreSQL), read back verified."""
    from xietong.ops.archive import extract_verified

    if connection.vendor != "postgresql":
        pytest.skip("the SQLite test database is in memory; test_schedule_worker.py backs up a real file")
    run = schedule.run_due(NOW)
    assert run is not None and run.state == BackupState.OK, run.error if run else None
    archive = Path(run.path)
    assert run.size == archive.stat().st_size and archive.stat().st_mode & 0o077 == 0
    extracted = extract_verified(archive, tmp_path / "extracted")
    assert extracted.engine == connection.vendor
