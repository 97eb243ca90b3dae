"""`xietong run` restarts a worker that died, and the web server keeps answering meanwhile.

The whole system as a newcomer starts it, in a throw-away data folder; the
worker is killed with SIGKILL (as the kernel's OOM killer would) and a new
one must come up and beat, with the restart and its reason on record.
"""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

from tests.running import answers, sqlite_pass_only, xietong_run


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


@sqlite_pass_only
def test_run_restarts_a_killed_worker_while_the_site_keeps_answering(tmp_path: Path) -> None:
    with xietong_run(tmp_path) as run:
        database = run.data / "xietong.sqlite3"
        login = f"{run.base}/accounts/login/"
        run.wait_until(lambda: answers(login) and any(b[1] >= 1 for b in _beats(database)), 180, 0.3)
        first, _sweeps, restarts, _exit = _beats(database)[0]
        assert restarts == 0
        pid = int(first.rsplit(":", 1)[1])
        os.kill(pid, signal.SIGKILL)

        def restarted() -> bool:
            assert answers(login), "the site stopped answering while the worker was down"
            beats = _beats(database)
            return bool(beats) and beats[0][0] != first and beats[0][1] >= 2

        run.wait_until(restarted, 90, 0.3)
        name, _sweeps, restarts, last_exit = _beats(database)[0]
        assert int(name.rsplit(":", 1)[1]) != pid
        assert (restarts, last_exit) == (1, "signal 9 (SIGKILL)")
        assert "exited with signal 9" in run.log_path.read_text()
