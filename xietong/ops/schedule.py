"""Scheduled backups: ``XIETONG_BACKUP_SCHEDULE``, one at a time across workers, ``XIETONG_BACKUP_KEEP`` kept.

The schedule is one entry, like a directory sync's without the source:

- ``daily@02:30``: every day at 02:30 in ``TIME_ZONE`` (the first sweep after it);
- ``6h``, ``30m``: when the last successful scheduled backup began that long ago.

The time of day and the interval mean what they mean for the directory sync
(``orgs.directory.schedule.Entry`` is reused, so both read the clock the same
way). Unlike a directory sync, a failed backup does not count as the slot's:
it is retried ``RETRY_AFTER`` later (or one interval later, if shorter), until
one succeeds; a backup that keeps failing is on /ops/ and in the log.

The guard is a database row: a ``BackupRun`` in state running, of which a
partial unique constraint allows one. A worker claims it, checks again that
the backup is still due (another worker may have finished one between the
check and the claim), writes, and finishes the row. While it writes, a small
thread moves ``alive_at`` on; a running row that stopped moving for
``STALE_AFTER`` belongs to a worker that died, and the next attempt marks it
failed.

Scheduled backups are named ``xietong-scheduled-YYYYmmdd-HHMMSS.tar.gz``
(UTC, so names sort like times). Retention deletes only files with exactly
that name in ``XIETONG_BACKUP_DIR``, after a successful new one: a backup
made by hand (``xietong backup``'s ``xietong-backup-…`` or any other name)
is never deleted. This module reads no models at import (settings import it).
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from xietong.orgs.directory.schedule import Entry

if TYPE_CHECKING:
    from xietong.ops.models import BackupRun

logger = logging.getLogger("xietong.ops")

_DAILY = re.compile(r"^daily@(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$")
_EVERY = re.compile(r"^(?P<n>\d{1,5})(?P<unit>[mh])$")
SHORTEST = timedelta(minutes=1)
# A failed backup is tried again this long after (or one interval after, if shorter).
RETRY_AFTER = timedelta(minutes=30)
# A running backup's row is touched this often; one untouched for STALE_AFTER is a dead worker's.
TOUCH_SECONDS = 30.0
STALE_AFTER = timedelta(minutes=5)
SCHEDULED_NAME = re.compile(r"^xietong-scheduled-\d{8}-\d{6}\.tar\.gz$")
ERROR_LIMIT = 500
INTERRUPTED = "interrupted: the worker writing it stopped"


def parse(value: str) -> Entry | None:
    """Return the schedule of ``value`` (None when empty); raise ``ValueError`` naming the bad value."""
    raw = value.strip()
    if not raw:
        return None
    daily, every = _DAILY.match(raw), _EVERY.match(raw)
    if daily:
        return Entry("backup", at=time(int(daily["h"]), int(daily["m"])))
    if every:
        n = int(every["n"])
        interval = timedelta(hours=n) if every["unit"] == "h" else timedelta(minutes=n)
        if interval < SHORTEST:
            raise ValueError(f"XIETONG_BACKUP_SCHEDULE: {raw!r}: at least every minute")
        return Entry("backup", every=interval)
    raise ValueError(f"XIETONG_BACKUP_SCHEDULE: {raw!r} is not like daily@02:30, 6h or 30m")


def is_due(
    entry: Entry, now: datetime, tz: tzinfo, last_ok: datetime | None, last_failed: datetime | None
) -> bool:
    """Whether a scheduled backup is due at ``now``, given when the last successful and failed ones began.

    A daily time is read in ``tz`` (``TIME_ZONE``); before it, today's backup
    is not due yet, even if none was ever made.
    """
    since = entry.slot(now.astimezone(tz))
    if since is None:
        return False
    if last_ok is not None and last_ok >= since:
        return False
    pause = min(RETRY_AFTER, entry.every) if entry.every is not None else RETRY_AFTER
    return last_failed is None or last_failed <= now - pause


def describe(entry: Entry | None, tz_name: str) -> str:
    """The schedule in words, for the staff page."""
    if entry is None:
        return _("未开启定时备份(XIETONG_BACKUP_SCHEDULE 为空)。")
    if entry.at is not None:
        return _("每天 %(time)s(%(zone)s)后的第一次巡检时备份。") % {
            "time": entry.at.strftime("%H:%M"),
            "zone": tz_name,
        }
    assert entry.every is not None
    minutes = int(entry.every.total_seconds() // 60)
    if minutes % 60 == 0:
        return _("距上次成功的定时备份满 %(hours)s 小时后备份。") % {"hours": minutes // 60}
    return _("距上次成功的定时备份满 %(minutes)s 分钟后备份。") % {"minutes": minutes}


# --- the files in the backup folder


@dataclass(frozen=True)
class BackupFile:
    name: str
    size: int
    modified: datetime
    scheduled: bool  # named like a scheduled backup: retention may delete it


def scheduled_name(now: datetime) -> str:
    return f"xietong-scheduled-{now.astimezone(UTC):%Y%m%d-%H%M%S}.tar.gz"


def backup_files(folder: Path, limit: int = 200) -> list[BackupFile]:
    """The archives in ``folder`` (``*.tar.gz``, not hidden), newest first; none if it does not exist."""
    if not folder.is_dir():
        return []
    files: list[BackupFile] = []
    for path in folder.iterdir():
        if path.name.startswith(".") or not path.name.endswith(".tar.gz") or not path.is_file():
            continue
        stat = path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC)
        files.append(BackupFile(path.name, stat.st_size, modified, bool(SCHEDULED_NAME.match(path.name))))
    files.sort(key=lambda f: (f.modified, f.name), reverse=True)
    return files[:limit]


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest scheduled backups in ``folder``; return the deleted paths.

    Only files named exactly like a scheduled backup count or go; their names
    carry their UTC time, so the newest sort last.
    """
    scheduled = sorted(p for p in folder.iterdir() if SCHEDULED_NAME.match(p.name) and p.is_file())
    gone = scheduled[: max(len(scheduled) - keep, 0)]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def _forget_partials(folder: Path) -> None:
    """Delete what a scheduled backup killed mid-write left (``.xietong-scheduled-….tar.gz.partial``).

    Called while holding the guard: no other scheduled backup is writing one.
    """
    for path in folder.glob(".xietong-scheduled-*.tar.gz.partial"):
        path.unlink(missing_ok=True)


