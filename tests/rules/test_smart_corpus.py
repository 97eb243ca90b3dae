"""The SMART analysis reads every statement of the corpus (tests/rules/smart_corpus.py) as expected."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from xietong.rules.smart import analyze
from xietong.rules.statement import MetricProposal

from .smart_corpus import TODAY, M, S, corpus

CORPUS = corpus()


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _fields(metric: MetricProposal) -> M:
    change = (
        (metric.change_kind, float(metric.change))
        if metric.change_kind and metric.change is not None
        else None
    )
    return M(
        metric.name,
        _number(metric.baseline),
        _number(metric.target),
        metric.unit,
        metric.direction,
        _number(metric.scale_max),
        change,
    )


def _expected(metric: M) -> M:
    def number(value: float | None) -> float | None:
        return None if value is None else float(value)

    change = (metric.change[0], float(metric.change[1])) if metric.change else None
    return M(
        metric.name,
        number(metric.baseline),
        number(metric.target),
        metric.unit,
        metric.direction,
        number(metric.scale_max),
        change,
    )


def test_the_corpus_holds_at_least_200_distinct_statements_in_both_languages() -> None:
    texts = [s.text for s in CORPUS]
    assert len(set(texts)) == len(texts) >= 200
    assert sum(1 for t in texts if t.isascii()) >= 50


@pytest.mark.parametrize("statement", CORPUS, ids=[s.text for s in CORPUS])
def test_it_reads_the_statement(statement: S) -> None:
    analysis = analyze(statement.text, TODAY)
    expected_deadline = date.fromisoformat(statement.deadline) if statement.deadline else None
    assert analysis.deadline == expected_deadline
    assert [_fields(m) for m in analysis.metrics] == [_expected(m) for m in statement.metrics]
    assert analysis.time_bound is (expected_deadline is not None)
    assert analysis.measurable is bool(statement.metrics)
    rules = [f.rule for f in analysis.findings]
    assert ("G04" in rules) is (expected_deadline is None)
    assert ("G07" in rules) is (expected_deadline is not None and expected_deadline < TODAY)
    assert ("G02" in rules) is (not statement.metrics)
