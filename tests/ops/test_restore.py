"""`xietong restore` on SQLite: an empty data folder gets the whole site back; a bad archive or a full target changes nothing."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ops.backup_site import (
    Original,
    Site,
    files_of,
    original,
    sqlite_counts,
    sqlite_half,
    with_a_broken_reference,
)

__all__ = ["original"]  # the fixture, used by name


pytestmark = sqlite_half


def test_a_backup_restored_into_an_empty_data_folder_is_the_same_site_and_force_replaces_it(
    original: Original, tmp_path: Path
) -> None:
    copy = Site(tmp_path / "data")
    done = copy.xietong("restore", str(original.archive))
    assert "restored the backup" in done.stdout
    restored = copy.run_in("facts", BACKUP_TEST_TOKEN=original.token)
    assert restored == original.facts
    # every kind of data was there to compare, and the old password signs in
    assert original.facts["signed_in"] == "restorer" and original.facts["token_person"]
    assert len(original.facts["materials"]) == 2 and original.facts["revisions"] >= 2
    assert original.facts["notifications"] and original.facts["deliveries"] and original.facts["audit"]
    assert len(original.facts["history_csv"]) > 10
    # the embedded default keeps the old site's key: its signed links and sessions stay valid
    assert (copy.data / "secret_key").read_text() == (original.site.data / "secret_key").read_text()
    assert (copy.data / "secret_key").stat().st_mode & 0o777 == 0o600
    assert not [p for p in copy.data.iterdir() if p.name.startswith(".xietong-restore-")]

    # the copy lives on (one more person and material), then is replaced whole with --force
    copy.run_in("fill")
    assert copy.xietong("restore", str(original.archive), check=False).returncode == 1
    copy.xietong("restore", "--force", str(original.archive))
    assert copy.run_in("facts", BACKUP_TEST_TOKEN=original.token) == original.facts
    assert len([p for p in (copy.data / "media").rglob("*") if p.is_file()]) == 2


# --- refused: one line, nothing written


def _members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive) as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]  # type: ignore[union-attr]


def _rewrite(
    source: Path, target: Path, change: Callable[[list[tuple[tarfile.TarInfo, bytes]]], None]
) -> Path:
    members = _members(source)
    change(members)
    with tarfile.open(target, "w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def _flip_a_byte_of_the_material(original: Original, tmp: Path) -> Path:
    data = bytearray(original.plain.read_bytes())
    at = data.index(b"%PDF-1.4") + 5000
    data[at] ^= 0xFF
    bad = tmp / "flipped.tar"
    bad.write_bytes(bytes(data))
    return bad


def _truncated(original: Original, tmp: Path) -> Path:
    bad = tmp / "truncated.tar.gz"
    bad.write_bytes(original.archive.read_bytes()[: original.archive.stat().st_size * 2 // 3])
    return bad


def _member_missing(original: Original, tmp: Path) -> Path:
    def drop(members: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        members[:] = [(i, d) for i, d in members if not i.name.endswith(".txt")]

    return _rewrite(original.archive, tmp / "missing.tar.gz", drop)


def _escaping_member(original: Original, tmp: Path) -> Path:
    def add(members: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        members.insert(0, (tarfile.TarInfo("../../etc/passwd"), b"root:x:0:0::/root:/bin/sh\n"))

    return _rewrite(original.archive, tmp / "escaping.tar.gz", add)


def _link_member(original: Original, tmp: Path) -> Path:
    def add(members: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        link = tarfile.TarInfo("media/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        members.insert(0, (link, b""))

    return _rewrite(original.archive, tmp / "link.tar.gz", add)


def _not_an_archive(original: Original, tmp: Path) -> Path:
    bad = tmp / "notes.tar.gz"
    bad.write_text("这不是备份\n")
    return bad


def _newer_than_the_code(original: Original, tmp: Path) -> Path:
    def future(members: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        for index, (info, data) in enumerate(members):
            if info.name == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"]["orgs"].append("9999_from_the_future")
                members[index] = (info, json.dumps(manifest).encode())

    return _rewrite(original.archive, tmp / "newer.tar.gz", future)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_flip_a_byte_of_the_material, "checksum mismatch in member 'media/"),
        (_truncated, "is truncated or damaged"),
        (_member_missing, "member 'media/"),
        (_escaping_member, "unexpected member '../../etc/passwd'"),
        (_link_member, "unexpected member 'media/link'"),
        (_not_an_archive, "is not a Xietong backup"),
        (_newer_than_the_code, "newer than this Xietong: its migration orgs.9999_from_the_future"),
        (lambda original, tmp: original.archive, "already holds data"),  # the target is not empty
    ],
    ids=[
        "byte-flipped",
        "truncated",
        "member-missing",
        "dot-dot",
        "link",
        "not-an-archive",
        "newer",
        "not-empty",
    ],
)
def test_a_bad_archive_or_a_full_target_is_refused_in_one_line_and_nothing_is_written(
    original: Original, tmp_path: Path, make: Callable[[Original, Path], Path], message: str
) -> None:
    bad = make(original, tmp_path)
    target = original.site  # holds the demo, materials and its key: all must stay as they are
    counts, files = sqlite_counts(target.data), files_of(target.data)
    done = target.xietong("restore", str(bad), check=False)
    assert done.returncode == 1
    error = done.stderr.strip().splitlines()
    assert len(error) == 1 and message in error[0], done.stderr
    assert "Traceback" not in done.stderr
    assert sqlite_counts(target.data) == counts
    assert files_of(target.data) == files
    assert not (tmp_path.parent / "etc").exists()


def test_an_older_archive_is_migrated_forward_with_its_data(original: Original, tmp_path: Path) -> None:
    old = Site(tmp_path / "old")
    shutil.copytree(original.site.data, old.data, ignore=shutil.ignore_patterns("static"))
    old.xietong(
        "migrate", "audit", "0001", "--no-input", "--verbosity", "0"
    )  # as a release before 0002 left it
    old.xietong("backup", "-o", str(tmp_path / "old.tar.gz"))
    copy = Site(tmp_path / "copy")
    done = copy.xietong("restore", str(tmp_path / "old.tar.gz"))
    assert "migrating the archive's database forward" in done.stdout
    assert copy.run_in("facts", BACKUP_TEST_TOKEN=original.token) == original.facts
    db = sqlite3.connect(copy.data / "xietong.sqlite3")
    try:
        applied = db.execute("SELECT name FROM django_migrations WHERE app = 'audit'").fetchall()
        index = db.execute("SELECT name FROM sqlite_master WHERE name = 'audit_collab_time'").fetchall()
    finally:
        db.close()
    assert ("0002_history_index",) in applied and index


def test_a_restore_failing_at_its_last_step_leaves_the_full_target_as_it_was(
    original: Original, tmp_path: Path
) -> None:
    bad = with_a_broken_reference(original.archive, tmp_path / "broken.tar.gz")
    target = original.site
    counts, files = sqlite_counts(target.data), files_of(target.data)
    done = target.xietong("restore", "--force", str(bad), check=False)
    assert (
        done.returncode == 1 and "break a constraint" in done.stderr and "nothing was restored" in done.stderr
    )
    assert sqlite_counts(target.data) == counts  # the deleted rows are back: one transaction, rolled back
    assert files_of(target.data) == files
    assert target.run_in("facts", BACKUP_TEST_TOKEN=original.token) == original.facts
