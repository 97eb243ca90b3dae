"""In English, no page shows an untranslated (Chinese) string of the product's own."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import make_person, page_urls
from tests.helpers import TZ, add_charter_people
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Task
from xietong.notify.models import Notification
from xietong.notify.outbox import sweep

pytestmark = pytest.mark.django_db
HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
# A language's own name is shown in that language in the switcher, by design.
ALLOWED = {"简体中文"}

CHARTER = {
    "title": "Faster complaint handling",
    "type": "problem_solving",
    "background": "Customers wait too long",
    "initiator": {"department": "Support", "owner": "Wang"},
    "goal": {
        "statement": "Improve efficiency",
        "deadline": "2024-09-30",
        "metrics": [
            {"name": "Closed within 24h", "unit": "%", "baseline": 45, "target": 80, "direction": "increase"},
            {"name": "Satisfaction", "target": 4.5},
        ],
    },
    "departments": [
        {"name": "Support", "liaison": "Zhang", "head": "Wang", "role": "lead"},
        {"name": "Tech", "liaison": "Li"},
        {"name": "Legal"},
    ],
    "kickoff": {
        "scheduled_at": "2024-07-08T10:00:00+08:00",
        "minutes_issued_at": "2024-07-10T10:00:00+08:00",
    },
    "tasks": [
        {
            "description": "Triage rules",
            "department": "Support",
            "standard": "Rules doc",
            "deadline": "2024-07-10",
            "status": "in_progress",
        },
        {"description": "Fix defects", "department": None, "status": "blocked"},
        {"description": "Fix defects", "department": "Sales", "collaborators": ["Finance"]},
    ],
    "subgoals": [
        {
            "description": "Triage daily",
            "department": "Support",
            "metric": "Closed within 24h",
            "target": 100,
            "unit": "%",
            "deadline": {"kind": "recurring", "rrule": "FREQ=DAILY;BYHOUR=10"},
        },
        {
            "description": "Answer fast",
            "department": "Tech",
            "deadline": {"kind": "sla", "hours": 0, "trigger": "request"},
        },
        {"description": "Plan", "deadline": {"kind": "fixed", "date": "2025-01-01"}},
    ],
    "communication": [
        {"scenario": "progress_sync", "channel": "im_group", "frequency": "realtime"},
        {
            "scenario": "decision",
            "channel": "weekly_meeting",
            "frequency": "on_demand",
            "outputs": ["Weekly list"],
            "owner": "Wang",
        },
    ],
}


def test_every_page_is_english_for_english_data(admin_user: object) -> None:
    charter = parse_charter(add_charter_people(CHARTER))
    collab: Collaboration = do_import_charter(charter, slug="english")
    owner = make_person("english-owner")
    collab.owner = owner
    collab.save()
    # Reminders of every kind the data makes due, all shown in the owner's inbox.
    sweep(datetime(2024, 7, 15, 9, tzinfo=TZ))
    assert Notification.objects.filter(recipient__isnull=False).update(recipient=owner)
    client = Client()
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    slug = collab.slug
    urls = page_urls(collab)
    task = Task.objects.filter(collaboration=collab).first()
    assert task is not None
    urls.append(reverse("collabs:table", args=[slug]) + f"?edit={task.pk}")
    urls.append(reverse("notify:robots", args=[slug]))
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        left = set(HAN.findall(response.content.decode())) - ALLOWED
        assert left == set(), f"{url}: {sorted(left)[:10]}"
