"""The database side of backup and restore: the PostgreSQL client tools, tables, counts and migrations.

Shared by backup (which reads them from the snapshot it archives) and
restore (which compares them with the manifest), so both count the same
tables the same way on either engine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from xietong.ops.archive import OpsError

CLIENT_HINT = (
    "install the PostgreSQL client tools of the server's major version or newer "
    "(Debian/Ubuntu: apt install postgresql-client; RHEL/Fedora: dnf install postgresql)"
)
# Django's own OPTIONS keys for psycopg, not libpq connection parameters.
NOT_LIBPQ = {"isolation_level", "server_side_binding", "pool", "assume_role", "cursor_factory", "context"}


def engine_of(database: dict[str, Any]) -> str:
    """``sqlite`` or ``postgresql`` for a Django DATABASES entry; anything else is refused."""
    engine = str(database["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise OpsError(f"backup and restore support SQLite and PostgreSQL, not {engine}")


def client(program: str) -> str:
    """The path of ``pg_dump`` / ``pg_restore``, or a clear error naming the package to install."""
    found = shutil.which(program)
    if found is None:
        raise OpsError(f"{program} was not found on PATH: {CLIENT_HINT}")
    return found


def libpq_params(database: dict[str, Any], name: str | None = None) -> dict[str, str]:
    """libpq connection parameters (no password) of a Django DATABASES entry, optionally for another database."""
    params = {
        "dbname": name or database.get("NAME") or "",
        "host": database.get("HOST") or "",
        "port": str(database.get("PORT") or ""),
        "user": database.get("USER") or "",
    }
    for key, value in (database.get("OPTIONS") or {}).items():
        if key not in NOT_LIBPQ and isinstance(value, str | int):
            params[key] = str(value)
    return {key: value for key, value in params.items() if value}


def conninfo(params: dict[str, str]) -> str:
    """``key='value' …``: a libpq connection string (values quoted, so spaces and quotes are safe)."""
    return " ".join(f"{key}='{_quote(value)}'" for key, value in params.items())


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def client_env(database: dict[str, Any]) -> dict[str, str]:
    """The environment for a client tool: the password passed in PGPASSWORD, never on the command line."""
    env = dict(os.environ)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return env


def run_client(args: Sequence[str], database: dict[str, Any]) -> None:
    """Run a PostgreSQL client tool; a failure is an ``OpsError`` with its last words."""
    done = subprocess.run(list(args), env=client_env(database), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        said = lines[-1] if lines else f"exit code {done.returncode}"
        raise OpsError(f"{os.path.basename(args[0])} failed: {said}")


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_names(cursor: Any, engine: str) -> list[str]:
    """The tables of the database (not views, not SQLite's own), sorted."""
    if engine == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(str(row[0]) for row in cursor.fetchall())


def count_rows(cursor: Any, tables: Sequence[str]) -> dict[str, int]:
    """The number of rows of each of ``tables``, in one query (one snapshot on PostgreSQL's REPEATABLE READ)."""
    if not tables:
        return {}
    cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote_name(t)})" for t in tables))
    row = cursor.fetchone()
    return {table: int(count) for table, count in zip(tables, row, strict=True)}


def applied_migrations(cursor: Any, tables: Sequence[str]) -> dict[str, list[str]]:
    """The migrations recorded as applied, per app (empty for a database never migrated)."""
    if "django_migrations" not in tables:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations")
    applied: dict[str, list[str]] = {}
    for app, name in sorted(cursor.fetchall()):  # sorted here: the engines' collations differ
        applied.setdefault(str(app), []).append(str(name))
    return applied
