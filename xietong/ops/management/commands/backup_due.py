"""``xietong backup_due``: write the scheduled backup if it is due (``XIETONG_BACKUP_SCHEDULE``).

The worker's clock calls it after every sweep (``--background``: the backup is
written in a thread of the worker, so that sweeps and heartbeats go on). Run
by hand or from cron it waits for the backup. One backup at a time across
all workers and machines (a row of ``BackupRun``, ops/schedule.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from xietong.lib.cli import fail
from xietong.ops.models import BackupState
from xietong.ops.schedule import run_due


class Command(BaseCommand):
    help = (
        "Write the scheduled backup if XIETONG_BACKUP_SCHEDULE says it is due (one at a time across workers)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--background", action="store_true", help="write it in a thread and return at once (the worker)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.XIETONG_BACKUP_SCHEDULE is None:
            if not options["background"]:
                self.stdout.write("XIETONG_BACKUP_SCHEDULE is empty: no scheduled backups")
            return
        run = run_due(timezone.now(), background=options["background"])
        if options["background"]:
            return
        if run is None:
            self.stdout.write("no backup due (or another worker is writing one)")
        elif run.state == BackupState.OK:
            self.stdout.write(f"{run.path} ({run.size} bytes)")
        else:
            fail(f"scheduled backup failed: {run.error}", 1)
