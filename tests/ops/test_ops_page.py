"""The staff's 运维 page (/ops/): the last scheduled backup, the kept files, the schedule and the free space."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests.helpers import at, signed_in
from xietong.ops import schedule
from xietong.ops.models import BackupRun, BackupState
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
URL = "/ops/"


@pytest.fixture
def folder(settings: Any, tmp_path: Path) -> Path:
    settings.XIETONG_BACKUP_SCHEDULE = schedule.parse("daily@02:30")
    settings.XIETONG_BACKUP_KEEP = 5
    settings.XIETONG_BACKUP_DIR = tmp_path / "backups"
    settings.XIETONG_BACKUP_DIR.mkdir()
    return Path(settings.XIETONG_BACKUP_DIR)


def _backup(folder: Path, day: int, size: int) -> BackupRun:
    started = at(2026, 12, day, 2, 30)
    path = folder / schedule.scheduled_name(started)
    path.write_bytes(b"x" * size)
    return BackupRun.objects.create(
        started_at=started,
        alive_at=started,
        finished_at=started + timedelta(minutes=1),
        state=BackupState.OK,
        path=str(path),
        size=size,
    )


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_staff_see_the_last_backup_the_kept_files_the_schedule_and_the_free_space(
    folder: Path, admin_user: Person
) -> None:
    assert reverse("ops:page") == URL
    for day in (4, 5):
        _backup(folder, day, 3 * 1024 * 1024)
    last = _backup(folder, 6, 2 * 1024 * 1024)
    (folder / "before-upgrade.tar.gz").write_bytes(b"y" * 2048)
    html = signed_in(admin_user).get(URL).content.decode()
    assert (
        last.path in html and "2.0\xa0MB" in html and "3.0\xa0MB" in html
    )  # filesizeformat: a no-break space
    assert "2026-12-06 02:30:00" in html and "成功" in html
    assert "before-upgrade.tar.gz" in html and "其他(不会自动删除)" in html
    assert "每天 02:30(Asia/Shanghai)" in html and "保留最近 5 份定时备份" in html
    assert "磁盘可用空间" in html and " 可用,共 " in html
    # Staff find it where they find the failed deliveries: the navigation.
    assert f'href="{URL}"' in signed_in(admin_user).get(reverse("notify:failed")).content.decode()


def test_a_failed_backup_shows_its_error(folder: Path, admin_user: Person) -> None:
    _backup(folder, 5, 1024)
    BackupRun.objects.create(
        started_at=at(2026, 12, 6, 2, 30),
        finished_at=at(2026, 12, 6, 2, 31),
        state=BackupState.FAILED,
        error="OpsError: pg_dump was not found",
    )
    html = signed_in(admin_user).get(URL).content.decode()
    assert "失败" in html and "OpsError: pg_dump was not found" in html


def test_the_page_costs_the_same_queries_with_many_backups(folder: Path, admin_user: Person) -> None:
    client = signed_in(admin_user)
    few = _queries(client)
    for day in range(1, 29):
        _backup(folder, day, 10)
    assert _queries(client) == few


def test_without_a_schedule_or_a_folder_the_page_says_so(
    settings: Any, tmp_path: Path, admin_user: Person
) -> None:
    settings.XIETONG_BACKUP_SCHEDULE = None
    settings.XIETONG_BACKUP_DIR = tmp_path / "not-yet" / "backups"
    html = signed_in(admin_user).get(URL).content.decode()
    assert "未开启定时备份" in html and "还没有定时备份" in html and "备份目录中还没有备份" in html
    assert " 可用,共 " in html  # the disk the folder will be on


def test_the_page_reads_in_english(folder: Path, admin_user: Person) -> None:
    _backup(folder, 6, 1024)
    client = signed_in(admin_user)
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        html = client.get(URL, headers={"accept-language": "en"}).content.decode()
    assert "Last backup" in html and "Every day, at the first sweep after 02:30" in html
    assert "The newest 5 scheduled backups are kept" in html and "Free disk space" in html


def test_only_staff_see_the_page(folder: Path, outsider: Person) -> None:
    assert signed_in(outsider).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302
    assert signed_in(outsider).post(URL).status_code in (403, 405)
    assert f'href="{URL}"' not in signed_in(outsider).get(reverse("notify:inbox")).content.decode()
