"""The product's processes for the crash tests, and the database they share, seen from outside.

A crash test kills a real process (``kill -9``) and then reads the database
as another program would: the data folder's SQLite file, or a PostgreSQL
database the test created on the local server. ``Database`` is that view;
``prepared`` builds, once per test session and database kind, a database
holding the demo, the administrator and two group robots, and gives each
test a copy of it (a file copy; ``CREATE DATABASE … TEMPLATE``), so no test
pays for the migrations and the demo.
"""

from __future__ import annotations

import http.cookiejar
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.running import ADMIN_PASSWORD, ROOT, answers, free_port

SERVER = "postgresql://postgres@127.0.0.1:5432/"
SECRET_KEY = "test-only-secret-key-for-the-crash-tests-0123456789abcdef"
SQLITE_FILE = "xietong.sqlite3"
# Placeholders: each test points the robots at its own server.
ROBOTS = {"wecom": "/cgi-bin/webhook/send?key=crash", "dingtalk": "/robot/send?access_token=crash"}

# Run once per database kind by `prepared`: the schema, the demo, `admin`, the robots, and
# many minutes items on the demo's meeting whose minutes are not issued yet (a slow issue).
PREPARE = f"""
import os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
django.setup()
from django.core.management import call_command
from django.utils import timezone
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration
from xietong.meetings.models import Meeting, MinutesItem
from xietong.notify.models import Robot
from xietong.orgs.models import Person

call_command("migrate", interactive=False, verbosity=0)
collab = load_demo()
Person.objects.create_superuser("admin", email="", password={ADMIN_PASSWORD!r}, display_name="admin")
for kind, path in {ROBOTS!r}.items():
    Robot.objects.create(collaboration=collab, kind=kind, name=kind, webhook_url="http://127.0.0.1:9" + path)
meeting = Meeting.objects.filter(
    collaboration=collab, minutes_issued_at=None, scheduled_at__lt=timezone.now()
).earliest("scheduled_at")
MinutesItem.objects.bulk_create(
    MinutesItem(meeting=meeting, position=n, kind="decision", text=f"决议 {{n}}:" + "按期交付并复盘。" * 40)
    for n in range(int(os.environ["CRASH_MINUTES_ITEMS"]))
)
"""
MINUTES_ITEMS = 6000


