"""`xietong backup`: what the archive holds, that it is private and complete or absent, and a consistent copy under writes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.ops.backup_site import ROOT, Original, Site, original, sqlite_half
from tests.running import answers, xietong_run

__all__ = ["original"]  # the fixture, used by name


pytestmark = sqlite_half


def test_the_archive_holds_the_database_materials_key_and_a_manifest_of_them(original: Original) -> None:
    assert re.fullmatch(r"xietong-backup-\d{8}-\d{6}\.tar\.gz", original.archive.name)
    assert original.archive.stat().st_mode & 0o777 == 0o600  # it holds the secret key
    assert [p.name for p in original.archive.parent.iterdir()] == [original.archive.name]  # no partial left
    with tarfile.open(original.archive) as tar:
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
        names = tar.getnames()
    assert names[0] == "database.sqlite3" and names[-1] == "manifest.json"
    manifest = json.loads(contents.pop("manifest.json"))
    assert set(contents) == set(manifest["members"])
    for name, data in contents.items():
        assert manifest["members"][name] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert contents["secret_key"].decode() == (original.site.data / "secret_key").read_text().strip()
    media = sorted(name for name in contents if name.startswith("media/"))
    assert len(media) == 2 and any(contents[name].startswith(b"%PDF-1.4") for name in media)
    assert manifest["engine"] == "sqlite" and manifest["product_version"] and manifest["created_at"]
    assert "0001_initial" in manifest["migrations"]["orgs"]
    assert manifest["row_counts"]["meetings_material"] == 2 and manifest["row_counts"]["orgs_person"] > 5


def test_an_existing_file_is_never_overwritten(original: Original) -> None:
    before = original.archive.read_bytes()
    done = original.site.xietong("backup", "-o", str(original.archive), check=False)
    assert done.returncode == 1 and "already exists" in done.stderr
    assert original.archive.read_bytes() == before


def test_a_terminal_gets_a_progress_bar_and_a_pipe_does_not(original: Original, tmp_path: Path) -> None:
    assert "[#" not in original.site.xietong("backup", "-o", str(tmp_path / "piped.tar.gz")).stderr
    leader, follower = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "xietong.cli", "backup", "-o", str(tmp_path / "terminal.tar.gz")],
            cwd=ROOT,
            env=original.site.env(),
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    assert "[" + "#" * 30 + "]" in done.stderr


def test_a_backup_that_fails_midway_leaves_no_file(tmp_path: Path) -> None:
    """The archive is written under a temporary name: a failure removes it, the real name never appears."""
    from xietong.lib.progress import ByteProgress
    from xietong.ops.backup import _Snapshot, _write_archive

    database = tmp_path / "db"
    database.write_bytes(b"x" * 10_000)
    snapshot = _Snapshot(database, "sqlite", {}, {})
    path = tmp_path / "out" / "backup.tar.gz"
    path.parent.mkdir()
    with pytest.raises(IsADirectoryError):
        _write_archive(
            path.with_name(".backup.tar.gz.partial"),
            path,
            snapshot,
            [("media/gone.pdf", tmp_path / "gone.pdf"), ("media/unreadable.pdf", tmp_path)],
            {"members": {}},
            ByteProgress(0, shown=False),
        )
    assert list(path.parent.iterdir()) == []  # neither the archive nor its partial file


def test_a_backup_taken_while_the_server_takes_writes_restores_to_one_consistent_moment(
    original: Original, tmp_path: Path
) -> None:
    shutil.copytree(original.site.data, tmp_path / "data", ignore=shutil.ignore_patterns("static"))
    acknowledged: list[str] = []
    stop = threading.Event()
    with xietong_run(tmp_path) as run:
        run.wait_until(lambda: answers(run.base + "/accounts/login/"), 120, 0.3)

        def write() -> None:
            n = 0
            while not stop.is_set():
                title = f"并发写入 {n:04d}"
                request = urllib.request.Request(
                    run.base + "/api/collaborations/demo/issues",
                    data=json.dumps({"title": title}).encode(),
                    headers={"Authorization": f"Bearer {original.token}", "Content-Type": "application/json"},
                    method="POST",
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        assert response.status == 201
                except urllib.error.HTTPError as refused:  # pragma: no cover - shown in the failure
                    raise AssertionError(refused.read()[:500]) from None
                acknowledged.append(title)
                n += 1

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        run.wait_until(lambda: len(acknowledged) >= 3, 60, 0.1)
        before = len(acknowledged)
        Site(run.data).xietong("backup", "-o", str(tmp_path / "during.tar.gz"))
        started_by_then = len(acknowledged) + 1  # one more may be committed but not yet answered
        run.wait_until(lambda: len(acknowledged) >= started_by_then + 2, 60, 0.1)
        stop.set()
        writer.join(timeout=60)
    copy = Site(tmp_path / "copy")
    copy.xietong("restore", str(tmp_path / "during.tar.gz"))  # its counts match the manifest's
    facts = copy.run_in("facts")
    written = [title for title in facts["issues"] if title.startswith("并发写入")]
    # a prefix of the writes, each with its audit entry: one moment, not a mixture
    assert before <= len(written) <= started_by_then
    assert written == acknowledged[: len(written)]
    assert set(written) <= set(facts["audited_issues"])


def test_a_material_deleted_during_the_backup_is_named_not_fatal(tmp_path: Path) -> None:
    from xietong.lib.progress import ByteProgress
    from xietong.ops.archive import extract_verified
    from xietong.ops.backup import _Snapshot, _write_archive

    database = tmp_path / "db"
    database.write_bytes(b"x" * 1000)
    kept = tmp_path / "kept.pdf"
    kept.write_bytes(b"%PDF-1.4 kept")
    manifest = {
        "format": "xietong-backup",
        "format_version": 1,
        "engine": "sqlite",
        "migrations": {},
        "row_counts": {},
        "members": {},
    }
    path = tmp_path / "out.tar.gz"
    media = [("media/gone.pdf", tmp_path / "gone.pdf"), ("media/kept.pdf", kept)]
    _write_archive(
        tmp_path / ".out.tar.gz.partial",
        path,
        _Snapshot(database, "sqlite", {}, {}),
        media,
        manifest,
        ByteProgress(0, shown=False),
    )
    assert manifest["vanished"] == ["media/gone.pdf"]
    extracted = extract_verified(path, tmp_path / "extracted")  # the manifest written is the one verified
    assert (extracted.folder / "media" / "kept.pdf").read_bytes() == b"%PDF-1.4 kept"
