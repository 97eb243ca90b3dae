"""What the project's commands share: exit codes and reading a charter file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

from django.utils.translation import gettext as _

from xietong.collabs.charter import CharterError, parse_charter
from xietong.rules import snapshot as s

# Exit codes of DESIGN.md: 0 fine, 1 error-severity findings, 2 unreadable input.
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2

# Charter files are small documents; refuse anything that is clearly not one.
MAX_CHARTER_BYTES = 10 * 1024 * 1024


def fail(message: str, code: int = EXIT_UNREADABLE) -> NoReturn:
    """Print a one-line reason (never a traceback) and exit with ``code``."""
    sys.stderr.write(f"xietong: {message}\n")
    raise SystemExit(code)


def read_charter_file(path: Path) -> s.Collab:
    """Return the snapshot of a charter file, or fail with exit code 2."""
    try:
        if path.stat().st_size > MAX_CHARTER_BYTES:
            fail(
                _("%(path)s: 文件过大(上限 %(limit)s MB)")
                % {"path": path, "limit": MAX_CHARTER_BYTES // 2**20}
            )
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")
    try:
        return parse_charter(raw)
    except CharterError as exc:
        fail(f"{path}: {exc}")
