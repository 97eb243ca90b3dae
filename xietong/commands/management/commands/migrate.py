"""``xietong migrate``: Django's migrate, refusing a database that a newer Xietong has migrated.

Django ignores applied migrations it has no file for; an older release
migrating (and then serving) a newer schema would go on as if nothing were
wrong. The refusal (``xietong.lib.schema``) comes before any migration runs.
``call_command("migrate")`` reaches this command too (``xietong run``,
``xietong restore``, the test database's creation).
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate

from xietong.lib.cli import fail
from xietong.lib.schema import newer_database_problem


class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> None:
        problem = newer_database_problem(options["database"])
        if problem is not None:
            fail(problem)
        super().handle(*args, **options)
