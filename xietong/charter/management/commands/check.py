"""``xietong check [SLUG|FILE] [--json] [--today D]``: judge a collaboration by the guide's rules.

Exit 0 without error-severity findings, 1 with, 2 when the input cannot be
read. Without a target, runs Django's own system checks. For a charter file
the text report also lists what importing it would change in the
organisation (departments and people created, heads proposed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.core.management.commands.check import Command as SystemCheckCommand
from django.db import DatabaseError
from django.utils import translation
from django.utils.translation import gettext as _

from xietong.charter.cli import read_charter_file
from xietong.charter.store import organisation_changes
from xietong.collabs.models import Collaboration
from xietong.collabs.snapshots import load_snapshot
from xietong.lib.cli import EXIT_FINDINGS, fail
from xietong.rules.clock import context_for, parse_day
from xietong.rules.engine import object_label, run_rules


class Command(BaseCommand):
    help = "Judge a collaboration (stored, by slug) or a charter file by the guide's rules."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", nargs="?", help="collaboration slug, or path of a charter .json file")
        parser.add_argument("--json", action="store_true", help="print findings and score as JSON")
        parser.add_argument("--today", help="judge as of this day (YYYY-MM-DD), for reproducible results")
        parser.add_argument(
            "--lang", default=settings.LANGUAGE_CODE, choices=[c for c, _n in settings.LANGUAGES]
        )
        parser.add_argument(
            "--deploy", action="store_true", help="without a target: Django's deployment checks"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target: str | None = options["target"]
        if target is None:
            call_command(SystemCheckCommand(), deploy=options["deploy"])
            return
        with translation.override(options["lang"]):
            self._check(target, options)

    def _check(self, target: str, options: dict[str, Any]) -> None:
        try:
            today = parse_day(options["today"]) if options["today"] else None
        except ValueError as exc:
            fail(str(exc))
        path = Path(target)
        org_lines: list[str] = []
        if path.suffix.lower() == ".json" or path.is_file():
            collab = read_charter_file(path)
            try:
                org_lines = organisation_changes(collab).lines()
            except DatabaseError:  # no database yet: nothing to compare the file with
                org_lines = []
        else:
            stored = (
                Collaboration.objects.select_related("initiator_department", "owner")
                .filter(slug=target)
                .first()
            )
            if stored is None:
                fail(_("既不是文件也不是协作标识:%(target)s") % {"target": target})
            collab = load_snapshot(stored)
        report = run_rules(collab, context_for(today))
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for finding in report.findings:
                # People read what the finding points at in words; the path is in --json.
                where = object_label(collab, finding.object)
                self.stdout.write(
                    f"{finding.severity.upper():7} {finding.rule}  {where + '  ' if where else ''}{finding.text()}"
                )
            self.stdout.write(
                _("健康分:%(score)s  问题:%(count)s") % {"score": report.score, "count": len(report.findings)}
            )
            for line in org_lines:
                self.stdout.write(line)
        if report.has_errors:
            raise SystemExit(EXIT_FINDINGS)
