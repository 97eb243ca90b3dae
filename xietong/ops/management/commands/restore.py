"""``xietong restore FILE [--force]``: a backup into the configured database and data folder, whole or not at all."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xietong.ops.archive import one_line_errors
from xietong.ops.restore import SCRATCH_ENV, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup archive into the configured database (SQLite or PostgreSQL, either way) and data "
        "folder. The archive is verified first; any failure leaves the target as it was. Stop the server first."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data of a target database that already holds some",
        )
        parser.add_argument(
            "--scratch-database",
            default="",
            help="a PostgreSQL server (URL) on which a PostgreSQL backup is read when the target is SQLite: "
            f"a temporary database is created there and dropped after (default: ${SCRATCH_ENV})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] >= 1
        with one_line_errors():
            result = restore_backup(
                options["archive"],
                force=options["force"],
                scratch_database=options["scratch_database"],
                progress=sys.stdout.isatty(),
                say=lambda line: self.stdout.write(line) if verbose else None,
            )
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        manifest = result.manifest
        self.stdout.write(
            f"restored the backup of {manifest['created_at']} (Xietong {manifest['product_version']}, "
            f"{manifest['engine']}): {result.rows} rows, {result.media_files} uploaded files"
        )
