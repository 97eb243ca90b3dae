"""Gunicorn's hooks for ``xietong run`` (``gunicorn -c python:xietong.ops.gunicorn_conf``).

Gunicorn reads only the names of its settings here. ``child_exit`` runs in
the master when a web worker has exited: prometheus_client drops the files
of that process's live gauges (its counters and histograms stay, so totals
never go down). Nothing else is imported: the master loads no Django.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import multiprocess


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
