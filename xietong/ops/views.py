"""The staff's operations page (运维, ``/ops/``): scheduled backups and the backup folder's disk.

Staff only, like the failed deliveries (anonymous: the login page; signed in
without staff: 403). One query for the backups' rows whatever their number;
the folder and the disk are read from the file system.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from xietong.collabs.access import signed_in_person
from xietong.ops.models import BackupRun
from xietong.ops.schedule import backup_files, describe, free_space

RECENT_RUNS = 10


@login_required
@require_safe
def ops_page(request: HttpRequest) -> HttpResponse:
    """The last scheduled backups, the archives in the backup folder, the schedule and the free space."""
    if not signed_in_person(request).is_staff:
        raise PermissionDenied
    folder = settings.XIETONG_BACKUP_DIR
    runs = list(BackupRun.objects.all()[:RECENT_RUNS])
    space = free_space(folder)
    context = {
        "last": runs[0] if runs else None,
        "runs": runs,
        "files": backup_files(folder),
        "folder": folder,
        "schedule": describe(settings.XIETONG_BACKUP_SCHEDULE, settings.TIME_ZONE),
        "scheduled": settings.XIETONG_BACKUP_SCHEDULE is not None,
        "keep": settings.XIETONG_BACKUP_KEEP,
        "free": space[0] if space else None,
        "total": space[1] if space else None,
    }
    return render(request, "ops/ops.html", context)
