"""A whole `xietong run` for end-to-end tests: a throw-away data folder, a free port, clean teardown.

Shared by the tests that start the product as a newcomer does (reminders by
mail, the supervised worker, the agenda sent through the API).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
# The processes these tests start use SQLite data folders of their own (xietong_run drops DATABASE_URL):
# the PostgreSQL pass of `make test` would repeat them word for word, so they run once, in the SQLite pass.
sqlite_pass_only = pytest.mark.skipif(
    ON_POSTGRESQL, reason="its processes use SQLite data folders of their own: runs in the SQLite pass"
)
ADMIN_PASSWORD = "a-long-test-password-0123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@dataclass
class Running:
    server: subprocess.Popen[bytes]
    port: int
    env: dict[str, str]
    log_path: Path
    data: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text()[-3000:]

    def wait_until(self, condition: Callable[[], bool], seconds: float, interval: float = 0.5) -> None:
        """Wait for ``condition``; fail with the log if the server dies or time runs out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.server.poll() is None, self.log()
            if condition():
                return
            time.sleep(interval)
        raise AssertionError("timed out: " + self.log())


@contextmanager
def xietong_run(tmp_path: Path, *, workers: int = 1, **settings: str) -> Iterator[Running]:
    """Start `xietong run` (one web worker unless told, a sweep a second) with ``settings`` as environment."""
    port = free_port()
    data = tmp_path / "data"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    }
    env.update(XIETONG_DATA=str(data), XIETONG_SWEEP_SECONDS="1", XIETONG_ADMIN_PASSWORD=ADMIN_PASSWORD)
    env.update(settings)
    log_path = tmp_path / "run.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "xietong.cli", "run", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield Running(server, port, env, log_path, data)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
