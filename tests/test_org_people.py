"""The organisation page /org/ and its API: people listed, searched, edited, deactivated (issue 18, part 1).

Staff who manage people (``may_manage_org``) see everyone with their contact
details; an ordinary person reads names only. Deactivating never deletes: the
person cannot sign in, their sessions and API tokens stop working, and the
history says who did it and why.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, as_person, token_for
from tests.conftest import make_person
from tests.helpers import row_counts, signed_in
from xietong.audit.models import AuditEntry
from xietong.orgs.models import Department, Person, PersonSource

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Person:
    """Staff who manage people through their permissions (not a superuser)."""
    person = make_person("hr", is_staff=True)
    codenames = ["add_person", "change_person", "add_department", "change_department"]
    person.user_permissions.set(
        Permission.objects.filter(content_type__app_label="orgs", codename__in=codenames)
    )
    return Person.objects.get(pk=person.pk)  # the permission cache starts empty


@pytest.fixture
def tech() -> Department:
    return Department.objects.create(name="技术部")


@pytest.fixture
def wang(tech: Department) -> Person:
    return make_person(
        "wang", department=tech, email="wang@example.com", phone="13800000001", employee_number="E001"
    )


def audits_of(person: Person) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="orgs.person", object_id=str(person.pk)))


# --- the page


def test_only_staff_who_manage_people_open_the_page(staff: Person, wang: Person, tech: Department) -> None:
    tech.head = wang
    tech.save()
    page = signed_in(staff).get("/org/")
    assert page.status_code == 200
    html = page.content.decode()
    for shown in ("技术部", "wang@example.com", "13800000001", "E001", "本地", "已启用", "手机", "工号"):
        assert shown in html
    assert signed_in(wang).get("/org/").status_code == 403
    assert signed_in(wang).get(f"/org/people/{wang.pk}/").status_code == 403
    assert signed_in(make_person("plainstaff", is_staff=True)).get("/org/").status_code == 403
    anonymous = Client().get("/org/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_navigation_links_the_page_for_staff_only(staff: Person, wang: Person) -> None:
    assert 'href="/org/"' in signed_in(staff).get("/org/heads/").content.decode()
    assert 'href="/org/"' not in signed_in(wang).get("/").content.decode()


@pytest.mark.parametrize("q", ["王", "wang", "WANG@example", "1380000000", "E00"])
def test_search_finds_by_name_login_email_mobile_and_number(staff: Person, wang: Person, q: str) -> None:
    wang.display_name = "王工"
    wang.save()
    make_person("li", email="li@example.org", phone="139", employee_number="X9")
    html = signed_in(staff).get("/org/", {"q": q}).content.decode()
    assert f'id="person-{wang.pk}"' in html
    assert "li@example.org" not in html


def test_the_page_shows_deactivated_people_and_their_source(staff: Person, wang: Person) -> None:
    make_person("gone", is_active=False, source=PersonSource.WECOM)
    html = signed_in(staff).get("/org/", {"q": "gone"}).content.decode()
    assert "已停用" in html and "企业微信" in html


# --- editing


def test_staff_edit_a_person_and_it_is_audited(staff: Person, wang: Person) -> None:
    sales = Department.objects.create(name="销售部")
    answer = signed_in(staff).post(
        f"/org/people/{wang.pk}/",
        {
            "display_name": "王工",
            "email": "w@example.com",
            "phone": "139",
            "department": sales.pk,
            "employee_number": "E100",
        },
    )
    assert answer.status_code == 302
    wang.refresh_from_db()
    assert (wang.display_name, wang.email, wang.phone, wang.department, wang.employee_number) == (
        "王工",
        "w@example.com",
        "139",
        sales,
        "E100",
    )
    [entry] = audits_of(wang)
    assert entry.actor == staff
    assert entry.after is not None and entry.after["employee_number"] == "E100"
    assert "E100" in signed_in(staff).get(f"/org/people/{wang.pk}/").content.decode()  # the history


def test_an_error_keeps_what_was_typed_and_writes_nothing(staff: Person, wang: Person) -> None:
    make_person("li", employee_number="E200")
    client = signed_in(staff)
    before = row_counts()
    answer = client.post(
        f"/org/people/{wang.pk}/",
        {
            "display_name": "新名字",
            "email": "not-an-address",
            "phone": "13911112222",
            "employee_number": "E200",
        },
    )
    assert answer.status_code == 400
    html = answer.content.decode()
    assert 'value="新名字"' in html and 'value="13911112222"' in html and 'value="not-an-address"' in html
    assert "工号已被他人使用" in html
    wang.refresh_from_db()
    assert (wang.display_name, wang.employee_number) == ("wang", "E001")
    assert row_counts() == before


def test_employee_numbers_are_unique_when_not_blank(wang: Person) -> None:
    make_person("a")
    make_person("b")  # two blank numbers are fine
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        make_person("c", employee_number="E001")


# --- deactivating


def test_deactivation_ends_sign_in_sessions_and_tokens(staff: Person, wang: Person) -> None:
    token = token_for(wang)
    session = Client()
    assert session.post("/accounts/login/", {"username": "wang", "password": "pw-wang"}).status_code == 302
    assert session.get("/").status_code == 200
    assert ApiClient(token).get("/api/me").status_code == 200

    refused = signed_in(staff).post(f"/org/people/{wang.pk}/deactivate/", {"reason": "离职"})
    assert refused.status_code == 400  # the confirmation was not ticked
    wang.refresh_from_db()
    assert wang.is_active

    done = signed_in(staff).post(f"/org/people/{wang.pk}/deactivate/", {"reason": "离职", "confirm": "on"})
    assert done.status_code == 302
    wang.refresh_from_db()
    assert not wang.is_active
    assert Person.objects.filter(pk=wang.pk).exists()  # never deleted
    # The open session ends at its next request, the token is refused, signing in fails.
    assert session.get("/").status_code == 302
    assert ApiClient(token).get("/api/me").status_code == 401
    assert Client().post("/accounts/login/", {"username": "wang", "password": "pw-wang"}).status_code == 200
    [entry] = audits_of(wang)
    assert (entry.reason, entry.actor, entry.after) == ("离职", staff, {"is_active": False})
    assert "离职" in signed_in(staff).get(f"/org/people/{wang.pk}/").content.decode()

    assert signed_in(staff).post(f"/org/people/{wang.pk}/reactivate/", {"reason": "返聘"}).status_code == 302
    wang.refresh_from_db()
    assert wang.is_active
    assert Client().post("/accounts/login/", {"username": "wang", "password": "pw-wang"}).status_code == 302


def test_staff_cannot_deactivate_themselves(staff: Person) -> None:
    answer = signed_in(staff).post(f"/org/people/{staff.pk}/deactivate/", {"reason": "x", "confirm": "on"})
    assert answer.status_code == 400
    assert "不能停用自己的账号" in answer.content.decode()
    staff.refresh_from_db()
    assert staff.is_active and audits_of(staff) == []


def test_an_ordinary_person_cannot_deactivate_anyone(wang: Person, staff: Person) -> None:
    answer = signed_in(wang).post(f"/org/people/{staff.pk}/deactivate/", {"reason": "x", "confirm": "on"})
    assert answer.status_code == 403
    staff.refresh_from_db()
    assert staff.is_active


# --- the API


def people_of(api: ApiClient, **params: str) -> dict[str, dict[str, object]]:
    answer = api.get("/api/people", **params)
    assert answer.status_code == 200
    return {p["username"]: p for p in answer.json()["items"]}


def test_email_and_mobile_only_for_staff_and_the_person(staff: Person, wang: Person) -> None:
    other = make_person("other", email="o@example.com", phone="137")
    seen_by_other = people_of(as_person(other))
    assert (seen_by_other["wang"]["email"], seen_by_other["wang"]["phone"]) == (None, None)
    assert (seen_by_other["other"]["email"], seen_by_other["other"]["phone"]) == ("o@example.com", "137")
    assert seen_by_other["wang"]["employee_number"] == "E001"
    assert (seen_by_other["wang"]["source"], seen_by_other["wang"]["is_active"]) == ("local", True)
    # Nor can a hidden field be found by searching it.
    assert people_of(as_person(other), q="wang@example") == {}
    seen_by_staff = people_of(as_person(staff), q="wang@example")
    assert (seen_by_staff["wang"]["email"], seen_by_staff["wang"]["phone"]) == (
        "wang@example.com",
        "13800000001",
    )
    me = as_person(wang).get("/api/me").json()
    assert (me["email"], me["phone"], me["employee_number"]) == ("wang@example.com", "13800000001", "E001")


def test_deactivated_people_are_listed_on_request(staff: Person) -> None:
    make_person("gone", is_active=False)
    assert "gone" not in people_of(as_person(staff))
    assert people_of(as_person(staff), include_deactivated="true")["gone"]["is_active"] is False


def test_api_patch_and_deactivate_for_staff_only(staff: Person, wang: Person, tech: Department) -> None:
    ordinary = as_person(make_person("other"))
    before = row_counts()
    assert ordinary.patch(f"/api/org/people/{wang.pk}", {"phone": "1"}).status_code == 403
    assert ordinary.post(f"/api/org/people/{wang.pk}/deactivate", {"reason": "x"}).status_code == 403
    assert ordinary.post(f"/api/org/people/{wang.pk}/reactivate", {}).status_code == 403
    assert row_counts() == before
    wang.refresh_from_db()
    assert (wang.phone, wang.is_active) == ("13800000001", True)

    api = as_person(staff)
    assert api.patch("/api/org/people/999999", {"phone": "1"}).status_code == 404
    assert api.post("/api/org/people/999999/deactivate", {"reason": "x"}).status_code == 404
    changed = api.patch(f"/api/org/people/{wang.pk}", {"phone": "139", "employee_number": "E9"})
    assert changed.status_code == 200
    assert (changed.json()["phone"], changed.json()["employee_number"]) == ("139", "E9")
    assert changed.json()["department"]["name"] == "技术部"  # what was not given stays
    make_person("li", employee_number="E7")
    taken = api.patch(f"/api/org/people/{wang.pk}", {"employee_number": "E7"})
    assert (taken.status_code, taken.json()["path"]) == (422, "body.employee_number")
    unknown = api.patch(f"/api/org/people/{wang.pk}", {"department": "无此部门"})
    assert (unknown.status_code, unknown.json()["path"]) == (422, "body.department")
    assert api.patch(f"/api/org/people/{wang.pk}", {"no_department": True}).json()["department"] is None

    assert api.post(f"/api/org/people/{staff.pk}/deactivate", {"reason": "x"}).status_code == 422
    assert api.post(f"/api/org/people/{wang.pk}/deactivate", {}).status_code == 422  # a reason is required
    gone = api.post(f"/api/org/people/{wang.pk}/deactivate", {"reason": "离职"})
    assert (gone.status_code, gone.json()["is_active"]) == (200, False)
    assert AuditEntry.objects.filter(object_id=str(wang.pk), reason="离职").exists()
    back = api.post(f"/api/org/people/{wang.pk}/reactivate", {})
    assert (back.status_code, back.json()["is_active"]) == (200, True)


# --- constant queries


def _grow(start: int, stop: int) -> None:
    departments = Department.objects.bulk_create(Department(name=f"部门{i}") for i in range(start, stop))
    people = Person.objects.bulk_create(
        Person(username=f"qp{i}", display_name=f"人员{i}", password="!", department=departments[i - start])
        for i in range(start, stop)
    )
    for department, head in zip(departments, people, strict=True):
        department.head = head
    Department.objects.bulk_update(departments, ["head"])


def _count(client: Client | ApiClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer.status_code == 200
    return len(queries.captured_queries)


def test_the_page_and_the_list_cost_the_same_queries_at_10_and_200_people(staff: Person) -> None:
    page, api = signed_in(staff), as_person(staff)
    urls = ["/org/", "/org/?q=人员", "/org/?page=2"]
    page.get("/org/"), api.get("/api/me")  # the token's first use is noted once: not counted
    _grow(0, 10)
    small = [_count(page, url) for url in urls] + [_count(api, "/api/people")]
    _grow(10, 200)
    large = [_count(page, url) for url in urls] + [_count(api, "/api/people")]
    assert small == large


def test_the_pages_are_english_in_english(staff: Person, wang: Person) -> None:
    from django.conf import settings

    from tests.test_english_pages import ALLOWED, HAN

    wang.display_name = "Wang"
    wang.save()
    Department.objects.filter(name="技术部").update(name="Engineering")
    client = signed_in(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(f"/org/people/{wang.pk}/deactivate/", {"reason": "left", "confirm": "on"})
    for url in ("/org/", f"/org/people/{wang.pk}/", f"/org/people/{staff.pk}/"):
        html = client.get(url).content.decode()
        assert set(HAN.findall(html)) - ALLOWED == set(), url
