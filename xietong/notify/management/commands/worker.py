"""``xietong worker``: run queued background tasks, and sweep for reminders every minute.

The task loop is django-tasks-db's worker (rows claimed with SKIP LOCKED on
PostgreSQL, so any number of workers on any number of machines share the
queue). A clock thread in the same process sweeps every
``XIETONG_SWEEP_SECONDS`` and sends deliveries whose queued task was lost;
the sweep is idempotent, so every worker may run it (``--no-sweep`` to
leave it to others). The same clock runs the directory syncs that are due
(``XIETONG_DIRECTORY_SYNC``, docs/directory-sync.md); one runs at a time
across workers.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from xietong.lib import metrics
from xietong.lib.cli import fail
from xietong.lib.schema import SchemaWatch, newer_database_problem
from xietong.notify import heartbeat
from xietong.notify.delivery import deliver, due_deliveries
from xietong.notify.outbox import sweep
from xietong.orgs.directory.schedule import run_due

logger = logging.getLogger("xietong.notify")


def clock(stop: threading.Event, seconds: float, newer: threading.Event | None = None) -> None:
    """Sweep, then catch up on due deliveries, every ``seconds`` until ``stop`` is set.

    After each round the process's heartbeat is written (``notify.heartbeat``):
    the staff page shows when each worker last swept, how long it took, its
    last error and how often ``xietong run`` restarted it.
    """
    started = heartbeat.Started.now(timezone.now())
    sweeps = 0
    try:
        heartbeat.forget_old(started.at)
    except Exception:
        logger.exception("could not tidy the heartbeats")
    watch = SchemaWatch()
    while not stop.is_set():
        began = time.monotonic()
        error = ""
        try:
            if (problem := watch.problem()) is not None:
                # A newer release migrated the database under this worker: stop writing, stop the process.
                logger.error("%s", problem)
                stop.set()
                if newer is not None:
                    newer.set()
                os.kill(os.getpid(), signal.SIGTERM)  # db_worker finishes its task, then returns
                break
            now = timezone.now()
            result = sweep(now)
            for pk in due_deliveries(now):
                deliver(pk)
            took = time.monotonic() - began
            metrics.observe_sweep(took, result.written, result.deliveries, failed=bool(result.failed))
            if result.written:
                logger.info("sweep wrote %s reminders, %s deliveries", result.written, result.deliveries)
            if result.failed:
                error = "failed: " + ", ".join(result.failed)
            if settings.XIETONG_DIRECTORY_SYNC:
                run_due(
                    now
                )  # the directories due (XIETONG_DIRECTORY_SYNC); one sync at a time across workers
            if settings.XIETONG_BACKUP_SCHEDULE:  # ops' scheduled backup, written in a thread; one at a time
                call_command("backup_due", background=True)
        except Exception as exc:
            # A failed sweep must not stop the worker: the next one catches up from the data.
            logger.exception("sweep failed")
            error = type(exc).__name__  # the class only: a message may hold an address or a key
            metrics.observe_sweep(time.monotonic() - began, 0, 0, failed=True)
        finally:
            close_old_connections()
        sweeps += 1
        try:
            heartbeat.beat(started, timezone.now(), sweeps, int((time.monotonic() - began) * 1000), error)
        except Exception:
            logger.exception("could not write the heartbeat")
        finally:
            close_old_connections()
        stop.wait(seconds)


class Command(BaseCommand):
    help = "Run background tasks and the reminder sweep (every XIETONG_SWEEP_SECONDS seconds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-sweep", dest="sweep", action="store_false", help="run tasks only")
        parser.add_argument("--batch", action="store_true", help="run the queued tasks, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        # An older worker must not write to a newer schema (docs/operations.md, "Upgrades").
        if (problem := newer_database_problem()) is not None:
            fail(problem)
        stop, newer = threading.Event(), threading.Event()
        clock_thread = None
        if options["sweep"] and not options["batch"]:
            clock_thread = threading.Thread(
                target=clock, args=(stop, settings.XIETONG_SWEEP_SECONDS, newer), daemon=True
            )
            clock_thread.start()
        try:
            call_command(
                "db_worker",
                queue_name="*",
                batch=options["batch"],
                reload=False,
                verbosity=options["verbosity"],
                startup_delay=not options["batch"],
            )
        finally:
            stop.set()
            # Let a send in progress finish: a delivery left "sending" waits out its lease (delivery.lease()) to be retried.
            if clock_thread is not None:
                clock_thread.join(timeout=settings.EMAIL_TIMEOUT + 5)
            if newer.is_set():  # stopped because a newer release migrated the database: not a clean exit
                fail(newer_database_problem() or "")
