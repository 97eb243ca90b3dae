"""Every migration of Xietong can be undone, or says in its module why not.

A downgrade is a restore of the backup taken before the upgrade
(docs/operations.md), but a release that goes wrong is first rolled back
with ``xietong migrate APP PREVIOUS``: each operation must have its way
back (a RunPython its ``reverse_code``, a RunSQL its ``reverse_sql``), or
the migration module carries ``IRREVERSIBLE = "…why…"``. The real round
trip is in test_upgrade.py.
"""

from __future__ import annotations

import sys

from django.apps import apps
from django.db.migrations import Migration
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import SeparateDatabaseAndState
from django.db.migrations.operations.base import Operation

REASON = "IRREVERSIBLE"  # the module-level string that explains a migration without a way back


def project_migrations() -> list[Migration]:
    ours = {config.label for config in apps.get_app_configs() if config.name.startswith("xietong.")}
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the files only
    return [m for (app, _name), m in sorted(loader.disk_migrations.items()) if app in ours]


def irreversible(operations: list[Operation]) -> list[Operation]:
    """The operations (those a SeparateDatabaseAndState runs on the database included) with no way back."""
    found = []
    for operation in operations:
        if isinstance(operation, SeparateDatabaseAndState):
            found += irreversible(operation.database_operations)
        elif not operation.reversible:
            found.append(operation)
    return found


def reason(migration: Migration) -> str:
    value = getattr(sys.modules[type(migration).__module__], REASON, "")
    return value.strip() if isinstance(value, str) else ""


def test_the_projects_migrations_are_found() -> None:
    labels = {m.app_label for m in project_migrations()}
    assert {"orgs", "collabs", "meetings", "tracking", "notify", "audit", "api"} <= labels


def test_every_migration_is_reversible_or_says_why_not() -> None:
    unexplained = [
        f"{m.app_label}.{m.name}: {op.describe()}"
        for m in project_migrations()
        if not reason(m)
        for op in irreversible(m.operations)
    ]
    assert not unexplained, f"irreversible without {REASON} = '…why…' in the module: {unexplained}"


def test_a_reason_is_given_only_where_a_migration_is_irreversible() -> None:
    # A stale excuse would hide the next irreversible operation added to the same migration.
    stale = [
        f"{m.app_label}.{m.name}"
        for m in project_migrations()
        if reason(m) and not irreversible(m.operations)
    ]
    assert not stale
