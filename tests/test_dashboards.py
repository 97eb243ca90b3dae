"""The dashboards: one collaboration's charts, the overview, and the data behind them."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.conftest import make_person
from tests.helpers import TZ, signed_in
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.actions import do_record_reading
from xietong.collabs.models import Collaboration, Metric, MetricReading, Visibility
from xietong.dashboards import data, views
from xietong.orgs.models import Person
from xietong.rules import snapshot as s
from xietong.rules.engine import Context, Finding, Severity

pytestmark = pytest.mark.django_db

GOOD = Path(__file__).parent / "charters" / "good.json"
PINNED = "2024-08-12 12:00 +0800"
# The demo's weekly readings: the Mondays from the kickoff to the pinned day.
MONDAYS = ["2024-07-08", "2024-07-15", "2024-07-22", "2024-07-29", "2024-08-05", "2024-08-12"]


def charter_with_tasks(n: int, title: str = "客户投诉快速响应") -> dict[str, Any]:
    charter = json.loads(GOOD.read_text(encoding="utf-8"))
    base = charter["tasks"]
    charter["tasks"] = [dict(base[i % len(base)], description=f"任务 {i}") for i in range(n)]
    charter["title"] = title
    return charter


def chart(page: str, element_id: str) -> Any:
    """Return the JSON that json_script wrote for one chart."""
    found = re.search(
        rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, f"no chart data #{element_id}"
    return json.loads(found.group(1))


def get_page(client: Client, url: str) -> str:
    with time_machine.travel(PINNED, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def dashboard(demo: Collaboration, initiator: Person) -> str:
    return get_page(signed_in(initiator), f"/c/{demo.slug}/dashboard/")


# --- the collaboration's dashboard


def test_it_counts_each_departments_tasks_by_state(dashboard: str) -> None:
    status = chart(dashboard, "chart-status")
    by_department = {row["department"]: row["counts"] for row in status["rows"]}
    assert status["categories"] == ["售后部", "产品部", "技术部", "法务部"]
    zero = dict.fromkeys(data.STATES, 0)
    assert by_department == {
        "售后部": {**zero, "done": 2, "in_progress": 1, "not_started": 1},
        "产品部": {**zero, "done": 2},
        # 建立投诉工单系统自动分派规则 is past its deadline; the defect fixes are blocked
        "技术部": {**zero, "done": 1, "overdue": 1, "blocked": 1},
        "法务部": {**zero, "done": 1},
    }
    series = {serie["key"]: serie for serie in status["series"]}
    assert [serie["key"] for serie in status["series"]] == list(data.STATES)
    assert series["overdue"]["data"] == [0, 0, 1, 0]
    assert series["overdue"]["name"] == "逾期"
    assert series["done"]["color"] == data.STATE_COLOURS["done"]
    assert status["total"] == 10


def test_it_draws_each_metric_from_its_weekly_readings(dashboard: str, demo: Collaboration) -> None:
    metrics = [chart(dashboard, f"chart-metric-{i}") for i in range(3)]
    assert [m["name"] for m in metrics] == ["24小时内闭环率", "客户满意度评分", "平均处理时长"]
    closing = metrics[0]
    assert [day for day, _value in closing["points"]] == MONDAYS
    stored = MetricReading.objects.filter(metric__name="24小时内闭环率", metric__goal__collaboration=demo)
    assert [value for _day, value in closing["points"]] == [float(r.value) for r in stored]
    assert closing["points"][0] == ["2024-07-08", 45]
    assert closing["points"][-1] == ["2024-08-12", 57.4]
    assert (closing["baseline"], closing["target"], closing["unit"]) == (45, 80, "%")
    assert closing["deadline"] == "2024-09-30"
    assert closing["progress"] == 35
    # the axes hold the readings, the baseline, the target and the deadline
    assert closing["x_min"] == "2024-07-08" and closing["x_max"] == "2024-09-30"
    assert closing["y_min"] <= 45 and closing["y_max"] >= 80
    hours = metrics[2]
    assert hours["direction"] == "decrease" and hours["points"][-1][1] < hours["points"][0][1]
    assert "<caption>24小时内闭环率 (%)</caption>" in dashboard


def test_it_lays_out_the_timeline_from_the_kickoff(dashboard: str) -> None:
    timeline = chart(dashboard, "chart-timeline")
    rows = timeline["rows"]
    assert len(rows) == 10
    first, second = rows[0], rows[1]
    assert (first["department"], first["task"]) == ("售后部", "梳理投诉受理与分类流程")
    assert (first["start"], first["deadline"], first["state"]) == ("2024-07-08", "2024-07-15", "done")
    # the department's next row starts the day after its previous deadline
    assert (second["task"], second["start"], second["deadline"]) == (
        "制定客户回访话术与满意度调查方案",
        "2024-07-16",
        "2024-07-29",
    )
    overdue = next(row for row in rows if row["task"] == "建立投诉工单系统自动分派规则")
    assert (overdue["state"], overdue["color"]) == ("overdue", data.STATE_COLOURS["overdue"])
    blocked = next(row for row in rows if row["task"] == "修复 TOP3 高频产品缺陷")
    assert blocked["state"] == "blocked"
    assert [(m["key"], m["at"]) for m in timeline["milestones"]] == [
        ("kickoff", "2024-07-08T10:00"),
        ("deadline", "2024-10-01T00:00"),
        ("today", "2024-08-12T12:00"),
    ]
    assert timeline["undated"] == 0


def test_it_shows_the_score_and_the_open_findings(dashboard: str) -> None:
    gauge = chart(dashboard, "chart-gauge")
    assert gauge["kind"] == "gauge" and 0 <= gauge["score"] <= 100
    assert "警告" in dashboard
    assert "<code>T01</code>" in dashboard
    assert "已逾期 21 天" in dashboard
    assert 'href="/c/demo/dashboard/"' in dashboard


def test_it_links_each_finding_to_its_steps_page(admin_user: Person) -> None:
    charter = charter_with_tasks(2)
    charter["tasks"][0]["department"] = None
    charter["goal"]["metrics"][0].pop("baseline")
    stored = do_import_charter(parse_charter(charter), slug="gaps")
    page = get_page(signed_in(admin_user), "/c/gaps/dashboard/")
    errors = page.index('class="sev-heading sev-error"')
    warnings = page.index('class="sev-heading sev-warning"')
    assert errors < page.index("<code>R01</code>") < warnings < page.index("<code>G03</code>")
    assert f'href="/c/{stored.slug}/table/"' in page
    assert f'href="/c/{stored.slug}/goal/"' in page


def test_it_has_charts_loaded_with_defer_and_no_inline_script(dashboard: str) -> None:
    scripts = re.findall(r"<script\b[^>]*>", dashboard)
    for tag in scripts:
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert re.search(r'<script src="[^"]*vendor/echarts-6\.1\.0/echarts\.min\.js" defer>', dashboard)
    assert re.search(r'<script src="[^"]*xietong/charts\.js" defer>', dashboard)
    assert not re.search(r"<[^>]+\son[a-z]+=", dashboard)  # no inline event handlers
    assert dashboard.count("data-chart=") == 6  # gauge, three metrics, status, timeline
    assert dashboard.count('<details class="table-scroll"') == 5  # a data table for each chart but the gauge


def test_it_says_so_when_there_is_nothing_to_draw(admin_user: Person) -> None:
    do_import_charter(parse_charter({"title": "空协作"}), slug="empty")
    page = get_page(signed_in(admin_user), "/c/empty/dashboard/")
    assert "还没有目标指标" in page
    assert "还没有任务" in page
    assert "还没有带时间节点的任务" in page
    assert page.count("data-chart=") == 1  # the gauge only


def test_it_says_so_for_a_metric_without_readings(admin_user: Person) -> None:
    do_import_charter(parse_charter(charter_with_tasks(3)), slug="fresh")
    page = get_page(signed_in(admin_user), "/c/fresh/dashboard/")
    assert "还没有读数" in page
    assert 'id="chart-metric-0"' not in page


def test_it_escapes_text_from_a_charter(admin_user: Person) -> None:
    charter = charter_with_tasks(2)
    charter["tasks"][0]["description"] = "</script><script>alert(1)</script>"
    do_import_charter(parse_charter(charter), slug="xss")
    page = get_page(signed_in(admin_user), "/c/xss/dashboard/")
    assert "<script>alert(1)" not in page
    assert chart(page, "chart-timeline")["rows"][0]["task"] == "</script><script>alert(1)</script>"


@pytest.mark.parametrize("url", ["/c/demo/dashboard/", "/overview/"])
def test_it_needs_a_signed_in_person(demo: Collaboration, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- the overview


def test_it_lists_only_what_the_person_may_see(
    demo: Collaboration, initiator: Person, outsider: Person
) -> None:
    # neither shares a department or a person with the demo
    other = {"initiator": {"department": "财务部", "owner": "钱经理"}}
    do_import_charter(parse_charter({"title": "公司级协作", **other}), slug="open")
    Collaboration.objects.filter(slug="open").update(visibility=Visibility.COMPANY)
    do_import_charter(parse_charter({"title": "别人的协作", **other}), slug="closed")

    mine = get_page(signed_in(initiator), "/overview/")
    assert "客户投诉快速响应" in mine and "公司级协作" in mine and "别人的协作" not in mine
    assert 'href="/c/demo/"' in mine
    assert chart(mine, "chart-scores")["categories"] == ["公司级协作", "客户投诉快速响应"]

    theirs = get_page(signed_in(outsider), "/overview/")
    assert "公司级协作" in theirs
    assert "客户投诉快速响应" not in theirs and "别人的协作" not in theirs

    nobody = make_person("nobody")
    Collaboration.objects.filter(slug="open").update(visibility=Visibility.PARTICIPANTS)
    assert "还没有你可以查看的协作" in get_page(signed_in(nobody), "/overview/")


def test_it_shows_each_collaborations_numbers(demo: Collaboration, initiator: Person) -> None:
    page = get_page(signed_in(initiator), "/overview/")
    row = page[page.index('<th scope="row"') :]
    assert "问题解决型" in row and "监控" in row and "售后部" in row
    assert "2024-09-30" in row
    # 24小时内闭环率 57.4 on the way from 45 to 80; 平均处理时长 39.5 on the way from 48 down to 24
    assert re.search(r"24小时内闭环率</span>\s*<meter[^>]*value=\"35\"", row)
    assert re.search(r"平均处理时长</span>\s*<meter[^>]*value=\"35\"", row)
    counts = re.findall(r'swatch-(\w+)" aria-hidden="true"></span>(\S+) (\d+)', row)
    assert counts == [
        ("done", "已完成", "6"),
        ("in_progress", "进行中", "1"),
        ("overdue", "逾期", "1"),
        ("blocked", "阻塞", "1"),
    ]
    score = re.search(r'class="score score-\w+">(\d+)<', row)
    assert score is not None
    assert chart(page, "chart-scores")["data"][0]["value"] == int(score.group(1))


def test_it_pages_the_overview(admin_user: Person, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for i in range(3):
        do_import_charter(parse_charter(charter_with_tasks(1, title=f"协作 {i}")), slug=f"c{i}")
    client = signed_in(admin_user)
    first, second = get_page(client, "/overview/"), get_page(client, "/overview/?page=2")
    assert "协作 2" in first and "协作 1" in first and "协作 0" not in first
    assert "协作 0" in second and 'rel="prev"' in second


# --- query counts


def _count_queries(client: Client, url: str) -> int:
    with time_machine.travel(PINNED, tick=False), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _with_readings(collab: Collaboration, weeks: int) -> None:
    for metric in Metric.objects.filter(goal__collaboration=collab):
        for week in range(weeks):
            do_record_reading(metric, date(2024, 7, 8) + timedelta(weeks=week), Decimal(50 + week))


@pytest.mark.parametrize("url", ["/c/{slug}/dashboard/", "/overview/?slug={slug}"])
def test_it_costs_the_same_queries_for_10_or_1000_tasks(url: str) -> None:
    counts = []
    for n, weeks in ((10, 1), (1000, 4)):
        person = make_person(f"boss{n}", is_superuser=True)
        Collaboration.objects.all().delete()
        collab = do_import_charter(parse_charter(charter_with_tasks(n)), slug=f"size{n}")
        _with_readings(collab, weeks)
        client = signed_in(person)
        counts.append(_count_queries(client, url.format(slug=collab.slug)))
    assert counts[0] == counts[1]


def test_it_costs_the_overview_the_same_queries_for_1_or_5_collaborations(admin_user: Person) -> None:
    client = signed_in(admin_user)
    counts = []
    made = 0
    for wanted in (1, 5):
        while made < wanted:
            collab = do_import_charter(parse_charter(charter_with_tasks(3 + made)), slug=f"many{made}")
            _with_readings(collab, made + 1)
            made += 1
        counts.append(_count_queries(client, "/overview/"))
    assert counts[0] == counts[1]


# --- the data functions, without the database

KICKOFF_AT = datetime(2024, 7, 8, 10, tzinfo=TZ)
CTX = Context(now=datetime(2024, 8, 12, 4, tzinfo=UTC), tz=TZ)  # 12:00 in Shanghai


def task(department: str | None, deadline: str | None, status: str = "not_started", text: str = "") -> s.Task:
    return s.Task(
        description=text or f"{department}-{deadline}",
        departments=(department,) if department else (),
        deadline=date.fromisoformat(deadline) if deadline else None,
        status=s.TaskStatus(status),
    )


def collab(
    *tasks: s.Task, kickoff: datetime | None = KICKOFF_AT, deadline: str | None = "2024-09-30"
) -> s.Collab:
    return s.Collab(
        title="t",
        departments=(s.Department("售后部"), s.Department("技术部")),
        kickoff=s.Kickoff(scheduled_at=kickoff) if kickoff else None,
        goal=s.Goal(deadline=date.fromisoformat(deadline)) if deadline else None,
        tasks=tasks,
    )


def test_it_derives_the_state_of_a_task_on_a_day() -> None:
    today = date(2024, 8, 12)
    assert data.task_state(task("售后部", "2024-08-01", "done"), today) == "done"
    assert data.task_state(task("售后部", "2024-08-01", "blocked"), today) == "blocked"  # blocked wins
    assert data.task_state(task("售后部", "2024-08-11", "in_progress"), today) == "overdue"
    assert data.task_state(task("售后部", "2024-08-11"), today) == "overdue"
    assert data.task_state(task("售后部", "2024-08-12", "in_progress"), today) == "in_progress"  # due today
    assert data.task_state(task("售后部", None), today) == "not_started"


def test_it_groups_states_by_department_participants_first() -> None:
    snapshot = collab(
        task("法务部", "2024-08-01", "done"),
        task(None, "2024-08-01"),
        task("技术部", "2024-08-01", "blocked"),
        task("技术部", "2024-09-01", "in_progress"),
    )
    chart_data = data.status_by_department(snapshot, date(2024, 8, 12))
    # 售后部 has no task; 法务部 is not a participant; tasks without a department come last
    assert chart_data["categories"] == ["技术部", "法务部", "(未指定部门)"]
    assert [row["cells"] for row in chart_data["rows"]] == [[0, 1, 0, 1, 0], [1, 0, 0, 0, 0], [0, 0, 1, 0, 0]]
    assert chart_data["totals"] == {"done": 1, "in_progress": 1, "overdue": 1, "blocked": 1, "not_started": 0}
    assert data.status_by_department(collab(), date(2024, 8, 12))["categories"] == []


def test_it_measures_progress_in_either_direction() -> None:
    assert data.progress(Decimal(45), Decimal(80), Decimal("57.4")) == 35
    assert data.progress(Decimal(48), Decimal(24), Decimal(36)) == 50  # a time coming down
    assert data.progress(Decimal(48), Decimal(24), Decimal(12)) == 150  # beyond the target
    assert data.progress(Decimal(48), Decimal(24), Decimal(60)) == -50  # worse than the baseline
    assert data.progress(None, Decimal(24), Decimal(30)) is None
    assert data.progress(Decimal(24), Decimal(24), Decimal(30)) is None
    assert data.progress(Decimal(45), Decimal(80), None) is None


def test_it_builds_a_metric_chart_that_holds_its_marks() -> None:
    goal = s.Goal(
        deadline=date(2024, 9, 30),
        metrics=(
            s.Metric("满意度", "分", Decimal("3.8"), Decimal("4.5"), s.Direction.INCREASE, Decimal(5), key=1),
            s.Metric("新指标", "%", None, Decimal(80), key=2),
        ),
    )
    readings = {1: [(date(2024, 7, 15), Decimal("3.9")), (date(2024, 7, 8), Decimal("3.8000"))]}
    rating, fresh = data.metric_charts(goal, readings, date(2024, 7, 8))
    assert rating["points"] == [["2024-07-08", 3.8], ["2024-07-15", 3.9]]  # by day
    assert rating["latest"] == 3.9 and rating["progress"] == 14
    assert rating["y_min"] <= 3.8 and 4.5 <= rating["y_max"] <= 5
    assert (rating["x_min"], rating["x_max"]) == ("2024-07-08", "2024-09-30")
    assert fresh["points"] == [] and fresh["latest"] is None and fresh["progress"] is None
    assert data.metric_charts(None, {}, None) == []


def test_it_rounds_a_value_axis_to_round_steps() -> None:
    assert data.nice_extent([45, 80, 57.4]) == (40, 90, 10)
    assert data.nice_extent([3.8, 4.5], ceiling=5) == (3.6, 4.6, 0.2)
    assert data.nice_extent([0.2, 0.4]) == (0.15, 0.45, 0.05)
    assert data.nice_extent([7, 7]) == (6, 8, 2)
    assert data.nice_extent([0, 3]) == (0, 4, 1)  # never below 0 when no value is


def test_it_infers_when_each_task_starts() -> None:
    snapshot = collab(
        task("售后部", "2024-07-20", text="b"),
        task("售后部", "2024-07-15", "done", text="a"),
        task("售后部", "2024-07-20", text="b2"),  # same deadline: same start
        task("技术部", "2024-07-01", text="early"),  # due before the kickoff
        task("技术部", None, text="undated"),
    )
    rows = data.timeline(snapshot, CTX, fallback_start=date(2024, 6, 1))["rows"]
    spans = {row["task"]: (row["start"], row["deadline"]) for row in rows}
    assert spans == {
        "a": ("2024-07-08", "2024-07-15"),
        "b": ("2024-07-16", "2024-07-20"),
        "b2": ("2024-07-16", "2024-07-20"),
        "early": ("2024-07-01", "2024-07-01"),
    }
    assert [row["task"] for row in rows] == ["a", "b", "b2", "early"]
    timeline = data.timeline(snapshot, CTX, fallback_start=date(2024, 6, 1))
    assert timeline["undated"] == 1
    assert timeline["x_min"] == "2024-07-01" and timeline["x_max"] == "2024-10-01"


def test_it_starts_from_the_fallback_day_without_a_kickoff() -> None:
    snapshot = collab(task("售后部", "2024-07-20"), kickoff=None, deadline=None)
    timeline = data.timeline(snapshot, CTX, fallback_start=date(2024, 7, 1))
    assert timeline["rows"][0]["start"] == "2024-07-01"
    assert [m["key"] for m in timeline["milestones"]] == ["today"]


def test_it_groups_findings_by_severity_with_step_links() -> None:
    findings = [
        Finding("T01", Severity.WARNING, "tasks[0]", "逾期"),
        Finding("R01", Severity.ERROR, "tasks[1]", "无责任部门"),
        Finding("T03", Severity.INFO, "departments[0]", "未汇报"),
        Finding("G03", Severity.WARNING, "goal.metrics[0]", "无基线"),
    ]
    groups = data.findings_by_severity(findings, {4: "/c/x/table/", 7: "/c/x/dashboard/"})
    assert [(g.severity, g.name) for g in groups] == [
        ("error", "错误"),
        ("warning", "警告"),
        ("info", "提示"),
    ]
    assert [item["rule"] for item in groups[1].items] == ["T01", "G03"]
    assert groups[0].items[0] == {
        "rule": "R01",
        "text": "无责任部门",
        "object": "tasks[1]",
        "label": "",
        "step": 4,
        "step_name": "制定部门职责分工表",
        "url": "/c/x/table/",
    }
    assert groups[1].items[1]["url"] == ""  # no page known for step 1 here
    assert data.findings_by_severity([], {}) == []


def test_it_picks_each_metrics_latest_reading() -> None:
    rows = [
        (1, date(2024, 7, 8), Decimal(1)),
        (1, date(2024, 7, 15), Decimal(2)),
        (2, date(2024, 7, 1), Decimal(9)),
    ]
    assert data.latest_by_metric(reversed(rows)) == {1: Decimal(2), 2: Decimal(9)}
    goal = s.Goal(metrics=(s.Metric("m", "%", Decimal(0), Decimal(4), key=1), s.Metric("n", key=None)))
    progress = data.metric_progress(goal, {1: Decimal(5)})
    assert [(p["percent"], p["meter"]) for p in progress] == [(125, 100), (None, None)]


def test_it_colours_scores_like_the_badges() -> None:
    scores = data.scores_chart([("a", 95), ("b", 80), ("c", 79), ("d", 10)])
    assert scores["categories"] == ["a", "b", "c", "d"]
    colours = [d["color"] for d in scores["data"]]
    good, fair, poor = (data.SCORE_COLOURS[k] for k in ("good", "fair", "poor"))
    assert colours == [good, good, fair, poor]
    assert data.gauge(50)["band"] == "fair" and data.gauge(49)["color"] == poor


def test_it_translates_chart_texts_on_the_server() -> None:
    with translation.override("zh-hans"):
        labels = data.state_labels()
    assert labels == {
        "done": "已完成",
        "in_progress": "进行中",
        "overdue": "逾期",
        "blocked": "阻塞",
        "not_started": "未开始",
    }
    with translation.override("en"):
        assert data.state_labels()["done"] != "已完成"


def test_it_forecasts_the_trend_at_the_deadline() -> None:
    weekly = [
        (date(2024, 7, 8), Decimal(45)),
        (date(2024, 7, 15), Decimal(47)),
        (date(2024, 7, 22), Decimal(49)),
    ]
    # Two points a week: 11 weeks after 07-22 the straight line reaches 71.
    assert data.forecast(weekly, date(2024, 10, 7)) == Decimal("71.0")
    assert data.forecast(weekly[:1], date(2024, 10, 7)) is None  # one day is no trend
    assert data.reaches("increase", Decimal(80), Decimal("71.0")) is False
    assert data.reaches("decrease", Decimal(24), Decimal("20")) is True
    assert data.reaches("", Decimal(24), Decimal("20")) is None


def test_it_says_where_the_trend_leads_by_the_deadline(dashboard: str) -> None:
    closing = chart(dashboard, "chart-metric-0")
    assert closing["forecast"] is not None and closing["forecast_reaches"] is False  # 85 % of a straight line
    assert closing["y_max"] >= closing["forecast"]
    assert "按当前趋势,2024-09-30 预计达到" in dashboard and "难以达成目标,需要调整" in dashboard


@time_machine.travel(datetime(2024, 8, 14, 12, tzinfo=TZ), tick=False)
def test_the_initiator_records_a_reading_and_the_chart_has_it(demo: Collaboration, initiator: Person) -> None:
    metric = Metric.objects.get(goal__collaboration=demo, name="24小时内闭环率")
    url = f"/c/{demo.slug}/dashboard/readings/"
    client = signed_in(initiator)
    page = client.get(f"/c/{demo.slug}/dashboard/").content.decode()
    assert "记录指标读数" in page
    response = client.post(
        url, {"metric": metric.pk, "measured_on": "2024-08-14", "value": "60.5", "note": "周中抽样"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#dash-metrics")
    reading = MetricReading.objects.get(metric=metric, measured_on=date(2024, 8, 14))
    assert (reading.value, reading.note, reading.recorded_by) == (Decimal("60.5"), "周中抽样", initiator)
    closing = chart(get_page(client, f"/c/{demo.slug}/dashboard/"), "chart-metric-0")
    assert closing["points"][-1] == ["2024-08-14", 60.5]
    # a day in the future and a metric of another collaboration are refused; nothing stored
    future = client.post(url, {"metric": metric.pk, "measured_on": "2024-08-20", "value": "70"})
    assert future.status_code == 200 and "测量日期不能晚于今天" in future.content.decode()
    assert not MetricReading.objects.filter(measured_on=date(2024, 8, 20)).exists()
    stranger = do_import_charter(parse_charter(charter_with_tasks(1, title="别的协作")))
    other = Metric.objects.filter(goal__collaboration=stranger).first()
    assert other is not None
    refused = client.post(url, {"metric": other.pk, "measured_on": "2024-08-14", "value": "1"})
    assert refused.status_code == 200 and not MetricReading.objects.filter(metric=other).exists()


def test_only_the_initiator_and_administrators_record_readings(demo: Collaboration) -> None:
    liaison = Person.objects.get(display_name="李工")
    metric = Metric.objects.filter(goal__collaboration=demo).first()
    assert metric is not None
    client = signed_in(liaison)
    assert "记录指标读数" not in client.get(f"/c/{demo.slug}/dashboard/").content.decode()
    response = client.post(
        f"/c/{demo.slug}/dashboard/readings/",
        {"metric": metric.pk, "measured_on": "2024-08-01", "value": "1"},
    )
    assert response.status_code == 403