def free_space(folder: Path) -> tuple[int, int] | None:
    """(free, total) bytes of the disk ``folder`` is (or will be) on; None if none of its parents exists."""
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            usage = shutil.disk_usage(candidate)
            return usage.free, usage.total
    return None


# --- the run: guard, write, retention


def error_text(exc: BaseException) -> str:
    """The exception's class and message for the row and the page, with the known secrets masked."""
    from django.conf import settings

    text = f"{type(exc).__name__}: {exc}"
    secrets = [settings.SECRET_KEY, str(settings.DATABASES["default"].get("PASSWORD") or "")]
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text[:ERROR_LIMIT]


def _last_times(exclude: int | None = None) -> tuple[datetime | None, datetime | None]:
    from django.db.models import Max, Q

    from xietong.ops.models import BackupRun, BackupState

    rows = BackupRun.objects.exclude(pk=exclude) if exclude is not None else BackupRun.objects.all()
    times = rows.aggregate(
        ok=Max("started_at", filter=Q(state=BackupState.OK)),
        failed=Max("started_at", filter=Q(state=BackupState.FAILED)),
    )
    return times["ok"], times["failed"]


def claim(now: datetime) -> BackupRun | None:
    """Insert the one running row, or None if another worker holds it."""
    from django.db import IntegrityError, transaction

    from xietong.ops.models import BackupRun, BackupState

    # A row left running by a worker that died (kill -9, a lost machine) no longer blocks.
    BackupRun.objects.filter(state=BackupState.RUNNING, alive_at__lt=now - STALE_AFTER).update(
        state=BackupState.FAILED, finished_at=now, error=INTERRUPTED
    )
    try:
        with transaction.atomic():
            return BackupRun.objects.create(started_at=now, alive_at=now)
    except IntegrityError:
        return None


