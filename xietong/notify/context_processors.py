"""The unread count of the top navigation's inbox link, read only when a page shows it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.http import HttpRequest
from django.utils.translation import get_language

from xietong.notify.messages import render
from xietong.notify.models import Kind, Notification

# Unread mentions shown on 我的工作台 at most (the inbox has them all).
MENTIONS_SHOWN = 10


@dataclass(frozen=True)
class Mention:
    notification: Notification
    subject: str


class Inbox:
    """The signed-in person's inbox as the navigation shows it: one count query, on first use."""

    def __init__(self, request: HttpRequest) -> None:
        self.user = getattr(request, "user", None)

    @cached_property
    def unread(self) -> int:
        if self.user is None or not self.user.is_authenticated:
            return 0
        return Notification.objects.filter(recipient_id=self.user.pk, read_at__isnull=True).count()

    @cached_property
    def mentions(self) -> list[Mention]:
        """The newest unread notices "someone mentioned you" (我的工作台), rendered; one query, on first use.

        Read here rather than in the home view: collabs sits below notify and may not import it.
        """
        if self.user is None or not self.user.is_authenticated:
            return []
        found = Notification.objects.filter(
            recipient_id=self.user.pk, kind=Kind.MENTIONED, read_at__isnull=True
        ).order_by("-created_at", "-id")[:MENTIONS_SHOWN]
        language = get_language()
        return [Mention(n, render(n, language).subject) for n in found]


def inbox(request: HttpRequest) -> dict[str, Inbox]:
    return {"inbox": Inbox(request)}
