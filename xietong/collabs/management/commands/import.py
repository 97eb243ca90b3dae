"""``xietong import FILE.json [--slug S] [--replace]``: store a charter, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.collabs.actions import ImportRefused, do_import_charter
from xietong.collabs.management.cli import fail, read_charter_file
from xietong.collabs.snapshots import load_snapshot
from xietong.rules.clock import context_for
from xietong.rules.engine import run_rules


class Command(BaseCommand):
    help = "Import a charter file as a new collaboration (atomic: nothing is stored on any error)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--slug", help="identifier to store it under (default: from the title)")
        parser.add_argument("--replace", action="store_true", help="replace the collaboration with that slug")

    def handle(self, *args: Any, **options: Any) -> None:
        collab = read_charter_file(options["file"])
        try:
            stored = do_import_charter(collab, slug=options["slug"], replace=options["replace"])
        except ImportRefused as exc:
            fail(_("未导入:%(problems)s") % {"problems": exc})
        report = run_rules(load_snapshot(stored), context_for())
        self.stdout.write(
            _("已导入 %(slug)s:任务 %(tasks)s 项,子目标 %(subgoals)s 个;健康分 %(score)s,问题 %(count)s 个")
            % {
                "slug": stored.slug,
                "tasks": len(collab.tasks),
                "subgoals": len(collab.subgoals),
                "score": report.score,
                "count": len(report.findings),
            }
        )