@dataclass
class Database:
    """The database of one test: its settings for the product's processes, and queries from outside."""

    kind: str  # "sqlite" or "postgresql"
    data: Path  # the data folder (the SQLite file lives in it)
    url: str = ""  # PostgreSQL only

    @property
    def env(self) -> dict[str, str]:
        """What the product's processes are started with besides their data folder."""
        if self.kind == "postgresql":
            # Plain HTTP on 127.0.0.1: cookies without the Secure flag, as on the embedded default.
            return {"DATABASE_URL": self.url, "SECRET_KEY": SECRET_KEY, "XIETONG_SECURE": "0"}
        return {}

    def connect(self) -> Any:
        if self.kind == "postgresql":
            import psycopg

            return psycopg.connect(self.url, autocommit=True)
        return sqlite3.connect(self.data / SQLITE_FILE, timeout=10, isolation_level=None)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement in its own connection; ``?`` marks parameters on both databases."""
        if self.kind == "postgresql":
            sql = sql.replace("?", "%s")
        with self.connect() as db:
            cursor = db.execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def tables(self) -> list[str]:
        if self.kind == "postgresql":
            found = self.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        else:
            found = self.rows(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        return sorted(name for (name,) in found)

    def counts(self) -> dict[str, int]:
        """The number of rows of every table, read in one statement (one snapshot)."""
        tables = self.tables()
        counts = ", ".join(f'(SELECT COUNT(*) FROM "{table}")' for table in tables)
        (row,) = self.rows(f"SELECT {counts}")
        return dict(zip(tables, row, strict=True))

    def writing(self) -> bool:
        """Whether another connection is inside a write transaction right now.

        SQLite: the one write lock is held (the product's transactions take it
        at BEGIN, ``transaction_mode`` IMMEDIATE). PostgreSQL: a backend of
        this database has written in its open transaction (it has a
        transaction id).
        """
        if self.kind == "postgresql":
            return bool(
                self.rows(
                    "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
            )
        db = sqlite3.connect(self.data / SQLITE_FILE, timeout=0, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return True
            raise
        else:
            db.execute("ROLLBACK")
            return False
        finally:
            db.close()

    def waiting_for_lock(self) -> bool:
        """PostgreSQL: whether another backend of this database waits for a lock (a row we hold)."""
        return bool(
            self.rows(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
        )


def postgresql_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(SERVER + "postgres", connect_timeout=3):
            return True
    except Exception:
        return False


def _admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(SERVER + "postgres", autocommit=True) as db:
        db.execute(statement)


@dataclass
class Prepared:
    """The prepared databases of a test session, by kind, and the copies handed out."""

    folder: Path
    templates: dict[str, Database] = field(default_factory=dict)
    copies: list[str] = field(default_factory=list)

    def _template(self, kind: str) -> Database:
        if kind not in self.templates:
            data = self.folder / f"template-{kind}"
            data.mkdir(parents=True)
            database = Database(kind, data)
            if kind == "postgresql":
                database.url = f"{SERVER}crash_template_{uuid.uuid4().hex[:12]}"
                _admin(f"CREATE DATABASE {database.url.rsplit('/', 1)[1]}")
            env = _env(database, CRASH_MINUTES_ITEMS=str(MINUTES_ITEMS))
            done = subprocess.run(
                [sys.executable, "-c", PREPARE], cwd=ROOT, env=env, capture_output=True, timeout=300
            )
            assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
            if kind == "sqlite":
                with sqlite3.connect(data / SQLITE_FILE) as db:
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.templates[kind] = database
        return self.templates[kind]

    def copy(self, kind: str, data: Path) -> Database:
        """A fresh database of ``kind`` holding the prepared rows, with ``data`` as its data folder."""
        template = self._template(kind)
        data.mkdir(parents=True, exist_ok=True)
        for item in template.data.iterdir():
            if item.is_file() and not item.name.endswith(("-wal", "-shm")):
                shutil.copy2(item, data / item.name)
        if kind == "sqlite":
            return Database(kind, data)
        name = f"crash_{uuid.uuid4().hex[:12]}"
        _admin(f"CREATE DATABASE {name} TEMPLATE {template.url.rsplit('/', 1)[1]}")
        self.copies.append(name)
        return Database(kind, data, SERVER + name)

    def drop(self, database: Database) -> None:
        if database.kind == "postgresql":
            _admin(f"DROP DATABASE IF EXISTS {database.url.rsplit('/', 1)[1]} WITH (FORCE)")

    def close(self) -> None:
        for database in self.templates.values():
            self.drop(database)


def _env(database: Database, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
    }
    return {**env, "XIETONG_DATA": str(database.data), **database.env, **extra}


def children(pid: int) -> list[tuple[int, str]]:
    """The live child processes of ``pid`` and their command lines (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append((int(entry.name), command))
    return found


def wait_for(
    condition: Callable[[], bool],
    seconds: float,
    what: str,
    interval: float = 0.2,
    explain: Callable[[], str] = lambda: "",
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{explain()}")
        time.sleep(interval)


@contextmanager
def started(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own session, logging to ``log``; kill the whole session at the end."""
    with log.open("ab") as out:
        popen = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield popen
    finally:
        with suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait()


def worker(database: Database, log: Path, **settings: str) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """A ``xietong worker`` (queued tasks, and the sweep every second) on ``database``."""
    env = _env(database, XIETONG_SWEEP_SECONDS="1", **settings)
    return started([sys.executable, "-m", "xietong.cli", "worker"], env, log)


@dataclass
class Web:
    """A gunicorn master with one sync worker: the web server of the web crash tests."""

    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return [pid for pid, _command in children(self.popen.pid)]

    def worker(self) -> int:
        """The pid of the process serving requests now (the master starts a new one after a kill)."""
        pids = self.workers()
        assert len(pids) == 1, f"gunicorn workers: {pids}\n{self.tail()}"
        return pids[0]

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def answers(self) -> bool:
        return answers(f"{self.base}/accounts/login/")


@contextmanager
def web(database: Database, folder: Path) -> Iterator[Web]:
    """Serve the product with gunicorn (one worker, no background worker: nothing else writes)."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "xietong.wsgi", "--bind", f"127.0.0.1:{port}"),
        *("--workers", "1", "--timeout", "120", "--no-control-socket"),
    ]
    with started(command, _env(database), folder / "web.log") as popen:
        server = Web(popen, port, folder / "web.log")
        wait_for(server.answers, 60, "gunicorn", explain=server.tail)
        yield server


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302 is an answer to look at, not to follow


@dataclass
class Browser:
    """A person's browser against one server: cookies, the CSRF token, forms posted as a form would."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)
    last_bytes: bytes = b""  # the body of the last answer, as received

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def _open(self, request: urllib.request.Request) -> tuple[int, str, str]:
        """Status, body and Location of the answer (an HTTP error is an answer too)."""
        try:
            with self.opener.open(request, timeout=120) as response:
                self.last_bytes = response.read()
                return response.status, self.last_bytes.decode(errors="replace"), ""
        except urllib.error.HTTPError as answer:
            self.last_bytes = answer.read()
            return answer.code, self.last_bytes.decode(errors="replace"), answer.headers.get("Location", "")

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(self.base + path))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken" and c.value is not None)

    def post(
        self, path: str, fields: dict[str, str], file: tuple[str, bytes] | None = None
    ) -> tuple[int, str, str]:
        """POST ``fields`` (and ``file`` as the form's ``file`` field) with the CSRF token."""
        fields = {"csrfmiddlewaretoken": self.csrf(), **fields}
        headers = {"Referer": self.base + path}
        if file is None:
            data = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            boundary = uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                for name, value in fields.items()
            ]
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
                "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n".encode()
                + file[1]
                + f"\r\n--{boundary}--\r\n".encode()
            )
            data = b"".join(parts)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        return self._open(urllib.request.Request(self.base + path, data=data, headers=headers))

    def sign_in(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        status, body, _location = self.post("/accounts/login/", {"username": username, "password": password})
        assert status == 302, f"sign-in refused: {status} {body[:500]}"
