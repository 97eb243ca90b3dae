"""Step 6 page: the communication plan (常态化沟通机制), changed by the initiator."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.helpers import TZ, liaison_of, owner, signed_in
from tests.test_views import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Goal
from xietong.meetings.actions.occurrences import do_open_occurrence, series_occurrences, series_window
from xietong.meetings.forms import split_outputs
from xietong.meetings.models import CommunicationRule, Meeting
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
SEPTEMBER_25 = datetime(2024, 9, 25, 9, tzinfo=TZ)


def url(collab: Collaboration) -> str:
    return f"/c/{collab.slug}/communication/"


def liaison(collab: Collaboration) -> Client:
    return signed_in(liaison_of(collab))


def rule_of(collab: Collaboration, scenario: str) -> CommunicationRule:
    return CommunicationRule.objects.get(collaboration=collab, scenario=scenario)


def form_data(**changes: str) -> dict[str, str]:
    """A complete submission: a weekly risk review every Friday 16:00."""
    data = {
        "scenario": "risk_warning",
        "channel": "weekly_meeting",
        "frequency": "rrule",
        "freq": "weekly",
        "weekday": "4",
        "monthday": "",
        "at": "16:00",
        "rrule_advanced": "",
        "outputs": "《风险应对方案》、风险清单",
        "owner": "风险部门负责人",
        "admin": "",
    }
    data.update(changes)
    return data


def test_it_shows_the_plan_as_the_guide_writes_it(demo: Collaboration) -> None:
    response = owner(demo).get(url(demo))
    assert response.status_code == 200
    page = response.content.decode()
    assert "建立常态化沟通机制" in page
    for text in (
        "进度同步",
        "即时通讯群",
        "实时",
        "周例会",
        "每周一 10:00",
        "按需",
        "周进度清单、问题跟踪表",
        "张经理",
    ):
        assert text in page, text
    table = page[page.index("<table") : page.index("</table>")]
    assert "FREQ=" not in table
    assert "三类场景均已约定" in page


def test_it_shows_a_liaison_the_plan_but_no_buttons(demo: Collaboration) -> None:
    page = liaison(demo).get(url(demo)).content.decode()
    assert "周进度清单" in page
    assert "?edit=" not in page and "/delete/" not in page and 'id="rule-add"' not in page


def test_it_forbids_a_liaison_to_change_the_plan(demo: Collaboration) -> None:
    client = liaison(demo)
    rule = rule_of(demo, "decision")
    before = CommunicationRule.objects.count()
    assert client.post(url(demo), form_data()).status_code == 403
    assert client.post(url(demo), {**form_data(), "pk": str(rule.pk)}).status_code == 403
    assert client.get(f"{url(demo)}?edit={rule.pk}").status_code == 403
    assert client.post(f"{url(demo)}{rule.pk}/delete/").status_code == 403
    assert CommunicationRule.objects.count() == before


def test_it_adds_a_rule_with_the_picker(demo: Collaboration) -> None:
    response = owner(demo).post(url(demo), form_data())
    assert response.status_code == 302
    stored = CommunicationRule.objects.filter(collaboration=demo).order_by("position").last()
    assert stored is not None
    assert stored.rrule == "FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0"
    assert stored.frequency == "rrule"
    assert stored.outputs == ["《风险应对方案》", "风险清单"]
    assert stored.position == 3
    assert "每周五 16:00" in owner(demo).get(url(demo)).content.decode()


def test_it_edits_a_rule_and_drops_what_no_longer_applies(demo: Collaboration) -> None:
    decision = rule_of(demo, "decision")
    data = form_data(
        scenario="decision", channel="im_group", frequency="on_demand", outputs="决策记录", admin="王经理"
    )
    response = owner(demo).post(url(demo), {**data, "pk": str(decision.pk)})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#rule-{decision.pk}")
    decision.refresh_from_db()
    assert (decision.channel, decision.frequency, decision.rrule) == ("im_group", "on_demand", "")
    assert decision.admin == "王经理"
    # the group admin belongs to IM groups only
    data = form_data(scenario="decision", channel="email", frequency="on_demand", admin="王经理")
    owner(demo).post(url(demo), {**data, "pk": str(decision.pk)})
    decision.refresh_from_db()
    assert decision.admin == ""


def test_it_keeps_a_rule_the_picker_cannot_show_as_written(demo: Collaboration) -> None:
    decision = rule_of(demo, "decision")
    decision.rrule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=10;BYMINUTE=0"
    decision.save()
    page = owner(demo).get(f"{url(demo)}?edit={decision.pk}").content.decode()
    assert 'value="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;BYHOUR=10;BYMINUTE=0"' in page
    assert "自定义周期" in owner(demo).get(url(demo)).content.decode()


def test_it_deletes_a_rule_after_confirmation(demo: Collaboration) -> None:
    rule = rule_of(demo, "risk_warning")
    client = owner(demo)
    confirm = client.get(f"{url(demo)}{rule.pk}/delete/")
    assert confirm.status_code == 200 and "确定删除" in confirm.content.decode()
    assert client.post(f"{url(demo)}{rule.pk}/delete/").status_code == 302
    assert not CommunicationRule.objects.filter(pk=rule.pk).exists()


def test_it_reports_a_missing_scenario_until_it_is_covered(demo: Collaboration) -> None:
    client = owner(demo)
    client.post(f"{url(demo)}{rule_of(demo, 'risk_warning').pk}/delete/")
    page = client.get(url(demo)).content.decode()
    assert "C02" in page and "风险预警" in page
    assert client.post(url(demo), form_data()).status_code == 302
    assert "C02" not in client.get(url(demo)).content.decode()


def test_it_shows_each_rows_findings_on_the_row(demo: Collaboration) -> None:
    sync = rule_of(demo, "progress_sync")
    data = form_data(scenario="progress_sync", channel="im_group", frequency="realtime", admin="", owner="")
    owner(demo).post(url(demo), {**data, "pk": str(sync.pk)})
    page = owner(demo).get(url(demo)).content.decode()
    start = page.index(f'id="rule-{sync.pk}"')
    row = page[start : page.index("</tr>", start)]
    assert "C04" in row and "C03" in row


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"weekday": ""}, "星期几", "按周重复时请选择星期几"),
        ({"freq": ""}, "重复", "请选择重复频率"),
        ({"rrule_advanced": "EVERY MONDAY"}, "高级:RRULE 规则", "无法识别该 RRULE"),
        ({"scenario": ""}, "沟通场景", ""),
        ({"channel": "fax"}, "方式", ""),
    ],
)
def test_it_shows_what_is_wrong_and_stores_nothing(
    changes: dict[str, str], field: str, message: str, demo: Collaboration
) -> None:
    before = list(CommunicationRule.objects.order_by("pk").values_list("pk", "rrule", "outputs"))
    response = owner(demo).post(url(demo), form_data(**changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{field}</a>:" in page
    assert message in page
    assert list(CommunicationRule.objects.order_by("pk").values_list("pk", "rrule", "outputs")) == before


def test_it_answers_htmx_with_fragments_and_plain_posts_with_redirects(demo: Collaboration) -> None:
    client = owner(demo)
    rule = rule_of(demo, "decision")
    row = client.get(f"{url(demo)}?edit={rule.pk}", headers=HTMX).content.decode()
    assert row.lstrip().startswith(f'<tr id="rule-{rule.pk}" class="editing">') and "<html" not in row
    saved = client.post(url(demo), form_data(), headers=HTMX)
    assert saved.status_code == 200
    assert saved["HX-Retarget"] == "#plan-section"
    assert saved.content.decode().lstrip().startswith('<section id="plan-section"')
    invalid = client.post(url(demo), {**form_data(weekday=""), "pk": str(rule.pk)}, headers=HTMX)
    assert invalid.content.decode().lstrip().startswith(f'<tr id="rule-{rule.pk}" class="editing">')
    deleted = client.post(f"{url(demo)}{rule.pk}/delete/", headers=HTMX)
    assert deleted.status_code == 200 and deleted["HX-Retarget"] == "#plan-section"
    assert client.post(url(demo), form_data()).status_code == 302


@pytest.mark.parametrize(
    ("text", "outputs"),
    [
        ("周进度清单、问题跟踪表", ["周进度清单", "问题跟踪表"]),
        ("周进度清单, 问题跟踪表;风险清单", ["周进度清单", "问题跟踪表", "风险清单"]),
        ("周进度清单,问题跟踪表;风险清单", ["周进度清单", "问题跟踪表", "风险清单"]),
        ("周进度清单\n问题跟踪表\r\n\n", ["周进度清单", "问题跟踪表"]),
        ("  周进度清单 、、 周进度清单 ", ["周进度清单"]),
        ("", []),
    ],
)
def test_it_splits_outputs_written_as_one_text(text: str, outputs: list[str]) -> None:
    assert split_outputs(text) == outputs


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(("small", "large"), [((10, 3), (1000, 3)), ((10, 3), (10, 40))])
def test_it_costs_the_same_queries_whatever_the_size(
    admin_user: Person, small: tuple[int, int], large: tuple[int, int]
) -> None:
    collabs = []
    for name, (tasks, rules) in (("few", small), ("many", large)):
        data = charter_with_tasks(tasks)
        base = data["communication"]
        assert isinstance(base, list)
        data["communication"] = [base[i % len(base)] for i in range(rules)]
        collabs.append(do_import_charter(parse_charter(data), slug=name))
    client = signed_in(admin_user)
    assert _queries(client, url(collabs[0])) == _queries(client, url(collabs[1]))


# --- IM groups and regular meetings: the new fields, the occurrences, the calendar


def test_it_keeps_the_group_and_its_robot_for_an_im_group(demo: Collaboration) -> None:
    sync = rule_of(demo, "progress_sync")
    data = form_data(
        scenario="progress_sync",
        channel="im_group",
        frequency="realtime",
        admin="张经理",
        group_name="投诉快速响应协作群",
        binding="feishu",
        location="不该保存",
        duration_minutes="30",
        holiday_policy="skip",
    )
    assert owner(demo).post(url(demo), {**data, "pk": str(sync.pk)}).status_code == 302
    sync.refresh_from_db()
    assert (sync.group_name, sync.binding, sync.admin) == ("投诉快速响应协作群", "feishu", "张经理")
    # place, length and holiday policy belong to meetings
    assert (sync.location, sync.duration_minutes, sync.holiday_policy) == ("", 60, "postpone")
    page = owner(demo).get(url(demo)).content.decode()
    start = page.index(f'id="rule-{sync.pk}"')
    row = page[start : page.index("</tr>", start)]
    assert "投诉快速响应协作群" in row and "飞书群机器人" in row and "张经理" in row
    edit = owner(demo).get(f"{url(demo)}?edit={sync.pk}").content.decode()
    assert 'value="投诉快速响应协作群"' in edit and '<option value="feishu" selected>' in edit


def test_it_keeps_place_length_and_holiday_policy_for_a_meeting(demo: Collaboration) -> None:
    decision = rule_of(demo, "decision")
    data = form_data(
        scenario="decision",
        weekday="0",
        at="10:00",
        location="三楼会议室",
        duration_minutes="90",
        holiday_policy="skip",
        group_name="不该保存",
        binding="wecom",
    )
    assert owner(demo).post(url(demo), {**data, "pk": str(decision.pk)}).status_code == 302
    decision.refresh_from_db()
    assert (decision.location, decision.duration_minutes, decision.holiday_policy) == (
        "三楼会议室",
        90,
        "skip",
    )
    assert (decision.group_name, decision.binding) == ("", "inbox")
    page = owner(demo).get(url(demo)).content.decode()
    start = page.index(f'id="rule-{decision.pk}"')
    row = page[start : page.index("</tr>", start)]
    assert "三楼会议室" in row and "90 分钟" in row and "当次取消" in row
    edit = owner(demo).get(f"{url(demo)}?edit={decision.pk}").content.decode()
    assert 'value="三楼会议室"' in edit and 'value="90"' in edit


def test_an_email_row_notifies_by_email(demo: Collaboration) -> None:
    owner(demo).post(url(demo), form_data(channel="email", frequency="on_demand", binding="wecom"))
    stored = CommunicationRule.objects.filter(collaboration=demo).order_by("position").last()
    assert stored is not None and stored.binding == "email"


def test_a_meeting_length_out_of_range_is_refused(demo: Collaboration) -> None:
    before = CommunicationRule.objects.count()
    response = owner(demo).post(url(demo), form_data(duration_minutes="2"))
    assert response.status_code == 200
    assert "会议时长(分钟)</a>:" in response.content.decode()
    assert CommunicationRule.objects.count() == before


def _plan_on(day: datetime, client: Client, collab: Collaboration) -> str:
    with time_machine.travel(day, tick=False):
        return client.get(url(collab)).content.decode()


def _row(page: str, pk: int) -> str:
    start = page.index(f'id="rule-{pk}"')
    return page[start : page.index("</tr>", start)]


def test_a_weekly_meeting_lists_its_next_occurrences_with_the_holidays(demo: Collaboration) -> None:
    Goal.objects.filter(collaboration=demo).update(deadline=date(2024, 12, 31))
    decision = rule_of(demo, "decision")
    row = _row(_plan_on(SEPTEMBER_25, owner(demo), demo), decision.pk)
    # the latest past one, then the next four; 7 October moved to the 8th
    for when in (
        "2024-09-23 周一 10:00",
        "2024-09-30 周一 10:00",
        "2024-10-08 周二 10:00",
        "2024-10-14 周一 10:00",
        "2024-10-21 周一 10:00",
    ):
        assert when in row, when
    assert "2024-10-28" not in row
    assert "顺延(原定 2024-10-07 周一 10:00,国庆节)" in row
    assert row.count(f'action="/c/{demo.slug}/communication/{decision.pk}/open/"') == 5
    assert 'name="at" value="2024-10-08T10:00:00+08:00"' in row
    assert f'href="/c/{demo.slug}/communication/{decision.pk}.ics"' in row and "下载日历 (.ics)" in row

    decision.holiday_policy = "skip"
    decision.save()
    row = _row(_plan_on(SEPTEMBER_25, owner(demo), demo), decision.pk)
    assert "取消(国庆节)" in row
    assert 'name="at" value="2024-10-07' not in row  # a cancelled occurrence cannot be opened


def test_a_weekly_meeting_links_its_opened_occurrences_and_hides_buttons_from_others(
    demo: Collaboration,
) -> None:
    decision = rule_of(demo, "decision")
    # the demo opened every Monday up to 12 August: on 13 August the latest is shown with a link
    opened = Meeting.objects.get(series=decision, scheduled_at=datetime(2024, 8, 12, 10, tzinfo=TZ))
    on_13_august = datetime(2024, 8, 13, 9, tzinfo=TZ)
    row = _row(_plan_on(on_13_august, owner(demo), demo), decision.pk)
    assert f'href="/c/{demo.slug}/meetings/{opened.pk}/"' in row and "查看" in row
    row = _row(_plan_on(on_13_august, liaison(demo), demo), decision.pk)
    assert f'href="/c/{demo.slug}/meetings/{opened.pk}/"' in row
    assert "/open/" not in row
    assert f"/c/{demo.slug}/communication/{decision.pk}.ics" in row


def test_the_plan_costs_the_same_queries_with_more_opened_occurrences(admin_user: Person) -> None:
    collabs = []
    for name, count in (("few", 1), ("many", 12)):
        collab = do_import_charter(parse_charter(charter_with_tasks(10)), slug=name)
        rule = rule_of(collab, "decision")
        for o in series_occurrences(rule, series_window(collab))[:count]:
            assert o.at is not None
            do_open_occurrence(rule, o.at)
        collabs.append(collab)
    client = signed_in(admin_user)
    with time_machine.travel(datetime(2024, 9, 25, 9, tzinfo=TZ), tick=False):
        assert _queries(client, url(collabs[0])) == _queries(client, url(collabs[1]))
        rows = [f"{url(c)}?row={rule_of(c, 'decision').pk}" for c in collabs]
        counts = []
        for path in rows:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(path, headers=HTMX).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1]
