"""A throw-away Xietong site for the backup and restore tests, driven as an operator drives it: real processes.

Backup and restore run as the console script against their own data folder
and database (never pytest-django's test database), so a test can move data
between SQLite and PostgreSQL freely. ``fill`` and ``facts`` run *inside* a
site's process (``run_in``): the first adds data of every kind to the demo,
the second returns what a restored copy must show identically.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.running import ON_POSTGRESQL, sqlite_pass_only

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-only-secret-key-for-the-postgresql-suite-0123456789"
PASSWORD = "an-old-password-kept-7391"
MATERIAL = b"%PDF-1.4\n" + bytes(range(256)) * 800 + b"\n%%EOF\n"  # real bytes, every value


@dataclass(frozen=True)
class Site:
    """A data folder and, optionally, a PostgreSQL database: what one installation is."""

    data: Path
    database_url: str = ""

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "XIETONG_STATIC_ROOT")
        }
        env["XIETONG_DATA"] = str(self.data)
        if self.database_url:
            env.update(DATABASE_URL=self.database_url, SECRET_KEY=SECRET)
        env.update(extra)
        return env

    def xietong(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run the console script for this site."""
        done = subprocess.run(
            [sys.executable, "-m", "xietong.cli", *args],
            cwd=ROOT,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check:
            assert done.returncode == 0, done.stderr[-3000:]
        return done

    def run_in(self, function: str, **extra: str) -> Any:
        """Call ``tests.ops.backup_site.<function>()`` inside a process of this site; return its JSON."""
        code = (
            "import django, json; django.setup(); "
            f"from tests.ops.backup_site import {function}; print(json.dumps({function}()))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=self.env(DJANGO_SETTINGS_MODULE="xietong.settings", XIETONG_SECURE="0", **extra),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])


def build(data: Path) -> tuple[Site, str]:
    """A SQLite site with the demo and data of every kind; return it and a valid API token of it."""
    site = Site(data)
    site.xietong("migrate", "--no-input", "--verbosity", "0")
    site.xietong("demo", "--kickoff", "2024-07-08", "--today", "2024-08-12")
    token = site.run_in("fill")
    return site, str(token)


# --- run inside a site's process


def fill() -> str:
    """Add to the demo what it lacks: materials with real bytes, a known password, an API token, notifications."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from xietong.api.actions import do_issue_token
    from xietong.collabs.models import Collaboration
    from xietong.meetings.actions.materials import do_add_material
    from xietong.meetings.models import Meeting
    from xietong.notify.models import Delivery, Notification
    from xietong.notify.outbox import sweep
    from xietong.orgs.models import Person

    collab = Collaboration.objects.get(slug="demo")
    meeting = Meeting.objects.filter(collaboration=collab).order_by("pk").first()
    assert meeting is not None
    owner = collab.owner
    do_add_material(meeting, SimpleUploadedFile("背景资料.pdf", MATERIAL), actor=owner)
    do_add_material(meeting, SimpleUploadedFile("notes.txt", "议程:一、目标\n".encode() * 50), actor=owner)
    if not Person.objects.filter(username="restorer").exists():
        Person.objects.create_user("restorer", password=PASSWORD, display_name="恢复测试")
    else:  # filling a restored copy again: it lives on with one more person
        Person.objects.create_user("newcomer", password=PASSWORD, display_name="新来的")
    sweep(timezone.now())
    assert Notification.objects.exists() and Delivery.objects.exists()
    return do_issue_token(owner, "backup test").secret


def facts() -> dict[str, Any]:
    """What a restored site must show exactly as the original did."""
    from django.contrib.auth import authenticate
    from django.test import Client, RequestFactory

    from xietong.api.actions import person_for_token
    from xietong.audit.models import AuditEntry
    from xietong.charter.format import dump_charter
    from xietong.charter.store import charter_snapshot
    from xietong.collabs.models import Collaboration
    from xietong.meetings.models import Material, MinutesRevision
    from xietong.notify.models import Delivery, Notification
    from xietong.tracking.models import IssueEntry

    collab = Collaboration.objects.select_related("owner").get(slug="demo")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(collab.owner)
    history = client.get(f"/c/{collab.slug}/history.csv")
    assert history.status_code == 200
    # PostgreSQL's jsonb keeps an object's keys in its own order: the before / after cells are compared as JSON
    rows = [
        [json.loads(cell) if cell.startswith("{") else cell for cell in row]
        for row in csv.reader(io.StringIO(history.content.decode("utf-8-sig")))
    ]
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="127.0.0.1")
    signed_in = authenticate(request, username="restorer", password=PASSWORD)
    token = os.environ.get("BACKUP_TEST_TOKEN", "")
    audited = AuditEntry.objects.filter(object_type="tracking.issueentry").values_list("object_id", flat=True)
    materials = {}
    for material in Material.objects.order_by("pk"):
        with material.file.open("rb") as file:
            materials[material.name] = hashlib.sha256(file.read()).hexdigest()
    return {
        "charter": dump_charter(charter_snapshot(collab)),
        "history_csv": rows,
        "materials": materials,
        "signed_in": signed_in.get_username() if signed_in else None,
        "token_person": (person.get_username() if (person := person_for_token(token)) else None)
        if token
        else None,
        "revisions": MinutesRevision.objects.count(),
        "audit": AuditEntry.objects.count(),
        "notifications": sorted(Notification.objects.values_list("key", flat=True)),
        "deliveries": Delivery.objects.count(),
        "issues": list(IssueEntry.objects.order_by("pk").values_list("title", flat=True)),
        "audited_issues": sorted(
            IssueEntry.objects.filter(pk__in=[int(pk) for pk in audited if pk.isdigit()]).values_list(
                "title", flat=True
            )
        ),
    }


# --- inspecting a SQLite site from outside (nothing written)


def sqlite_counts(data: Path) -> dict[str, int]:
    """Every table's row count of a site's SQLite database, read-only."""
    db = sqlite3.connect(f"file:{data / 'xietong.sqlite3'}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {table: db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}
    finally:
        db.close()


def files_of(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256 (the database's -wal/-shm left out: SQLite owns them)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(("-wal", "-shm")) and path.name != "xietong.sqlite3"
    }


# --- PostgreSQL databases of their own


def postgresql_server() -> str:
    """The PostgreSQL server of this run (DATABASE_URL's), as a URL to its ``postgres`` database; skip otherwise."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("runs in the PostgreSQL half of the suite (DATABASE_URL=postgresql://…)")
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))


def _admin(server: str) -> Any:
    import psycopg

    return psycopg.connect(server, autocommit=True)


@contextmanager
def postgresql_database(server: str) -> Iterator[str]:
    """A new empty database on ``server`` for one test, dropped after; yields its URL."""
    from psycopg import sql

    name = f"test_backup_{secrets.token_hex(4)}"
    with _admin(server) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(server)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))
    finally:
        with _admin(server) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def tables_of(url: str) -> list[str]:
    """The tables of a PostgreSQL database, read from outside."""
    with _admin(url) as db:
        return [row[0] for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


def scratch_databases(server: str) -> list[str]:
    """Scratch databases restore left behind (there must be none)."""
    with _admin(server) as admin:
        rows = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'xietong_restore_%'"
        ).fetchall()
    return [row[0] for row in rows]


