"""``xietong api_token USERNAME [--name NAME]``: create a personal API token and print it (once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xietong.api.actions import do_issue_token
from xietong.orgs.models import Person


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it; only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="a name to recognise the token by")

    def handle(self, *args: Any, **options: Any) -> None:
        person = Person.objects.filter(username=options["username"], is_active=True).first()
        if person is None:
            raise CommandError(_("没有用户名为 %(username)s 的在职人员") % {"username": options["username"]})
        # Only the token on stdout, so that TOKEN=$(xietong api_token admin) works.
        self.stdout.write(do_issue_token(person, options["name"][:100]).secret)
