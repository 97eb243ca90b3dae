"""The pages of this issue: sign-in, the list of collaborations, one collaboration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import make_person
from tests.helpers import signed_in
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
GOOD = Path(__file__).parent / "charters" / "good.json"


def charter_with_tasks(n: int) -> dict[str, object]:
    data = json.loads(GOOD.read_text(encoding="utf-8"))
    base = data["tasks"]
    data["tasks"] = [dict(base[i % len(base)], description=f"任务 {i}") for i in range(n)]
    return data


def test_pages_need_a_signed_in_person() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_login_page_signs_a_person_in(demo: Collaboration) -> None:
    make_person("wang")
    client = Client()
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "wang", "password": "pw-wang"})
    assert response.status_code == 302


def test_home_lists_only_what_the_person_may_see(demo: Collaboration, outsider: Person) -> None:
    assert demo.owner is not None
    assert demo.title in signed_in(demo.owner).get("/").content.decode()
    assert demo.title not in signed_in(outsider).get("/").content.decode()


def test_the_collaboration_page_shows_the_table_and_the_findings(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    page = client.get(f"/c/{demo.slug}/").content.decode()
    assert "步骤4" in page and "步骤7" in page
    table = client.get(f"/c/{demo.slug}/table/").content.decode()
    assert "部门职责分工表" in table
    assert "建立投诉工单系统自动分派规则" in table
    # numbers read as people write them: 45 and 3.8, not 45.0000
    assert ">45<" in page and ">3.8<" in page
    assert "45.0000" not in page


def test_pages_are_in_english_when_asked(demo: Collaboration) -> None:
    assert demo.owner is not None
    client = signed_in(demo.owner)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/c/{demo.slug}/table/").content.decode()
    assert "Responsibility table" in page


def test_text_from_a_charter_is_escaped(admin_user: Person) -> None:
    data = charter_with_tasks(2)
    data["title"] = "<script>alert(1)</script>"
    stored = do_import_charter(parse_charter(data))
    page = signed_in(admin_user).get(f"/c/{stored.slug}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/c/{slug}/",
        "/c/{slug}/goal/",
        "/c/{slug}/departments/",
        "/c/{slug}/table/",
        "/c/{slug}/tracking/",
    ],
)
def test_pages_cost_the_same_queries_for_10_or_1000_tasks(admin_user: Person, url: str) -> None:
    small = do_import_charter(parse_charter(charter_with_tasks(10)), slug="small")
    large = do_import_charter(parse_charter(charter_with_tasks(1000)), slug="large")
    client = signed_in(admin_user)
    counts = []
    for collab in (small, large):
        cache.clear()  # a cold request: the home page lists both, and cached snapshots cost no query
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url.format(slug=collab.slug))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_language_choice_follows_the_person_to_another_browser(demo: Collaboration) -> None:
    assert demo.owner is not None
    first = signed_in(demo.owner)
    first.post("/i18n/setlang/", {"language": "en", "next": "/"})
    demo.owner.refresh_from_db()
    assert demo.owner.language == "en"
    other_browser = signed_in(demo.owner)  # no language cookie
    assert '<html lang="en">' in other_browser.get("/").content.decode()
    chinese = signed_in(demo.owner)
    chinese.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in chinese.get("/").content.decode()


def test_each_language_is_named_in_itself(demo: Collaboration) -> None:
    assert demo.owner is not None
    page = signed_in(demo.owner).get("/").content.decode()
    assert ">简体中文</button>" in page and ">English</button>" in page
