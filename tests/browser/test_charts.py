"""Charts under the Content Security Policy: hovering shows tooltips and breaks no rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import make_person
from xietong.charter.demo import load_demo
from xietong.collabs.models import Collaboration

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_owner(transactional_db: None) -> tuple[Any, Collaboration]:
    collab = load_demo(date(2024, 7, 8), today=date(2024, 8, 12))
    owner = collab.owner
    assert owner is not None
    owner.set_password("pw-owner")
    owner.save()
    make_person("spare")  # a second person, so the overview is not the only row's page
    return owner, collab


@pytest.mark.parametrize("chart", ["status", "scores"])
def test_hovering_a_chart_shows_its_tooltip_without_csp_violations(
    page: Page, login: Any, demo_owner: tuple[Any, Collaboration], chart: str
) -> None:
    owner, collab = demo_owner
    login(owner, "pw-owner")
    page.goto(f"/c/{collab.slug}/dashboard/" if chart == "status" else "/overview/")
    container = page.locator(f"[data-chart={chart}]")
    expect(container).to_have_attribute("data-chart-ready", "1")
    box = container.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
    page.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.45)
    # the page fixture fails the test on any console error, CSP violations included
    expect(page.locator("body")).to_be_visible()
