"""No page answers 500 for any of the demo's objects, whoever looks."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.conftest import AS_OF, page_urls
from tests.helpers import TZ
from xietong.collabs.models import Collaboration, Participant, SubGoal, Task
from xietong.meetings.models import CommunicationRule
from xietong.notify.models import Notification
from xietong.notify.outbox import sweep
from xietong.orgs.models import Person

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def workspace_urls(collab: Collaboration) -> list[str]:
    slug = collab.slug
    urls = page_urls(collab)
    for task in Task.objects.filter(collaboration=collab):
        urls += [
            reverse("collabs:task", args=[slug, task.pk]),
            reverse("collabs:table", args=[slug]) + f"?edit={task.pk}",
        ]
    return urls


@pytest.mark.parametrize("who", ["owner", "liaison", "admin"])
def test_every_page_of_the_demo_opens(demo: Collaboration, admin_user: Person, who: str) -> None:
    person = {
        "owner": demo.owner,
        "admin": admin_user,
        "liaison": Participant.objects.get(collaboration=demo, department__name="技术部").liaison,
    }[who]
    assert person is not None
    # Everyone's inbox holds the demo's reminders, rendered on /notifications/.
    sweep(datetime.combine(AS_OF, time(9), tzinfo=TZ))
    assert Notification.objects.exists()
    client = Client()
    client.force_login(person)
    for url in workspace_urls(demo):
        assert client.get(url).status_code == 200, url
    for task in Task.objects.filter(collaboration=demo):
        response = client.get(reverse("collabs:task_edit", args=[demo.slug, task.pk]), **HTMX)
        assert response.status_code in (200, 403), task


def test_every_demo_object_opens_in_the_admin(demo: Collaboration, admin_user: Person) -> None:
    sweep(datetime.combine(AS_OF, time(9), tzinfo=TZ))
    client = Client()
    client.force_login(admin_user)
    for model in admin.site._registry:
        if model._meta.app_label not in ("orgs", "collabs", "meetings", "notify"):
            continue
        for pk in model.objects.values_list("pk", flat=True)[:50]:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
            assert client.get(url).status_code == 200, url
    assert SubGoal.objects.filter(collaboration=demo).exists()
    assert CommunicationRule.objects.filter(collaboration=demo).exists()
    assert apps.get_app_config("collabs")
