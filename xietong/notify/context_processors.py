"""The unread count of the top navigation's inbox link, read only when a page shows it."""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from xietong.notify.models import Notification


class Inbox:
    """The signed-in person's inbox as the navigation shows it: one count query, on first use."""

    def __init__(self, request: HttpRequest) -> None:
        self.user = getattr(request, "user", None)

    @cached_property
    def unread(self) -> int:
        if self.user is None or not self.user.is_authenticated:
            return 0
        return Notification.objects.filter(recipient_id=self.user.pk, read_at__isnull=True).count()


def inbox(request: HttpRequest) -> dict[str, Inbox]:
    return {"inbox": Inbox(request)}
