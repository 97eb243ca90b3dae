"""Reading a free-text goal statement, Chinese or English: deadlines, metrics, vague wording.

A pure function of the text and ``today``: no database, no clock, no
findings. ``rules/smart.py`` turns a reading into the SMART flags and
findings; ``rules/goal.py`` asks ``is_vague`` for G01.

How the text is read
--------------------
1. Normalisation. NFKC folds full-width forms (``（满分5分）`` → ``(满分5分)``,
   ``％`` → ``%``, ``，`` → ``,``). Runs of Chinese numerals are turned into
   Arabic digits with ``cn2an`` (``十万`` → ``100000``, ``第三季度`` → ``第3季度``,
   ``二〇二四年`` → ``2024年``), except inside idioms where the characters are
   not numbers (一起, 统一, 进一步, 十分重要 …). ``百分之80`` becomes ``80%``.
   Arabic digits followed by 万/亿/千/百 (``10万``, ``1.5亿``, ``3千``) are
   multiplied out with ``Decimal`` so that no float rounding creeps in.
2. Deadlines are found first and masked out, so that ``2024年`` or ``9月30日``
   are never taken for metrics. When several dates appear the *latest* is the
   deadline: earlier ones are milestones or the baseline's date, the goal ends
   last. Decisions:

   - a month or a month-day without a year (``9月底``, ``9月30日``, ``September
     30``) is in ``today``'s year, even when that date has already passed: we
     do not guess "next year"; a past deadline is shown to the person, who
     corrects it;
   - ``年底``/``年末``/``年内`` is 31 December of ``today``'s year; a quarter or
     half year without a year (``Q3末``, ``第三季度末``, ``下半年``) too;
   - a bare year-month (``2024年9月``) means the end of that month;
   - ``本季度``/``本季度末`` is the end of the current quarter, ``下季度`` of the
     next one; ``本月底``, ``下月15日前``, ``本周五``, ``下周五前`` are resolved
     against ``today`` (weeks start on Monday); an impossible date
     (``2024年2月30日``) is no deadline at all;
   - recurring phrases (``每周五前``, ``每月底``) and hours or minutes
     (``24小时内``) are conditions, not deadlines; ``尽快``/"ASAP" is not a deadline;
   - a duration of days, weeks, months or years that limits the whole goal
     (``十天内完成``, ``3个月内把…``, ``10个工作日内``, "within 4 weeks") is
     ``today`` plus that duration; in a share or after a trigger
     (``80%的投诉在3天内闭环``, ``接到需求后5天内``) it stays a condition;
   - ``Q3前``/"before Q3" is the day before the quarter starts, ``下半年前`` 30 June;
     ``H1``/``H2`` are half years; ``春节前``, ``五一前``, ``国庆节前`` … the day
     before the festival's statutory break (``chinesecalendar``; without a year,
     the next one after ``today``).
3. Metrics are read only where a pattern anchors a number, so stray numbers
   never become metrics:

   - a range: ``从48小时缩短至24小时``, ``由3.8分提升到4.5分``, "from 48 hours
     to 24 hours" → baseline, target, unit; the direction comes from the verb
     (缩短/降低 → decrease, 提升/提高 → increase) or, without one, from the
     numbers;
   - a share: ``80%的投诉在24小时内闭环`` → target 80 ``%``, direction "reach",
     condition ``24小时内``, name ``投诉闭环率``; "80% of complaints within 24
     hours" likewise;
   - a verb and a number: ``提升至4.5分(满分5分)`` (scale 5), ``销售额提升30%``
     (a relative change: target 30 ``%``, increase), ``控制在24小时以内``
     (decrease), ``保持在95%以上`` (increase); "raise satisfaction to 4.5 (out
     of 5)", "increase sales by 30%";
   - a verb, a noun and a number: ``新增用户10万`` (target 100000, increase),
     "reach 100,000 users";
   - a change against the baseline: ``从8天缩短一半`` (target 4), ``从3000万元翻一番``,
     ``从60%提高15个百分点`` (target 75), ``从500万元降低20%``; without a baseline
     (``销售额提升20%``, ``翻一番``, "increase sales by 30%", "double revenue") the
     change is recorded (``change``, ``change_kind``) and the target left empty;
   - counts with a measure word: ``新开8家网点`` (新开网点, 8 家), ``覆盖80万用户``;
     an English outcome: "with 99.95% availability".

   A metric's name is the text before the verb in its clause, stripped of
   connectors (将, 实现, 并 …); when there is none, the matched phrase itself.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal

Direction = Literal["increase", "decrease", "reach"]
ChangeKind = Literal["percent", "points", "factor"]

# Words that make a goal sound like one without saying what changes by how much.
# Matching is by substring for Chinese and by whole words (case-insensitive)
# for English; the short verbs (提升, improve …) count only when no metric backs
# them, see ``is_vague``.
VAGUE_TERMS: tuple[str, ...] = (
    "提升效率",
    "提高效率",
    "提升质量",
    "提高质量",
    "提升体验",
    "尽快",
    "尽早",
    "加强",
    "优化",
    "改善",
    "完善",
    "提升",
    "提高",
    "加快",
    "推进",
    "大力",
    "进一步",
    "显著",
    "努力",
    "improve efficiency",
    "as soon as possible",
    "asap",
    "improve",
    "enhance",
    "optimize",
    "optimise",
    "strengthen",
    "streamline",
    "better",
    "soon",
)
# Vague words that pretend to be a time limit: named in G04's message.
VAGUE_TIME_TERMS: tuple[str, ...] = ("尽快", "尽早", "as soon as possible", "asap", "soon")


@dataclass(frozen=True, slots=True)
class MetricProposal:
    """One metric proposed from the text, for a person to confirm."""

    name: str
    baseline: Decimal | None
    target: Decimal | None
    unit: str
    direction: Direction
    scale_max: Decimal | None = None
    # A qualifier of the target (e.g. "24小时内" for "80%的投诉在24小时内闭环");
    # shown by the form, not part of the JSON of DESIGN.md §3.
    condition: str = ""
    # A change stated relative to the baseline (销售额提升20%, 翻一番, 提高15个百分点):
    # ``change_kind`` is "percent" (of the baseline), "points" (percentage points)
    # or "factor" (the baseline times ``change``). With a baseline the target is
    # computed from it; without one the target stays empty: 20 is not the target.
    change: Decimal | None = None
    change_kind: ChangeKind | None = None

    def as_dict(self) -> dict[str, Any]:
        """The metric in the JSON of DESIGN.md §3; ``change`` is added only where it is the whole
        record (a relative change with no baseline: no target), so every other metric keeps
        exactly the documented keys."""
        data: dict[str, Any] = {
            "name": self.name,
            "baseline": json_number(self.baseline),
            "target": json_number(self.target),
            "unit": self.unit,
            "direction": self.direction,
            "scale_max": json_number(self.scale_max),
        }
        if self.change_kind and self.target is None:
            data["change"] = {"kind": self.change_kind, "value": json_number(self.change)}
        return data


def json_number(value: Decimal | None) -> int | float | None:
    """Return ``value`` as a JSON number: an int when integral (80, not 80.0), else a float."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九十"
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万亿点]+")
_CN_NUMERALS = _CN_DIGITS + "百千万亿点"
# Idioms whose characters are numerals but which are not numbers.
_CN_PROTECTED = re.compile(
    r"第一时间|万一|一(?=[起致定些下般体线旦律并直切把站])|(?<=[统唯同逐之进])一"
    rf"|(?<![{_CN_NUMERALS}\d])十分(?=[\u4e00-\u9fff])(?!钟)"
    rf"|(?<![{_CN_NUMERALS}\d])千万(?=[不要别])"
    # 五一 (Labour Day) and 一半 (half) are words, read by the deadline and change patterns.
    rf"|(?<![{_CN_NUMERALS}\d])五一(?=[前节假劳长之以])|(?<![{_CN_NUMERALS}\d])一半"
    # 一次解决率, 一次性: "first-time", not the number 1
    rf"|(?<![{_CN_NUMERALS}\d])一(?=次(?:性|解决|通过|成功|合格|到位|办结|办成|修复))"
)
_PERCENT_WORDS = re.compile(r"百分之\s*(\d+(?:\.\d+)?)")


