"""``xietong import_org FILE.xlsx [--valid-rows]``: departments, heads and people from Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.documents.org import read_org
from xietong.documents.workbook import WorkbookRefused
from xietong.lib.cli import fail
from xietong.orgs.actions import do_import_org


class Command(BaseCommand):
    help = (
        "Import the organisation (name, login, email, phone, department, role) from an Excel sheet; "
        "people are matched by login. Nothing is stored when a row is bad, unless --valid-rows."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--valid-rows", action="store_true", help="store the good rows even if some are bad"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            fail(_("%(path)s: 文件不存在") % {"path": path})
        try:
            read = read_org(path)
        except WorkbookRefused as exc:
            fail(f"{path}: {exc}")
        for problem in read.problems:
            self.stderr.write(str(problem))
        if not read.ok and not options["valid_rows"]:
            fail(_("未导入:%(n)s 行有问题(加 --valid-rows 只导入有效行)") % {"n": read.bad_rows})
        done = do_import_org(read.rows)
        self.stdout.write(
            _("已导入:新建部门 %(d)s 个,新建人员 %(c)s 名,更新人员 %(u)s 名,设定负责人 %(h)s 名")
            % {
                "d": done.departments_created,
                "c": done.people_created,
                "u": done.people_updated,
                "h": done.heads_set,
            }
        )
