"""``xietong backup [-o FILE]``: one archive of the database, the materials, the secret key and a manifest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xietong.ops.archive import one_line_errors
from xietong.ops.backup import write_backup


class Command(BaseCommand):
    help = (
        "Write a backup archive (database, uploaded materials, secret key, manifest) while the server runs. "
        "The archive holds the secret key: keep it like the key itself."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o",
            "--output",
            type=Path,
            default=Path.cwd(),
            help="the archive to write (.tar.gz, or .tar uncompressed), or a folder "
            "(default: xietong-backup-YYYYmmdd-HHMMSS.tar.gz in the current folder)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with one_line_errors():
            result = write_backup(options["output"], progress=sys.stdout.isatty())
        tables = len(result.manifest["row_counts"])
        rows = sum(result.manifest["row_counts"].values())
        files = sum(1 for name in result.manifest["members"] if name.startswith("media/"))
        self.stdout.write(
            f"backup written: {result.path} ({result.size} bytes; {rows} rows in {tables} tables, "
            f"{files} uploaded files). It holds the secret key: keep it private."
        )
