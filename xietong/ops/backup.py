"""`xietong backup`: one archive with the database, the materials, the secret key and a manifest.

The database is copied as one consistent snapshot while the server keeps
running: SQLite through its online backup API (one step, a read transaction
that WAL writers do not wait for), PostgreSQL through ``pg_dump`` on a
snapshot exported from a REPEATABLE READ transaction, the same one the
manifest's row counts and migrations are read in. Every member is hashed
while it is copied in chunks (bounded memory). The archive is written to a
hidden temporary name beside its destination and renamed only when complete,
so a crashed backup never leaves a file that looks like a backup. It holds
the secret key: it is created 0600 and must be kept like the key itself.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from xietong.lib.progress import ByteProgress
from xietong.ops.archive import (
    CHUNK,
    DATABASE_MEMBERS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SECRET_KEY,
    HashingReader,
    OpsError,
    media_files,
)
from xietong.ops.databases import (
    applied_migrations,
    client,
    conninfo,
    count_rows,
    engine_of,
    libpq_params,
    run_client,
    table_names,
)

DEFAULT_NAME = "xietong-backup-{:%Y%m%d-%H%M%S}.tar.gz"


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where it is, how large, and its manifest (what restore verifies)."""

    path: Path
    size: int
    manifest: dict[str, Any]


@dataclass(frozen=True)
class _Snapshot:
    """The database copied to a file, with what the manifest says about it."""

    path: Path
    engine: str
    migrations: dict[str, list[str]]
    row_counts: dict[str, int]


def product_version() -> str:
    try:
        return version("xietong")
    except PackageNotFoundError:  # pragma: no cover - run from a tree that was never installed
        return "unknown"


def archive_path(destination: Path, now: datetime) -> Path:
    """``destination`` itself, or the default name inside it when it is a folder."""
    if destination.is_dir():
        return destination / DEFAULT_NAME.format(timezone.localtime(now))
    return destination


def write_backup(destination: Path, *, progress: bool = False) -> BackupResult:
    """Write a backup of the configured database and data to ``destination``.

    ``destination`` is the archive's path, or a folder in which the default
    name ``xietong-backup-YYYYmmdd-HHMMSS.tar.gz`` is used; a name ending in
    ``.tar`` is written uncompressed. ``progress`` draws a plain text bar on
    stderr (the command turns it on on a terminal). Raises ``OpsError`` with
    a one-line reason; nothing is left at ``destination`` then.
    """
    now = timezone.now()
    path = archive_path(Path(destination), now).absolute()
    if path.exists():
        raise OpsError(f"{path} already exists: choose another name (a backup never overwrites a file)")
    if not path.parent.is_dir():
        raise OpsError(f"{path.parent} is not a folder")
    database = settings.DATABASES["default"]
    engine = engine_of(database)
    with tempfile.TemporaryDirectory(prefix=".xietong-backup-", dir=path.parent) as work:
        snapshot = (_sqlite_snapshot if engine == "sqlite" else _postgresql_snapshot)(database, Path(work))
        media = list(media_files(Path(settings.MEDIA_ROOT)))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "product_version": product_version(),
            "created_at": now.isoformat(),
            "engine": engine,
            "migrations": snapshot.migrations,
            "row_counts": snapshot.row_counts,
            "secret_key_from": "data folder"
            if settings.EMBEDDED and not os.environ.get("SECRET_KEY")
            else "SECRET_KEY",
            "members": {},
        }
        total = snapshot.path.stat().st_size + sum(_size(file) for _name, file in media)
        bar = ByteProgress(total, shown=progress)
        partial = path.with_name(f".{path.name}.partial")
        try:
            _write_archive(partial, path, snapshot, media, manifest, bar)
        except OSError as exc:  # a full disk, a folder not writable: one line, not a traceback
            raise OpsError(f"writing {path} failed: {exc.strerror or exc}") from None
    return BackupResult(path=path, size=path.stat().st_size, manifest=manifest)


