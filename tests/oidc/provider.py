"""Start the real OpenID Connect provider of ``tests/oidc/server.mjs`` (panva's oidc-provider under Node).

``npm ci --prefix tests/oidc`` installs it (``make test`` and ``.ci/run`` do);
when its modules are missing and npm is there, the first test installs them.
Without Node the tests that need it are skipped, saying why (in CI: failed).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str


def _need_node() -> str:
    node = shutil.which("node")
    if node is None:
        reason = (
            "Node.js is not installed: the OIDC sign-in tests run a real provider under node (tests/oidc)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    if not (HERE / "node_modules" / "oidc-provider").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is missing: run `npm ci --prefix tests/oidc`")
        subprocess.run([npm, "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"], check=True)
    return node


@contextmanager
def oidc_provider(redirect_uri: str, accounts: dict[str, dict[str, Any]]) -> Iterator[OidcProvider]:
    """Run the provider on a free loopback port for one client (``redirect_uri``) and ``accounts``."""
    node = _need_node()
    client = {
        "client_id": "xietong",
        "client_secret": "test-only-oidc-secret",
        "redirect_uris": [redirect_uri],
    }
    env = {
        **os.environ,
        "OIDC_PORT": "0",
        "OIDC_CLIENT": json.dumps(client),
        "OIDC_ACCOUNTS": json.dumps(accounts),
    }
    process = subprocess.Popen(
        [node, str(HERE / "server.mjs")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = ""
        timer = threading.Timer(20, process.kill)  # a provider that never starts fails the test
        timer.start()
        try:
            line = process.stdout.readline()
        finally:
            timer.cancel()
        if not line.startswith("listening "):
            raise RuntimeError(f"the OIDC provider did not start: {line!r}")
        yield OidcProvider(line.split()[1], client["client_id"], client["client_secret"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
