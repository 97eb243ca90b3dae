"""How the tests and the screenshot script start Debian's Chromium (never a downloaded one)."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("XIETONG_CHROMIUM", "/usr/bin/chromium"))
# Headless on a closed network: no GPU, no sandbox (root), no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
