"""Escalation of a blocked row (阻塞升级), defined once.

Rule T02 (``rules.tracking``), the weekly list (``tracking.weekly``) and the
escalation reminders of the sweep (``notify.reminders``) all count the same
working days and derive the same level from them.

A row is counted from the day it became blocked (in the company's time
zone) up to today, in working days on the Chinese statutory calendar
(``lib.workdays``, make-up working days included, holidays excluded). With
a limit of N working days (``XIETONG_ESCALATION_WORKING_DAYS``, default 2):

- level 1, to the initiator (发起部门负责人), once the count exceeds N
  (a row blocked on Friday is flagged from Wednesday with N = 2);
- level 2, to the heads of the departments concerned, once it exceeds 2 × N.
"""

from __future__ import annotations

from datetime import date

from xietong.lib.workdays import working_days_between

NONE, INITIATOR, HEADS = 0, 1, 2


def blocked_working_days(since: date, today: date) -> int:
    """Return the working days a row blocked on ``since`` has been blocked by ``today`` (never negative)."""
    return max(0, working_days_between(since, today))


def escalation_level(working_days: int | None, limit: int) -> int:
    """Return ``NONE`` (0), ``INITIATOR`` (1: beyond ``limit`` working days) or ``HEADS`` (2: beyond twice it).

    ``working_days`` None (nobody knows since when the row is blocked) is never escalated.
    """
    if working_days is None:
        return NONE
    if working_days > 2 * limit:
        return HEADS
    return INITIATOR if working_days > limit else NONE