# --- the site every test starts from: built, backed up and described once per test process


@dataclass(frozen=True)
class Original:
    site: Site
    token: str
    archive: Path  # .tar.gz
    plain: Path  # the same site as an uncompressed .tar
    facts: dict[str, Any]


sqlite_half = sqlite_pass_only  # tests that never touch PostgreSQL run once, in the SQLite pass
postgresql_half = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="runs in the PostgreSQL half of the suite (DATABASE_URL=postgresql://…)"
)
_built: list[Original] = []  # one original per test process, shared by every module that asks


@pytest.fixture
def original(tmp_path_factory: pytest.TempPathFactory) -> Original:
    if not _built:
        _built.append(_build_original(tmp_path_factory))
    return _built[0]


def _build_original(tmp_path_factory: pytest.TempPathFactory) -> Original:
    folder = tmp_path_factory.mktemp("original")
    site, token = build(folder / "data")
    (folder / "backups").mkdir()
    site.xietong("backup", "-o", str(folder / "backups"))
    (archive,) = (folder / "backups").iterdir()
    plain = folder / "plain.tar"
    site.xietong("backup", "-o", str(plain))
    return Original(site, token, archive, plain, site.run_in("facts", BACKUP_TEST_TOKEN=token))


def table_counts() -> dict[str, int]:
    """Run inside a site: every model table's row count (tests/helpers.py's row_counts, in that site's process)."""
    from tests.helpers import row_counts

    return row_counts()


def with_a_broken_reference(archive: Path, out: Path) -> Path:
    """``archive`` rewritten so that it verifies, but a material points at a meeting that does not exist.

    Its copy fails at the foreign key check just before the commit: the
    latest moment a restore can fail, after the target's rows were deleted.
    """
    import tarfile
    import tempfile

    with tempfile.TemporaryDirectory() as work, tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]
        database = Path(work) / "db.sqlite3"
        database.write_bytes(dict((m.name, d) for m, d in members)["database.sqlite3"])
        db = sqlite3.connect(database)
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("UPDATE meetings_material SET meeting_id = 999999")
        db.commit()
        db.close()
        broken = database.read_bytes()
    manifest = json.loads(dict((m.name, d) for m, d in members)["manifest.json"])
    manifest["members"]["database.sqlite3"] = {
        "sha256": hashlib.sha256(broken).hexdigest(),
        "size": len(broken),
    }
    with tarfile.open(out, "w:gz") as tar:
        for info, data in members:
            data = broken if info.name == "database.sqlite3" else data
            data = json.dumps(manifest).encode() if info.name == "manifest.json" else data
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out