@cache
def _cn2an() -> Callable[[str, str], Any]:
    # cn2an takes ~0.2 s to import; load it only when a Chinese numeral shows up,
    # so that importing this module (the rule engine does, for is_vague) stays cheap.
    import cn2an

    convert: Callable[[str, str], Any] = cn2an.cn2an
    return convert


def _convert_cn_numerals(text: str) -> str:
    protected = [m.span() for m in _CN_PROTECTED.finditer(text)]

    def replace(m: re.Match[str]) -> str:
        run = m.group()
        if not any(c in _CN_DIGITS for c in run):
            return run  # a lone 万/亿 after Arabic digits is a multiplier, handled later
        start, end = m.span()
        if any(start < p_end and p_start < end for p_start, p_end in protected):
            return run
        # A leading or trailing 点 is o'clock (十点前), not a decimal point.
        core = run.strip("点")
        lead = run[: len(run) - len(run.lstrip("点"))]
        trail = run[len(run.rstrip("点")) :]
        try:
            value = _cn2an()(core, "smart")
        except (ValueError, KeyError, IndexError, TypeError):
            return run
        return f"{lead}{Decimal(str(value)).normalize():f}{trail}"

    return _CN_RUN.sub(replace, text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _convert_cn_numerals(text)
    return _PERCENT_WORDS.sub(r"\1%", text)


# --------------------------------------------------------------------------
# Deadlines
# --------------------------------------------------------------------------

_MONTHS_EN = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_EN = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_end(year: int, quarter: int) -> date:
    return _month_end(year, 3 * quarter)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _safe_month_end(year: int, month: int) -> date | None:
    return _month_end(year, month) if 1 <= month <= 12 else None


def _year_of(m: re.Match[str], today: date, group: str = "y") -> int:
    """Return the year named in the match (digits or 今年/明年…), else ``today``'s."""
    groups = m.groupdict()
    if groups.get(group):
        return int(groups[group])
    if groups.get("y2"):
        return int(groups["y2"])
    rel = groups.get("rel") or ""
    if rel.startswith("明"):
        return today.year + 1
    if rel.startswith("去"):
        return today.year - 1
    return today.year


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + day.month - 1 + months
    return index // 12, index % 12 + 1


def _is_next(rel: str | None) -> bool:
    return bool(rel) and (rel or "").lower().startswith(("下", "next"))


def _ymd(m: re.Match[str], today: date) -> date | None:
    return _safe_date(_year_of(m, today), int(m["m"]), int(m["d"]))


def _ym_end(m: re.Match[str], today: date) -> date | None:
    return _safe_month_end(_year_of(m, today), int(m["m"]))


def _before_start(m: re.Match[str]) -> bool:
    """True for "Q3前" / "before Q3": the day before the period starts, not its end ("Q3结束前" is its end)."""
    groups = m.groupdict()
    return bool(groups.get("before") or groups.get("bef"))


def _quarter(m: re.Match[str], today: date) -> date | None:
    year, quarter = _year_of(m, today), int(m["q"] or m["q2"])
    if _before_start(m):
        return _quarter_end(year, quarter - 1) if quarter > 1 else date(year - 1, 12, 31)
    return _quarter_end(year, quarter)


def _half(m: re.Match[str], today: date) -> date | None:
    year = _year_of(m, today)
    first = m["h"] in ("上", "1")
    if _before_start(m):
        return date(year - 1, 12, 31) if first else date(year, 6, 30)
    return date(year, 6, 30) if first else date(year, 12, 31)


_EN_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}


def _after(today: date, amount: Decimal, unit: str) -> date | None:
    """Return ``today`` plus ``amount`` days / weeks / months / years (``unit`` in Chinese or English)."""
    unit = unit.lower()
    if unit.startswith(("天", "日", "day")):
        return today + timedelta(days=int(amount))
    if unit.startswith(("周", "星期", "礼拜", "week")):
        return today + timedelta(weeks=int(amount))
    months = amount * 12 if unit.startswith(("年", "year")) else amount
    if months != months.to_integral_value():
        return None
    year, month = _add_months(today, int(months))
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def _working_days_after(today: date, count: int) -> date | None:
    """Return the ``count``-th working day after ``today`` by the Chinese statutory calendar (调休 included)."""
    import chinese_calendar

    day = today
    try:
        while count > 0:
            day += timedelta(days=1)
            if chinese_calendar.is_workday(day):
                count -= 1
    except NotImplementedError:  # a year the calendar does not know yet
        return None
    return day


def _duration(m: re.Match[str], today: date) -> date | None:
    raw = (m["n"] or "").lower()
    if m.groupdict().get("half"):
        amount = Decimal("0.5")
    elif raw in _EN_NUMBERS:
        amount = Decimal(_EN_NUMBERS[raw])
    else:
        amount = Decimal(raw) * (Decimal("1.5") if m.groupdict().get("andhalf") else 1)
    unit = m["u"]
    if "工作日" in unit or "working" in unit.lower() or "business" in unit.lower():
        return _working_days_after(today, int(amount)) if amount == amount.to_integral_value() else None
    if amount != amount.to_integral_value() and unit.startswith(("月", "month")):
        return today + timedelta(days=int(amount * 30))  # 半个月 = 15 days
    return _after(today, amount, unit)


# Lunar festivals for years ``chinesecalendar`` does not cover yet (its data ends
# with the last year the State Council has published): the festival day itself.
_LUNAR_FESTIVALS: dict[str, dict[int, date]] = {
    "spring_festival": {
        2027: date(2027, 2, 6),
        2028: date(2028, 1, 26),
        2029: date(2029, 2, 13),
        2030: date(2030, 2, 3),
        2031: date(2031, 1, 23),
        2032: date(2032, 2, 11),
        2033: date(2033, 1, 31),
        2034: date(2034, 2, 19),
        2035: date(2035, 2, 8),
    },
    "dragon_boat_festival": {
        2027: date(2027, 6, 9),
        2028: date(2028, 5, 28),
        2029: date(2029, 6, 16),
        2030: date(2030, 6, 5),
        2031: date(2031, 6, 24),
        2032: date(2032, 6, 12),
        2033: date(2033, 6, 1),
        2034: date(2034, 6, 20),
        2035: date(2035, 6, 10),
    },
    "mid_autumn_festival": {
        2027: date(2027, 9, 15),
        2028: date(2028, 10, 3),
        2029: date(2029, 9, 22),
        2030: date(2030, 9, 12),
        2031: date(2031, 10, 1),
        2032: date(2032, 9, 19),
        2033: date(2033, 9, 8),
        2034: date(2034, 9, 27),
        2035: date(2035, 9, 16),
    },
}
_HOLIDAY_NAMES = {
    "元旦": "new_years_day",
    "new year": "new_years_day",
    "春节": "spring_festival",
    "过年": "spring_festival",
    "chinese new year": "spring_festival",
    "lunar new year": "spring_festival",
    "spring festival": "spring_festival",
    "清明": "tomb_sweeping_day",
    "五一": "labour_day",
    "劳动节": "labour_day",
    "labour day": "labour_day",
    "labor day": "labour_day",
    "端午": "dragon_boat_festival",
    "dragon boat festival": "dragon_boat_festival",
    "中秋": "mid_autumn_festival",
    "mid-autumn festival": "mid_autumn_festival",
    "国庆": "national_day",
    "national day": "national_day",
}


