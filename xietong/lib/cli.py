"""What the project's commands share: exit codes and failing with one line."""

from __future__ import annotations

import sys
from typing import NoReturn

# Exit codes of DESIGN.md: 0 fine, 1 error-severity findings, 2 unreadable input.
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2


def fail(message: str, code: int = EXIT_UNREADABLE) -> NoReturn:
    """Print a one-line reason (never a traceback) and exit with ``code``."""
    sys.stderr.write(f"xietong: {message}\n")
    raise SystemExit(code)
