"""`xietong run` restarts a worker that died, and the web server keeps answering meanwhile.

The whole system as a newcomer starts it, in a throw-away data folder; the
worker is killed with SIGKILL (as the kernel's OOM killer would) and a new
one must come up and beat, with the restart and its reason on record.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.notify.test_run import ROOT, _answers, _free_port


def _beats(database: Path) -> list[tuple[str, int, int, str]]:
    """(name, sweeps, restarts, last exit) of each worker's heartbeat, read as another process would."""
    if not database.exists():
        return []
    try:
        with sqlite3.connect(database, timeout=5) as db:
            return list(
                db.execute(
                    "SELECT name, sweeps, restarts, last_exit FROM notify_workerbeat ORDER BY beat_at DESC"
                )
            )
    except sqlite3.OperationalError:  # not migrated yet
        return []


def _wait(condition: object, seconds: float, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        if callable(condition) and condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out: " + log.read_text()[-3000:])


def test_run_restarts_a_killed_worker_while_the_site_keeps_answering(tmp_path: Path) -> None:
    port = _free_port()
    data = tmp_path / "data"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        XIETONG_DATA=str(data),
        XIETONG_SWEEP_SECONDS="1",
        XIETONG_ADMIN_PASSWORD="a-long-test-password-0123",
    )
    log_path = tmp_path / "run.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "xietong.cli", "run", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    database = data / "xietong.sqlite3"
    login = f"http://127.0.0.1:{port}/accounts/login/"
    try:
        _wait(lambda: _answers(login) and any(b[1] >= 1 for b in _beats(database)), 180, server, log_path)
        first, _sweeps, restarts, _exit = _beats(database)[0]
        assert restarts == 0
        pid = int(first.rsplit(":", 1)[1])
        os.kill(pid, signal.SIGKILL)

        def restarted() -> bool:
            assert _answers(login), "the site stopped answering while the worker was down"
            beats = _beats(database)
            return bool(beats) and beats[0][0] != first and beats[0][1] >= 2

        _wait(restarted, 90, server, log_path)
        name, _sweeps, restarts, last_exit = _beats(database)[0]
        assert int(name.rsplit(":", 1)[1]) != pid
        assert (restarts, last_exit) == (1, "signal 9 (SIGKILL)")
        assert "exited with signal 9" in log_path.read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
