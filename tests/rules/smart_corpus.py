"""Goal statements as people write them, with the fields the SMART analysis must propose (issue 19 §5).

Every entry is read with ``TODAY`` (a Monday; chinesecalendar knows 2026's
statutory holidays, not yet 2027's). A metric is ``(name, baseline, target,
unit, direction)`` plus, where the text says so, ``scale_max`` and ``change``
(kind, value). Checked by tests/rules/test_smart_corpus.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

TODAY = date(2026, 11, 16)

Number = int | float | None


@dataclass(frozen=True)
class M:
    name: str
    baseline: Number
    target: Number
    unit: str
    direction: str
    scale_max: Number = None
    change: tuple[str, int | float] | None = None


@dataclass(frozen=True)
class S:
    text: str
    deadline: str | None
    metrics: tuple[M, ...] = field(default=())


# --- deadlines, Chinese: each in front of one fixed metric ---------------------

HANDLING = M("投诉处理时长", 48, 24, "小时", "decrease")
CN_DEADLINES: tuple[tuple[str, str], ...] = (
    ("2027年3月31日前", "2027-03-31"),
    ("2027年3月31号前", "2027-03-31"),
    ("2027-03-31前", "2027-03-31"),
    ("2027/3/31前", "2027-03-31"),
    ("2027.03.31前", "2027-03-31"),
    ("２０２７年３月３１日前", "2027-03-31"),
    ("二〇二七年三月三十一日前", "2027-03-31"),
    ("2027年3月底前", "2027-03-31"),
    ("2027年3月", "2027-03-31"),
    ("2027年Q1末", "2027-03-31"),
    ("2027年第一季度末", "2027-03-31"),
    ("2027年一季度末", "2027-03-31"),
    ("2027年Q2前", "2027-03-31"),
    ("2027年第二季度前", "2027-03-31"),
    ("2027年上半年", "2027-06-30"),
    ("2027年H1", "2027-06-30"),
    ("2027年下半年前", "2027-06-30"),
    ("2027年Q3前", "2027-06-30"),
    ("2027年Q3结束前", "2027-09-30"),
    ("2027年H2", "2027-12-31"),
    ("2027年年底前", "2027-12-31"),
    ("2027年底", "2027-12-31"),
    ("明年年底", "2027-12-31"),
    ("明年第二季度末", "2027-06-30"),
    ("明年上半年", "2027-06-30"),
    ("今年年底", "2026-12-31"),
    ("年底前", "2026-12-31"),
    ("本月底", "2026-11-30"),
    ("下月15日前", "2026-12-15"),
    ("下个月底", "2026-12-31"),
    ("本季度末", "2026-12-31"),
    ("下季度末", "2027-03-31"),
    ("下周五前", "2026-11-27"),
    ("本周五", "2026-11-20"),
    ("十天内", "2026-11-26"),
    ("10天内", "2026-11-26"),
    ("三周内", "2026-12-07"),
    ("2个月内", "2027-01-16"),
    ("两个月内", "2027-01-16"),
    ("三个月内", "2027-02-16"),
    ("半年内", "2027-05-16"),
    ("一年内", "2027-11-16"),
    ("半个月内", "2026-12-01"),
    ("30日内", "2026-12-16"),
    ("10个工作日内", "2026-11-30"),
    ("未来三个月内", "2027-02-16"),
    ("春节前", "2027-02-05"),
    ("五一前", "2027-04-30"),
    ("国庆节前", "2027-09-30"),
    ("端午节前", "2027-06-08"),
    ("中秋节前", "2027-09-14"),
    ("清明节前", "2027-04-04"),
    ("元旦前", "2026-12-31"),
    ("2027年春节前", "2027-02-05"),
    ("明年五一前", "2027-04-30"),
    ("2027年国庆长假前", "2027-09-30"),
)

# --- deadlines, English: each after one fixed metric --------------------------

HANDLING_EN = M("complaint handling time", 48, 24, "hours", "decrease")
EN_DEADLINES: tuple[tuple[str, str], ...] = (
    ("by 31 March 2027", "2027-03-31"),
    ("by March 31, 2027", "2027-03-31"),
    ("by 2027-03-31", "2027-03-31"),
    ("by 2027/3/31", "2027-03-31"),
    ("by 15 March 2027", "2027-03-15"),
    ("by November 2027", "2027-11-30"),
    ("by the end of November 2027", "2027-11-30"),
    ("by end of Q3 2027", "2027-09-30"),
    ("in Q3 2027", "2027-09-30"),
    ("before Q3 2027", "2027-06-30"),
    ("by the end of H2 2027", "2027-12-31"),
    ("in H1 2027", "2027-06-30"),
    ("by the end of 2027", "2027-12-31"),
    ("by 2027", "2027-12-31"),
    ("by the end of this month", "2026-11-30"),
    ("by the end of next quarter", "2027-03-31"),
    ("by next Friday", "2026-11-27"),
    ("within 4 weeks", "2026-12-14"),
    ("within two months", "2027-01-16"),
    ("within a year", "2027-11-16"),
    ("in the next 3 months", "2027-02-16"),
    ("within 10 working days", "2026-11-30"),
    ("before Chinese New Year 2027", "2027-02-05"),
    ("before Spring Festival", "2027-02-05"),
    ("before National Day 2027", "2027-09-30"),
)

# --- metrics, Chinese: each after two deadlines -------------------------------

CN_METRICS: tuple[tuple[str, M], ...] = (
    ("将客户投诉平均处理时长从48小时缩短至24小时", M("客户投诉平均处理时长", 48, 24, "小时", "decrease")),
    ("客户满意度评分提升至4.5分(满分5分)", M("客户满意度评分", None, 4.5, "分", "increase", scale_max=5)),
    ("80%的投诉在24小时内闭环", M("投诉闭环率", None, 80, "%", "reach")),
    ("百分之九十的工单在2小时内响应", M("工单响应率", None, 90, "%", "reach")),
    ("新增用户10万", M("新增用户", None, 100000, "", "increase")),
    ("新增客户两千家", M("新增客户", None, 2000, "家", "increase")),
    ("营收达到1.5亿元", M("营收", None, 150000000, "元", "reach")),
    ("系统可用率保持在99.9%以上", M("系统可用率", None, 99.9, "%", "increase")),
    ("投诉处理时长控制在24小时以内", M("投诉处理时长", None, 24, "小时", "decrease")),
    ("满意度从3.8分提升到4.5分", M("满意度", 3.8, 4.5, "分", "increase")),
    ("处理时长从8天缩短一半", M("处理时长", 8, 4, "天", "decrease", change=("factor", 0.5))),
    ("营收从3000万元翻一番", M("营收", 30000000, 60000000, "元", "increase", change=("factor", 2))),
    ("营收从3000万元翻两番", M("营收", 30000000, 120000000, "元", "increase", change=("factor", 4))),
    ("满意率从60%提高15个百分点", M("满意率", 60, 75, "%", "increase", change=("points", 15))),
    ("成本从500万元降低20%", M("成本", 5000000, 4000000, "元", "decrease", change=("percent", 20))),
    ("用户数从2万增长一倍", M("用户数", 20000, 40000, "", "increase", change=("factor", 2))),
    ("退货率从5%降低2个百分点", M("退货率", 5, 3, "%", "decrease", change=("points", 2))),
    ("库存周转天数从60天减少25%", M("库存周转天数", 60, 45, "天", "decrease", change=("percent", 25))),
    ("销售额提升20%", M("销售额", None, None, "", "increase", change=("percent", 20))),
    ("营收翻一番", M("营收", None, None, "", "increase", change=("factor", 2))),
    ("审批时长缩短一半", M("审批时长", None, None, "", "decrease", change=("factor", 0.5))),
    ("合格率提高15个百分点", M("合格率", None, None, "%", "increase", change=("points", 15))),
    ("降低运营成本10%", M("运营成本", None, None, "", "decrease", change=("percent", 10))),
    ("能耗减半", M("能耗", None, None, "", "decrease", change=("factor", 0.5))),
    ("新开8家网点", M("新开网点", None, 8, "家", "increase")),
    ("发放300张优惠券", M("发放优惠券", None, 300, "张", "reach")),
    ("覆盖80万用户", M("覆盖用户", None, 800000, "", "reach")),
    ("培训500名员工", M("培训员工", None, 500, "名", "reach")),
    ("签约50家经销商", M("签约经销商", None, 50, "家", "increase")),
    ("上线3款新产品", M("上线新产品", None, 3, "款", "reach")),
    ("举办12场培训", M("举办培训", None, 12, "场", "reach")),
    ("新增注册用户八十万", M("新增注册用户", None, 800000, "", "increase")),
    ("交付200套设备", M("交付设备", None, 200, "套", "reach")),
    ("一次解决率达到85%", M("一次解决率", None, 85, "%", "reach")),
    ("客户流失率降低至3%以下", M("客户流失率", None, 3, "%", "decrease")),
    ("首次响应时间从4小时缩短到1小时", M("首次响应时间", 4, 1, "小时", "decrease")),
    ("网点数量从20家增加到28家", M("网点数量", 20, 28, "家", "increase")),
    ("NPS从30提升至45", M("NPS", 30, 45, "", "increase")),
    ("投诉量减少30%", M("投诉量", None, None, "", "decrease", change=("percent", 30))),
    ("人均产值提高25%", M("人均产值", None, None, "", "increase", change=("percent", 25))),
    ("交付周期从30天压缩至20天", M("交付周期", 30, 20, "天", "decrease")),
    ("缺陷率从2%降至0.5%", M("缺陷率", 2, 0.5, "%", "decrease")),
    ("营业收入增长到2亿元", M("营业收入", None, 200000000, "元", "increase")),
    ("系统可用性达到99.95%", M("系统可用性", None, 99.95, "%", "reach")),
    ("客户满意度达到4.8分(满分5分)", M("客户满意度", None, 4.8, "分", "reach", scale_max=5)),
    ("线上订单占比提升至40%", M("线上订单占比", None, 40, "%", "increase")),
    ("故障恢复时间控制在30分钟以内", M("故障恢复时间", None, 30, "分钟", "decrease")),
    ("客户留存率从70%提高到80%", M("客户留存率", 70, 80, "%", "increase")),
    ("市场份额提高5个百分点", M("市场份额", None, None, "%", "increase", change=("points", 5))),
    ("新增会员５万人", M("新增会员", None, 50000, "人", "increase")),
)
CN_METRIC_DEADLINES = (("2027年6月30日前,", "2027-06-30"), ("明年上半年", "2027-06-30"))

# --- metrics, English: each before two deadlines -----------------------------

EN_METRICS: tuple[tuple[str, M], ...] = (
    (
        "Reduce average complaint handling time from 48 hours to 24 hours",
        M("average complaint handling time", 48, 24, "hours", "decrease"),
    ),
    (
        "Raise customer satisfaction to 4.5 (out of 5)",
        M("customer satisfaction", None, 4.5, "", "increase", 5),
    ),
    ("Increase sales by 30%", M("sales", None, None, "", "increase", change=("percent", 30))),
    (
        "Cut costs from 5 million yuan by 20%",
        M("costs", 5000000, 4000000, "yuan", "decrease", change=("percent", 20)),
    ),
    ("Double revenue", M("revenue", None, None, "", "increase", change=("factor", 2))),
    (
        "Halve the handling time from 8 days",
        M("handling time", 8, 4, "days", "decrease", change=("factor", 0.5)),
    ),
    ("Launch the payments API with 99.95% availability", M("availability", None, 99.95, "%", "reach")),
    ("Reach 100,000 users", M("users", None, 100000, "", "reach")),
    (
        "Raise the first-contact resolution rate by 15 percentage points",
        M("first-contact resolution rate", None, None, "%", "increase", change=("points", 15)),
    ),
    ("Increase customer retention from 70% to 80%", M("customer retention", 70, 80, "%", "increase")),
    ("Lower the defect rate to 0.5%", M("defect rate", None, 0.5, "%", "decrease")),
    ("Triple online orders", M("online orders", None, None, "", "increase", change=("factor", 3))),
    ("Reduce energy use by 10%", M("energy use", None, None, "", "decrease", change=("percent", 10))),
    (
        "Grow monthly active users from 20,000 to 50,000",
        M("monthly active users", 20000, 50000, "", "increase"),
    ),
    ("Sign 50 new distributors", M("new distributors", None, 50, "", "increase")),
    ("Ship the mobile app with 98% crash-free sessions", M("crash-free sessions", None, 98, "%", "reach")),
    ("Shorten delivery time from 30 days to 20 days", M("delivery time", 30, 20, "days", "decrease")),
    ("Improve NPS from 30 to 45", M("NPS", 30, 45, "", "increase")),
)
EN_METRIC_DEADLINES = ((" by 30 June 2027", "2027-06-30"), (" within six months", "2027-05-16"))

# --- whole statements --------------------------------------------------------

STATEMENTS: tuple[S, ...] = (
    S(
        "本次‘客户投诉快速响应’跨部门协作,目标为:2027年Q3末,实现80%的投诉在24小时内闭环,"
        "客户满意度评分提升至4.5分(满分5分)。",
        "2027-09-30",
        (M("投诉闭环率", None, 80, "%", "reach"), M("客户满意度评分", None, 4.5, "分", "increase", 5)),
    ),
    S(
        "3个月内把客户投诉响应时间从48小时缩短至24小时",
        "2027-02-16",
        (M("客户投诉响应时间", 48, 24, "小时", "decrease"),),
    ),
    S("一年内新开8家网点", "2027-11-16", (M("新开网点", None, 8, "家", "increase"),)),
    S("春节前发放300张优惠券", "2027-02-05", (M("发放优惠券", None, 300, "张", "reach"),)),
    S(
        "2027年Q2末,将投诉处理时长从48小时缩短至24小时,客户满意度提升至4.5分(满分5分)",
        "2027-06-30",
        (HANDLING, M("客户满意度", None, 4.5, "分", "increase", 5)),
    ),
    S(
        "2027年3月31日前完成方案,2027年6月30日前营收从3000万元翻一番",
        "2027-06-30",
        (M("营收", 30000000, 60000000, "元", "increase", change=("factor", 2)),),
    ),
    S("80%的投诉在3天内闭环,2027年底前", "2027-12-31", (M("投诉闭环率", None, 80, "%", "reach"),)),
    S("技术部接到需求后5天内给出结论", None),
    S("每2周内汇报一次进度", None),
    S("24小时内闭环", None),
    S("提升效率", None),
    S("尽快优化审批流程", None),
    S("加强沟通", None),
    S("improve efficiency", None),
    S("ASAP", None),
    S("完成系统上线", None),
    S("十天内完成系统上线", "2026-11-26"),
    S("Ship the new portal within 4 weeks", "2026-12-14"),
    S("9月底前完成系统上线", "2026-09-30"),
    S(
        "2026年6月30日前将处理时长从48小时缩短至24小时",
        "2026-06-30",
        (M("处理时长", 48, 24, "小时", "decrease"),),
    ),
    S(
        "by 30 June 2026, reduce costs by 10%",
        "2026-06-30",
        (M("costs", None, None, "", "decrease", change=("percent", 10)),),
    ),
    S("2027年H1前上线新系统", "2026-12-31"),
    S("下半年前完成招聘", "2026-06-30"),
    S("今后一年内完成全部网点改造", "2027-11-16"),
    S("2027年内新开8家网点", "2027-12-31", (M("新开网点", None, 8, "家", "increase"),)),
    S("1个半月内完成培训", "2026-12-31"),
    S(
        "Raise satisfaction by 0.5 points by 2027",
        "2027-12-31",
        (M("satisfaction", None, 0.5, "points", "increase"),),
    ),
    S(
        "Resolve 80% of complaints within 24 hours and raise satisfaction to 4.5 (out of 5) by end of Q3 2027",
        "2027-09-30",
        (M("Resolve complaints", None, 80, "%", "reach"), M("satisfaction", None, 4.5, "", "increase", 5)),
    ),
)


def corpus() -> list[S]:
    """Return every statement with its expected fields."""
    found: list[S] = [
        S(f"{phrase}将投诉处理时长从48小时缩短至24小时", day, (HANDLING,)) for phrase, day in CN_DEADLINES
    ]
    found += [
        S(f"Reduce complaint handling time from 48 hours to 24 hours {phrase}", day, (HANDLING_EN,))
        for phrase, day in EN_DEADLINES
    ]
    found += [
        S(f"{lead}{text}", day, (metric,)) for text, metric in CN_METRICS for lead, day in CN_METRIC_DEADLINES
    ]
    found += [
        S(f"{text}{tail}", day, (metric,)) for text, metric in EN_METRICS for tail, day in EN_METRIC_DEADLINES
    ]
    return found + list(STATEMENTS)
