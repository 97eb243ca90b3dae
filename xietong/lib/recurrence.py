"""Between a friendly recurrence picker and RFC 5545 RRULE text.

People choose "每日 10:00 前" or "每周五" from a picker; the database and the
charter keep the RRULE (``FREQ=DAILY;BYHOUR=10;BYMINUTE=0``). ``Recurrence``
is what the picker can say: daily, weekly on one weekday or monthly on one
day of the month, optionally at one time of day. ``from_rrule`` returns None
for anything beyond that (intervals, several days, ``COUNT`` …), so a page
shows such a rule as raw text instead of silently changing its meaning.

Every expansion of a rule goes through ``expand``, which bounds the search
(see there): a rule that never occurs (``FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30``)
must not cost seconds per call. ``occurs_within`` is the check made before a
rule is saved.

Pure functions: no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from dateutil import rrule as dateutil_rrule
from dateutil.rrule import rrulestr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

Freq = Literal["daily", "weekly", "monthly"]
FREQS: tuple[Freq, ...] = ("daily", "weekly", "monthly")

# RFC 5545 weekday codes, Monday first (Python's ``date.weekday()`` order).
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = (
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
)
FREQ_NAMES = {"daily": gettext_lazy("每日"), "weekly": gettext_lazy("每周"), "monthly": gettext_lazy("每月")}

# Parts of a rule whose meaning the picker keeps; INTERVAL=1 and WKST change
# nothing for the rules the picker writes (one weekday, interval 1).
_KNOWN_PARTS = {"FREQ", "BYDAY", "BYMONTHDAY", "BYHOUR", "BYMINUTE", "INTERVAL", "WKST"}


@dataclass(frozen=True)
class Recurrence:
    """A rule the picker can show: how often, which day, and optionally at what time.

    ``weekday`` (0 = Monday) is set for weekly rules only, ``monthday``
    (1-31) for monthly rules only; ``hour`` and ``minute`` come together or
    not at all. Raises ValueError for any other combination, so a
    Recurrence always turns into a rule that means what the picker showed.
    """

    freq: Freq
    weekday: int | None = None
    monthday: int | None = None
    hour: int | None = None
    minute: int | None = None

    def __post_init__(self) -> None:
        if self.freq not in FREQS:
            raise ValueError(f"unknown frequency {self.freq!r}")
        if (self.freq == "weekly") != (self.weekday is not None):
            raise ValueError("a weekday is given for weekly rules, and only for them")
        if (self.freq == "monthly") != (self.monthday is not None):
            raise ValueError("a day of the month is given for monthly rules, and only for them")
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday {self.weekday} is not 0 (Monday) to 6 (Sunday)")
        if self.monthday is not None and not 1 <= self.monthday <= 31:
            raise ValueError(f"day of the month {self.monthday} is not 1 to 31")
        if (self.hour is None) != (self.minute is None):
            raise ValueError("hour and minute are given together or not at all")
        if self.hour is not None and not 0 <= self.hour <= 23:
            raise ValueError(f"hour {self.hour} is not 0 to 23")
        if self.minute is not None and not 0 <= self.minute <= 59:
            raise ValueError(f"minute {self.minute} is not 0 to 59")

    def to_rrule(self) -> str:
        """Return the RRULE text, e.g. ``FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0``."""
        parts = [f"FREQ={self.freq.upper()}"]
        if self.weekday is not None:
            parts.append(f"BYDAY={WEEKDAY_CODES[self.weekday]}")
        if self.monthday is not None:
            parts.append(f"BYMONTHDAY={self.monthday}")
        if self.hour is not None:
            parts.append(f"BYHOUR={self.hour};BYMINUTE={self.minute}")
        return ";".join(parts)

    @property
    def time(self) -> str:
        """Return "HH:MM", or "" when the rule has no time of day."""
        return "" if self.hour is None else f"{self.hour:02d}:{self.minute:02d}"


def _parts(text: str) -> dict[str, str] | None:
    """Return the ``KEY=VALUE`` parts of a one-line rule, or None if it is not one."""
    text = text.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text or "\n" in text or ":" in text:  # DTSTART lines, several rules …
        return None
    parts: dict[str, str] = {}
    for part in text.split(";"):
        key, sep, value = part.partition("=")
        key, value = key.strip().upper(), value.strip().upper()
        if not sep or not value or key in parts:
            return None
        parts[key] = value
    return parts


def _small_int(value: str | None, low: int, high: int) -> int | None:
    """Return ``value`` as an int within [low, high], or None (missing, a list, out of range)."""
    if value is None or not value.isdigit():
        return None
    number = int(value)
    return number if low <= number <= high else None


def from_rrule(text: str) -> Recurrence | None:
    """Return the picker's form of ``text``, or None when the picker cannot show it.

    None for empty or unreadable text and for rules the picker does not
    express: other frequencies, intervals above 1, several or numbered days
    (``BYDAY=MO,FR``, ``BYDAY=-1FR``), a weekly rule without its day, an hour
    without minutes, ``COUNT`` / ``UNTIL`` / ``DTSTART`` and the like.
    """
    parts = _parts(text)
    if parts is None or not set(parts) <= _KNOWN_PARTS:
        return None
    if parts.get("INTERVAL", "1") != "1" or parts.get("WKST", "MO") not in WEEKDAY_CODES:
        return None
    freq = parts.get("FREQ", "").lower()
    if freq not in FREQS:
        return None
    hour = _small_int(parts.get("BYHOUR"), 0, 23)
    minute = _small_int(parts.get("BYMINUTE"), 0, 59)
    # An hour without minutes takes its minutes from the start date: the
    # picker cannot say that, and neither can minutes without an hour.
    if (hour is None) != ("BYHOUR" not in parts) or (minute is None) != ("BYMINUTE" not in parts):
        return None
    if (hour is None) != (minute is None):
        return None
    day = parts.get("BYDAY")
    weekday = WEEKDAY_CODES.index(day) if day in WEEKDAY_CODES else None
    if day is not None and weekday is None:
        return None
    monthday = _small_int(parts.get("BYMONTHDAY"), 1, 31)
    if "BYMONTHDAY" in parts and monthday is None:
        return None
    try:
        return Recurrence(cast(Freq, freq), weekday=weekday, monthday=monthday, hour=hour, minute=minute)
    except ValueError:  # a weekly rule without its day, a daily rule with one …
        return None


def describe_recurrence(rec: Recurrence, *, before: bool = True) -> str:
    """Return ``rec`` in words of the active language.

    ``before`` reads the rule as a deadline ("每周五前", "每日 10:00 前");
    without it as a schedule ("每周一 10:00", for a meeting).
    """
    params = {"time": rec.time, "day": rec.monthday}
    if rec.weekday is not None:
        params["weekday"] = str(WEEKDAY_NAMES[rec.weekday])
    timed = bool(rec.time)
    if rec.freq == "daily":
        if not timed:
            return _("每日")
        return (_("每日 %(time)s 前") if before else _("每日 %(time)s")) % params
    if rec.freq == "weekly":
        if timed:
            return (_("每%(weekday)s %(time)s 前") if before else _("每%(weekday)s %(time)s")) % params
        return (_("每%(weekday)s前") if before else _("每%(weekday)s")) % params
    if timed:
        return (_("每月 %(day)s 日 %(time)s 前") if before else _("每月 %(day)s 日 %(time)s")) % params
    return (_("每月 %(day)s 日前") if before else _("每月 %(day)s 日")) % params


def describe(rrule: str, *, before: bool = True) -> str:
    """Return an RRULE in words of the active language.

    Rules the picker can show read as people say them: "每日 10:00 前",
    "每周五前", "每月 1 日前"; with ``before=False`` as a schedule: "每周一
    10:00". Other valid rules are shown as "自定义周期:<rule>", unreadable
    ones as "无法识别的周期规则:<rule>", and an empty one as "—".
    """
    if not rrule.strip():
        return "—"
    rec = from_rrule(rrule)
    if rec is not None:
        return describe_recurrence(rec, before=before)
    if is_readable(rrule):
        return _("自定义周期:%(rrule)s") % {"rrule": rrule.strip()}
    return _("无法识别的周期规则:%(rrule)s") % {"rrule": rrule.strip()}


# rrulestr needs a start date to parse; any fixed one will do to judge the text.
_PARSE_START = datetime(2000, 1, 1)  # noqa: DTZ001 - a naive placeholder, never compared


def is_readable(rrule: str) -> bool:
    """Return True when dateutil can read ``rrule`` (the S04 / C03 test)."""
    if not rrule.strip():
        return False
    try:
        rrulestr(rrule.strip(), dtstart=_PARSE_START)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


# Forward searches ("the next meeting", "does this rule ever happen?") look this far ahead.
HORIZON = timedelta(days=731)
# No search examines more of the calendar than this, whatever window it is given.
MAX_MONTHS = 12 * 20
# A search never returns more occurrences than this (a daily rule over ten years is 3,650).
MAX_OCCURRENCES = 1000

NEVER_OCCURS = gettext_lazy("周期规则「%(rrule)s」在今后两年内一次也不会发生(例如 2 月 30 日),请检查写法")


class _SearchSpent(Exception):
    """The bounded walk reached the end of its window (raised inside dateutil's generator)."""


class _BoundedRule(dateutil_rrule.rrule):
    """An ``rrule`` whose walk through the calendar stops after ``months_left`` months.

    dateutil steps through candidate periods and yields only matches, so a
    rule that never matches walks to the year 9999 (seconds per call; UNTIL
    and COUNT do not stop it, they are checked on matches only). It has no
    hook for a step limit, but re-reads ``_byeaster`` each time it builds a
    new month (or, yearly, a new year) of the calendar: counting those reads
    bounds the walk. ``tests/test_recurrence.py`` fails if dateutil changes that.
    """

    months_left = MAX_MONTHS

    @property
    def _byeaster(self) -> Any:
        self.months_left -= 1
        if self.months_left < 0:
            raise _SearchSpent
        return vars(self)["_byeaster"]

    def _iter(self) -> Iterator[datetime]:
        try:
            yield from cast(Any, super())._iter()
        except _SearchSpent:
            return  # past the window: this rule (alone, or in a set) has no further match


def _bound(parsed: dateutil_rrule.rrulebase, months: int) -> None:
    """Make every rule of ``parsed`` (one rule, or the rules of a set) stop after ``months``."""
    if isinstance(parsed, dateutil_rrule.rruleset):
        rules = [*vars(parsed)["_rrule"], *vars(parsed)["_exrule"]]
    else:
        rules = [parsed]
    for one in rules:
        one.__class__ = _BoundedRule  # the rule as parsed; only its walk is bounded
        one.months_left = months


def _months(first: datetime, last: datetime) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def expand(
    text: str,
    start: datetime,
    until: datetime,
    *,
    after: datetime | None = None,
    limit: int = MAX_OCCURRENCES,
) -> list[datetime]:
    """Return the occurrences of ``text`` from the start of ``start``'s day to ``until`` (inclusive).

    The rule is read in the wall time of ``start``'s time zone (10:00 stays
    10:00 in Shanghai), beginning at 00:00 of ``start``'s day, so a rule
    without a time of day falls at 00:00 of its days. Results carry
    ``start``'s tzinfo (naive in, naive out); with ``after``, only those
    strictly after it; at most ``limit`` of them. The search is bounded: it
    walks the calendar no further than ``until`` and never more than
    ``MAX_MONTHS``, so a rule that never occurs costs milliseconds. Raises
    ValueError when the rule cannot be read.
    """
    if limit <= 0:
        return []
    tz = start.tzinfo
    wall_start = start.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    wall_until = until.astimezone(tz).replace(tzinfo=None) if tz is not None else until
    wall_after = None
    if after is not None:
        wall_after = after.astimezone(tz).replace(tzinfo=None) if tz is not None else after
    try:
        parsed = rrulestr(text.strip(), dtstart=wall_start, ignoretz=True)
    except (ValueError, TypeError, OverflowError) as error:
        raise ValueError(f"not a readable RRULE: {text!r}") from error
    # Two months more than the window: the walk builds the first month, and
    # a weekly period may start in the month before.
    _bound(parsed, min(max(_months(wall_start, wall_until), 0) + 2, MAX_MONTHS))
    times: list[datetime] = []
    try:
        for moment in parsed:
            if moment > wall_until:
                break
            if wall_after is not None and moment <= wall_after:
                continue
            times.append(moment.replace(tzinfo=tz))
            if len(times) >= limit:
                break
    except (ValueError, OverflowError) as error:  # an empty combination found while walking
        raise ValueError(f"not a readable RRULE: {text!r}") from error
    return times


def next_occurrences(rrule: str, after: datetime, count: int = 3) -> list[datetime]:
    """Return the next ``count`` occurrences of ``rrule`` strictly after ``after``, within ``HORIZON``.

    The rule is read in the wall time of ``after``'s time zone, starting at
    the beginning of ``after``'s day (see ``expand``). Results carry
    ``after``'s tzinfo (naive in, naive out). Raises ValueError when the
    rule cannot be read; a rule that does not occur within two years
    (30 February) gives ``[]``.
    """
    tz = after.tzinfo
    local = after.astimezone(tz) if tz is not None else after
    return expand(rrule, local, local + HORIZON, after=local, limit=count)


def occurs_within(rrule: str, now: datetime, horizon: timedelta = HORIZON) -> bool:
    """Return True when the readable ``rrule`` occurs at least once in ``horizon`` after ``now``.

    The check made before a rule is saved: a rule that never happens would
    never remind anyone. Raises ValueError when the rule cannot be read.
    """
    return bool(expand(rrule, now, now + horizon, after=now, limit=1))


def never_occurs(rrule: str, now: datetime) -> bool:
    """Return True for a readable rule with no occurrence in the two years after ``now``.

    What saving refuses. Empty and unreadable rules are not judged here:
    they have their own messages (and rules S04 / C03).
    """
    return is_readable(rrule) and not occurs_within(rrule, now)


__all__ = [
    "FREQS",
    "FREQ_NAMES",
    "HORIZON",
    "MAX_MONTHS",
    "MAX_OCCURRENCES",
    "NEVER_OCCURS",
    "WEEKDAY_CODES",
    "WEEKDAY_NAMES",
    "Recurrence",
    "describe",
    "describe_recurrence",
    "expand",
    "from_rrule",
    "is_readable",
    "never_occurs",
    "next_occurrences",
    "occurs_within",
]
