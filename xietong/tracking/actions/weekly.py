"""Publishing the weekly progress list (周进度清单): the initiator freezes a week with remarks."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from xietong.audit.record import audited
from xietong.collabs.models import Collaboration
from xietong.orgs.models import Person
from xietong.tracking.actions.closing import check_open
from xietong.tracking.models import WeeklyReport
from xietong.tracking.sources import company_tz, compile_for
from xietong.tracking.weekly import IsoWeek


class WeekNotStarted(ValueError):
    """A week that has not begun has nothing to publish yet."""


@transaction.atomic
def do_publish_weekly_report(
    collab: Collaboration,
    year: int,
    week: int,
    remarks: str,
    at: datetime,
    actor: Person | None = None,
) -> tuple[WeeklyReport, bool]:
    """Compile the list of ISO week ``year``-W``week`` as of ``at`` and freeze it; return (report, created).

    Publishing a week again replaces its remarks and content (and who and
    when); the audit log keeps what it said before. ``ValueError`` for a
    week that does not exist, ``WeekNotStarted`` for one that has not begun,
    ``CollaborationClosed`` once the collaboration is closed.
    """
    check_open(collab)
    iso = IsoWeek(year, week)
    if at < iso.start(company_tz()):
        raise WeekNotStarted(f"{iso} has not started at {at.isoformat()}")
    content = compile_for(collab, iso, at).to_content()
    values = {"remarks": remarks, "content": content, "published_at": at, "published_by": actor}
    existing = (
        WeeklyReport.objects.select_for_update()
        .filter(collaboration=collab, iso_year=iso.year, iso_week=iso.week)
        .first()
    )
    if existing is None:
        try:
            with transaction.atomic(), audited(None, actor=actor, collaboration=collab) as box:
                report = WeeklyReport.objects.create(
                    collaboration=collab, iso_year=iso.year, iso_week=iso.week, **values
                )
                box["obj"] = report
            return report, True
        except IntegrityError:
            # Published by someone else a moment ago: publish over theirs.
            existing = WeeklyReport.objects.select_for_update().get(
                collaboration=collab, iso_year=iso.year, iso_week=iso.week
            )
    with audited(existing, actor=actor, collaboration=collab) as box:
        for name, value in values.items():
            setattr(existing, name, value)
        existing.save()
        box["obj"] = existing
    return existing, False
