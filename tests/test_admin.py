"""Django admin covers every model, and its pages open."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from xietong.collabs.models import Collaboration

pytestmark = pytest.mark.django_db
OUR_APPS = ("orgs", "collabs", "meetings", "tracking", "discuss")


def test_every_model_of_ours_is_in_the_admin() -> None:
    ours = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]
    inline_only = {
        "Participant",
        "Membership",
        "Metric",
        "MinutesConfirmation",
        "AgendaItem",
        "Contribution",
        "MinutesItem",
        "MinutesCorrection",
        "Material",
        "SlaPause",
        "Mention",  # comments' inlines
        "Attachment",
    }
    missing = [m.__name__ for m in ours if m not in admin.site._registry and m.__name__ not in inline_only]
    assert missing == []


@pytest.mark.parametrize(
    "model", [m for m in admin.site._registry if m._meta.app_label in OUR_APPS], ids=lambda m: m.__name__
)
def test_list_and_add_pages_open(admin_client: Client, demo: Collaboration, model: type) -> None:
    opts = model._meta
    changelist = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    add = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    # Archives (issued minutes) are read in the admin, never written there.
    addable = admin.site._registry[model].has_add_permission(add.wsgi_request)
    assert (changelist.status_code, add.status_code) == (200, 200 if addable else 403)


def test_a_collaboration_opens_with_its_departments_inline(admin_client: Client, demo: Collaboration) -> None:
    page = admin_client.get(reverse("admin:collabs_collaboration_change", args=[demo.pk])).content.decode()
    assert "技术部" in page