def _festival_day(key: str, year: int) -> date | None:
    """Return the festival's own day in ``year`` (solar ones fixed, 清明 from its solar term, lunar from a table)."""
    fixed = {"new_years_day": (1, 1), "labour_day": (5, 1), "national_day": (10, 1)}
    if key in fixed:
        return date(year, *fixed[key])
    if key == "tomb_sweeping_day":
        import chinese_calendar

        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
        return next((d for d, name in terms if name == "清明"), None)
    return _LUNAR_FESTIVALS.get(key, {}).get(year)


def _holiday_start(key: str, year: int) -> date | None:
    """Return the first day off of the festival's statutory break in ``year``, or its own day.

    ``chinesecalendar`` knows the breaks the State Council has published (a
    Spring Festival break often starts before 除夕); for a later year the
    festival's own day stands in.
    """
    import chinese_calendar

    festival = _festival_day(key, year)
    try:
        holiday = chinese_calendar.Holiday[key]
        start, end = date(year, 1, 1), date(year, 12, 31)
        days = [
            d
            for d in chinese_calendar.get_holidays(start, end)
            if chinese_calendar.get_holiday_detail(d)[1] == holiday.value
        ]
    except (NotImplementedError, KeyError):
        return festival
    return min(days) if days else festival


def _holiday(m: re.Match[str], today: date) -> date | None:
    """``春节前``: the day before the festival's break; without a year, the next break after ``today``."""
    said = " ".join(m["hol"].lower().split())
    key = _HOLIDAY_NAMES[next(k for k in _HOLIDAY_NAMES if said.startswith(k))]
    if m["y"] or m["y2"] or m["rel"]:
        start = _holiday_start(key, _year_of(m, today))
        return start - timedelta(days=1) if start else None
    for year in (today.year, today.year + 1):
        start = _holiday_start(key, year)
        if start is not None and start > today:
            return start - timedelta(days=1)
    return None


def _year_end(m: re.Match[str], today: date) -> date | None:
    return date(_year_of(m, today), 12, 31)


def _rel_month(m: re.Match[str], today: date) -> date | None:
    year, month = _add_months(today, 1 if _is_next(m["rel"]) else 0)
    if m["d"]:
        return _safe_date(year, month, int(m["d"]))
    return _month_end(year, month)


def _rel_quarter(m: re.Match[str], today: date) -> date | None:
    quarter = (today.month - 1) // 3 + 1
    year = today.year
    if _is_next(m["rel"]):
        quarter += 1
        if quarter == 5:
            year, quarter = year + 1, 1
    return _quarter_end(year, quarter)


def _rel_week(m: re.Match[str], today: date) -> date | None:
    monday = today - timedelta(days=today.weekday())
    if _is_next(m["rel"]):
        monday += timedelta(days=7)
    wd = m["wd"]
    weekday = 7 if wd is None or wd in "日天" else int(wd)  # 周末/周内: up to Sunday
    return monday + timedelta(days=weekday - 1)


def _en_mdy(m: re.Match[str], today: date) -> date | None:
    return _safe_date(int(m["y"]), _MONTHS_EN[m["mon"][:3].lower()], int(m["d"]))


def _en_month_end(m: re.Match[str], today: date) -> date | None:
    return _month_end(int(m["y"]), _MONTHS_EN[m["mon"][:3].lower()])


