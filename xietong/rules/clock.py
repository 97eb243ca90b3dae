"""How commands turn ``--today YYYY-MM-DD`` into the engine's "now"."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from xietong.rules.engine import Context

# A pinned day is judged as of its noon: late enough that a morning deadline
# of that day (minutes due at 10:00) has passed, early enough that the
# afternoon's has not.
PINNED_TIME = time(12, 0)


def context_for(today: date | None = None) -> Context:
    """Return the rule context for ``today`` at noon, or for the present moment."""
    tz = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now() if today is None else datetime.combine(today, PINNED_TIME, tzinfo=tz)
    return Context(now=now, tz=tz, escalation_working_days=settings.XIETONG_ESCALATION_WORKING_DAYS)


def parse_day(value: str) -> date:
    """Parse a ``YYYY-MM-DD`` argument, raising ValueError with a clear message."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(_("不是有效的日期(YYYY-MM-DD):%(value)s") % {"value": value})
