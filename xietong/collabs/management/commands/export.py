"""``xietong export SLUG [-o FILE]``: write a stored collaboration as a charter JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.collabs.charter import dump_charter
from xietong.collabs.management.cli import fail
from xietong.collabs.models import Collaboration
from xietong.collabs.snapshots import load_snapshot


class Command(BaseCommand):
    help = "Export a collaboration as a charter (JSON, format v1)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        stored = (
            Collaboration.objects.select_related("initiator_department", "owner")
            .filter(slug=options["slug"])
            .first()
        )
        if stored is None:
            fail(_("没有标识为 %(slug)s 的协作") % {"slug": options["slug"]})
        text = json.dumps(dump_charter(load_snapshot(stored)), ensure_ascii=False, indent=2) + "\n"
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
