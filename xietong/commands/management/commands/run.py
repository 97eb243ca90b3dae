"""``xietong run``: one command that serves a working system on the embedded default.

It migrates, on the first start loads the demo and creates the administrator
``admin``, then runs the web server (gunicorn) and a worker (background tasks
and the reminder sweep every minute) and stays in the foreground until
interrupted, stopping its child processes with it.

The worker is supervised: when it exits without being asked to (a crash, a
kill), it is logged and started again after a back-off that doubles from
``BACKOFF_FIRST`` to ``BACKOFF_MAX`` seconds and starts over once a worker
has run ``BACKOFF_RESET`` seconds; the web server keeps serving meanwhile.
The new worker is told how often it was restarted and why, and shows it on
the staff page (``notify.heartbeat``). The web server is gunicorn's master,
which supervises its own workers; if it exits, ``run`` stops with its code.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.charter.demo import DEMO_SLUG, load_demo
from xietong.collabs.models import Collaboration
from xietong.lib import metrics
from xietong.lib.cli import fail
from xietong.lib.requestlog import gunicorn_log_args
from xietong.lib.schema import newer_database_problem
from xietong.notify.heartbeat import LAST_EXIT_ENV, RESTARTS_ENV
from xietong.orgs.models import Person

ADMIN_USERNAME = "admin"

logger = logging.getLogger("xietong.run")

# Seconds before a dead worker is started again: doubling up to the maximum,
# back to the first once a worker has stayed up BACKOFF_RESET seconds.
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
BACKOFF_RESET = 120.0
POLL_SECONDS = 0.5


def exit_reason(code: int) -> str:
    """A child's exit status in words for the log and the staff page: "signal 9", "code 1"."""
    if code < 0:
        try:
            return f"signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


class Supervised:
    """A child process that is started again, after a growing back-off, whenever it dies."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.restarts = 0
        self.last_exit = ""
        self.delay = BACKOFF_FIRST
        self.restart_at: float | None = None
        self.process = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        self.started = time.monotonic()
        env = {**self.env, RESTARTS_ENV: str(self.restarts), LAST_EXIT_ENV: self.last_exit}
        return subprocess.Popen(self.argv, env=env)

    def check(self) -> None:
        """Notice a death and schedule the restart, or restart when its time has come."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restart_at = None
                self.restarts += 1
                self.process = self._start()
                logger.warning(
                    "%s restarted (pid %s, restart %s)", self.name, self.process.pid, self.restarts
                )
            return
        code = self.process.poll()
        if code is None:
            if now - self.started >= BACKOFF_RESET:
                self.delay = BACKOFF_FIRST  # it has run a while: the next death is a new story
            return
        self.last_exit = exit_reason(code)
        logger.error(
            "%s (pid %s) exited with %s; starting it again in %.0f s",
            self.name,
            self.process.pid,
            self.last_exit,
            self.delay,
        )
        self.restart_at = now + self.delay
        self.delay = min(self.delay * 2, BACKOFF_MAX)

    def terminate(self) -> None:
        self.restart_at = None
        if self.process.poll() is None:
            self.process.terminate()

    def wait(self) -> None:
        self.process.wait()


class Command(BaseCommand):
    help = "Migrate, load the demo on first start, and serve web + worker + sweep on http://HOST:PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument("--no-worker", dest="worker", action="store_false", help="serve web only")

    def handle(self, *args: Any, **options: Any) -> None:
        # A database a newer release has migrated: stop before migrating or serving anything.
        problem = newer_database_problem()
        if problem is not None:
            fail(problem)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        password_note = self._first_start()
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(_("协同已启动:%(url)s") % {"url": url})
        self.stdout.write(
            _("登录:%(url)s/accounts/login/  用户名 %(user)s") % {"url": url, "user": ADMIN_USERNAME}
        )
        self.stdout.write(password_note)
        self.stdout.flush()
        self._serve(options["host"], options["port"], options["workers"], options["worker"])

    def _first_start(self) -> str:
        """Create the administrator and the demo once; return what to tell about the password."""
        if Person.objects.filter(username=ADMIN_USERNAME).exists():
            return _("密码见首次启动时的输出;可用 `xietong changepassword admin` 重设。")
        # `xietong demo` may have loaded the demo into this data folder already: keep it.
        if not Collaboration.objects.filter(slug=DEMO_SLUG).exists():
            load_demo()
        given = os.environ.get("XIETONG_ADMIN_PASSWORD", "")
        password = given or secrets.token_urlsafe(12)
        Person.objects.create_superuser(ADMIN_USERNAME, email="", password=password, display_name=_("管理员"))
        if given:
            return _(
                "管理员密码:环境变量 XIETONG_ADMIN_PASSWORD 设定的值;可用 `xietong changepassword admin` 重设。"
            )
        return _("管理员密码(只显示这一次):%(password)s") % {"password": password}

    def _serve(self, host: str, port: int, workers: int, worker: bool) -> None:
        env = {**os.environ, "XIETONG_DATA": str(settings.DATA_DIR)}
        # Links in reminders point at this server unless the site's public address is set.
        env.setdefault("XIETONG_SITE_URL", f"http://{host}:{port}")
        # Every process (web workers, worker) writes its metrics there: /metrics adds them up.
        env[metrics.MULTIPROC_ENV] = str(metrics.fresh_multiproc_dir(settings.DATA_DIR))
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "xietong.wsgi",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
                # json: no access log, the app writes each request's line (docs/operations.md)
                *gunicorn_log_args(settings.XIETONG_LOG_FORMAT),
                "-c",  # the child_exit hook of the multi-process metrics
                "python:xietong.ops.gunicorn_conf",
                "--graceful-timeout",
                "10",
                # gunicorn 27 opens a control socket under $HOME otherwise; the pid file names the master.
                "--no-control-socket",
                "--pid",
                str(settings.DATA_DIR / "gunicorn.pid"),
            ],
            env=env,
        )
        # Background tasks and the reminder sweep; reminders go to the inbox and, with no
        # mail server configured, to this console.
        worker_child = (
            Supervised("worker", [sys.executable, "-m", "xietong.cli", "worker"], env) if worker else None
        )
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True
            web.terminate()
            if worker_child is not None:
                worker_child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while (code := web.poll()) is None:
            if worker_child is not None and not stopping:
                worker_child.check()
            time.sleep(POLL_SECONDS)
        stopping = True
        if worker_child is not None:
            worker_child.terminate()
            worker_child.wait()
        if code not in (0, -signal.SIGTERM):
            raise SystemExit(code)
