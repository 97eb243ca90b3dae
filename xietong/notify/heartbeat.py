"""The worker's heartbeat: written after every sweep, read by the staff page.

Each worker process keeps one ``WorkerBeat`` row (``host:pid``). A worker
that stops beating is dead or stuck: the staff page shows it late after three
sweep intervals. ``xietong run`` restarts a worker that died and passes the
count and the reason in the environment (``RESTARTS_ENV``, ``LAST_EXIT_ENV``),
so the new worker's row says how often it was restarted and why.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from xietong.notify.models import WorkerBeat

RESTARTS_ENV = "XIETONG_WORKER_RESTARTS"
LAST_EXIT_ENV = "XIETONG_WORKER_LAST_EXIT"
# Rows of processes gone this long are deleted when a worker starts.
FORGET_AFTER = timedelta(days=1)
# The staff page lists at most this many processes, the latest beat first.
SHOWN = 20


def process_name() -> str:
    """This process as the staff page names it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Started:
    """What a worker knows of its own start (from ``xietong run``, when it started it)."""

    at: datetime
    restarts: int
    last_exit: str

    @classmethod
    def now(cls, at: datetime) -> Started:
        restarts = os.environ.get(RESTARTS_ENV, "0")
        return cls(
            at=at,
            restarts=int(restarts) if restarts.isdigit() else 0,
            last_exit=os.environ.get(LAST_EXIT_ENV, "")[:100],
        )


def forget_old(now: datetime) -> None:
    """Delete the rows of processes that have not beaten for ``FORGET_AFTER``."""
    WorkerBeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()


def beat(started: Started, now: datetime, sweeps: int, sweep_ms: int, error: str) -> None:
    """Write this process's heartbeat (one short statement or two, outside any long transaction)."""
    values = {
        "started_at": started.at,
        "beat_at": now,
        "sweeps": sweeps,
        "sweep_ms": min(sweep_ms, 2**31 - 1),
        "last_error": error[:300],
        "restarts": started.restarts,
        "last_exit": started.last_exit,
    }
    name = process_name()
    if not WorkerBeat.objects.filter(name=name).update(**values):
        WorkerBeat.objects.update_or_create(name=name, defaults=values)


@dataclass(frozen=True)
class WorkerRow:
    """A worker as the staff page shows it."""

    beat: WorkerBeat
    late: bool  # no beat for three sweep intervals: dead or stuck


def workers(now: datetime) -> list[WorkerRow]:
    """The workers that beat within ``FORGET_AFTER``, the latest first (one query)."""
    late_after = timedelta(seconds=3 * settings.XIETONG_SWEEP_SECONDS + 30)
    rows = WorkerBeat.objects.filter(beat_at__gte=now - FORGET_AFTER).order_by("-beat_at")[:SHOWN]
    return [WorkerRow(row, row.beat_at < now - late_after) for row in rows]
