"""``xietong run``: one command that serves a working system on the embedded default.

It migrates, on the first start loads the demo and creates the administrator
``admin``, then runs the web server (gunicorn) and a worker (background tasks
and the reminder sweep every minute) and stays in the foreground until
interrupted, stopping its child processes with it.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.collabs.demo import load_demo
from xietong.orgs.models import Person

ADMIN_USERNAME = "admin"


class Command(BaseCommand):
    help = "Migrate, load the demo on first start, and serve web + worker + sweep on http://HOST:PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="web worker processes")
        parser.add_argument("--no-worker", dest="worker", action="store_false", help="serve web only")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        password = self._first_start()
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(_("协同已启动:%(url)s") % {"url": url})
        self.stdout.write(
            _("登录:%(url)s/accounts/login/  用户名 %(user)s") % {"url": url, "user": ADMIN_USERNAME}
        )
        if password:
            self.stdout.write(_("管理员密码(只显示这一次):%(password)s") % {"password": password})
        else:
            self.stdout.write(_("密码见首次启动时的输出;可用 `xietong changepassword admin` 重设。"))
        self.stdout.flush()
        self._serve(options["host"], options["port"], options["workers"], options["worker"])

    def _first_start(self) -> str | None:
        """Create the administrator and the demo once; return a password to show, if any."""
        if Person.objects.filter(username=ADMIN_USERNAME).exists():
            return None
        load_demo()
        given = os.environ.get("XIETONG_ADMIN_PASSWORD", "")
        password = given or secrets.token_urlsafe(12)
        Person.objects.create_superuser(ADMIN_USERNAME, email="", password=password, display_name=_("管理员"))
        return None if given else password

    def _serve(self, host: str, port: int, workers: int, worker: bool) -> None:
        env = {**os.environ, "XIETONG_DATA": str(settings.DATA_DIR)}
        # Links in reminders point at this server unless the site's public address is set.
        env.setdefault("XIETONG_SITE_URL", f"http://{host}:{port}")
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
                "--access-logfile",
                "-",
                "--logger-class",
                "xietong.lib.security.GunicornLogger",
                "--graceful-timeout",
                "10",
                # gunicorn 27 opens a control socket under $HOME otherwise; the pid file names the master.
                "--no-control-socket",
                "--pid",
                str(settings.DATA_DIR / "gunicorn.pid"),
            ],
            env=env,
        )
        children = [web]
        if worker:
            # Background tasks and the reminder sweep; reminders go to the inbox and, with no
            # mail server configured, to this console.
            children.append(subprocess.Popen([sys.executable, "-m", "xietong.cli", "worker"], env=env))

        def stop(signum: int, frame: FrameType | None) -> None:
            for child in children:
                child.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        code = web.wait()
        for child in children:
            child.wait()
        if code not in (0, -signal.SIGTERM):
            raise SystemExit(code)
