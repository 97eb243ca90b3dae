"""The backup archive's format: its member names, its manifest, and reading it back verified.

An archive is a tar file (gzip-compressed unless its name ends in ``.tar``)
with these members, the manifest last because it holds every other member's
SHA-256 and size, computed while the member was written:

- ``database.sqlite3`` (the embedded default) or ``database.pgdump``
  (``pg_dump --format=custom``),
- ``secret_key``,
- ``media/<path>`` for every uploaded file,
- ``manifest.json``.

Reading one back (``extract_verified``) checks every member's name and type
before writing a byte of it, copies it into a staging folder while hashing
it, and compares the whole against the manifest at the end: a member
missing, extra, of the wrong size or checksum is refused by name.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.core.management.base import CommandError
from django.db import DatabaseError

FORMAT = "xietong-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SECRET_KEY = "secret_key"
SQLITE_DATABASE = "database.sqlite3"
POSTGRESQL_DUMP = "database.pgdump"
MEDIA = "media"
DATABASE_MEMBERS = {"sqlite": SQLITE_DATABASE, "postgresql": POSTGRESQL_DUMP}
CHUNK = 1 << 20  # bytes copied at a time: memory stays bounded whatever the member's size
MANIFEST_LIMIT = 64 << 20  # a manifest is small; a huge one is not ours

Progress = Callable[[int], None]


class OpsError(Exception):
    """A backup or restore that cannot be done, with a one-line reason for the operator."""


@contextmanager
def one_line_errors() -> Iterator[None]:
    """For the commands: an ``OpsError`` or a database failure as a one-line ``CommandError``, no traceback."""
    try:
        yield
    except OpsError as exc:
        raise CommandError(str(exc)) from None
    except DatabaseError as exc:  # the database cannot be reached or refused: its first line
        said = str(exc).strip().splitlines()
        raise CommandError(f"the database failed: {said[0] if said else type(exc).__name__}") from None


class ArchiveError(OpsError):
    """An archive that cannot be restored: not one, damaged, incomplete or holding what it must not."""


class HashingReader:
    """A binary file whose reads update a SHA-256, a byte count and an optional progress callback."""

    def __init__(self, raw: IO[bytes], progress: Progress | None = None) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha256.update(data)
        self.size += len(data)
        if self.progress is not None and data:
            self.progress(len(data))
        return data


def safe_member_name(name: str) -> bool:
    """Whether ``name`` is one of the names an archive may hold (never absolute, never ``..``)."""
    if name in (MANIFEST, SECRET_KEY, SQLITE_DATABASE, POSTGRESQL_DUMP):
        return True
    if "\\" in name or "\x00" in name:
        return False
    path = PurePosixPath(name)
    parts = name.split("/")
    return (
        not path.is_absolute()
        and len(parts) >= 2
        and parts[0] == MEDIA
        and all(part not in ("", ".", "..") for part in parts)
    )


def media_files(media_root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under ``media_root`` as (member name, path), sorted; links are not followed."""
    if not media_root.is_dir():
        return
    for path in sorted(media_root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield f"{MEDIA}/{path.relative_to(media_root).as_posix()}", path


def copy_hashed(source: IO[bytes], target: IO[bytes], progress: Progress | None = None) -> tuple[str, int]:
    """Copy ``source`` to ``target`` in chunks; return the SHA-256 (hex) and size of what was copied."""
    reader = HashingReader(source, progress)
    while chunk := reader.read(CHUNK):
        target.write(chunk)
    return reader.sha256.hexdigest(), reader.size


@dataclass(frozen=True)
class Extracted:
    """A verified archive copied into ``folder``: its manifest and where its members are."""

    folder: Path
    manifest: dict[str, Any]

    def path(self, member: str) -> Path:
        return self.folder / member

    @property
    def engine(self) -> str:
        return str(self.manifest["engine"])

    @property
    def database(self) -> Path:
        return self.path(DATABASE_MEMBERS[self.engine])


class _CountingReader:
    """The archive file as read by tarfile, reporting how far it got."""

    def __init__(self, raw: IO[bytes], progress: Progress) -> None:
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.progress(len(data))
        return data


def extract_verified(archive: Path, folder: Path, progress: Progress | None = None) -> Extracted:
    """Copy the members of ``archive`` into ``folder`` (empty, private) and verify them against the manifest.

    Raises ``ArchiveError`` naming the first problem; ``folder`` may then hold
    part of the archive (the caller removes it).
    """
    try:
        raw = archive.open("rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read {archive}: {exc.strerror}") from None
    found: dict[str, tuple[str, int]] = {}
    manifest_bytes: bytes | None = None
    with raw:
        source: Any = _CountingReader(raw, progress) if progress is not None else raw
        try:
            tar = tarfile.open(fileobj=source, mode="r|*")  # noqa: SIM115 - one pass, never seeks; closed below
        except (tarfile.TarError, EOFError, OSError, zlib.error):
            raise ArchiveError(f"{archive} is not a Xietong backup (not a tar archive)") from None
        try:
            with tar:
                for member in tar:
                    manifest_bytes = _extract_member(tar, member, folder, found) or manifest_bytes
        except ArchiveError:
            raise
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise ArchiveError(f"{archive} is truncated or damaged ({exc or type(exc).__name__})") from None
    if manifest_bytes is None:
        raise ArchiveError(f"{archive} has no {MANIFEST}: it is not a Xietong backup, or it is incomplete")
    manifest = _parse_manifest(manifest_bytes)
    expected: dict[str, Any] = manifest["members"]
    for name in sorted(found):
        if name != MANIFEST and name not in expected:
            raise ArchiveError(f"unexpected member {name!r} in the archive (not in its manifest)")
    for name in sorted(expected):
        if name not in found:
            raise ArchiveError(f"member {name!r} is missing from the archive")
        sha256, size = found[name]
        if size != expected[name].get("size"):
            raise ArchiveError(
                f"size mismatch in member {name!r}: {size} bytes, the manifest says {expected[name].get('size')}"
            )
        if sha256 != expected[name].get("sha256"):
            raise ArchiveError(f"checksum mismatch in member {name!r}: the archive is damaged")
    if DATABASE_MEMBERS[manifest["engine"]] not in found or SECRET_KEY not in found:
        raise ArchiveError("the archive holds no database or no secret key")
    return Extracted(folder, manifest)


def _extract_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, folder: Path, found: dict[str, tuple[str, int]]
) -> bytes | None:
    """Check one member and copy it (hashed) into ``folder``; return the manifest's bytes if it is the manifest."""
    name = member.name
    if not safe_member_name(name):
        raise ArchiveError(f"unexpected member {name!r} in the archive (refused: not a name a backup holds)")
    if not member.isreg():
        raise ArchiveError(
            f"unexpected member {name!r} in the archive (refused: links and devices are not restored)"
        )
    if name in found:
        raise ArchiveError(f"member {name!r} appears twice in the archive")
    # The standard library's own guard as a second one: absolute paths, links out, devices.
    try:
        tarfile.data_filter(member, str(folder))
    except tarfile.FilterError as refused:
        raise ArchiveError(f"unexpected member {name!r} in the archive (refused: {refused})") from None
    data = tar.extractfile(member)
    if data is None:  # pragma: no cover - isreg() members always have data
        raise ArchiveError(f"member {name!r} has no data")
    if name == MANIFEST:
        if member.size > MANIFEST_LIMIT:
            raise ArchiveError(f"{MANIFEST} is too large to be a Xietong manifest")
        content = data.read()
        if len(content) != member.size:
            raise EOFError("unexpected end of data")
        found[name] = ("", len(content))
        return content
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("xb") as out:
        sha256, size = copy_hashed(data, out)
    if size != member.size:
        raise EOFError("unexpected end of data")
    found[name] = (sha256, size)
    return None


def _parse_manifest(content: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ArchiveError(f"{MANIFEST} is not valid JSON: the archive is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{MANIFEST} is not a Xietong backup manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(
            f"the archive's format version {manifest.get('format_version')!r} is not {FORMAT_VERSION}: "
            "restore it with the version of Xietong that wrote it"
        )
    members = manifest.get("members")
    if (
        manifest.get("engine") not in DATABASE_MEMBERS
        or not isinstance(members, dict)
        or not isinstance(manifest.get("migrations"), dict)
        or not isinstance(manifest.get("row_counts"), dict)
        or not all(isinstance(entry, dict) for entry in members.values())
    ):
        raise ArchiveError(f"{MANIFEST} lacks the engine, members, migrations or row counts")
    members.pop(MANIFEST, None)
    return manifest