def _en_rel_period(m: re.Match[str], today: date) -> date | None:
    step = 1 if _is_next(m["rel"]) else 0
    unit = m["unit"].lower()
    if unit == "month":
        return _month_end(*_add_months(today, step))
    if unit == "quarter":
        year, month = _add_months(today, 3 * step)
        return _quarter_end(year, (month - 1) // 3 + 1)
    return date(today.year + step, 12, 31)


def _en_weekday(m: re.Match[str], today: date) -> date | None:
    monday = today - timedelta(days=today.weekday())
    if _is_next(m["rel"]):
        monday += timedelta(days=7)
    return monday + timedelta(days=_WEEKDAYS_EN.index(m["wd"].lower()))


_Resolver = Callable[[re.Match[str], date], date | None]
_REL_YEAR = r"(?P<rel>今年|本年|明年|去年)"
_DEADLINE_PATTERNS: tuple[tuple[re.Pattern[str], _Resolver], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), resolver)
    for pattern, resolver in (
        # 2024-09-30, 2024/9/30, 2024.9.30
        (r"(?<!\d)(?P<y>\d{4})\s*[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})(?!\d)", _ymd),
        # 2024年9月30日
        (r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]", _ymd),
        # 2024年9月(底)
        (r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月(?:份)?(?:底|末)?", _ym_end),
        # (今年)9月30日 — the look-behind keeps 每年9月30日 (recurring) out
        (rf"(?<![\d年]){_REL_YEAR}?(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*[日号]", _ymd),
        # (今年)9月底
        (rf"(?<![\d年]){_REL_YEAR}?(?P<m>\d{{1,2}})\s*月(?:份)?\s*(?:底|末)", _ym_end),
        # 2024年Q3末, 2024年第3季度末, 第3季度末, Q3末, (by the) end of Q3 2024
        (
            r"(?:\b(?:the\s+)?end\s+of\s+(?:the\s+)?)?"
            rf"(?:(?P<y>\d{{4}})\s*年?\s*(?:度\s*)?|{_REL_YEAR}\s*)?"
            r"(?:(?<![A-Za-z])Q(?P<q>[1-4])(?!\d)|(?<!每)第?\s*(?P<q2>[1-4])\s*季度?)"
            r"(?:\s*[/-]?\s*(?P<y2>\d{4})(?!\d))?\s*(?:末|底|结束前|结束|内|(?P<before>之前|以前|前))?",
            _quarter,
        ),
        # before Q3 (2027): the day before Q3 starts
        (
            r"\b(?P<bef>before)\s+(?:the\s+)?(?:(?P<y>\d{4})\s*)?Q(?P<q>[1-4])(?P<q2>)(?!\d)"
            r"(?:\s*[/-]?\s*(?P<y2>\d{4})(?!\d))?",
            _quarter,
        ),
        # 2024年上半年, 下半年末, 2027年H1, H2 2027, (by the) end of H2 2027, before H2
        (
            rf"(?:(?P<y>\d{{4}})\s*年\s*(?:度\s*)?|{_REL_YEAR}\s*)?(?P<h>上|下)半年(?:度)?"
            r"(?:末|底|结束前|内|(?P<before>之前|以前|前))?",
            _half,
        ),
        (
            r"(?:\b(?P<bef>before)\s+(?:the\s+)?|\b(?:the\s+)?end\s+of\s+(?:the\s+)?)?"
            rf"(?:(?P<y>\d{{4}})\s*年?\s*|{_REL_YEAR}\s*)?(?<![A-Za-z])H(?P<h>[12])(?![\dA-Za-z])"
            r"(?:\s*[/-]?\s*(?P<y2>\d{4})(?!\d))?\s*(?:末|底|结束前|内|(?P<before>之前|以前|前))?",
            _half,
        ),
        # 春节前, 2027年五一前, 国庆节前, before Chinese New Year 2027
        (
            rf"(?:(?P<y>\d{{4}})\s*年\s*|{_REL_YEAR}\s*)?(?P<hol>元旦|春节|过年|清明|五一|劳动节|端午|中秋|国庆)"
            r"(?:节|假期|长假|小长假|黄金周)?(?P<y2>)\s*(?:之前|以前|前)",
            _holiday,
        ),
        (
            r"\bbefore\s+(?:the\s+)?(?P<rel>)(?P<y>)(?P<hol>chinese\s+new\s+year|lunar\s+new\s+year|spring\s+festival"
            r"|national\s+day|labou?r\s+day|dragon\s+boat\s+festival|mid-autumn\s+festival|new\s+year)"
            r"(?:\s+holidays?)?(?:\s*,?\s*(?P<y2>\d{4})(?!\d))?",
            _holiday,
        ),
        # 2024年底, 2024年度末, 2024年内
        (r"(?P<y>\d{4})\s*年\s*(?:度\s*)?(?:年底|年末|底|末|内|年内|结束前)", _year_end),
        # 今年底, 明年年末, 年底, 年内 (not 每年年底, not 3年内)
        (
            r"(?<!每)(?:(?P<rel>今年|本年度?|明年|当年)\s*(?:年底|年末|底|末|内|度末)"
            r"|(?<![\d每今明本当])(?:年底|年末|年内))",
            _year_end,
        ),
        # 本月底, 下月15日前, 下个月底, 月底
        (
            r"(?<!每)(?:(?P<rel>下一个|下个|下|本|这个|这|当)月\s*(?:(?P<d>\d{1,2})\s*[日号]|底|末)"
            r"|(?<![\d每本这当下个一])月(?:底|末))",
            _rel_month,
        ),
        # 本季度(末), 下季度末
        (r"(?<!每)(?P<rel>下一个|下个|下一|下|本|这个|这一|这|当)\s*季度?(?:末|底|内|结束前)?", _rel_quarter),
        # 本周五, 下周五前, 下周末
        (
            r"(?<!每)(?P<rel>下一个|下个|下|本|这个|这)\s*(?:周|星期|礼拜)\s*(?:(?P<wd>[1-7日天])|末|内)",
            _rel_week,
        ),
        # September 30, 2024
        (rf"\b{_MONTH_EN}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(?P<y>\d{{4}})\b", _en_mdy),
        # 30 September 2024
        (rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_EN}\s*,?\s*(?P<y>\d{{4}})\b", _en_mdy),
        # (end of) September 2024
        (rf"\b(?:(?:the\s+)?end\s+of\s+)?{_MONTH_EN}\s*,?\s*(?P<y>\d{{4}})\b", _en_month_end),
        # (by) the end of 2024, by 2024 (not the start of 2024-09-30)
        (r"\b(?:the\s+)?end\s+of\s+(?:the\s+)?(?:year\s+)?(?P<y>\d{4})\b(?!\s*[-/.]\s*\d)", _year_end),
        (r"\b(?:by|before)\s+(?P<y>\d{4})\b(?!\s*[-/.]\s*\d)", _year_end),
        # end of this/next month/quarter/year, next month's end, year-end
        (r"\bend\s+of\s+(?:(?P<rel>this|next|the)\s+)?(?P<unit>month|quarter|year)\b", _en_rel_period),
        (r"\b(?P<rel>this|next)\s+(?P<unit>month|quarter|year)['’]?s\s+end\b", _en_rel_period),
        (r"\b(?P<rel>)(?P<unit>month|quarter|year)[-\s]end\b", _en_rel_period),
        # by (this|next) Friday
        (
            r"\b(?P<rel>this|next)\s+(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
            _en_weekday,
        ),
    )
)


# 十天内, 3个月内, 半年内, 1个半月内, 10个工作日内; within 4 weeks, in the next 3 months.
# Hours and minutes are never deadlines: they are conditions (24小时内闭环) or SLAs.
_DURATIONS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"(?:(?P<half>半)|(?<![\d.])(?P<n>\d{1,3})(?P<andhalf>个半)?)\s*个?\s*(?P<u>工作日|天|日|周|星期|礼拜|月|年)"
        r"\s*(?:之内|以内|内)"
    ),
    re.compile(
        r"\b(?:within|in)\s+(?:the\s+next\s+)?(?P<n>\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten"
        r"|eleven|twelve)\s+(?P<u>business\s+days?|working\s+days?|days?|weeks?|months?|years?)\b",
        re.IGNORECASE,
    ),
)
# What makes a duration a condition of a metric or a recurring limit, not the goal's deadline:
# 80%的投诉在3天内闭环, 接到需求后5天内, 每2周内, "80% of complaints within 5 days", "each week".
_DURATION_QUALIFIERS = re.compile(
    r"每|%\s*(?:以上\s*)?的|(?<![今此以])后|接到|收到|% of|percent of|\beach\b|\bevery\b|\bper\b|\bafter\b"
    r"|\breceiving\b|\bof\s+(?:being\s+)?(?:reported|received|opened|logged)",
    re.IGNORECASE,
)


def _duration_is_deadline(text: str, m: re.Match[str]) -> bool:
    """Return True when the duration limits the whole goal ("十天内完成上线"), not a metric's condition."""
    clause = _CLAUSE_END.split(text[: m.start()])[-1]
    if _DURATION_QUALIFIERS.search(clause):
        return False
    # 3天内闭环率, within 24 hours response rate: the duration is part of a metric's name.
    after = text[m.end() : m.end() + 8]
    return not re.match(r"[\u4e00-\u9fff]{0,4}率", after)


def _resolve(resolver: _Resolver, m: re.Match[str], today: date) -> date | None:
    """Return the date a phrase names, or None for one outside the calendar (year 0000, 9999年底 + 1 …)."""
    try:
        return resolver(m, today)
    except (ValueError, OverflowError):
        return None


def _find_deadlines(text: str, today: date) -> tuple[date | None, list[tuple[int, int]]]:
    """Return the latest deadline in ``text`` and the spans of every date-like phrase.

    Overlapping matches are settled leftmost-longest, so ``2024年9月30日`` is
    one date, not also ``9月30日``. Spans are returned even for impossible dates
    so that their numbers are not read as metrics.
    """
    candidates: list[tuple[int, int, date | None]] = []
    for pattern, resolver in _DEADLINE_PATTERNS:
        for m in pattern.finditer(text):
            if m.end() > m.start():
                candidates.append((m.start(), m.end(), _resolve(resolver, m, today)))
    for pattern in _DURATIONS:
        for m in pattern.finditer(text):
            if _duration_is_deadline(text, m):
                candidates.append((m.start(), m.end(), _resolve(_duration, m, today)))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    kept: list[tuple[int, int, date | None]] = []
    for cand in candidates:
        if kept and cand[0] < kept[-1][1]:
            continue
        kept.append(cand)
    dates = [d for _s, _e, d in kept if d is not None]
    return (max(dates) if dates else None), [(s, e) for s, e, _d in kept]


