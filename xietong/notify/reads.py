"""What the notification pages and the API read alike: a delivery as listed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from xietong.notify.models import Delivery, DeliveryState


@dataclass(frozen=True)
class DeliveryRow:
    delivery: Delivery
    target: str
    error: str


def delivery_row(delivery: Delivery) -> DeliveryRow:
    """A delivery as listed: the robot's name or the mailbox, the error without any robot secret."""
    robot = delivery.robot
    target = robot.name if robot is not None else delivery.address
    error = delivery.last_error
    if robot is not None:
        for secret in (robot.webhook_url, robot.secret):
            if secret:
                error = error.replace(secret, "…")
    return DeliveryRow(delivery, target, error)


def failed_deliveries() -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(state=DeliveryState.FAILED)
        .select_related("robot", "notification__collaboration")
        .order_by("-next_attempt_at", "-id")
    )
