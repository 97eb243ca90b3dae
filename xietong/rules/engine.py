"""The rule engine: a registry of pure rule functions and the health score.

A rule is a function ``(collab, ctx) -> Iterable[Finding]`` registered under a
stable ID (G01, P02 …). Rules read only the immutable snapshot and the
context: no database, no clock, no I/O. Callers pin ``now`` so that results
are reproducible (``xietong check --today``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from xietong.rules.snapshot import Collab


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# What one finding of each severity costs the health score, and how much each
# further finding of the same rule adds (repeats matter, but with diminishing
# weight, so one very long table cannot hide every other problem).
SEVERITY_WEIGHT: Mapping[Severity, float] = {Severity.ERROR: 12.0, Severity.WARNING: 4.0, Severity.INFO: 1.0}


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule: which rule, how bad, what it points at, and why.

    ``message`` is a translatable template (a lazy string) filled with
    ``params`` when rendered, so one finding reads in Chinese or English.
    """

    rule: str
    severity: Severity
    object: str
    message: str | Promise
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str | None = None) -> str:
        """Return the message rendered in ``language`` (the active one when None)."""
        if language is None:
            if not self.params:
                return str(self.message)
            # ``%`` on the lazy message itself (not on its str()) lets a plural
            # message (ngettext_lazy) pick its form from the params.
            return str(self.message % dict(self.params))
        with translation.override(language):
            return self.text()

    def as_dict(self, language: str | None = None) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.text(language),
            "object": self.object,
        }


@dataclass(frozen=True, slots=True)
class Context:
    """What a rule may know besides the collaboration itself."""

    now: datetime
    tz: ZoneInfo
    # Working days a blocked task may wait before it must be escalated (T02).
    escalation_working_days: int = 2

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()


RuleFunc = Callable[["Collab", Context], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str | Promise
    func: RuleFunc

    def finding(self, obj: str, message: str | Promise, **params: Any) -> Finding:
        return Finding(rule=self.id, severity=self.severity, object=obj, message=message, params=params)


REGISTRY: dict[str, Rule] = {}


# --- message fragments
#
# A finding's params are rendered with its message, in the language active at
# that moment. A param that is itself translatable (a row label such as
# "第 3 条任务", a list joined with 、) must therefore stay lazy too; these
# helpers build such fragments.


# The renderers are module-level functions so that findings pickle (reports
# are cached, xietong/collabs/judged.py); a closure would not.


def _format(template: str | Promise, params: dict[str, Any]) -> str:
    return str(template) % params if params else str(template)


def _join(items: tuple[Any, ...]) -> str:
    # Translators: separator between items of a list (an enumeration comma in Chinese).
    return str(_("、")).join(str(item) for item in items)


# Django's lazy() builds a new proxy class on every call (about 0.1 ms, and a
# class kept alive per finding); made once here, a fragment is one instance.
_lazy_format = lazy(_format, str)
_lazy_join = lazy(_join, str)


def lazy_format(template: str | Promise, **params: Any) -> str:
    """Return ``template % params``, computed only when the result is rendered."""
    return _lazy_format(template, params)


def lazy_join(parts: Iterable[Any]) -> str:
    """Return ``parts`` joined with the list separator of the language active when rendered."""
    return _lazy_join(tuple(parts))


# --- what a finding points at, in words
#
# A finding's ``object`` is a path into the snapshot ("tasks[1]",
# "departments[2]", "goal.metrics[0]"): stable, and what ``check --json`` and
# the API give. People read a label instead: "任务 #2「…」", "技术部".

_PATH = re.compile(r"^(?P<list>tasks|departments|subgoals|communication|goal\.metrics)\[(?P<index>\d+)\]$")
_WHOLE = {
    "goal": _("核心目标"),
    "kickoff": _("启动会"),
    "communication": _("沟通机制"),
    "retrospective": _("复盘"),
}
# A long description is cut in a label: the finding's message has it whole.
LABEL_TEXT_MAX = 40


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_TEXT_MAX else text[: LABEL_TEXT_MAX - 1] + "…"


def object_label(collab: Collab, path: str) -> str:
    """Return what a finding's ``path`` names, as people say it ("" for the collaboration itself).

    Rows are named by their position (#2 is the table's second row, as the
    table numbers it) and their text; a department by its name.
    """
    if path in _WHOLE:
        return str(_WHOLE[path])
    match = _PATH.match(path)
    if match is None:
        return ""
    index = int(match["index"])
    number = index + 1
    kind = match["list"]
    if kind == "tasks" and index < len(collab.tasks):
        text = collab.tasks[index].description
        label = _("任务 #%(n)s「%(text)s」") if text else _("任务 #%(n)s")
    elif kind == "subgoals" and index < len(collab.subgoals):
        text = collab.subgoals[index].description
        label = _("子目标 #%(n)s「%(text)s」") if text else _("子目标 #%(n)s")
    elif kind == "departments" and index < len(collab.departments):
        text = collab.departments[index].name
        if text:
            return text
        label = _("第 %(n)s 个部门")
    elif kind == "goal.metrics" and collab.goal is not None and index < len(collab.goal.metrics):
        text = collab.goal.metrics[index].name
        label = _("指标「%(text)s」") if text else _("第 %(n)s 个指标")
    elif kind == "communication":
        text = ""
        label = _("沟通规则 #%(n)s")
    else:
        return ""
    return str(label) % {"n": number, "text": _quoted(text)}


def rule(rule_id: str, severity: Severity, title: str | Promise) -> Callable[[RuleFunc], Rule]:
    """Register a rule function under its guide ID; IDs are never reused."""

    def register(func: RuleFunc) -> Rule:
        if rule_id in REGISTRY:
            raise ValueError(f"rule {rule_id} registered twice")
        registered = Rule(rule_id, severity, title, func)
        REGISTRY[rule_id] = registered
        return registered

    return register


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    score: int

    @property
    def has_errors(self) -> bool:
        return any(f.severity == Severity.ERROR for f in self.findings)

    def as_dict(self, language: str | None = None) -> dict[str, Any]:
        return {"findings": [f.as_dict(language) for f in self.findings], "score": self.score}


def health_score(findings: Iterable[Finding]) -> int:
    """Return 0-100: 100 minus a penalty per rule broken.

    Each rule costs its severity weight once, plus half that weight for every
    further finding of the same rule up to four more, so the score tells
    "how many kinds of problem" more than "how many rows".
    """
    per_rule = Counter((f.rule, f.severity) for f in findings)
    penalty = 0.0
    for (_rule_id, severity), count in per_rule.items():
        weight = SEVERITY_WEIGHT[severity]
        penalty += weight * (1 + 0.5 * (min(count, 5) - 1))
    return max(0, min(100, math.floor(100 - penalty + 0.5)))


def get_rule(rule_id: str) -> Rule:
    """Return the registered rule ``rule_id`` (its severity and title are defined once, there)."""
    return REGISTRY[rule_id]


def run_rules(collab: Collab, ctx: Context, only: Iterable[str] | None = None) -> Report:
    """Judge ``collab`` by every registered rule (or the IDs in ``only``)."""
    wanted = set(only) if only is not None else None
    findings: list[Finding] = []
    for rule_id in sorted(REGISTRY):
        if wanted is not None and rule_id not in wanted:
            continue
        findings.extend(REGISTRY[rule_id].func(collab, ctx))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    # Stable: within a rule, findings keep the order of the rows they point at.
    findings.sort(key=lambda f: (order[f.severity], f.rule))
    return Report(findings=tuple(findings), score=health_score(findings))
