"""Step 5 page: the department sub-goals, edited by their departments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_person
from tests.helpers import liaison_of, owner, signed_in
from tests.test_views import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, MemberRole, Membership, Metric, SubGoal
from xietong.orgs.models import Department, Person

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(collab: Collaboration) -> str:
    return f"/c/{collab.slug}/subgoals/"


def subgoal_of(collab: Collaboration, department: str) -> SubGoal:
    return SubGoal.objects.get(collaboration=collab, department__name=department)


def form_data(collab: Collaboration, **changes: str) -> dict[str, str]:
    """A complete picker submission: 产品部, weekly on Friday."""
    data = {
        "description": "产品部每周五前提交缺陷修复进展",
        "department": str(Department.objects.get(name="产品部").pk),
        "metric": str(Metric.objects.get(goal__collaboration=collab, name="客户满意度评分").pk),
        "target": "1",
        "unit": "份/周",
        "deadline_kind": "recurring",
        "deadline_date": "",
        "freq": "weekly",
        "weekday": "4",
        "monthday": "",
        "at": "",
        "rrule_advanced": "",
        "sla_hours": "",
        "sla_trigger": "",
    }
    data.update(changes)
    return data


def test_it_shows_the_subgoals_with_their_time_limits(demo: Collaboration) -> None:
    response = owner(demo).get(url(demo))
    assert response.status_code == 200
    page = response.content.decode()
    assert "设定可量化的协作目标" in page
    assert "售后部每日10点前完成投诉分类" in page
    assert "每日 10:00 前" in page
    assert "每周五前" in page
    assert "接到售后需求后 24 小时内" in page
    table = page[page.index("<table") : page.index("</table>")]
    assert "FREQ=" not in table  # words, not raw RRULE text
    assert 'scope="col"' in page
    assert "steps.css" in page


def test_it_adds_a_subgoal_from_the_picker(demo: Collaboration) -> None:
    before = SubGoal.objects.filter(collaboration=demo).count()
    response = owner(demo).post(url(demo), form_data(demo))
    assert response.status_code == 302
    assert response["Location"].startswith(url(demo))
    stored = SubGoal.objects.get(collaboration=demo, description="产品部每周五前提交缺陷修复进展")
    assert stored.rrule == "FREQ=WEEKLY;BYDAY=FR"
    assert stored.deadline_kind == "recurring"
    assert stored.department is not None and stored.department.name == "产品部"
    assert stored.metric is not None and stored.metric.name == "客户满意度评分"
    assert stored.target == Decimal(1)
    assert stored.position == before  # at the end
    assert SubGoal.objects.filter(collaboration=demo).count() == before + 1


@pytest.mark.parametrize(
    ("changes", "rrule"),
    [
        ({"freq": "daily", "weekday": "", "at": "10:00"}, "FREQ=DAILY;BYHOUR=10;BYMINUTE=0"),
        ({"freq": "weekly", "weekday": "0", "at": "10:00"}, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0"),
        ({"freq": "monthly", "weekday": "4", "monthday": "1"}, "FREQ=MONTHLY;BYMONTHDAY=1"),
        ({"rrule_advanced": "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"}, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"),
    ],
)
def test_it_stores_the_rrule_the_picker_means(
    demo: Collaboration, changes: dict[str, str], rrule: str
) -> None:
    assert owner(demo).post(url(demo), form_data(demo, **changes)).status_code == 302
    assert SubGoal.objects.get(description="产品部每周五前提交缺陷修复进展").rrule == rrule


def test_it_edits_a_subgoal_and_keeps_only_the_chosen_time_limit(demo: Collaboration) -> None:
    tech = subgoal_of(demo, "技术部")
    assert tech.deadline_kind == "sla"
    data = form_data(
        demo,
        description="技术部8月底前完成排查机制",
        department=str(tech.department_id),
        deadline_kind="fixed",
        deadline_date="2024-08-30",
    )
    response = owner(demo).post(url(demo), {**data, "pk": str(tech.pk)})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#subgoal-{tech.pk}")
    tech.refresh_from_db()
    assert tech.description == "技术部8月底前完成排查机制"
    assert tech.deadline_kind == "fixed"
    assert str(tech.deadline_date) == "2024-08-30"
    assert tech.sla_hours is None and tech.sla_trigger == "" and tech.rrule == ""


def test_it_fills_the_edit_form_from_the_stored_row(demo: Collaboration) -> None:
    product = subgoal_of(demo, "产品部")  # FREQ=WEEKLY;BYDAY=FR
    page = owner(demo).get(f"{url(demo)}?edit={product.pk}").content.decode()
    assert f'id="edit{product.pk}_weekday"' in page
    assert '<option value="4" selected>' in page
    assert 'value="weekly" selected' in page
    SubGoal.objects.filter(pk=product.pk).update(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR")
    page = owner(demo).get(f"{url(demo)}?edit={product.pk}").content.decode()
    assert 'value="FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"' in page  # the advanced field, unfolded
    assert '<details class="advanced" open>' in page


def test_it_deletes_a_subgoal_after_confirmation(demo: Collaboration) -> None:
    legal = subgoal_of(demo, "法务部")
    client = owner(demo)
    confirm = client.get(f"{url(demo)}{legal.pk}/delete/")
    assert confirm.status_code == 200
    assert "确定删除" in confirm.content.decode()
    assert SubGoal.objects.filter(pk=legal.pk).exists()
    response = client.post(f"{url(demo)}{legal.pk}/delete/")
    assert response.status_code == 302
    assert not SubGoal.objects.filter(pk=legal.pk).exists()


def test_it_lets_a_liaison_edit_their_own_departments_subgoal(demo: Collaboration) -> None:
    tech = subgoal_of(demo, "技术部")
    client = signed_in(liaison_of(demo, "技术部"))
    data = form_data(
        demo,
        department=str(tech.department_id),
        deadline_kind="sla",
        sla_hours="12",
        sla_trigger="接到售后需求",
    )
    response = client.post(url(demo), {**data, "pk": str(tech.pk)})
    assert response.status_code == 302
    tech.refresh_from_db()
    assert tech.sla_hours == Decimal(12)


def test_it_forbids_a_liaison_another_departments_subgoal(demo: Collaboration) -> None:
    product = subgoal_of(demo, "产品部")
    tech_department = str(subgoal_of(demo, "技术部").department_id)
    client = signed_in(liaison_of(demo, "技术部"))
    assert client.get(f"{url(demo)}?edit={product.pk}").status_code == 403
    assert client.post(url(demo), {**form_data(demo), "pk": str(product.pk)}).status_code == 403
    assert client.post(f"{url(demo)}{product.pk}/delete/").status_code == 403
    # nor may they add a row for another department, or hand their own row over
    assert client.post(url(demo), form_data(demo)).status_code == 403
    tech = subgoal_of(demo, "技术部")
    assert client.post(url(demo), {**form_data(demo), "pk": str(tech.pk)}).status_code == 403
    assert client.post(url(demo), form_data(demo, department=tech_department)).status_code == 302
    assert SubGoal.objects.filter(pk=product.pk, rrule="FREQ=WEEKLY;BYDAY=FR").exists()


def test_it_hides_the_buttons_a_person_may_not_use(demo: Collaboration, admin_user: Person) -> None:
    tech, product = subgoal_of(demo, "技术部"), subgoal_of(demo, "产品部")
    page = signed_in(liaison_of(demo, "技术部")).get(url(demo)).content.decode()
    assert f"?edit={tech.pk}" in page
    assert f"?edit={product.pk}" not in page
    assert f"{product.pk}/delete/" not in page
    assert 'id="subgoal-add"' in page
    tech_department = Department.objects.get(name="技术部")
    assert f'<option value="{tech_department.pk}">技术部</option>' in page
    assert ">产品部</option>" not in page  # a liaison adds rows for their own department only
    head = Department.objects.get(name="法务部").head
    assert head is not None
    assert ">编辑<" in signed_in(admin_user).get(url(demo)).content.decode()
    viewer_page = signed_in(head).get(url(demo)).content.decode()
    assert f"?edit={tech.pk}" not in viewer_page


def test_it_forbids_a_viewer_any_change(demo: Collaboration) -> None:
    viewer = make_person("viewer")
    Membership.objects.create(collaboration=demo, person=viewer, role=MemberRole.VIEWER)
    client = signed_in(viewer)
    page = client.get(url(demo)).content.decode()
    assert "售后部每日10点前完成投诉分类" in page
    assert 'id="subgoal-add"' not in page and "?edit=" not in page
    assert client.post(url(demo), form_data(demo)).status_code == 403
    assert client.get(f"{url(demo)}{subgoal_of(demo, '技术部').pk}/delete/").status_code == 403


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"deadline_kind": "sla", "sla_hours": "0"}, "响应时限(小时)", "响应时限须大于 0 小时"),
        ({"deadline_kind": "sla", "sla_hours": ""}, "响应时限(小时)", "请填写小时数"),
        ({"weekday": ""}, "星期几", "按周重复时请选择星期几"),
        ({"freq": "monthly", "monthday": ""}, "每月几日", "按月重复时请填写每月几日"),
        ({"freq": ""}, "重复", "请选择重复频率"),
        ({"rrule_advanced": "FREQ=SOMETIMES"}, "高级:RRULE 规则", "无法识别该 RRULE"),
        ({"deadline_kind": "fixed"}, "完成日期", "请填写完成日期"),
        ({"description": ""}, "子目标分解", ""),
        ({"target": "many"}, "目标值", ""),
    ],
)
def test_it_shows_what_is_wrong_and_stores_nothing(
    demo: Collaboration, changes: dict[str, str], field: str, message: str
) -> None:
    before = list(SubGoal.objects.order_by("pk").values_list("pk", "rrule", "sla_hours"))
    response = owner(demo).post(url(demo), form_data(demo, **changes))
    assert response.status_code == 200
    page = response.content.decode()
    assert "请修正以下问题" in page
    assert f"{field}</a>:" in page  # the summary names the field …
    assert message in page
    assert 'aria-invalid="true"' in page
    assert list(SubGoal.objects.order_by("pk").values_list("pk", "rrule", "sla_hours")) == before


def test_it_shows_an_invalid_edit_on_its_row(demo: Collaboration) -> None:
    tech = subgoal_of(demo, "技术部")
    data = form_data(demo, department=str(tech.department_id), deadline_kind="sla", sla_hours="-4")
    page = owner(demo).post(url(demo), {**data, "pk": str(tech.pk)}).content.decode()
    assert f'<tr id="subgoal-{tech.pk}" class="editing">' in page
    assert "响应时限须大于 0 小时" in page
    tech.refresh_from_db()
    assert tech.sla_hours == Decimal(24)


def test_it_shows_each_rows_findings_on_the_row(demo: Collaboration) -> None:
    draft = form_data(demo, description="待量化的子目标", target="", deadline_kind="")
    assert owner(demo).post(url(demo), draft).status_code == 302  # a draft may be saved …
    row = SubGoal.objects.get(description="待量化的子目标")
    page = owner(demo).get(url(demo)).content.decode()
    start = page.index(f'id="subgoal-{row.pk}"')
    own_row = page[start : page.index("</tr>", start)]
    assert "S01" in own_row and "S03" in own_row  # … and the rules say what it lacks, on its row
    other = page[page.index(f'id="subgoal-{subgoal_of(demo, "技术部").pk}"') :]
    assert "S01" not in other[: other.index("</tr>")]


def test_it_reports_a_metric_no_subgoal_supports_until_one_does(demo: Collaboration) -> None:
    client = owner(demo)
    product = subgoal_of(demo, "产品部")  # the only support of 客户满意度评分
    client.post(f"{url(demo)}{product.pk}/delete/")
    page = client.get(url(demo)).content.decode()
    assert "G06" in page and "客户满意度评分" in page
    assert client.post(url(demo), form_data(demo)).status_code == 302
    page = client.get(url(demo)).content.decode()
    assert "G06" not in page
    assert "每个核心指标都有子目标支撑" in page


def test_it_answers_htmx_with_fragments_and_plain_posts_with_redirects(demo: Collaboration) -> None:
    client = owner(demo)
    tech = subgoal_of(demo, "技术部")
    edit_row = client.get(f"{url(demo)}?edit={tech.pk}", headers=HTMX)
    assert edit_row.status_code == 200
    body = edit_row.content.decode()
    assert body.lstrip().startswith(f'<tr id="subgoal-{tech.pk}" class="editing">')
    assert "<html" not in body
    cancel = client.get(f"{url(demo)}?row={tech.pk}", headers=HTMX).content.decode()
    assert cancel.lstrip().startswith(f'<tr id="subgoal-{tech.pk}"') and "editing" not in cancel.split(">")[0]

    saved = client.post(url(demo), form_data(demo), headers=HTMX)
    assert saved.status_code == 200
    assert saved["HX-Retarget"] == "#subgoal-section"
    assert saved["HX-Reswap"] == "outerHTML"
    body = saved.content.decode()
    assert body.lstrip().startswith('<section id="subgoal-section"')
    assert "产品部每周五前提交缺陷修复进展" in body and "<html" not in body
    assert '<div id="ws-head" hx-swap-oob="true">' in body  # step bar and score refreshed

    invalid = client.post(url(demo), form_data(demo, weekday=""), headers=HTMX)
    assert invalid.status_code == 200
    assert invalid.content.decode().lstrip().startswith('<details id="subgoal-add"')
    assert "按周重复时请选择星期几" in invalid.content.decode()

    deleted = client.post(f"{url(demo)}{tech.pk}/delete/", headers=HTMX)
    assert deleted.status_code == 200
    assert deleted["HX-Retarget"] == "#subgoal-section"
    assert not SubGoal.objects.filter(pk=tech.pk).exists()

    plain = client.post(url(demo), form_data(demo, description="另一个"))
    assert plain.status_code == 302


def _charter(tasks: int, subgoals: int) -> dict[str, Any]:
    data = charter_with_tasks(tasks)
    base = data["subgoals"]
    assert isinstance(base, list)
    data["subgoals"] = [dict(base[i % len(base)], description=f"子目标 {i}") for i in range(subgoals)]
    return data


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(("small", "large"), [((10, 4), (1000, 4)), ((10, 2), (10, 50))])
def test_it_costs_the_same_queries_whatever_the_size(
    admin_user: Person, small: tuple[int, int], large: tuple[int, int]
) -> None:
    few = do_import_charter(parse_charter(_charter(*small)), slug="few")
    many = do_import_charter(parse_charter(_charter(*large)), slug="many")
    client = signed_in(admin_user)
    assert _queries(client, url(few)) == _queries(client, url(many))
    assert SubGoal.objects.filter(collaboration=many).count() == large[1]
    # the in-place edit form too
    first_few = SubGoal.objects.filter(collaboration=few).first()
    first_many = SubGoal.objects.filter(collaboration=many).first()
    assert first_few is not None and first_many is not None
    assert _queries(client, f"{url(few)}?edit={first_few.pk}") == _queries(
        client, f"{url(many)}?edit={first_many.pk}"
    )