_AFTER_DATE = re.compile(r"\s*(?:之前|以前|前|为止|止|以内|之内|内)")


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Replace each date phrase (with a trailing 前/为止/内) by a comma.

    A comma, not a blank: a date ends a clause, so it never becomes part of a
    metric's name ("2024年9月30日前将时长…" names "时长", not "前将时长").
    """
    out = list(text)
    for start, end in spans:
        after = _AFTER_DATE.match(text, end)
        end = after.end() if after else end
        out[start:end] = [","] + [""] * (end - start - 1)
    return "".join(out)


# --------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------

_MULTIPLIERS = {
    "千万": Decimal(10) ** 7,
    "百万": Decimal(10) ** 6,
    "万": Decimal(10) ** 4,
    "亿": Decimal(10) ** 8,
    "千": Decimal(10) ** 3,
    "百": Decimal(10) ** 2,
    "k": Decimal(10) ** 3,
    "thousand": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
}


def _num(name: str) -> str:
    """Regex for a number (Arabic digits, optional thousands commas and multiplier) in group ``name``."""
    return (
        rf"(?P<{name}>(?<![\d.])\d{{1,3}}(?:,\d{{3}})+(?!\d)(?:\.\d+)?|(?<![\d.])\d+(?:\.\d+)?)"
        rf"\s*(?P<{name}_x>千万|百万|万|亿|千(?![克米瓦])|百(?!分)|k(?![a-z])"
        rf"|\s?(?:thousand|million|billion)\b)?"
    )


# Longest first: 分钟 before 分, 人次 before 人.
_CN_UNITS = (
    "个百分点|百分点|个工作日|工作日|个小时|小时|分钟|个月|星级|颗星|人次|%|‰|元|分|秒|天|日|周"
    "|月|年|倍|件|个|次|人|家|单|项|台|套|笔|户|篇|场|条|份|辆|吨|公里|米|星"
    "|张|所|座|间|位|名|批|款|本|册|棵|株|只|箱|包|盒|瓶|块|处|栋|幢|层|门|节|期|轮|例|宗|起|架|艘|部|平方米|平米|亩"
)
_EN_UNITS = (
    r"%|(?:percent|percentage\s+points?|hours?|hrs?|h|business\s+days?|working\s+days?|days?"
    r"|minutes?|mins?|weeks?|months?|years?|points?|pts|stars?|seconds?|secs?|yuan|rmb|usd"
    r"|dollars?|times)\b"
)


def _unit(name: str) -> str:
    return rf"(?P<{name}>{_CN_UNITS}|{_EN_UNITS})"


def _scale(name: str) -> str:
    """Regex for "out of N" after a target: (满分5分), /5, (5分制), (out of 5)."""
    return (
        rf"(?:\s*\(?\s*满分\s*(?:为|是)?\s*{_num(name)}\s*分?\s*\)?"
        rf"|\s*/\s*{_num(name + 'b')}\s*分?"
        rf"|\s*\(?\s*{_num(name + 'c')}\s*分制\s*\)?"
        rf"|\s*\(?\s*out\s+of\s+{_num(name + 'd')}\s*\)?"
        rf"|\s+on\s+an?\s+{_num(name + 'e')}[-\s]point\s+scale)?"
    )


_INC_CN = "提升|提高|增加|增长|上升|扩大|上调|拉高|增至|新增"
_DEC_CN = "缩短|降低|减少|下降|压缩|削减|缩减|压降|下调|控制"
_REACH_CN = "达到|实现|保持|稳定|维持|改善|改进|优化|变为|变成"
_INC_EN = "increase|increases|raise|raises|improve|improves|grow|grows|boost|boosts|lift|lifts|expand|expands"
_DEC_EN = (
    "reduce|reduces|cut|cuts|decrease|decreases|lower|lowers|shorten|shortens|drop|drops"
    "|bring\\s+down|brings\\s+down"
)
_REACH_EN = "reach|reaches|achieve|achieves|hit|hits|maintain|maintains|keep|keeps|get|gets"

_DIRECTION_WORDS: tuple[tuple[re.Pattern[str], Direction], ...] = (
    (re.compile(rf"{_INC_CN}|[增升]|\b(?:{_INC_EN})\b", re.IGNORECASE), "increase"),
    (re.compile(rf"{_DEC_CN}|[降减]|\b(?:{_DEC_EN})\b", re.IGNORECASE), "decrease"),
    (re.compile(rf"{_REACH_CN}|达|\b(?:{_REACH_EN})\b", re.IGNORECASE), "reach"),
)
_BOUND_WORDS: tuple[tuple[re.Pattern[str], Direction], ...] = (
    (re.compile(r"不低于|不少于|高于|超过|以上|at\s+least|or\s+more|above", re.IGNORECASE), "increase"),
    (
        re.compile(r"不超过|不高于|低于|少于|以内|以下|之内|at\s+most|or\s+less|below|under", re.IGNORECASE),
        "decrease",
    ),
)

# 从48小时缩短至24小时, 由3.8分提升到4.5分, 从48到24小时
_RANGE_CN = re.compile(
    rf"(?:从|由)\s*{_num('b')}\s*{_unit('ub')}?\s*(?:的\s*)?"
    rf"(?P<verb>{_INC_CN}|{_DEC_CN}|{_REACH_CN}|[增升降减])?\s*(?:到|至|为|成)\s*"
    rf"{_num('t')}\s*{_unit('u')}?{_scale('s')}"
)
# from 48 hours to 24 hours
_RANGE_EN = re.compile(
    rf"\bfrom\s+{_num('b')}\s*{_unit('ub')}?\s+(?:down\s+|up\s+)?to\s+{_num('t')}\s*{_unit('u')}?{_scale('s')}",
    re.IGNORECASE,
)
# 80%的投诉在24小时内闭环 — the share's subject runs to the end of the clause
_SHARE_CN = re.compile(
    rf"{_num('t')}\s*(?P<u>%)\s*(?:以上\s*)?的\s*(?P<rest>[^,;:。!?\n]+?)"
    r"(?=$|[,;:。!?\n]|并且|并将|并使|同时|以及)"
)
# 80% of complaints (closed) within 24 hours
_SHARE_EN = re.compile(
    rf"{_num('t')}\s*(?P<u>%|percent\b)\s+of\s+(?P<rest>[^,;:!?\n]+?)"
    r"(?=\s*$|\s*[,;:!?\n]|\.(?!\d)|\s+(?:and|while|then|plus)\b)",
    re.IGNORECASE,
)
# 提升至4.5分(满分5分), 销售额提升30%, 控制在24小时以内; one-character verbs need 至/到.
_VERB_CN = re.compile(
    rf"(?:(?P<verb>{_INC_CN}|{_DEC_CN}|{_REACH_CN}|达)\s*(?:到|至|为|在|成)?|(?P<verb1>[增升降减])\s*(?:到|至|为))"
    rf"\s*(?P<pre>不低于|不少于|不超过|不高于|低于|高于|超过)?\s*{_num('t')}\s*{_unit('u')}?"
    rf"(?P<bound>以上|以下|以内|之内)?{_scale('s')}"
)
# raise customer satisfaction to 4.5 (out of 5), increase sales by 30%
_VERB_EN = re.compile(
    rf"\b(?P<verb>{_INC_EN}|{_DEC_EN}|{_REACH_EN})\s+(?P<noun>(?:(?!\b(?:to|by|from)\b)[a-z'\- ]){{1,60}}?)"
    rf"\s+(?:to|by)\s+(?P<pre>at\s+least\s+|at\s+most\s+)?{_num('t')}\s*{_unit('u')}?{_scale('s')}",
    re.IGNORECASE,
)
# 新增用户10万, 完成签约客户50家: the verb counts things, so it belongs to the name.
_COUNT_VERBS_CN = ("新增", "增加", "发展", "获取", "拓展", "签约", "引进", "招募", "招聘")
_NOUN_VERBS_CN = "|".join(_COUNT_VERBS_CN) + "|完成|实现|覆盖|服务|培训|上线|开发"
# 提升效率20%, 降低成本10%, 提升客户满意度至4.5分: the verb changes the noun.
_CHANGE_VERBS_CN = "提升|提高|增长|扩大|缩短|降低|减少|压缩|削减|缩减|压降"
_VERB_NOUN_CN = re.compile(
    rf"(?P<verb>{_NOUN_VERBS_CN}|{_CHANGE_VERBS_CN})"
    r"(?P<noun>(?:(?![的为至到在从由将把内前后])[\u4e00-\u9fff]){1,10}?)\s*(?P<to>到|至|为)?"
    rf"\s*{_num('t')}\s*{_unit('u')}?{_scale('s')}"
)
# reach 100,000 users
_VERB_NUM_EN = re.compile(
    rf"\b(?P<verb>reach|achieve|hit|acquire|gain|add|sign|onboard|serve|win)\s+{_num('t')}\s*(?P<u>%|percent\b)?"
    r"\s*(?P<noun>[a-z][a-z\- ]{0,40}?)(?=$|[,;:.!?\n]|\s+(?:by|before|in|within|and|per)\b)",
    re.IGNORECASE,
)
# A change relative to the baseline: 翻一番 (normalised 翻1番), 缩短一半, 减半, 提高15个百分点, 降低20%, 增长一倍.
_CHANGE_PART_CN = (
    r"(?:(?P<fan>翻)\s*(?P<fann>\d+)\s*番|(?P<halfverb>缩短|降低|减少|下降|压缩|削减|缩减|压降|降|减)\s*(?:了\s*)?一半"
    rf"|(?P<halved>减半|砍半)|(?P<cverb>{_INC_CN}|{_DEC_CN}|[增升降减])\s*(?:了\s*)?{_num('c')}\s*"
    r"(?P<cu>个百分点|百分点|%|倍)(?!\s*(?:以上|以下|以内|之内|的)))"
)
# 处理时长从8天缩短一半, 营收从3000万元翻一番, 满意率从60%提高15个百分点, 成本从500万元降低20%
_CHANGE_RANGE_CN = re.compile(
    rf"(?:从|由)\s*{_num('b')}\s*{_unit('ub')}?\s*(?:的\s*)?(?:基础上\s*)?(?:再\s*)?{_CHANGE_PART_CN}"
)
# 销售额提升20%, 营收翻一番, 处理时长缩短一半 (no baseline: the change is recorded, the target left empty)
_CHANGE_CN = re.compile(_CHANGE_PART_CN)
# cut costs (from 5 million yuan) by 20%, raise the pass rate by 15 percentage points
_CHANGE_EN = re.compile(
    rf"\b(?P<cverb>{_INC_EN}|{_DEC_EN})\s+(?P<noun>(?:(?!\b(?:to|by|from)\b)[a-z'\- ]){{1,60}}?)"
    rf"(?:\s+from\s+{_num('b')}\s*{_unit('ub')}?)?\s+by\s+{_num('c')}\s*"
    r"(?P<cu>%|percent\b|percentage\s+points?\b)",
    re.IGNORECASE,
)
# double revenue, halve the handling time (from 8 days)
_FACTOR_EN = re.compile(
    r"\b(?P<fverb>double|doubles|triple|triples|quadruple|quadruples|halve|halves)\s+"
    r"(?P<noun>(?:(?!\b(?:to|by|from|within|before|in)\b)[a-z'\- ]){1,60}?)"
    rf"(?:\s+from\s+{_num('b')}\s*{_unit('ub')}?)?(?=\s*$|\s*[,;:.!?\n]|\s+(?:by|before|within|in|and)\b)",
    re.IGNORECASE,
)
_FACTOR_WORDS: dict[str, Decimal] = {
    "double": Decimal(2),
    "triple": Decimal(3),
    "quadruple": Decimal(4),
    "halve": Decimal("0.5"),
}
# "with 99.95% availability", "at 98% on-time delivery": a share named after it.
_OUTCOME_EN = re.compile(
    rf"\b(?:with|at)\s+(?:an?\s+)?{_num('t')}\s*(?P<u>%|percent\b)\s+(?P<noun>(?!of\b)[a-z][a-z\- ]{{0,40}}?)"
    r"(?=\s*$|\s*[,;:.!?\n]|\s+(?:by|before|in|within|and|for|per|on)\b)",
    re.IGNORECASE,
)
# 新开8家网点, 发放300张优惠券, 覆盖80万用户: a counting verb, a number, a measure word, the thing counted.
_MEASURE_CN = (
    "人次|个|件|次|人|家|单|项|台|套|笔|户|篇|场|条|份|辆|张|所|座|间|位|名|批|款|本|册|棵|株|只|箱|包|盒|瓶"
    "|块|处|栋|幢|层|门|节|期|轮|例|宗|起|架|艘|部"
)
_COUNT_INCREASE_CN = "新增|新开|新建|增加|增设|新设|发展|获取|拓展|签约|引进|招募|招聘|吸引"
_COUNT_CN = re.compile(
    rf"(?P<verb>{_COUNT_INCREASE_CN}|开设|开通|建成|建设|发放|发行|销售|售出|卖出|覆盖|培训|服务|上线|交付|部署|安装"
    r"|举办|开展|落地|收集|处理|回收|打造|改造|铺设|投放|办理|完成|累计服务|累计)"
    rf"\s*{_num('t')}\s*(?P<u>{_MEASURE_CN})?\s*(?P<noun>(?:(?![的为至到在从由将把内前后和及与并])[\u4e00-\u9fff]){{1,8}}?)"
    r"(?=$|[,;:。!?\n、]|和|及|与|并|以上|,)"
)
_CONDITION_CN = re.compile(
    r"(?:在|于)?\s*(?P<cond>\d+(?:\.\d+)?\s*个?\s*(?:小时|分钟|工作日|天|日|周|月|秒)\s*(?:以内|之内|内))"
)
_CONDITION_EN = re.compile(
    r"\s*(?P<cond>within\s+\d+(?:\.\d+)?\s*(?:hours?|hrs?|h|business\s+days?|working\s+days?|days?|minutes?"
    r"|mins?|weeks?|months?)\b)",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;:。!?\n]")
# Connectors stripped from the ends of a metric's name. Deliberately short:
# a single character such as 使, 及, 需 or 并 also starts real nouns (使用率,
# 及时率, 需求, 并发量), so only unambiguous words are listed.
_LEADING_CN = re.compile(
    r"^(?:目标为|目标是|本次|力争|力求|争取|确保|保证|实现|推动|促进|促使|使得|将|把|并且|并(?=[将把使让确实保推促力争])"
    r"|且|同时|以及|其中|需要|进一步|一起|共同|全面|持续|切实|尽快|尽早|努力|大力|的|\s|[\"'“”‘’「」])+"
)
_TRAILING_CN = re.compile(r"(?:的|由|将|把|\s|[\"'“”‘’「」])+$")
_LEADING_EN = re.compile(
    r"^(?:(?:and|then|also|to|we|will|should|must|ensure|make\s+sure|the|our|a|an|by)\b\s*|[\s\"'])+",
    re.IGNORECASE,
)
_TRAILING_EN = re.compile(r"(?:\s+(?:by|before|in|and|within|until|on|of|the))+$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    metric: MetricProposal
    # The direction the verb states, when it contradicts the numbers (G05).
    contradicted: bool = False


def _decimal(m: re.Match[str], name: str) -> Decimal | None:
    raw = m.groupdict().get(name)
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None
    factor = (m.groupdict().get(f"{name}_x") or "").strip().lower()
    if factor:
        value *= _MULTIPLIERS[factor]
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _scale_max(m: re.Match[str]) -> Decimal | None:
    for name in ("s", "sb", "sc", "sd", "se"):
        value = _decimal(m, name)
        if value is not None:
            return value
    return None


def _norm_unit(unit: str | None) -> str:
    if not unit:
        return ""
    unit = unit.strip()
    if unit.startswith("个") and unit != "个" and unit != "个月":
        unit = unit[1:]  # 个小时 → 小时, 个工作日 → 工作日
    low = unit.lower()
    return "%" if low == "percent" else low if unit.isascii() else unit


def _verb_direction(verb: str | None) -> Direction | None:
    if not verb:
        return None
    for pattern, direction in _DIRECTION_WORDS:
        if pattern.fullmatch(verb.strip()) or pattern.match(verb.strip()):
            return direction
    return None


def _bound_direction(*words: str | None) -> Direction | None:
    for word in words:
        if not word:
            continue
        for pattern, direction in _BOUND_WORDS:
            if pattern.search(word):
                return direction
    return None


def _prefix(text: str, start: int, floor: int) -> str:
    """Return the clause text before ``start``: from the last clause break (or ``floor``)."""
    head = text[floor:start]
    breaks = list(_CLAUSE_END.finditer(head))
    return head[breaks[-1].end() :] if breaks else head


def _clean_name(name: str) -> str:
    name = name.strip()
    previous = None
    while previous != name:
        previous = name
        name = _LEADING_CN.sub("", name)
        name = _LEADING_EN.sub("", name)
        name = _TRAILING_CN.sub("", name).strip()
        name = _TRAILING_EN.sub("", name).strip()
    return re.sub(r"\s+", " ", name)


def _strip_leading_verb(name: str) -> tuple[str, str | None]:
    """Split an English prefix such as "reduce average handling time" into (name, verb)."""
    m = re.match(rf"(?P<verb>{_INC_EN}|{_DEC_EN}|{_REACH_EN})\b\s*", name, re.IGNORECASE)
    if m is None:
        return name, None
    return name[m.end() :], m["verb"]


def _direction_from_numbers(baseline: Decimal | None, target: Decimal | None) -> Direction:
    if baseline is None or target is None or baseline == target:
        return "reach"
    return "decrease" if target < baseline else "increase"


def _range_hit(m: re.Match[str], text: str, floor: int) -> _Hit:
    baseline, target = _decimal(m, "b"), _decimal(m, "t")
    unit = _norm_unit(m["u"] or m["ub"])
    prefix = _clean_name(_prefix(text, m.start(), floor))
    prefix, en_verb = _strip_leading_verb(prefix)
    prefix = _clean_name(prefix)
    stated = _verb_direction(m.groupdict().get("verb")) or _verb_direction(en_verb)
    by_numbers = _direction_from_numbers(baseline, target)
    # The verb says what "better" means; the numbers decide only when the verb does not.
    direction: Direction = stated if stated is not None and stated != "reach" else by_numbers
    contradicted = direction != by_numbers and by_numbers != "reach"
    name = prefix or m.group().strip()
    metric = MetricProposal(
        name=name, baseline=baseline, target=target, unit=unit, direction=direction, scale_max=_scale_max(m)
    )
    return _Hit(m.start(), m.end(), metric, contradicted)


def _share_hit(m: re.Match[str], text: str, floor: int, english: bool) -> _Hit:
    rest = m["rest"].strip()
    cond_re = _CONDITION_EN if english else _CONDITION_CN
    cond = cond_re.search(rest)
    condition = ""
    if cond is not None:
        condition = re.sub(r"\s+", "" if not english else " ", cond["cond"]).strip()
        rest = (
            (rest[: cond.start()] + " " + rest[cond.end() :]).strip()
            if english
            else (rest[: cond.start()] + rest[cond.end() :])
        )
    if english:
        # "resolve 80% of complaints within 24 hours" → "resolve complaints"
        name = _clean_name(f"{_clean_name(_prefix(text, m.start(), floor))} {rest}")
    else:
        name = _clean_name(rest)
        if name and not name.endswith(("率", "比例", "占比", "比重")):
            name += "率"  # 投诉闭环 → 投诉闭环率: the share is a rate of the subject
    metric = MetricProposal(
        name=name or m.group().strip(),
        baseline=None,
        target=_decimal(m, "t"),
        unit="%",
        direction="reach",
        condition=condition,
    )
    return _Hit(m.start(), m.end(), metric)


def _verb_hit(m: re.Match[str], text: str, floor: int, english: bool) -> _Hit:
    verb = m["verb"] or m.groupdict().get("verb1")
    direction = (
        _bound_direction(m.groupdict().get("pre"), m.groupdict().get("bound"))
        or _verb_direction(verb)
        or "reach"
    )
    if english:
        name = _clean_name(m["noun"])
    else:
        name = _clean_name(_prefix(text, m.start(), floor))
        if not name and verb == "新增":
            # 新增10万用户: the noun follows the number
            tail = re.match(r"\s*([\u4e00-\u9fff]{1,6})", text[m.end() :])
            name = f"{verb}{tail.group(1)}" if tail else ""
    metric = MetricProposal(
        name=name or m.group().strip(),
        baseline=None,
        target=_decimal(m, "t"),
        unit=_norm_unit(m["u"]),
        direction=direction,
        scale_max=_scale_max(m),
    )
    return _Hit(m.start(), m.end(), metric)


def _verb_noun_hit(m: re.Match[str], text: str, floor: int, english: bool) -> _Hit:
    verb = m["verb"]
    if english:
        name = _clean_name(m["noun"]) or verb
        direction: Direction = (
            "increase" if verb.lower() in ("acquire", "gain", "add", "sign", "onboard", "win") else "reach"
        )
    elif verb in _COUNT_VERBS_CN:
        name, direction = f"{verb}{m['noun']}", "increase"
    else:
        stated = _verb_direction(verb)
        name, direction = (m["noun"], stated) if stated is not None else (f"{verb}{m['noun']}", "reach")
        unit = _norm_unit(m["u"])
        if stated in ("increase", "decrease") and not m["to"] and unit in ("%", "百分点", "个百分点"):
            # 降低成本10%: by 10 % of today's cost, not to 10 %.
            kind: ChangeKind = "percent" if unit == "%" else "points"
            metric = MetricProposal(
                name=name,
                baseline=None,
                target=None,
                unit="%" if kind == "points" else "",
                direction=stated,
                change=_decimal(m, "t"),
                change_kind=kind,
            )
            return _Hit(m.start(), m.end(), metric)
    metric = MetricProposal(
        name=name,
        baseline=None,
        target=_decimal(m, "t"),
        unit=_norm_unit(m["u"]),
        direction=direction,
        scale_max=_scale_max(m),
    )
    return _Hit(m.start(), m.end(), metric)


def _exact(value: Decimal) -> Decimal:
    """Return ``value`` as _decimal writes numbers: 80, not 80.0 (huge values are left normalised)."""
    try:
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
    except InvalidOperation:
        return value.normalize()


def _change_of(m: re.Match[str]) -> tuple[ChangeKind, Decimal, Direction] | None:
    """Return (kind, value, direction) of the relative change a match states, or None."""
    groups = m.groupdict()
    if groups.get("fan"):
        times = int(groups["fann"])
        # 翻一番 doubles, 翻两番 quadruples; 翻0番 or 翻99番 is no goal anybody sets.
        return ("factor", Decimal(2) ** times, "increase") if 1 <= times <= 10 else None
    if groups.get("halfverb") or groups.get("halved"):
        return "factor", Decimal("0.5"), "decrease"
    if groups.get("fverb"):
        factor = _FACTOR_WORDS[groups["fverb"].lower().rstrip("s")]
        return "factor", factor, "increase" if factor > 1 else "decrease"
    value = _decimal(m, "c")
    direction = _verb_direction(groups.get("cverb"))
    if value is None or direction not in ("increase", "decrease"):
        return None
    unit = (groups.get("cu") or "").lower()
    if unit == "倍":
        # 增长一倍 is twice the baseline: the baseline plus one time itself.
        return ("factor", value + 1, "increase") if direction == "increase" and value > 0 else None
    if "点" in unit or unit.startswith(("point", "pts", "percentage")):
        return "points", value, direction
    return "percent", value, direction


def _apply_change(baseline: Decimal, kind: ChangeKind, value: Decimal, direction: Direction) -> Decimal:
    sign = -1 if direction == "decrease" else 1
    if kind == "factor":
        return _exact(baseline * value)
    if kind == "points":
        return _exact(baseline + sign * value)
    return _exact(baseline * (1 + sign * value / 100))


def _change_hit(m: re.Match[str], text: str, floor: int, english: bool) -> _Hit | None:
    change = _change_of(m)
    if change is None:
        return None
    kind, value, direction = change
    baseline = _decimal(m, "b")
    unit = _norm_unit(m.groupdict().get("ub"))
    if baseline is None and kind == "points":
        unit = "%"  # percentage points move a share
    name = _clean_name(m["noun"] if english else _prefix(text, m.start(), floor))
    metric = MetricProposal(
        name=name or m.group().strip(),
        baseline=baseline,
        target=_apply_change(baseline, kind, value, direction) if baseline is not None else None,
        unit=unit,
        direction=direction,
        change=_exact(value),
        change_kind=kind,
    )
    return _Hit(m.start(), m.end(), metric)


def _outcome_hit(m: re.Match[str], text: str, floor: int) -> _Hit:
    metric = MetricProposal(
        name=_clean_name(m["noun"]), baseline=None, target=_decimal(m, "t"), unit="%", direction="reach"
    )
    return _Hit(m.start(), m.end(), metric)


def _count_hit(m: re.Match[str], text: str, floor: int) -> _Hit:
    verb = m["verb"]
    increase = re.fullmatch(_COUNT_INCREASE_CN, verb) is not None
    metric = MetricProposal(
        name=f"{verb}{m['noun']}",
        baseline=None,
        target=_decimal(m, "t"),
        unit=_norm_unit(m["u"]),
        direction="increase" if increase else "reach",
    )
    return _Hit(m.start(), m.end(), metric)


def _find_metrics(text: str) -> list[_Hit]:
    """Return the metrics in (normalised, date-masked) ``text``, in reading order.

    Patterns are tried from the most specific (a range) to the loosest, and a
    later pattern never takes numbers an earlier one already explained.
    """
    hits: list[_Hit] = []

    def free(start: int, end: int) -> bool:
        return all(end <= h.start or start >= h.end for h in hits)

    def floor_of(start: int) -> int:
        # A metric's name never reaches back into the previous metric.
        return max((h.end for h in hits if h.end <= start), default=0)

    finders: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], str, int], _Hit | None]], ...] = (
        (_CHANGE_RANGE_CN, lambda m, t, f: _change_hit(m, t, f, english=False)),
        (_CHANGE_EN, lambda m, t, f: _change_hit(m, t, f, english=True)),
        (_FACTOR_EN, lambda m, t, f: _change_hit(m, t, f, english=True)),
        (_RANGE_CN, _range_hit),
        (_RANGE_EN, _range_hit),
        (_SHARE_CN, lambda m, t, f: _share_hit(m, t, f, english=False)),
        (_SHARE_EN, lambda m, t, f: _share_hit(m, t, f, english=True)),
        (_OUTCOME_EN, _outcome_hit),
        (_CHANGE_CN, lambda m, t, f: _change_hit(m, t, f, english=False)),
        (_COUNT_CN, _count_hit),
        (_VERB_CN, lambda m, t, f: _verb_hit(m, t, f, english=False)),
        (_VERB_EN, lambda m, t, f: _verb_hit(m, t, f, english=True)),
        (_VERB_NOUN_CN, lambda m, t, f: _verb_noun_hit(m, t, f, english=False)),
        (_VERB_NUM_EN, lambda m, t, f: _verb_noun_hit(m, t, f, english=True)),
    )
    for pattern, build in finders:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            if "t" in pattern.groupindex and _decimal(m, "t") is None:
                continue
            hit = build(m, text, floor_of(m.start()))
            if hit is not None:
                hits.append(hit)
        hits.sort(key=lambda h: h.start)
    return hits


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """A statement as read: its normalised text, the deadline and the metrics found."""

    normalized: str
    deadline: date | None
    metrics: tuple[MetricProposal, ...]
    # Ranges whose verb contradicts their numbers (G05), in reading order.
    contradicted: tuple[MetricProposal, ...]


def read(text: str, today: date) -> Reading:
    """Return what ``text`` says; relative deadlines (本季度, 9月底 …) are resolved against ``today``."""
    normalized = _normalize(text)
    deadline, spans = _find_deadlines(normalized, today)
    hits = _find_metrics(_mask(normalized, spans))
    return Reading(
        normalized=normalized,
        deadline=deadline,
        metrics=tuple(h.metric for h in hits),
        contradicted=tuple(h.metric for h in hits if h.contradicted),
    )


def terms_in(text: str, terms: Iterable[str]) -> list[str]:
    """Return the terms found in ``text``, dropping those inside a longer found term (提升 in 提升效率)."""
    low = text.lower()
    found = [t for t in terms if (re.search(rf"\b{re.escape(t)}\b", low) if t.isascii() else t in text)]
    return [t for t in found if not any(t != other and t in other for other in found)]


def deadline_passed(deadline: date | None, today: date) -> bool:
    """Return whether ``deadline`` is already past on ``today`` (G07); the deadline day itself still counts.

    One definition for the statement's analysis and the stored goal's rule.
    """
    return deadline is not None and deadline < today


def is_vague(text: str) -> bool:
    """Return True when ``text`` is blank, or leans on vague wording with no number-backed metric.

    "提升效率", "尽快优化审批流程", "improve efficiency" are vague; "提升效率,
    将审批时长从5天缩短至2天" is not: the metric says what the wording means.
    """
    if not text or not text.strip():
        return True
    normalized = _normalize(text)
    if not terms_in(normalized, VAGUE_TERMS):
        return False
    _deadline, spans = _find_deadlines(normalized, date(2000, 1, 1))  # dates only masked here
    return not _find_metrics(_mask(normalized, spans))
