"""``xietong bench-data --collaborations N --tasks-per M``: fill the database for benchmarks.

Appends N realistic collaborations of M tasks each (see ``xietong.bench.data``),
with a progress bar on stderr. Meant for a database of its own: the rows are
real and stay until the database is dropped.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.bench.data import Plan, generate
from xietong.lib.progress import ProgressBar


def _written(bar: str, done: int, total: int) -> str:
    return _("生成中 %(bar)s %(done)s/%(total)s 个协作") % {"bar": bar, "done": done, "total": total}


class Command(BaseCommand):
    help = "Append N generated collaborations of M tasks each, for benchmarks."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--collaborations", type=int, required=True)
        parser.add_argument("--tasks-per", type=int, required=True)
        parser.add_argument("--departments-per", type=int, default=8)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        plan = Plan(
            collaborations=options["collaborations"],
            tasks_per=options["tasks_per"],
            departments_per=options["departments_per"],
            seed=options["seed"],
        )
        started = time.monotonic()
        bar = ProgressBar(plan.collaborations, _written)
        try:
            written = generate(plan, bar)
        finally:
            bar.close()
        self.stdout.write(
            _("已生成 %(collabs)s 个协作、%(tasks)s 项任务,用时 %(seconds).1f 秒")
            % {"collabs": written, "tasks": written * plan.tasks_per, "seconds": time.monotonic() - started}
        )
