"""A real `xietong run` (web server and worker) writes the scheduled backup; staff see it; restore verifies it.

The whole product in a throw-away data folder, a sweep a second, a schedule
that is due at once ("1h": never backed up). The archive is read back with
restore's own verification (every member against the manifest's SHA-256);
restoring a backup whole is the backup and restore tests' part.
"""

from __future__ import annotations

import http.cookiejar
import re
import sqlite3
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.running import ADMIN_PASSWORD, Running, sqlite_pass_only, xietong_run
from xietong.ops.archive import extract_verified
from xietong.ops.schedule import SCHEDULED_NAME


def _scheduled(folder: Path) -> list[Path]:
    return (
        sorted(p for p in folder.glob("*.tar.gz") if SCHEDULED_NAME.match(p.name)) if folder.is_dir() else []
    )


def _signed_in_as_admin(run: Running) -> urllib.request.OpenerDirector:
    """A browser of sorts, signed in as the administrator through the login form."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = opener.open(f"{run.base}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login)
    assert token is not None
    form = {"username": "admin", "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    request = urllib.request.Request(
        f"{run.base}/accounts/login/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": f"{run.base}/accounts/login/"},
    )
    opener.open(request, timeout=10).read()
    return opener


def _page(opener: urllib.request.OpenerDirector, url: str) -> str:
    with opener.open(url, timeout=10) as response:
        assert response.geturl() == url  # not sent to the login page
        return str(response.read().decode())


@sqlite_pass_only
def test_the_worker_writes_the_scheduled_backup_that_verifies_and_staff_see_it(tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    with xietong_run(tmp_path, XIETONG_BACKUP_SCHEDULE="1h", XIETONG_BACKUP_DIR=str(backups)) as run:
        run.wait_until(lambda: bool(_scheduled(backups)), 120)
        archive = _scheduled(backups)[0]
        staff = _signed_in_as_admin(run)
        run.wait_until(lambda: '<strong class="ok">' in _page(staff, f"{run.base}/ops/"), 30)
        html = _page(staff, f"{run.base}/ops/")
        assert str(archive) in html and "成功" in html
        time.sleep(3)  # three more sweeps: no second backup within the hour
        assert _scheduled(backups) == [archive]

    assert archive.stat().st_mode & 0o077 == 0  # it holds the secret key: the owner's only
    extracted = extract_verified(archive, tmp_path / "extracted")
    assert extracted.engine == "sqlite" and extracted.manifest["row_counts"]
    with sqlite3.connect(extracted.database) as db:
        assert db.execute("select count(*) from collabs_collaboration").fetchone()[0] >= 1  # the demo
