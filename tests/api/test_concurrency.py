"""Optimistic concurrency: a write against a stale version gets 409 with the current state.

The threaded tests run on PostgreSQL only: each thread has its own database
connection and really writes at the same moment; SQLite serialises writers
through one lock and cannot show the race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tests.api.conftest import ApiClient, Cast, as_person, token_for
from xietong.collabs.models import SubGoal, Task

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent writers with their own connections",
)


@pytest.mark.django_db
def test_the_second_of_two_patches_with_the_same_version_gets_409_and_the_current_row(
    cast: Cast, initiator_api: ApiClient
) -> None:
    task = cast.task_of("技术部")
    liaison = as_person(cast.liaison)
    first = initiator_api.patch(
        f"/api/tasks/{task.pk}", {"version": task.version, "standard": "由发起人修订"}
    )
    second = liaison.patch(f"/api/tasks/{task.pk}", {"version": task.version, "status": "done"})
    assert (first.status_code, second.status_code) == (200, 409)
    current = second.json()["current"]
    assert current["version"] == task.version + 1 == first.json()["version"]
    assert current["standard"] == "由发起人修订"
    assert current["status"] == task.status  # the refused change was not written
    task.refresh_from_db()
    assert (task.version, task.standard, task.status) == (
        current["version"],
        "由发起人修订",
        current["status"],
    )
    # redone on the current version, it goes through and keeps the first change
    again = liaison.patch(f"/api/tasks/{task.pk}", {"version": current["version"], "status": "done"})
    assert again.status_code == 200
    assert (again.json()["standard"], again.json()["status"]) == ("由发起人修订", "done")


@pytest.mark.django_db
def test_a_stale_goal_gets_409_with_the_goal_as_it_is_now(cast: Cast, initiator_api: ApiClient) -> None:
    url = f"/api/collaborations/{cast.collab.slug}/goal"
    read = initiator_api.get(url).json()
    body = {**read, "metrics": [{k: v for k, v in m.items()} for m in read["metrics"]]}
    saved = initiator_api.put(url, {**body, "statement": "第一次修改"})
    assert saved.status_code == 200 and saved.json()["version"] > read["version"]
    stale = initiator_api.put(url, {**body, "statement": "基于旧版本的修改"})
    assert stale.status_code == 409
    assert stale.json()["current"]["statement"] == "第一次修改"
    assert stale.json()["current"]["version"] == saved.json()["version"]


@pytest.mark.django_db
def test_a_stale_subgoal_or_department_patch_gets_409(cast: Cast, initiator_api: ApiClient) -> None:
    subgoal = SubGoal.objects.filter(collaboration=cast.collab).first()
    assert subgoal is not None
    version = initiator_api.get(f"/api/subgoals/{subgoal.pk}").json()["version"]
    assert (
        initiator_api.patch(f"/api/subgoals/{subgoal.pk}", {"version": version, "unit": "次"}).status_code
        == 200
    )
    stale = initiator_api.patch(f"/api/subgoals/{subgoal.pk}", {"version": version, "unit": "件"})
    assert (stale.status_code, stale.json()["current"]["unit"]) == (409, "次")
    departments = initiator_api.get(f"/api/collaborations/{cast.collab.slug}/departments").json()
    url = f"/api/collaborations/{cast.collab.slug}/departments/{departments[0]['id']}"
    assert initiator_api.patch(url, {"version": version, "duties": "旧版本上的修改"}).status_code == 409


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in threads released together; each thread uses (and closes) its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = calls[i]()
        except Exception as exc:  # reported by the assertion on results
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_writers_at_the_same_moment_one_wins_and_nothing_is_lost(cast: Cast) -> None:
    task = cast.task_of("技术部")
    initiator, liaison = ApiClient(token_for(cast.initiator)), ApiClient(token_for(cast.liaison))
    for round_ in range(5):
        task.refresh_from_db()
        version = task.version

        def patch(api: ApiClient, standard: str, version: int = version) -> Callable[[], Any]:
            return lambda: api.patch(f"/api/tasks/{task.pk}", {"version": version, "standard": standard})

        answers = _at_once([patch(initiator, f"A{round_}"), patch(liaison, f"B{round_}")])
        codes = sorted(getattr(a, "status_code", repr(a)) for a in answers)
        assert codes == [200, 409], answers
        winner = next(a for a in answers if a.status_code == 200).json()
        loser = next(a for a in answers if a.status_code == 409).json()
        task.refresh_from_db()
        assert task.version == version + 1
        assert task.standard == winner["standard"] == loser["current"]["standard"]
        assert loser["current"]["version"] == task.version


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_writers_that_retry_on_409_lose_no_update(cast: Cast) -> None:
    """Four people append to the same row at once, each redoing their change on 409: all four land."""
    task = cast.task_of("技术部")
    Task.objects.filter(pk=task.pk).update(standard="")
    clients = [ApiClient(token_for(p)) for p in (cast.initiator, cast.liaison, cast.head, cast.admin)]

    def append(client: ApiClient, mark: str) -> Callable[[], int]:
        def run() -> int:
            current = client.get(f"/api/tasks/{task.pk}").json()
            for attempt in range(20):
                answer = client.patch(
                    f"/api/tasks/{task.pk}",
                    {"version": current["version"], "standard": current["standard"] + mark},
                )
                if answer.status_code == 200:
                    return attempt
                assert answer.status_code == 409, answer.content
                current = answer.json()["current"]
            raise AssertionError("never got through")

        return run

    attempts = _at_once([append(c, mark) for c, mark in zip(clients, "ABCD", strict=True)])
    assert all(isinstance(a, int) for a in attempts), attempts
    task.refresh_from_db()
    assert sorted(task.standard) == list("ABCD")
    assert sum(attempts) >= 1  # they did collide
