"""``xietong bench-data``: realistic collaborations in bulk, appended, usable by every page."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from xietong.collabs.models import Collaboration, Participant, SubGoal, Task, TaskStatus
from xietong.collabs.snapshots import load_snapshot
from xietong.rules.clock import context_for
from xietong.rules.engine import run_rules
from xietong.tracking.models import ProgressUpdate


@pytest.mark.django_db
def test_bench_data_appends_realistic_collaborations() -> None:
    out = io.StringIO()
    call_command("bench_data", collaborations=3, tasks_per=40, stdout=out, stderr=io.StringIO())
    call_command("bench_data", collaborations=2, tasks_per=40, stdout=io.StringIO(), stderr=io.StringIO())
    assert "3" in out.getvalue() and "120" in out.getvalue()
    slugs = list(Collaboration.objects.order_by("slug").values_list("slug", flat=True))
    assert slugs == [f"bench-{n:06d}" for n in range(1, 6)]
    assert Task.objects.count() == 200
    assert Participant.objects.filter(liaison__isnull=False).count() == 5 * 8
    assert SubGoal.objects.count() == 5 * 8
    statuses = set(Task.objects.values_list("status", flat=True))
    assert {TaskStatus.DONE, TaskStatus.IN_PROGRESS, TaskStatus.NOT_STARTED} <= statuses
    assert not Task.objects.filter(status=TaskStatus.BLOCKED, blocked_since__isnull=True).exists()
    # Every task that moved has the progress update behind its status.
    moved = Task.objects.exclude(status=TaskStatus.NOT_STARTED).count()
    assert ProgressUpdate.objects.count() == moved


@pytest.mark.django_db
def test_generated_collaborations_are_judged_and_shown(client: Client) -> None:
    call_command("bench_data", collaborations=1, tasks_per=30, stdout=io.StringIO(), stderr=io.StringIO())
    collab = Collaboration.objects.get()
    report = run_rules(load_snapshot(collab), context_for())
    # A held kickoff with confirmed minutes and a complete table: no error on those steps.
    assert not [f for f in report.findings if f.rule in {"K01", "K02", "K03", "R01", "R03", "P01"}]
    assert collab.owner is not None
    client.force_login(collab.owner)
    for name in ("dashboards:dashboard", "collabs:table", "tracking:tracking"):
        assert client.get(reverse(name, args=[collab.slug])).status_code == 200
