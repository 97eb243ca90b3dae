"""``xietong sync_directory --source ldap|wecom|dingtalk|feishu [--dry-run]``: the organisation from a directory."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.lib.cli import fail
from xietong.orgs.directory.base import DirectoryError
from xietong.orgs.directory.sources import SOURCES, source_named
from xietong.orgs.directory.sync import SyncRefused, sync


class Command(BaseCommand):
    help = (
        "Sync departments, people and heads from a company directory (docs/directory-sync.md). "
        "--dry-run prints the difference and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", required=True, choices=sorted(SOURCES))
        parser.add_argument("--dry-run", action="store_true", help="print the difference, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            source = source_named(options["source"])
            run, plan = sync(source, dry_run=options["dry_run"])
        except (DirectoryError, SyncRefused) as exc:
            fail(_("目录同步失败:%(reason)s") % {"reason": exc})
        if options["dry_run"]:
            for line in plan.report(None).splitlines():
                self.stdout.write(line)
        else:
            for problem in plan.problems:
                self.stderr.write(f"! {problem}")
        self.stdout.write(summary(run))


def summary(run: Any) -> str:
    """One line: the run's counts."""
    return _(
        "%(message)s:部门 新建 %(dc)s、更新 %(du)s、目录中已无 %(dg)s;人员 新建 %(pc)s、更新 %(pu)s、停用 %(pd)s;负责人变更 %(h)s"
    ) % {
        "message": run.message,
        "dc": run.departments_created,
        "du": run.departments_updated,
        "dg": run.departments_gone,
        "pc": run.people_created,
        "pu": run.people_updated,
        "pd": run.people_deactivated,
        "h": run.heads_set,
    }
