"""Metric readings: the measured values of goal metrics over time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from xietong.audit.record import audited
from xietong.collabs.models import Collaboration, Metric, MetricReading
from xietong.lib.limits import check_values
from xietong.orgs.models import Person


@transaction.atomic
def do_record_reading(
    metric: Metric, measured_on: date, value: Decimal, *, note: str = "", actor: Person | None = None
) -> MetricReading:
    """Record (or correct) the value of a goal metric on a day; ``LimitError`` outside the limits."""
    check_values(MetricReading, [("measured_on", measured_on), ("note", note)])
    found = MetricReading.objects.filter(metric=metric, measured_on=measured_on).first()
    collab = Collaboration.objects.filter(goal__metrics=metric).first()
    with audited(found, actor=actor, collaboration=collab) as box:
        reading, _created = MetricReading.objects.update_or_create(
            metric=metric,
            measured_on=measured_on,
            defaults={"value": value, "note": note, "recorded_by": actor},
        )
        box["obj"] = reading
    Collaboration.objects.filter(goal__metrics=metric).update(version=F("version") + 1)
    return reading