def _write_archive(
    partial: Path,
    path: Path,
    snapshot: _Snapshot,
    media: list[tuple[str, Path]],
    manifest: dict[str, Any],
    bar: ByteProgress,
) -> None:
    """Write the archive to ``partial`` (0600), then rename it to ``path`` once complete and on disk."""
    advance = bar.advance
    members: dict[str, dict[str, Any]] = manifest["members"]
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw:
            mode = "w" if path.name.endswith(".tar") else "w:gz"
            options: dict[str, Any] = {} if mode == "w" else {"compresslevel": 6}
            with tarfile.open(fileobj=raw, mode=mode, format=tarfile.PAX_FORMAT, **options) as tar:  # type: ignore[call-overload]
                _add_file(tar, DATABASE_MEMBERS[snapshot.engine], snapshot.path, members, advance)
                _add_bytes(tar, SECRET_KEY, settings.SECRET_KEY.encode(), members)
                for name, file in media:
                    try:
                        _add_file(tar, name, file, members, advance)
                    except FileNotFoundError:
                        # Deleted since the database was copied (a material removed meanwhile):
                        # a backup is not refused for it; the manifest says which.
                        manifest.setdefault("vanished", []).append(name)
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode(), None)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
        _sync_folder(path.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        bar.close()


def _size(file: Path) -> int:
    try:
        return file.stat().st_size
    except FileNotFoundError:
        return 0


def _member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(timezone.now().timestamp())
    return info


def _add_file(
    tar: tarfile.TarFile, name: str, file: Path, members: dict[str, dict[str, Any]], advance: Any
) -> None:
    """Add ``file`` as ``name``, hashing it while tarfile copies it in chunks."""
    with file.open("rb") as source:
        size = os.fstat(source.fileno()).st_size
        reader = HashingReader(source, advance)
        tar.addfile(_member_info(name, size), _Chunked(reader))
    members[name] = {"sha256": reader.sha256.hexdigest(), "size": reader.size}


class _Chunked:
    """Hands tarfile at most CHUNK bytes per read, whatever it asks for."""

    def __init__(self, reader: HashingReader) -> None:
        self.reader = reader

    def read(self, size: int = -1) -> bytes:
        return self.reader.read(CHUNK if size < 0 else min(size, CHUNK))


def _add_bytes(
    tar: tarfile.TarFile, name: str, data: bytes, members: dict[str, dict[str, Any]] | None
) -> None:
    reader = HashingReader(io.BytesIO(data))
    tar.addfile(_member_info(name, len(data)), reader)
    if members is not None:
        members[name] = {"sha256": reader.sha256.hexdigest(), "size": reader.size}


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (the folder's entry on disk), where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - some systems cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _sqlite_snapshot(database: dict[str, Any], work: Path) -> _Snapshot:
    """Copy the SQLite database with the online backup API: one step, so writers never restart it."""
    source_path = Path(database["NAME"])
    if not source_path.is_file():
        raise OpsError(f"there is no database at {source_path}: nothing to back up")
    target_path = work / "database.sqlite3"
    source = sqlite3.connect(source_path, timeout=float(database.get("OPTIONS", {}).get("timeout", 20)))
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)  # pages=-1: the whole database within one read transaction
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        cursor = target.cursor()
        tables = table_names(cursor, "sqlite")
        counts = count_rows(cursor, tables)
        migrations = applied_migrations(cursor, tables)
    except sqlite3.Error as exc:
        raise OpsError(f"copying the SQLite database failed: {exc}") from None
    finally:
        target.close()
        source.close()
    return _Snapshot(target_path, "sqlite", migrations, counts)


def _postgresql_snapshot(database: dict[str, Any], work: Path) -> _Snapshot:
    """``pg_dump --format=custom`` of the snapshot in which the counts and migrations are read."""
    pg_dump = client("pg_dump")
    target_path = work / "database.pgdump"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = str(cursor.fetchone()[0])
        tables = table_names(cursor, "postgresql")
        counts = count_rows(cursor, tables)
        migrations = applied_migrations(cursor, tables)
        # The transaction stays open while pg_dump reads: the exported snapshot lives as long as it.
        run_client(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot_id}",
                "--no-password",
                f"--file={target_path}",
                f"--dbname={conninfo(libpq_params(database))}",
            ],
            database,
        )
    return _Snapshot(target_path, "postgresql", migrations, counts)
