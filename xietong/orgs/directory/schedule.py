"""``XIETONG_DIRECTORY_SYNC``: which directories the worker syncs, and when.

Comma-separated entries, each a source and either a time of day (daily, in
``TIME_ZONE``) or an interval:

- ``wecom@02:00``: every day at 02:00 (the first sweep after it);
- ``ldap/6h``, ``feishu/30m``: when the last sync of that source began
  that long ago (or never ran).

A run that failed counts as the day's (or the interval's) run: a directory
that is down is not asked again every minute; the failure shows on /org/.
Parsing fails loudly (``ValueError``), so a bad value stops the server at
start-up. This module reads no models at import (settings import it).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

logger = logging.getLogger("xietong.orgs.directory")

SOURCE_NAMES = ("ldap", "wecom", "dingtalk", "feishu")
_DAILY = re.compile(r"^(?P<source>[a-z]+)@(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$")
_EVERY = re.compile(r"^(?P<source>[a-z]+)/(?P<n>\d+)(?P<unit>[mh])$")
SHORTEST = timedelta(minutes=5)


@dataclass(frozen=True)
class Entry:
    source: str
    at: time | None = None  # daily at this local time
    every: timedelta | None = None  # or every this long

    def slot(self, now: datetime) -> datetime | None:
        """Return since when a run would count as this slot's (None: always due, no run yet needed)."""
        if self.at is not None:
            today = now.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
            return today if now >= today else None
        assert self.every is not None
        return now - self.every


def parse(value: str) -> tuple[Entry, ...]:
    """Return the entries of ``value``; raise ``ValueError`` naming the bad one."""
    entries: list[Entry] = []
    for raw in (part.strip() for part in value.split(",")):
        if not raw:
            continue
        daily, every = _DAILY.match(raw), _EVERY.match(raw)
        if daily:
            entry = Entry(daily["source"], at=time(int(daily["h"]), int(daily["m"])))
        elif every:
            n = int(every["n"])
            entry = Entry(
                every["source"], every=timedelta(hours=n) if every["unit"] == "h" else timedelta(minutes=n)
            )
            if entry.every is not None and entry.every < SHORTEST:
                raise ValueError(f"XIETONG_DIRECTORY_SYNC: {raw!r}: at least every 5 minutes")
        else:
            raise ValueError(f"XIETONG_DIRECTORY_SYNC: {raw!r} is not like wecom@02:00 or ldap/6h")
        if entry.source not in SOURCE_NAMES:
            raise ValueError(f"XIETONG_DIRECTORY_SYNC: {raw!r}: source is one of {', '.join(SOURCE_NAMES)}")
        entries.append(entry)
    return tuple(entries)


def due(entries: tuple[Entry, ...], now: datetime) -> list[str]:
    """Return the sources whose sync is due at ``now`` (local time), each once."""
    from xietong.orgs.models import DirectorySync  # at call time: settings import this module

    sources: list[str] = []
    for entry in entries:
        since = entry.slot(now)
        if since is None or entry.source in sources:
            continue
        ran = DirectorySync.objects.filter(source=entry.source, dry_run=False, started_at__gte=since).exists()
        if not ran:
            sources.append(entry.source)
    return sources


def run_due(now: datetime) -> list[str]:
    """Sync every source that is due (one after another); return the sources synced or tried.

    Called by the worker's clock. A failure is logged and recorded on its
    run; another sync running (another worker) is skipped: that worker's
    run counts.
    """
    from django.conf import settings
    from django.utils import timezone

    from xietong.orgs.directory.base import DirectoryError
    from xietong.orgs.directory.sources import source_named
    from xietong.orgs.directory.sync import SyncRefused, sync
    from xietong.orgs.models import DirectorySync, SyncState

    entries: tuple[Entry, ...] = settings.XIETONG_DIRECTORY_SYNC
    tried: list[str] = []
    for name in due(entries, timezone.localtime(now)):
        tried.append(name)
        try:
            source = source_named(name)
        except DirectoryError as exc:  # not configured: recorded, so that it is not tried every minute
            DirectorySync.objects.create(
                source=name, state=SyncState.FAILED, finished_at=timezone.now(), message=str(exc)[:500]
            )
            logger.warning("directory sync from %s: %s", name, exc)
            continue
        try:
            run, _plan = sync(source)
        except SyncRefused:
            logger.info("directory sync from %s: another sync is running", name)
        except DirectoryError as exc:
            logger.warning("directory sync from %s failed: %s", name, exc)
        else:
            logger.info("directory sync from %s: %s", name, run.message)
    return tried
