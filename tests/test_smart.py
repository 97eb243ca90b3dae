"""SMART analysis of a goal statement (DESIGN.md §3): xietong.rules.smart (reading: xietong.rules.statement) and ``xietong smart``."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from xietong.rules.engine import Severity
from xietong.rules.smart import analyze
from xietong.rules.statement import VAGUE_TERMS, MetricProposal, is_vague

# A Wednesday, mid-quarter: relative deadlines land on distinct dates.
TODAY = date(2024, 5, 22)
GUIDE_EXAMPLE = (
    "本次‘客户投诉快速响应’跨部门协作,目标为:2024年Q3末,实现80%的投诉在24小时内闭环,"
    "客户满意度评分提升至4.5分(满分5分)。"
)


def only_metric(text: str) -> MetricProposal:
    metrics = analyze(text, TODAY).metrics
    assert len(metrics) == 1, metrics
    return metrics[0]


def rules_of(text: str) -> list[str]:
    return [f.rule for f in analyze(text, TODAY).findings]


# --- metrics -----------------------------------------------------------------


def test_it_reads_baseline_and_target_from_chinese_range() -> None:
    metric = only_metric("从48小时缩短至24小时")
    assert (metric.baseline, metric.target, metric.unit, metric.direction) == (
        Decimal(48),
        Decimal(24),
        "小时",
        "decrease",
    )
    assert metric.name


def test_it_reads_baseline_and_target_from_english_range() -> None:
    metric = only_metric("from 48 hours to 24 hours")
    assert (metric.baseline, metric.target, metric.unit, metric.direction) == (
        Decimal(48),
        Decimal(24),
        "hours",
        "decrease",
    )


def test_it_names_a_range_metric_after_the_text_before_it() -> None:
    metric = only_metric("将客户投诉平均处理时长从48小时缩短至24小时")
    assert metric.name == "客户投诉平均处理时长"


def test_it_takes_the_direction_of_a_verbless_range_from_the_numbers() -> None:
    metric = only_metric("满意度从3.8分到4.5分")
    assert (metric.baseline, metric.target, metric.direction) == (Decimal("3.8"), Decimal("4.5"), "increase")


@pytest.mark.parametrize("text", ["提升至4.5分(满分5分)", "提升至4.5分（满分5分）"])
def test_it_reads_a_target_on_a_scale_with_either_kind_of_parentheses(text: str) -> None:
    metric = only_metric(text)
    assert (metric.target, metric.scale_max, metric.unit) == (Decimal("4.5"), Decimal(5), "分")
    assert metric.direction in ("increase", "reach")
    assert metric.baseline is None


def test_it_reads_a_share_target_with_its_condition() -> None:
    metric = only_metric("80%的投诉在24小时内闭环")
    assert (metric.target, metric.unit, metric.condition) == (Decimal(80), "%", "24小时内")
    assert metric.name == "投诉闭环率"


def test_it_reads_a_share_written_as_bai_fen_zhi() -> None:
    metric = only_metric("百分之八十的投诉在24小时内闭环")
    assert (metric.target, metric.unit, metric.condition) == (Decimal(80), "%", "24小时内")


def test_it_reads_an_english_share_with_its_condition() -> None:
    metric = only_metric("resolve 80% of complaints within 24 hours")
    assert (metric.target, metric.unit, metric.condition) == (Decimal(80), "%", "within 24 hours")


def test_it_multiplies_wan_for_new_users() -> None:
    metric = only_metric("新增用户10万")
    assert (metric.name, metric.target, metric.direction) == ("新增用户", Decimal(100000), "increase")


def test_it_reads_a_relative_change_in_percent() -> None:
    # Issue 19: a change without a baseline is recorded as a change, not as a target of 30.
    metric = only_metric("销售额提升30%")
    assert (metric.name, metric.target, metric.change, metric.change_kind, metric.direction) == (
        "销售额",
        None,
        Decimal(30),
        "percent",
        "increase",
    )


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("新增用户十万", Decimal(100000)),
        ("转化率提升至三十%", Decimal(30)),
        ("新增客户两千家", Decimal(2000)),
        ("营收达到1.5亿元", Decimal(150000000)),
        ("新增用户3千", Decimal(3000)),
        ("满意度提升至四点五分", Decimal("4.5")),
    ],
)
def test_it_reads_chinese_numerals_and_multipliers(text: str, target: Decimal) -> None:
    assert only_metric(text).target == target


def test_it_reads_a_ceiling_as_a_decrease_and_a_floor_as_an_increase() -> None:
    assert only_metric("投诉处理时长控制在24小时以内").direction == "decrease"
    assert only_metric("系统可用率保持在99.9%以上").direction == "increase"


def test_it_does_not_read_idioms_as_numbers() -> None:
    assert analyze("各部门十分重视,统一口径,一起推进", TODAY).metrics == ()


def test_it_does_not_read_dates_or_durations_as_metrics() -> None:
    assert analyze("2024年9月30日前,技术部24小时内输出技术问题结论", TODAY).metrics == ()


def test_it_reads_english_targets_with_a_verb() -> None:
    raised = only_metric("Raise customer satisfaction to 4.5 (out of 5)")
    assert (raised.name, raised.target, raised.scale_max, raised.direction) == (
        "customer satisfaction",
        Decimal("4.5"),
        Decimal(5),
        "increase",
    )
    sales = only_metric("increase sales by 30%")
    assert (sales.target, sales.change, sales.change_kind, sales.direction) == (
        None,
        Decimal(30),
        "percent",
        "increase",
    )


def test_metric_proposal_is_frozen() -> None:
    metric = only_metric("销售额提升30%")
    with pytest.raises(dataclasses.FrozenInstanceError):
        metric.target = Decimal(1)  # type: ignore[misc]


# --- deadlines ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("2024年9月30日", date(2024, 9, 30)),
        ("二〇二四年九月三十日", date(2024, 9, 30)),
        ("2024-09-30", date(2024, 9, 30)),
        ("2024/9/30", date(2024, 9, 30)),
        ("2024年Q3末", date(2024, 9, 30)),
        ("2024年第三季度末", date(2024, 9, 30)),
        ("第三季度末", date(2024, 9, 30)),
        ("Q3末", date(2024, 9, 30)),
        ("9月底", date(2024, 9, 30)),
        ("2024年9月", date(2024, 9, 30)),
        ("年底", date(2024, 12, 31)),
        ("年末", date(2024, 12, 31)),
        ("明年第一季度末", date(2025, 3, 31)),
        ("2024年上半年", date(2024, 6, 30)),
        ("下月15日前", date(2024, 6, 15)),
        ("本季度", date(2024, 6, 30)),
        ("本季度末", date(2024, 6, 30)),
        ("下季度末", date(2024, 9, 30)),
        ("本月底", date(2024, 5, 31)),
        ("本周五", date(2024, 5, 24)),
        ("下周五前", date(2024, 5, 31)),
        ("by 2024-09-30", date(2024, 9, 30)),
        ("by September 30, 2024", date(2024, 9, 30)),
        ("by 30 September 2024", date(2024, 9, 30)),
        ("by end of Q3 2024", date(2024, 9, 30)),
        ("by the end of 2024", date(2024, 12, 31)),
        ("by the end of this month", date(2024, 5, 31)),
    ],
)
def test_it_resolves_deadlines(text: str, deadline: date) -> None:
    analysis = analyze(text, TODAY)
    assert analysis.deadline == deadline
    assert analysis.time_bound is True
    assert "G04" not in rules_of(text)


def test_it_keeps_todays_year_for_a_month_that_has_passed() -> None:
    # The documented decision: no guessing "next year"; the person corrects a past date.
    assert analyze("9月底", date(2024, 11, 15)).deadline == date(2024, 9, 30)


def test_it_resolves_relative_deadlines_across_a_year_end() -> None:
    december = date(2024, 12, 10)
    assert analyze("下月15日前", december).deadline == date(2025, 1, 15)
    assert analyze("下季度末", december).deadline == date(2025, 3, 31)


def test_it_takes_the_latest_date_as_the_deadline() -> None:
    assert analyze("2024年6月30日完成方案,2024年9月30日前上线", TODAY).deadline == date(2024, 9, 30)


@pytest.mark.parametrize("text", ["每周五前汇报", "每月底汇总", "24小时内闭环", "尽快完成", "2024年2月30日"])
def test_it_finds_no_deadline_in_recurring_durations_vague_or_impossible_dates(text: str) -> None:
    analysis = analyze(text, TODAY)
    assert analysis.deadline is None
    assert analysis.time_bound is False
    assert "G04" in rules_of(text)


# --- whole statements and findings -------------------------------------------


def test_the_guides_example_is_smart() -> None:
    analysis = analyze(GUIDE_EXAMPLE, TODAY)
    assert (analysis.specific, analysis.measurable, analysis.time_bound) == (True, True, True)
    assert analysis.deadline == date(2024, 9, 30)
    assert analysis.findings == ()
    share, score = analysis.metrics
    assert (share.target, share.unit, share.condition, share.scale_max) == (
        Decimal(80),
        "%",
        "24小时内",
        None,
    )
    assert (score.name, score.target, score.unit, score.scale_max) == (
        "客户满意度评分",
        Decimal("4.5"),
        "分",
        Decimal(5),
    )
    assert score.direction in ("increase", "reach")


def test_the_guides_core_goal_has_no_deadline() -> None:
    analysis = analyze("将客户投诉平均处理时长从48小时缩短至24小时", TODAY)
    (metric,) = analysis.metrics
    assert (metric.baseline, metric.target, metric.direction) == (Decimal(48), Decimal(24), "decrease")
    assert (analysis.specific, analysis.measurable, analysis.time_bound) == (True, True, False)
    assert [(f.rule, f.severity) for f in analysis.findings] == [("G04", Severity.ERROR)]


@pytest.mark.parametrize("text", ["提升效率", "尽快优化审批流程", "加强沟通", "improve efficiency", "ASAP"])
def test_it_reports_vague_goals(text: str) -> None:
    analysis = analyze(text, TODAY)
    assert (analysis.specific, analysis.measurable, analysis.time_bound) == (False, False, False)
    assert analysis.metrics == ()
    assert [(f.rule, f.severity) for f in analysis.findings] == [
        ("G01", Severity.ERROR),
        ("G02", Severity.ERROR),
        ("G04", Severity.ERROR),
    ]
    assert all(f.object == "goal" for f in analysis.findings)


def test_it_says_that_jin_kuai_is_not_a_deadline() -> None:
    (g04,) = (f for f in analyze("尽快优化审批流程", TODAY).findings if f.rule == "G04")
    assert "尽快" in g04.text("zh-hans")


def test_it_reports_a_blank_statement() -> None:
    analysis = analyze("   ", TODAY)
    assert analysis.specific is False
    assert rules_of("   ") == ["G01", "G02", "G04"]


def test_a_plain_statement_without_a_number_is_not_specific_but_not_vague() -> None:
    analysis = analyze("完成系统上线", TODAY)
    assert (analysis.specific, analysis.measurable) == (False, False)
    assert rules_of("完成系统上线") == ["G02", "G04"]


def test_a_vague_word_backed_by_a_metric_is_specific() -> None:
    analysis = analyze("尽快将处理时长从48小时缩短至24小时", TODAY)
    assert (analysis.specific, analysis.measurable, analysis.time_bound) == (True, True, False)
    assert rules_of("尽快将处理时长从48小时缩短至24小时") == ["G04"]


def test_it_reports_a_target_that_contradicts_its_verb() -> None:
    assert rules_of("将处理时长从24小时缩短至48小时,2024年9月30日前") == ["G05"]


def test_an_english_goal_is_analysed_like_a_chinese_one() -> None:
    text = "Reduce average complaint handling time from 48 hours to 24 hours by end of Q3 2024"
    analysis = analyze(text, TODAY)
    assert analysis.findings == ()
    assert analysis.deadline == date(2024, 9, 30)
    (metric,) = analysis.metrics
    assert (metric.name, metric.baseline, metric.target, metric.unit, metric.direction) == (
        "average complaint handling time",
        Decimal(48),
        Decimal(24),
        "hours",
        "decrease",
    )


@pytest.mark.parametrize("text", ["提升效率", "尽快优化审批流程", "加强沟通", "improve efficiency", "", "  "])
def test_is_vague_flags_vague_or_blank_wording(text: str) -> None:
    assert is_vague(text) is True


@pytest.mark.parametrize("text", ["提升效率,将审批时长从5天缩短至2天", "完成系统上线", GUIDE_EXAMPLE])
def test_is_vague_accepts_wording_backed_by_a_metric_or_free_of_vague_words(text: str) -> None:
    assert is_vague(text) is False


def test_vague_terms_name_the_guides_examples() -> None:
    assert {"提升效率", "尽快", "加强", "优化", "improve efficiency"} <= set(VAGUE_TERMS)


# --- JSON shape --------------------------------------------------------------


def test_as_dict_has_exactly_the_documented_shape() -> None:
    data = analyze(GUIDE_EXAMPLE, TODAY).as_dict("zh-hans")
    assert list(data) == ["specific", "measurable", "time_bound", "deadline", "metrics", "findings"]
    assert data["deadline"] == "2024-09-30"
    assert data["metrics"][1] == {
        "name": "客户满意度评分",
        "baseline": None,
        "target": 4.5,
        "unit": "分",
        "direction": "increase",
        "scale_max": 5,
    }
    for metric in data["metrics"]:
        assert list(metric) == ["name", "baseline", "target", "unit", "direction", "scale_max"]


def test_a_relative_change_without_a_baseline_adds_only_its_change_to_the_documented_shape() -> None:
    [metric] = analyze("销售额提升20%", TODAY).as_dict()["metrics"]
    assert metric == {
        "name": "销售额",
        "baseline": None,
        "target": None,
        "unit": "",
        "direction": "increase",
        "scale_max": None,
        "change": {"kind": "percent", "value": 20},
    }
    [computed] = analyze("2024年9月30日前把成本从500万元降低20%", TODAY).as_dict()["metrics"]
    assert "change" not in computed and computed["target"] == 4000000


def test_as_dict_writes_numbers_as_json_numbers() -> None:
    data = analyze("营收从1.2亿元提升至1.5亿元,满意度提升至4.5分(满分5分),2024年底", TODAY).as_dict()
    revenue, score = data["metrics"]
    assert (revenue["baseline"], revenue["target"]) == (120000000, 150000000)
    assert type(revenue["target"]) is int
    assert type(score["target"]) is float and type(score["scale_max"]) is int
    assert '"target": 150000000,' in json.dumps(data)


def test_as_dict_writes_findings_without_an_object_key() -> None:
    data = analyze("提升效率", TODAY).as_dict("en")
    assert data["deadline"] is None
    assert [sorted(f) for f in data["findings"]] == [["message", "rule", "severity"]] * 3
    assert [(f["rule"], f["severity"]) for f in data["findings"]] == [
        ("G01", "error"),
        ("G02", "error"),
        ("G04", "error"),
    ]
    assert all(f["message"] for f in data["findings"])


# --- the command -------------------------------------------------------------


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("smart", *args, stdout=out)
    return out.getvalue()


def test_the_command_prints_one_json_document() -> None:
    data = json.loads(run_command(GUIDE_EXAMPLE, "--json", "--today", "2024-05-22"))
    assert data == analyze(GUIDE_EXAMPLE, TODAY).as_dict("zh-hans")
    assert (data["specific"], data["measurable"], data["time_bound"]) == (True, True, True)


def test_the_command_resolves_relative_deadlines_against_today() -> None:
    data = json.loads(run_command("本季度末前上线", "--json", "--today", "2024-11-02"))
    assert data["deadline"] == "2024-12-31"


def test_the_command_keeps_chinese_unescaped_in_json() -> None:
    assert "客户满意度评分" in run_command(GUIDE_EXAMPLE, "--json", "--today", "2024-05-22")


def test_the_command_prints_a_summary_without_json() -> None:
    out = run_command(GUIDE_EXAMPLE, "--today", "2024-05-22", "--lang", "zh-hans")
    assert "2024-09-30" in out
    assert "客户满意度评分" in out and "24小时内" in out


def test_the_command_prints_findings_in_its_summary() -> None:
    out = run_command("提升效率", "--today", "2024-05-22", "--lang", "en")
    for rule_id in ("G01", "G02", "G04"):
        assert rule_id in out


def test_the_command_rejects_a_bad_today_with_return_code_2() -> None:
    with pytest.raises(CommandError) as error:
        run_command("提升效率", "--today", "2024-13-01")
    assert error.value.returncode == 2
    assert "\n" not in str(error.value)


def console_script() -> list[str]:
    script = Path(sys.executable).parent / "xietong"
    return [str(script)] if script.exists() else [sys.executable, "-m", "xietong.cli"]


def test_the_console_script_exits_0_and_2(tmp_path: Path) -> None:
    # A throwaway data folder: the embedded settings create a secret key there.
    env = {**os.environ, "XIETONG_DATA": str(tmp_path)}
    ok = subprocess.run(
        [*console_script(), "smart", GUIDE_EXAMPLE, "--json", "--today", "2024-05-22"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["deadline"] == "2024-09-30"

    bad = subprocess.run(
        [*console_script(), "smart", "提升效率", "--today", "tomorrow"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
