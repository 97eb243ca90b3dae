"""Demo mailboxes: the demo's people get addresses at example.com, so reminders show on the console."""

from __future__ import annotations

from xietong.orgs.models import Person

# The demo charter's people by the romanised family name of each (example.com never receives mail).
_MAILBOXES = {
    "刘主管": "liu",
    "周总监": "zhou",
    "孙总监": "sun",
    "张经理": "zhang",
    "李工": "li",
    "王经理": "wang",
    "赵总监": "zhao",
    "陈专员": "chen",
}


def add_demo_mailboxes() -> None:
    """Give the people of the demo charter a mailbox each (those without one)."""
    for person in Person.objects.filter(username__in=_MAILBOXES, email=""):
        person.email = f"{_MAILBOXES[person.username]}@example.com"
        person.save(update_fields=["email"])
