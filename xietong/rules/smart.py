"""SMART analysis of a free-text goal statement (DESIGN.md §3), Chinese or English.

``analyze(text, today)`` proposes structured fields — metrics, a deadline —
that a person then confirms in the goal form; it never writes anything. It is a
pure function: no database, no clock (``today`` is passed in), so the CLI's
``--today`` makes results reproducible. Achievable and Relevant are not guessed
from text: the form asks a person for them.

The text itself is read by ``rules/statement.py``; this module turns a
reading into the flags and findings.

Flags and findings (rule IDs of DESIGN.md §2, all errors)
---------------------------------------------------------
- ``measurable``: at least one metric with a numeric target; otherwise G02.
- ``time_bound``: a deadline was found; otherwise G04 (which names ``尽快`` or
  "ASAP" when the text leans on them instead of a date).
- ``specific``: the statement is not blank, is not vague (``is_vague``) and
  names something concrete, i.e. has a metric. G01 fires exactly as the rule
  engine's G01 does for a goal without metrics: the statement is blank or
  vague — so a plain statement such as ``完成系统上线`` is not specific but
  only gets G02/G04, which say what is missing.
- G05 when a range's verb contradicts its numbers (``从24小时缩短至48小时``).
- G07 (a warning) when the deadline is already past on ``today``: a year
  left out (``9月底`` in November) or mistyped; the person corrects it.

A metric stated as a change without a baseline (``销售额提升20%``, ``翻一番``)
counts as measurable: its ``change`` is recorded and its target is left for
the person to compute from today's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xietong.rules.engine import Finding, get_rule, lazy_join
from xietong.rules.statement import (
    VAGUE_TERMS,
    VAGUE_TIME_TERMS,
    MetricProposal,
    deadline_passed,
    is_vague,
    read,
    terms_in,
)


@dataclass(frozen=True, slots=True)
class SmartAnalysis:
    specific: bool
    measurable: bool
    time_bound: bool
    deadline: date | None
    metrics: tuple[MetricProposal, ...]
    findings: tuple[Finding, ...]

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        """Return the JSON shape of DESIGN.md §3, messages in ``language`` (active one when None)."""
        return {
            "specific": self.specific,
            "measurable": self.measurable,
            "time_bound": self.time_bound,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "metrics": [m.as_dict() for m in self.metrics],
            "findings": [
                {"rule": f.rule, "severity": str(f.severity), "message": f.text(language)}
                for f in self.findings
            ],
        }


def _finding(rule_id: str, message: str | Promise, params: dict[str, Any] | None = None) -> Finding:
    """Return a finding about the goal statement, with the rule's registered severity."""
    return get_rule(rule_id).finding("goal", message, **(params or {}))


def _next_year(day: date) -> date:
    """Return the same day a year later (28 February for 29 February; the day itself in year 9999)."""
    if day.year == date.max.year:
        return day
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def analyze(text: str, today: date) -> SmartAnalysis:
    """Read ``text`` (a goal statement) and propose metrics, a deadline and SMART findings.

    Relative deadlines (本季度, 下月15日前, 9月底 …) are resolved against ``today``.
    """
    text = text or ""
    reading = read(text, today)
    # A change stated against the baseline (销售额提升20%) is measurable too: the
    # person fills in today's value, and the target follows from it.
    measurable = any(m.target is not None or m.change is not None for m in reading.metrics)
    vague = is_vague(text)
    specific = bool(text.strip()) and not vague and measurable

    findings: list[Finding] = []
    if not text.strip():
        findings.append(_finding("G01", _("目标表述为空:请写明要达成什么、达到多少、何时完成。")))
    elif vague:
        findings.append(
            _finding(
                "G01",
                _(
                    "目标表述模糊(%(terms)s),且没有可衡量的指标:"
                    "请改为可衡量的表述,如“将投诉平均处理时长从48小时缩短至24小时”。"
                ),
                {"terms": lazy_join(terms_in(reading.normalized, VAGUE_TERMS))},
            )
        )
    if not measurable:
        findings.append(
            _finding("G02", _("没有带数值目标的指标:请写明要达到的数值,如“提升至4.5分(满分5分)”。"))
        )
    for m in reading.contradicted:
        findings.append(
            _finding(
                "G05",
                _("指标“%(name)s”的目标值%(target)s相对基线%(baseline)s并不是改进。"),
                {"name": m.name, "target": f"{m.target}", "baseline": f"{m.baseline}"},
            )
        )
    if reading.deadline is None:
        time_terms = terms_in(reading.normalized, VAGUE_TIME_TERMS)
        if time_terms:
            findings.append(
                _finding(
                    "G04",
                    _("“%(term)s”不是截止日期:请写明具体日期,如“2024年9月30日前”。"),
                    {"term": time_terms[0]},
                )
            )
        else:
            findings.append(
                _finding("G04", _("没有截止日期:请写明何时完成,如“2024年9月30日前”或“2024年Q3末”。"))
            )
    if reading.deadline and deadline_passed(reading.deadline, today):
        findings.append(
            _finding(
                "G07",
                _("截止日期%(deadline)s已经过去(今天是%(today)s):请确认日期或年份,如“%(next_year)s”。"),
                {
                    "deadline": reading.deadline.isoformat(),
                    "today": today.isoformat(),
                    "next_year": _next_year(reading.deadline).isoformat(),
                },
            )
        )
    return SmartAnalysis(
        specific=specific,
        measurable=measurable,
        time_bound=reading.deadline is not None,
        deadline=reading.deadline,
        metrics=reading.metrics,
        findings=tuple(findings),
    )
