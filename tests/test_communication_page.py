"""Step 6 page: the communication plan (常态化沟通机制), changed by the initiator."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.test_views import charter_with_tasks, signed_in
from xietong.collabs.actions import do_import_charter
from xietong.collabs.charter import parse_charter
from xietong.collabs.models import Collaboration, Participant
from xietong.meetings.forms import split_outputs
from xietong.meetings.models import CommunicationRule
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(collab: Collaboration) -> str:
    return f"/c/{collab.slug}/communication/"


def owner(collab: Collaboration) -> Client:
    assert collab.owner is not None
    return signed_in(collab.owner)


def liaison(collab: Collaboration) -> Client:
    participant = Participant.objects.get(collaboration=collab, department__name="技术部")
    assert participant.liaison is not None
    return signed_in(participant.liaison)


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


def test_it_is_404_for_an_outsider(demo: Collaboration, outsider: Person) -> None:
    client = signed_in(outsider)
    assert client.get(url(demo)).status_code == 404
    assert client.post(url(demo), form_data()).status_code == 404


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
