"""``xietong import FILE [--slug S] [--replace] [--valid-rows] [--apply-org-changes]``: store a charter.

FILE is a charter in JSON or an .xlsx workbook in the template's layout,
stored all or nothing. A workbook with bad rows is refused (each problem
listed with sheet, row and column) unless ``--valid-rows`` asks to import
the rows that are valid.

What the charter changes in the organisation is printed first. Department
heads it names are proposed for staff to confirm (/org/heads/), unless
``--apply-org-changes``: an operator with shell access sets them on the
departments that have none.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.charter.cli import read_charter_file
from xietong.charter.format import CharterError, parse_charter
from xietong.charter.store import import_charter_for, organisation_changes
from xietong.collabs.snapshots import load_snapshot
from xietong.lib import progress
from xietong.lib.cli import fail
from xietong.rules import snapshot as s
from xietong.rules.clock import context_for
from xietong.rules.engine import run_rules

# Show a progress bar once a workbook has this many rows.
PROGRESS_FROM = 2000


def _rows_read(bar: str, done: int, total: int) -> str:
    return _("读取中 %(bar)s %(done)s/%(total)s 行") % {"bar": bar, "done": done, "total": total}


class ProgressBar(progress.ProgressBar):
    """Rows read from a workbook, on stderr; silent for short files."""

    def __init__(self, total: int, stream: Any = None) -> None:
        super().__init__(total, _rows_read, minimum=PROGRESS_FROM, stream=stream)


class Command(BaseCommand):
    help = "Import a charter file (.json or .xlsx) as a new collaboration (atomic: nothing is stored on any error)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--slug", help="identifier to store it under (default: from the title)")
        parser.add_argument("--replace", action="store_true", help="replace the collaboration with that slug")
        parser.add_argument(
            "--valid-rows",
            action="store_true",
            help="for a workbook with bad rows: import the valid rows and skip the bad ones",
        )
        parser.add_argument(
            "--apply-org-changes",
            action="store_true",
            help="set the department heads the charter names on departments without one "
            "(default: propose them for staff to confirm)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if path.suffix.lower() == ".xlsx":
            collab = self.read_workbook(path, valid_rows=options["valid_rows"])
        else:
            collab = read_charter_file(path)
        apply = options["apply_org_changes"]
        changes = organisation_changes(collab)  # before the import creates what it names
        try:
            stored = import_charter_for(
                None, collab, slug=options["slug"], replace=options["replace"], org_authority=apply
            )
        except CharterError as exc:
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

        for line in changes.lines(applied=apply):
            self.stdout.write(line)
        if changes.heads_proposed and not apply:
            self.stdout.write(_("负责人待组织管理员在 /org/heads/ 确认;用 --apply-org-changes 直接设定"))

    def read_workbook(self, path: Path, *, valid_rows: bool) -> s.Collab:
        from xietong.documents.safety import declared_rows
        from xietong.documents.workbook import WorkbookRefused, read_workbook

        if not path.is_file():
            fail(f"{path}: " + _("文件不存在"))
        try:
            bar = ProgressBar(declared_rows(path))
            try:
                read = read_workbook(path, progress=bar)
            finally:
                bar.close()
        except WorkbookRefused as exc:
            fail(f"{path}: {exc}")
        except OSError as exc:
            fail(f"{path}: {exc.strerror}")
        for notice in read.notices:  # skipped on purpose (title rows, hidden rows): said, not refused
            self.stdout.write(f"{path}: {notice}")
        for problem in read.problems:
            sys.stderr.write(f"{path}: {problem}\n")
        if read.refused_sheets:
            # Importing "the valid rows" would drop these sheets whole: never without the person seeing it.
            fail(
                _("未导入:工作表 %(sheets)s 无法读取,--valid-rows 也不会整表丢弃;修正后重新导入")
                % {"sheets": "、".join(read.refused_sheets)}
            )
        if read.problems and not valid_rows:
            fail(
                _(
                    "未导入:工作簿有 %(count)s 处问题(%(bad)s 行);修正后重新导入,或用 --valid-rows 只导入有效的行"
                )
                % {"count": len(read.problems), "bad": read.bad_rows}
            )
        try:
            collab = parse_charter(read.charter)
        except CharterError as exc:
            fail(f"{path}: {exc}")
        if read.problems:
            self.stdout.write(
                _("已跳过 %(bad)s 行有问题的行,导入其余 %(good)s 行")
                % {"bad": read.bad_rows, "good": read.rows - read.bad_rows}
            )
        return collab