def claim_due(now: datetime) -> BackupRun | None:
    """Claim the scheduled backup if it is due at ``now``; None if not due or another worker writes one."""
    from django.conf import settings

    from xietong.ops.models import BackupRun, BackupState

    entry: Entry | None = settings.XIETONG_BACKUP_SCHEDULE
    if entry is None:
        return None
    tz = _zone()
    if BackupRun.objects.filter(state=BackupState.RUNNING, alive_at__gte=now - STALE_AFTER).exists():
        return None
    if not is_due(entry, now, tz, *_last_times()):
        return None
    run = claim(now)
    if run is None:
        return None
    # Another worker may have finished a backup between the check and the claim: check again, holding it.
    if not is_due(entry, now, tz, *_last_times(exclude=run.pk)):
        run.delete()
        return None
    return run


class _KeepAlive:
    """Moves the running row's ``alive_at`` on every ``TOUCH_SECONDS`` while the backup is written."""

    def __init__(self, pk: int) -> None:
        self.pk = pk
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"backup-alive-{pk}", daemon=True)

    def _run(self) -> None:
        from django.db import close_old_connections, connection
        from django.utils import timezone

        from xietong.ops.models import BackupRun, BackupState

        try:
            while not self.stop.wait(TOUCH_SECONDS):
                try:
                    BackupRun.objects.filter(pk=self.pk, state=BackupState.RUNNING).update(
                        alive_at=timezone.now()
                    )
                except Exception:
                    logger.exception("could not touch the running backup")
                    close_old_connections()
        finally:
            connection.close()

    def __enter__(self) -> _KeepAlive:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def perform(run: BackupRun) -> BackupRun:
    """Write the claimed backup, delete the scheduled ones beyond ``XIETONG_BACKUP_KEEP``, finish the row."""
    from django.conf import settings
    from django.utils import timezone

    from xietong.ops.backup import write_backup
    from xietong.ops.models import BackupState

    folder: Path = settings.XIETONG_BACKUP_DIR
    try:
        with _KeepAlive(run.pk):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            _forget_partials(folder)
            result = write_backup(folder / scheduled_name(run.started_at))
    except Exception as exc:
        run.state, run.error = BackupState.FAILED, error_text(exc)
        logger.warning("scheduled backup failed: %s", run.error)
    else:
        run.state, run.path, run.size = BackupState.OK, str(result.path), result.size
        logger.info("scheduled backup written: %s (%s bytes)", result.path, result.size)
        try:
            for gone in prune(folder, settings.XIETONG_BACKUP_KEEP):
                logger.info("old scheduled backup deleted: %s", gone)
        except OSError as exc:  # the backup itself is fine; the next one prunes again
            logger.warning("could not delete old scheduled backups: %s", exc)
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "path", "size", "error", "finished_at"])
    return run


def run_due(now: datetime, *, background: bool = False) -> BackupRun | None:
    """Make the scheduled backup if it is due; return its row (finished, or running in a thread if ``background``).

    The worker's clock runs it in the background, so that its sweeps and
    heartbeat go on while a large backup is written.
    """
    run = claim_due(now)
    if run is None:
        return None
    if not background:
        return perform(run)
    thread = threading.Thread(target=_perform_in_thread, args=(run,), name="scheduled-backup", daemon=True)
    thread.start()
    return run


def _perform_in_thread(run: BackupRun) -> None:
    from django.db import connection

    try:
        perform(run)
    except Exception:
        logger.exception("scheduled backup failed")
    finally:
        connection.close()


def _zone() -> tzinfo:
    from django.utils import timezone

    return timezone.get_default_timezone()
