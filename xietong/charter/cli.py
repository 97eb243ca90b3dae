"""What the charter commands share: reading a charter file."""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from xietong.charter.format import CharterError, parse_charter
from xietong.lib.cli import fail
from xietong.rules import snapshot as s

# Charter files are small documents; refuse anything that is clearly not one.
MAX_CHARTER_BYTES = 10 * 1024 * 1024


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
