"""The backup schedule read from XIETONG_BACKUP_SCHEDULE, when a scheduled backup is due, and retention.

Pure functions and files in a temporary folder: no database, no clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import TZ, at
from xietong.ops.schedule import RETRY_AFTER, SCHEDULED_NAME, describe, is_due, parse, prune, scheduled_name

DAILY = parse("daily@02:30")
EVERY_6H = parse("6h")


def test_the_schedule_reads_a_daily_time_or_an_interval() -> None:
    assert parse("") is None and parse("  ") is None
    assert DAILY is not None and DAILY.at == time(2, 30) and DAILY.every is None
    assert EVERY_6H is not None and EVERY_6H.every == timedelta(hours=6)
    thirty = parse(" 30m ")
    assert thirty is not None and thirty.every == timedelta(minutes=30)


@pytest.mark.parametrize(
    "bad", ["daily@24:00", "daily@2:3", "wecom@02:00", "6d", "0m", "every 6h", "daily", "9" * 30 + "h"]
)
def test_a_malformed_schedule_is_refused_naming_the_variable(bad: str) -> None:
    with pytest.raises(ValueError, match="XIETONG_BACKUP_SCHEDULE"):
        parse(bad)


def test_a_malformed_schedule_stops_the_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(XIETONG_DATA=str(tmp_path), DJANGO_SETTINGS_MODULE="xietong.settings")
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.XIETONG_BACKUP_DIR)"
    )
    for name, value in [("XIETONG_BACKUP_SCHEDULE", "nightly"), ("XIETONG_BACKUP_KEEP", "0")]:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**env, name: value},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode != 0
        assert "ImproperlyConfigured" in done.stderr and name in done.stderr
    good = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == str(tmp_path.resolve() / "backups")


def test_a_daily_backup_is_due_from_its_time_until_one_succeeds() -> None:
    assert DAILY is not None
    yesterday = at(2026, 12, 6, 2, 30, 5)
    assert not is_due(DAILY, at(2026, 12, 7, 2, 29), TZ, yesterday, None)  # not yet today
    assert is_due(DAILY, at(2026, 12, 7, 2, 30), TZ, yesterday, None)
    # The machine was off at 02:30: the first sweep after it catches up.
    assert is_due(DAILY, at(2026, 12, 7, 10, 0), TZ, yesterday, None)
    assert not is_due(DAILY, at(2026, 12, 7, 10, 0), TZ, at(2026, 12, 7, 2, 30, 1), None)
    # Never backed up: still waits for the chosen hour (the quiet one).
    assert not is_due(DAILY, at(2026, 12, 7, 1, 0), TZ, None, None)
    assert is_due(DAILY, at(2026, 12, 7, 3, 0), TZ, None, None)


def test_the_daily_time_is_read_in_the_configured_zone_whatever_zone_now_is_given_in() -> None:
    assert DAILY is not None
    yesterday = at(2026, 12, 6, 2, 30, 5)
    # 18:30 UTC is 02:30 the next day in Beijing (no daylight saving there): due.
    utc_now = datetime(2026, 12, 6, 18, 30, tzinfo=UTC)
    assert is_due(DAILY, utc_now, TZ, yesterday, None)
    assert not is_due(DAILY, utc_now - timedelta(minutes=1), TZ, yesterday, None)
    # The same instant read in UTC is 18:30 on the 6th, after the 6th's 02:30 (UTC) which
    # the backup at 2026-12-05 18:30:05 UTC does not cover: the zone decides.
    assert is_due(DAILY, utc_now, ZoneInfo("UTC"), yesterday, None)
    # In Beijing, a backup at 02:30 covers the whole day, midsummer or midwinter alike.
    for month in (1, 7):
        done = at(2026, month, 10, 2, 30, 5)
        assert not is_due(DAILY, at(2026, month, 10, 23, 59), TZ, done, None)
        assert is_due(DAILY, at(2026, month, 11, 2, 30), TZ, done, None)


def test_an_interval_counts_from_the_start_of_the_last_successful_backup() -> None:
    assert EVERY_6H is not None
    last = at(2026, 12, 7, 8, 0)
    assert is_due(EVERY_6H, at(2026, 12, 7, 10, 0), TZ, None, None)  # never: at once
    assert not is_due(EVERY_6H, at(2026, 12, 7, 14, 0), TZ, last, None)  # the slot's own start
    assert is_due(EVERY_6H, at(2026, 12, 7, 14, 0, 1), TZ, last, None)


def test_a_failed_backup_is_retried_after_a_pause_not_at_every_sweep() -> None:
    assert DAILY is not None and EVERY_6H is not None
    failed = at(2026, 12, 7, 2, 30)
    yesterday = at(2026, 12, 6, 2, 30)
    assert not is_due(DAILY, failed + timedelta(minutes=1), TZ, yesterday, failed)
    assert not is_due(DAILY, failed + RETRY_AFTER - timedelta(seconds=1), TZ, yesterday, failed)
    assert is_due(DAILY, failed + RETRY_AFTER, TZ, yesterday, failed)
    # A short interval retries after one interval.
    five = parse("5m")
    assert five is not None
    assert not is_due(five, failed + timedelta(minutes=4), TZ, None, failed)
    assert is_due(five, failed + timedelta(minutes=5), TZ, None, failed)
    # A success after the failure decides alone.
    assert not is_due(EVERY_6H, failed + timedelta(hours=1), TZ, failed + timedelta(minutes=30), failed)


def test_the_schedule_in_words() -> None:
    assert "02:30" in describe(DAILY, "Asia/Shanghai") and "Asia/Shanghai" in describe(DAILY, "Asia/Shanghai")
    assert "6 小时" in describe(EVERY_6H, "Asia/Shanghai")
    assert "30 分钟" in describe(parse("30m"), "Asia/Shanghai")
    assert "XIETONG_BACKUP_SCHEDULE" in describe(None, "Asia/Shanghai")


def test_scheduled_names_carry_the_utc_time_so_that_they_sort_like_times() -> None:
    name = scheduled_name(at(2026, 12, 7, 2, 30, 0))
    assert name == "xietong-scheduled-20261206-183000.tar.gz"
    assert SCHEDULED_NAME.match(name)
    assert not SCHEDULED_NAME.match("xietong-backup-20261206-183000.tar.gz")


def test_retention_keeps_the_newest_scheduled_backups_and_never_touches_other_files(tmp_path: Path) -> None:
    start = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    scheduled = [tmp_path / scheduled_name(start + timedelta(days=day)) for day in range(10)]
    for path in reversed(scheduled):  # written in another order than their times
        path.write_bytes(b"x")
    others = [
        tmp_path / "xietong-backup-20200101-000000.tar.gz",  # `xietong backup` by hand
        tmp_path / "before-upgrade.tar.gz",
        tmp_path / ".xietong-scheduled-20200101-000000.tar.gz.partial",  # a write in progress
        tmp_path / "xietong-scheduled-20200101-000000.tar.gz.sha256",
        tmp_path / "notes.txt",
    ]
    for path in others:
        path.write_bytes(b"y")

    gone = prune(tmp_path, keep=3)

    assert sorted(gone) == scheduled[:7]
    assert sorted(p for p in tmp_path.iterdir() if SCHEDULED_NAME.match(p.name)) == scheduled[7:]
    assert all(path.exists() for path in others)
    assert prune(tmp_path, keep=3) == []
