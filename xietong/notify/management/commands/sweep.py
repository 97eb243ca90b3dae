"""``xietong sweep``: write the reminders due now into the outbox (idempotent; safe to run anywhere, any time)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.notify.delivery import deliver, due_deliveries
from xietong.notify.outbox import sweep


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(_("--now 须为 ISO 时间,例如 2024-08-12T09:00+08:00")) from None
    return moment if moment.tzinfo else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Write the reminders that are due into the outbox; --send also delivers them here."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", type=_moment, help="judge at this moment instead of the clock (ISO)")
        parser.add_argument("--send", action="store_true", help="also send due deliveries in this process")
        parser.add_argument(
            "--loop", type=int, metavar="SECONDS", help="sweep again every SECONDS (a clock process)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            now = options["now"] or timezone.now()
            result = sweep(now)
            sent = 0
            if options["send"]:
                for pk in due_deliveries(now):
                    sent += deliver(pk, now).state is not None
            self.stdout.write(
                _("提醒:%(due)s 条到期,新写入 %(written)s 条,新投递 %(deliveries)s 条,已处理 %(sent)s 条")
                % {
                    "due": result.due,
                    "written": result.written,
                    "deliveries": result.deliveries,
                    "sent": sent,
                }
            )
            if not options["loop"]:
                return
            time.sleep(options["loop"])
