"""Issue 19 §5: goals as people write them — one test per phrasing the SMART analysis must understand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from xietong.rules.engine import Severity
from xietong.rules.smart import analyze
from xietong.rules.statement import MetricProposal

# A Monday; chinesecalendar knows 2026's statutory holidays, not yet 2027's.
TODAY = date(2026, 11, 16)


def metrics(text: str, today: date = TODAY) -> tuple[MetricProposal, ...]:
    return analyze(text, today).metrics


def deadline(text: str, today: date = TODAY) -> date | None:
    return analyze(text, today).deadline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("十天内完成系统上线", date(2026, 11, 26)),
        ("三周内完成培训", date(2026, 12, 7)),
        ("2个月内上线新版本", date(2027, 1, 16)),
        ("一年内新开8家网点", date(2027, 11, 16)),
        ("半年内完成改造", date(2027, 5, 16)),
        ("Ship the new portal within 4 weeks", date(2026, 12, 14)),
        ("Migrate all servers within six months", date(2027, 5, 16)),
    ],
)
def test_relative_durations_are_deadlines_resolved_against_today(text: str, expected: date) -> None:
    assert deadline(text) == expected


@pytest.mark.parametrize(
    "text", ["80%的投诉在3天内闭环", "接到需求后5天内给出结论", "每2周内汇报一次", "24小时内闭环"]
)
def test_durations_that_qualify_a_metric_or_recur_are_not_deadlines(text: str) -> None:
    assert deadline(text) is None


def test_a_duration_is_not_part_of_the_metric_name() -> None:
    (metric,) = metrics("3个月内把客户投诉响应时间从48小时缩短至24小时")
    assert (metric.name, metric.baseline, metric.target) == ("客户投诉响应时间", 48, 24)
    assert deadline("3个月内把客户投诉响应时间从48小时缩短至24小时") == date(2027, 2, 16)


@pytest.mark.parametrize(
    ("text", "name", "baseline", "target", "unit", "direction"),
    [
        ("处理时长从8天缩短一半", "处理时长", 8, 4, "天", "decrease"),
        ("营收从3000万元翻一番", "营收", 30000000, 60000000, "元", "increase"),
        ("营收从3000万元翻两番", "营收", 30000000, 120000000, "元", "increase"),
        ("满意率从60%提高15个百分点", "满意率", 60, 75, "%", "increase"),
        ("成本从500万元降低20%", "成本", 5000000, 4000000, "元", "decrease"),
        ("用户数从2万增长一倍", "用户数", 20000, 40000, "", "increase"),
        ("Cut costs from 5 million yuan by 20%", "costs", 5000000, 4000000, "yuan", "decrease"),
    ],
)
def test_halves_multiples_and_points_apply_to_the_baseline(
    text: str, name: str, baseline: int, target: int, unit: str, direction: str
) -> None:
    (metric,) = metrics(text)
    assert (metric.name, metric.baseline, metric.target, metric.unit, metric.direction) == (
        name,
        Decimal(baseline),
        Decimal(target),
        unit,
        direction,
    )


@pytest.mark.parametrize(
    ("text", "kind", "value", "direction"),
    [
        ("销售额提升20%", "percent", 20, "increase"),
        ("营收翻一番", "factor", 2, "increase"),
        ("处理时长缩短一半", "factor", 0.5, "decrease"),
        ("满意率提高15个百分点", "points", 15, "increase"),
        ("降低成本10%", "percent", 10, "decrease"),
        ("increase sales by 30%", "percent", 30, "increase"),
        ("double revenue", "factor", 2, "increase"),
    ],
)
def test_a_relative_change_without_a_baseline_is_recorded_as_a_change(
    text: str, kind: str, value: float, direction: str
) -> None:
    (metric,) = metrics(text)
    assert (metric.baseline, metric.target, metric.direction) == (None, None, direction)
    assert metric.as_dict()["change"] == {"kind": kind, "value": value}
    assert analyze(text, TODAY).measurable is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027年H1", date(2027, 6, 30)),
        ("H2 2027", date(2027, 12, 31)),
        ("by the end of H2 2027", date(2027, 12, 31)),
        ("2027年上半年", date(2027, 6, 30)),
        ("2027年下半年", date(2027, 12, 31)),
        ("2027年Q3前", date(2027, 6, 30)),
        ("Q3前", date(2026, 6, 30)),
        ("2027年第一季度前", date(2026, 12, 31)),
        ("before Q3 2027", date(2027, 6, 30)),
        ("2027年Q3结束前", date(2027, 9, 30)),
        ("2027年下半年前", date(2027, 6, 30)),
        ("春节前", date(2027, 2, 5)),
        ("五一前", date(2027, 4, 30)),
        ("2026年国庆前", date(2026, 9, 30)),
        ("2026年春节前", date(2026, 2, 14)),
        ("2027年端午节前", date(2027, 6, 8)),
        ("before Chinese New Year 2027", date(2027, 2, 5)),
        ("2027.03.31", date(2027, 3, 31)),
        ("2027/3/31", date(2027, 3, 31)),
        ("２０２７年３月３１日", date(2027, 3, 31)),
        ("二〇二七年三月三十一日", date(2027, 3, 31)),
        ("15 March 2027", date(2027, 3, 15)),
        ("by November 2027", date(2027, 11, 30)),
        ("Q3 2027", date(2027, 9, 30)),
    ],
)
def test_periods_holidays_and_date_forms(text: str, expected: date) -> None:
    assert deadline(text) == expected


def test_holidays_take_the_statutory_break_of_a_year_the_calendar_knows() -> None:
    # 2026's Spring Festival break starts on 15 February.
    assert deadline("春节前完成", date(2026, 1, 5)) == date(2026, 2, 14)
    assert deadline("五一前完成", date(2026, 1, 5)) == date(2026, 4, 30)


def test_an_english_outcome_with_a_share_is_measurable() -> None:
    (metric,) = metrics("Launch the payments API with 99.95% availability by 15 March 2027")
    assert (metric.name, metric.target, metric.unit, metric.direction) == (
        "availability",
        Decimal("99.95"),
        "%",
        "reach",
    )


@pytest.mark.parametrize(
    ("text", "name", "target", "unit"),
    [
        ("一年内新开8家网点", "新开网点", 8, "家"),
        ("发放300张优惠券", "发放优惠券", 300, "张"),
        ("覆盖80万用户", "覆盖用户", 800000, ""),
        ("新增注册用户八十万", "新增注册用户", 800000, ""),
    ],
)
def test_counts_with_measure_words(text: str, name: str, target: int, unit: str) -> None:
    (metric,) = metrics(text)
    assert (metric.name, metric.target, metric.unit) == (name, Decimal(target), unit)


def test_a_deadline_already_past_is_a_finding() -> None:
    analysis = analyze("2026年9月30日前将处理时长从48小时缩短至24小时", TODAY)
    assert analysis.deadline == date(2026, 9, 30) and analysis.time_bound is True
    (finding,) = analysis.findings
    assert (finding.rule, finding.severity) == ("G07", Severity.WARNING)
    assert "2026-09-30" in finding.text("zh-hans") and "2026-09-30" in finding.text("en")
    assert analyze("2027年9月30日前将处理时长从48小时缩短至24小时", TODAY).findings == ()


@pytest.mark.parametrize(
    ("text", "today"),
    [
        ("营收翻99番", TODAY),
        ("营收翻0番", TODAY),
        ("0000年底前完成", TODAY),
        ("weeks内4翻,H2两万H2年增长", TODAY),
        ("Q3末前,成本降低20%", date(9999, 12, 20)),
    ],
)
def test_out_of_range_numbers_and_dates_are_no_reading_not_a_crash(text: str, today: date) -> None:
    analysis = analyze(text, today)
    assert all(m.change is None or m.change < 1000 for m in analysis.metrics)
    assert analysis.as_dict("en")["findings"] is not None
