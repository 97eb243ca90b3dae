"""``xietong demo [--kickoff YYYY-MM-DD] [--replace]``: load the guide's example."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xietong.charter.demo import DEMO_SLUG, load_demo
from xietong.charter.format import CharterError
from xietong.lib.cli import fail
from xietong.rules.clock import parse_day


class Command(BaseCommand):
    help = "Load the demo collaboration 客户投诉快速响应 with weeks of data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kickoff", help="kickoff Monday (YYYY-MM-DD); default: five weeks ago")
        parser.add_argument("--today", help="the day the data runs up to (YYYY-MM-DD); default: today")
        parser.add_argument("--slug", default=DEMO_SLUG)
        parser.add_argument("--replace", action="store_true", help="replace an existing demo")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            kickoff = parse_day(options["kickoff"]) if options["kickoff"] else None
            today = parse_day(options["today"]) if options["today"] else None
        except ValueError as exc:
            fail(str(exc))
        try:
            stored = load_demo(kickoff, today=today, replace=options["replace"], slug=options["slug"])
        except CharterError as exc:
            fail(_("演示数据未载入:%(problems)s(可用 --replace 替换)") % {"problems": exc})
        self.stdout.write(
            _("已载入演示协作 %(title)s,标识 %(slug)s") % {"title": stored.title, "slug": stored.slug}
        )
