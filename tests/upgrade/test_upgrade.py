"""Upgrading cannot eat data: the previous release's database, migrated by today's code, says the same.

The fixture (tests/upgrade/fixtures, made by ``make_fixture.py`` with the
previous release's code) holds that release's database with the demo, its
charter export and its rule findings on pinned days. Today's ``migrate``
upgrades a copy; today's ``export`` and ``check`` must give the same
results, except for the changes made on purpose and listed below with
their reasons. Then the migrations go back to the previous release's state
and forward again, and every project app to zero and forward again.

SQLite only: the fixture is the embedded default's database. Loading it
into PostgreSQL needs a copy of every row between two engines at the old
schema (what ``xietong restore`` of a SQLite backup into PostgreSQL does);
the migrations themselves run on PostgreSQL in every PostgreSQL run of the
suite (pytest-django's test database), and the refusal of a newer database
is tested there (test_newer_database.py).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db.migrations.loader import MigrationLoader

from tests.upgrade.conftest import applied, copy_of, fixture_json, previous_release, sqlite_half, xietong

pytestmark = sqlite_half

PINNED_DAYS = ("2024-08-12", "2024-10-08")  # as make_fixture.JUDGED_ON

REMOVED = object()

# What today's code writes differently from the previous release's, on purpose. Each entry is a path
# (dotted; list items by index, e.g. "tasks.3.standard") with the value today writes (REMOVED: the key is
# gone) and the reason. Add one when a release changes the charter format or a rule's outcome by design
# (a new optional key, a reworded finding); never a wildcard. Empty: since e5f1611 nothing changed.
EXPORT_CHANGES: dict[str, tuple[object, str]] = {}
FINDING_CHANGES: dict[str, tuple[object, str]] = {}  # paths start with the day, e.g. "2024-08-12.score"


def as_changed(old: Any, changes: dict[str, tuple[object, str]]) -> Any:
    """Return ``old`` (JSON) with the listed changes made: what today's code is expected to write."""
    new = json.loads(json.dumps(old))
    for path, (value, _why) in changes.items():
        *parents, last = path.split(".")
        node = new
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        index: Any = int(last) if isinstance(node, list) else last
        if value is REMOVED:
            del node[index]
        else:
            node[index] = value
    return new


def project_apps() -> list[str]:
    """The labels of Xietong's apps that have migrations."""
    return sorted(
        config.label
        for config in apps.get_app_configs()
        if config.name.startswith("xietong.") and (Path(config.path) / "migrations").is_dir()
    )


def test_the_fixture_is_the_previous_release_with_the_demo() -> None:
    made_by = fixture_json("made_by.json")
    assert made_by["commit"].startswith("e5f1611")
    export = fixture_json("export.json")
    assert export["title"] == "客户投诉快速响应" and len(export["tasks"]) == 10
    assert set(fixture_json("findings.json")) == set(PINNED_DAYS)


def test_todays_export_of_the_upgraded_database_is_the_previous_releases(upgraded: Path) -> None:
    done = xietong(upgraded, "export", "demo")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == as_changed(fixture_json("export.json"), EXPORT_CHANGES)


@pytest.mark.parametrize("day", PINNED_DAYS)
def test_todays_findings_on_the_upgraded_database_are_the_previous_releases(upgraded: Path, day: str) -> None:
    done = xietong(upgraded, "check", "demo", "--json", "--today", day)
    assert done.returncode in (0, 1), done.stderr  # 1: error findings, a result like any other
    expected = as_changed(fixture_json("findings.json"), FINDING_CHANGES)[day]
    assert json.loads(done.stdout) == expected
    assert expected["findings"], "the pinned days must have findings to compare"


def test_the_upgrade_applied_every_migration_of_today(upgraded: Path, tmp_path: Path) -> None:
    todays = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)  # the files: no database
    assert todays <= applied(upgraded / "xietong.sqlite3")
    assert applied(previous_release(tmp_path / "old")) <= applied(upgraded / "xietong.sqlite3")


# Migrates the data folder's database (in its own process: settings from XIETONG_DATA) through the phases
# given as JSON, each a list of [app, target] ("zero" or a migration's name; [null, null]: every app to its
# latest), or ["export", FILE]: the demo's charter export written to FILE. Prints the applied migrations
# after each migrating phase as JSON. One process: the round trip's time is the migrations', not start-ups'.
_PHASES = """
import json, sys, django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
after = []
for phase in json.loads(sys.argv[1]):
    if phase[0] == "export":
        call_command("export", "demo", "--output", phase[1])
        continue
    for app, target in phase:
        call_command("migrate", *([app, target] if app else []), verbosity=0, interactive=False)
    after.append(sorted(MigrationRecorder(connection).applied_migrations()))
print(json.dumps(after))
"""

Phase = list[tuple[str | None, str | None]] | tuple[str, str]


def migrate_through(data: Path, phases: list[Phase]) -> list[set[tuple[str, str]]]:
    """Run the phases (see _PHASES) on the data folder ``data``; return the applied migrations after each."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "LANGUAGE_CODE")}
    env.update(XIETONG_DATA=str(data), DJANGO_SETTINGS_MODULE="xietong.settings")
    done = subprocess.run(
        [sys.executable, "-c", _PHASES, json.dumps(phases)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [{(app, name) for app, name in state} for state in json.loads(done.stdout)]


def schema(database: Path) -> set[tuple[object, ...]]:
    """Tables, their columns (name, type, not null, default, primary key) and the indexes' names."""
    with sqlite3.connect(database) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        shape: set[tuple[object, ...]] = {
            ("index", name, table)
            for name, table in db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
        }
        for table in tables:
            shape.update((table, *column[1:]) for column in db.execute(f'PRAGMA table_info("{table}")'))
        return shape


def test_migrations_go_back_to_the_previous_release_and_to_zero_and_forward_again(
    upgraded: Path, tmp_path: Path
) -> None:
    data = copy_of(upgraded, tmp_path / "data")
    ours = project_apps()
    before = applied(previous_release(tmp_path / "old"))
    # Each app back to its last migration of the previous release (zero: an app new since then), forward
    # again, the demo exported: its rows went through the migrations back and forth (and table rebuilds).
    # Then every migration's way back: every app of ours to zero, and forward again to the same schema.
    back = [(app, max((n for a, n in before if a == app), default="zero")) for app in ours]
    export = tmp_path / "export.json"
    at_release, forward, at_zero, again = migrate_through(
        data, [back, [(None, None)], ("export", str(export)), [(app, "zero") for app in ours], [(None, None)]]
    )
    assert {m for m in at_release if m[0] in ours} == {m for m in before if m[0] in ours}
    assert forward == applied(upgraded / "xietong.sqlite3")
    assert json.loads(export.read_text(encoding="utf-8")) == as_changed(
        fixture_json("export.json"), EXPORT_CHANGES
    )
    assert not {m for m in at_zero if m[0] in ours}
    assert again == forward
    assert schema(data / "xietong.sqlite3") == schema(upgraded / "xietong.sqlite3")
