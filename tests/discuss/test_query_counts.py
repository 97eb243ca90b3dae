"""Threads and the rows' comment counts cost the same queries at 3 comments per row kind and at 40."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.conftest import as_person
from tests.helpers import Cast, signed_in
from xietong.collabs.models import SubGoal, Task
from xietong.discuss.models import Attachment, Comment, Mention
from xietong.meetings.models import MinutesItem
from xietong.orgs.models import Person
from xietong.tracking.models import IssueEntry, Risk

pytestmark = pytest.mark.django_db


def _grow(cast: Cast, n: int) -> None:
    """``n`` comments on each kind of row (spread over the rows), each with two mentions and a file."""
    people = list(Person.objects.filter(username__in=["刘主管", "张经理"]))
    rows = {
        # The measured thread's row first: it has comments at both sizes.
        "task": [cast.task_of("技术部"), *Task.objects.filter(collaboration=cast.collab)],
        "subgoal": list(SubGoal.objects.filter(collaboration=cast.collab)),
        "issue": list(IssueEntry.objects.filter(collaboration=cast.collab)),
        "risk": list(Risk.objects.filter(collaboration=cast.collab)),
        "minutes_item": list(MinutesItem.objects.filter(meeting__collaboration=cast.collab)),
    }
    comments = Comment.objects.bulk_create(
        Comment(
            collaboration=cast.collab, author=cast.liaison, body=f"评论 {i}", **{kind: found[i % len(found)]}
        )
        for kind, found in rows.items()
        for i in range(n)
    )
    Mention.objects.bulk_create(Mention(comment=c, person=p) for c in comments for p in people)
    Attachment.objects.bulk_create(
        Attachment(comment=c, file="comments/x.txt", name="x.txt", size=1, content_type="text/plain")
        for c in comments
    )


def _count(client: Client | object, url: str, api: bool = False) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)  # type: ignore[attr-defined]
    assert answer.status_code == 200, url
    return len(queries)


def _pages(cast: Cast) -> list[str]:
    slug = cast.collab.slug
    task = cast.task_of("技术部")
    meeting = MinutesItem.objects.filter(meeting__collaboration=cast.collab).first()
    assert meeting is not None
    return [
        reverse("discuss:task", args=[slug, task.pk]),
        reverse("collabs:table", args=[slug]),
        reverse("collabs:subgoals", args=[slug]),
        reverse("tracking:issues", args=[slug]),
        reverse("tracking:risks", args=[slug]),
        reverse("meetings:kickoff", args=[slug]),
    ]


def test_thread_and_row_pages_cost_the_same_at_two_sizes(cast: Cast) -> None:
    client, api = signed_in(cast.initiator), as_person(cast.initiator)
    api_url = f"/api/collaborations/{cast.collab.slug}/tasks/{cast.task_of('技术部').pk}/comments"
    api.get(api_url)  # the token's first use is recorded once: not part of the list's cost
    _grow(cast, 3)
    small = [_count(client, url) for url in _pages(cast)] + [_count(api, api_url)]
    _grow(cast, 37)
    large = [_count(client, url) for url in _pages(cast)] + [_count(api, api_url)]
    assert large == small, list(zip([*_pages(cast), api_url], small, large, strict=True))
    page = client.get(_pages(cast)[1]).content.decode()
    assert "评论 (" in page
