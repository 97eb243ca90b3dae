"""Is the database newer than the code? Refuse to run against a schema written by a later release.

An older Xietong started on a database that a newer one has migrated would
serve pages and write rows with yesterday's idea of the tables: a column
it does not know is left empty, a constraint it does not expect fails in
the middle of a save. ``migrate`` does not notice (applied migrations it
has no file for are simply ignored), so ``xietong run``, ``xietong
worker`` and ``xietong migrate`` ask here first and stop with a message
naming the migrations, before anything is written.

"Newer" means: recorded as applied in ``django_migrations`` for an
installed app, yet neither a migration file of that app nor one that a
squashed migration replaces. Rows of apps no longer installed are left
alone (a removed app's history is not a newer schema).
"""

from __future__ import annotations

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.translation import gettext as _

Key = tuple[str, str]  # (app label, migration name), as django_migrations records them


def known_migrations() -> set[Key]:
    """Return the migrations this code has files for, and those its squashed migrations replace."""
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the files only: no query
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    return known


def applied_migrations(connection: BaseDatabaseWrapper) -> set[Key]:
    """Return the migrations recorded as applied (none in a database never migrated)."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return set()
    return set(recorder.applied_migrations())


def unknown_migrations(connection: BaseDatabaseWrapper, known: set[Key] | None = None) -> list[Key]:
    """Return, sorted, the applied migrations of installed apps that this code does not know."""
    installed = {config.label for config in apps.get_app_configs()}
    if known is None:
        known = known_migrations()
    return sorted(key for key in applied_migrations(connection) if key[0] in installed and key not in known)


def newer_database_message(unknown: list[Key]) -> str:
    """The refusal, in the active language, naming the migrations (app.name)."""
    return _(
        "此数据库由更新版本的协同写入(本程序不认识已应用的迁移:%(migrations)s);"
        "请安装该版本,或恢复升级前的备份。"
    ) % {"migrations": ", ".join(f"{app}.{name}" for app, name in unknown)}


def newer_database_problem(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """Return the refusal message if the database ``using`` is newer than the code, else None."""
    unknown = unknown_migrations(connections[using])
    return newer_database_message(unknown) if unknown else None


class SchemaWatch:
    """For a long-running process: the code's migrations read once, the database's at each look (one query)."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using
        self.known = known_migrations()

    def problem(self) -> str | None:
        """Return the refusal message once a newer release has migrated the database, else None."""
        unknown = unknown_migrations(connections[self.using], self.known)
        return newer_database_message(unknown) if unknown else None
