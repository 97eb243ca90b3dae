"""``xietong smart "TEXT" [--today YYYY-MM-DD] [--json] [--lang zh-hans|en]``.

Analyses a goal statement by the SMART principle (DESIGN.md §3) and prints
the proposal: JSON with ``--json`` (one document, for scripts), otherwise a
short summary for people. Reads no database.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xietong.rules.smart import SmartAnalysis, analyze
from xietong.rules.statement import MetricProposal


def _number(value: Decimal) -> str:
    # 80, not 80.0 or 8E+1
    return f"{value.normalize():f}"


class Command(BaseCommand):
    help = "Analyse a goal statement by the SMART principle (specific, measurable, time-bound)."
    # Pure text analysis: no model or database check is needed to run it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", help="the goal statement, Chinese or English")
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="resolve relative deadlines (本季度, 下月15日前 …) against this date "
            "(default: today in TIME_ZONE)",
        )
        parser.add_argument("--json", action="store_true", help="print the analysis as JSON")
        parser.add_argument(
            "--lang",
            choices=[code for code, _name in settings.LANGUAGES],
            help="language of the messages (default: LANGUAGE_CODE)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = self._today(options.get("today"))
        language: str = options.get("lang") or translation.get_language() or settings.LANGUAGE_CODE
        analysis = analyze(options["text"], today)
        with translation.override(language):
            if options.get("json"):
                self.stdout.write(json.dumps(analysis.as_dict(language), ensure_ascii=False))
            else:
                self.stdout.write(self._summary(analysis))

    @staticmethod
    def _today(raw: str | None) -> date:
        if not raw:
            return timezone.localdate()
        try:
            return date.fromisoformat(raw)
        except ValueError:
            # returncode 2: a usage error, like argparse's own
            raise CommandError(
                _("--today 须为 YYYY-MM-DD 格式的日期,而不是“%(value)s”") % {"value": raw},
                returncode=2,
            ) from None

    def _summary(self, analysis: SmartAnalysis) -> str:
        yes, no = _("是"), _("否")
        lines = [
            _("具体 (S):%(value)s") % {"value": yes if analysis.specific else no},
            _("可衡量 (M):%(value)s") % {"value": yes if analysis.measurable else no},
            _("有时限 (T):%(value)s") % {"value": yes if analysis.time_bound else no},
            _("截止日期:%(date)s")
            % {"date": analysis.deadline.isoformat() if analysis.deadline else _("无")},
        ]
        if analysis.metrics:
            lines.append(_("指标:"))
            lines.extend(f"  - {self._metric(m)}" for m in analysis.metrics)
        if analysis.findings:
            lines.append(_("问题:"))
            lines.extend(f"  [{f.rule} {f.severity}] {f.text()}" for f in analysis.findings)
        else:
            lines.append(_("没有发现问题。"))
        return "\n".join(lines)

    @staticmethod
    def _metric(metric: MetricProposal) -> str:
        directions = {"increase": _("提升"), "decrease": _("降低"), "reach": _("达到")}
        parts = [metric.name]
        if metric.baseline is not None:
            parts.append(
                _("基线 %(value)s%(unit)s") % {"value": _number(metric.baseline), "unit": metric.unit}
            )
        if metric.target is not None:
            parts.append(_("目标 %(value)s%(unit)s") % {"value": _number(metric.target), "unit": metric.unit})
        if metric.scale_max is not None:
            parts.append(_("满分 %(value)s") % {"value": _number(metric.scale_max)})
        if metric.condition:
            parts.append(_("条件 %(condition)s") % {"condition": metric.condition})
        if metric.change is not None:
            sign = "-" if metric.direction == "decrease" else "+"
            value = _number(metric.change)
            change = {
                "percent": f"{sign}{value}%",
                "points": _("%(sign)s%(value)s 个百分点") % {"sign": sign, "value": value},
                "factor": f"×{value}",
            }[metric.change_kind or "percent"]
            parts.append(_("变化 %(change)s") % {"change": change})
        parts.append(_("方向 %(direction)s") % {"direction": directions[metric.direction]})
        # Translators: separator between the parts of one metric in the summary.
        return _("，").join(parts)
