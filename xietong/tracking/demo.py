"""The demo's progress history: every Friday each liaison reports on their department's rows.

Written in bulk (it is history, not something a person does now). Statuses
follow the rows' own timeline, so the latest report of each row matches
the table; 技术部 (busy with its blocked row) skipped the latest week's report, so T03 has something to
say, as it would in real life.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from xietong.collabs.models import Collaboration, Participant, Task, TaskStatus
from xietong.tracking.models import ProgressUpdate

SILENT_LAST_WEEK = "技术部"


def _status_on(task: Task, day: date, is_latest: bool) -> tuple[str, int]:
    if is_latest:
        if task.status == TaskStatus.NOT_STARTED:
            return task.status, 0
        return task.status, 100 if task.status == TaskStatus.DONE else min(90, task.percent or 60)
    assert task.deadline is not None
    if day >= task.deadline:
        return (TaskStatus.DONE, 100) if task.status == TaskStatus.DONE else (TaskStatus.IN_PROGRESS, 80)
    if day >= task.deadline - timedelta(days=21):
        return TaskStatus.IN_PROGRESS, 30
    return TaskStatus.NOT_STARTED, 0


def add_demo_progress(collab: Collaboration, kickoff: date, as_of: date) -> None:
    tz = ZoneInfo(settings.TIME_ZONE)
    liaisons = {
        p.department_id: p.liaison
        for p in Participant.objects.filter(collaboration=collab).select_related("liaison")
    }
    fridays = []
    day = kickoff + timedelta(days=4)
    while day < as_of:
        fridays.append(day)
        day += timedelta(weeks=1)
    tasks = list(
        Task.objects.filter(collaboration=collab, deadline__isnull=False).select_related("department")
    )
    updates = []
    for week, friday in enumerate(fridays):
        latest = week == len(fridays) - 1
        for task in tasks:
            if task.department is None or (latest and task.department.name == SILENT_LAST_WEEK):
                continue
            finished_long_ago = task.deadline is not None and task.deadline < friday - timedelta(days=7)
            if finished_long_ago and not latest and task.status == TaskStatus.DONE:
                continue  # done rows need no more reports
            status, percent = _status_on(task, friday, latest)
            updates.append(
                ProgressUpdate(
                    collaboration=collab,
                    task=task,
                    department=task.department,
                    author=liaisons.get(task.department.pk),
                    created_at=datetime.combine(friday, time(17), tzinfo=tz),
                    status=status,
                    percent=percent,
                    note="按计划推进" if status != TaskStatus.BLOCKED else "",
                    blocked_reason=task.blocked_reason if status == TaskStatus.BLOCKED else "",
                )
            )
    ProgressUpdate.objects.bulk_create(updates)
    # The table shows each row's percent as last reported.
    reported = {u.task.pk: u.percent for u in sorted(updates, key=lambda u: u.created_at)}
    for task in tasks:
        task.percent = reported.get(task.pk, task.percent)
    Task.objects.bulk_update([t for t in tasks if t.pk in reported], ["percent"])
