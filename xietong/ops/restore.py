"""`xietong restore`: a backup back into whatever database is configured, whole or not at all.

The order is what makes a failure harmless:

1. the whole archive is copied into a private staging folder beside
   ``MEDIA_ROOT`` and verified against its manifest (names, types, sizes,
   SHA-256) before anything else happens;
2. an archive newer than the code (a migration the code does not know) and
   a target holding data (without ``--force``) are refused;
3. the archive's database is opened as a second Django database, the
   *source*: the SQLite file itself, or a PostgreSQL dump restored with
   ``pg_restore`` into a scratch database (on the target's server, or on
   ``--scratch-database`` when the target is SQLite), and migrated forward
   in a separate process when it is older than the code;
4. every model's rows are copied into the target in ONE transaction
   (deferred foreign keys, explicit primary keys, in chunks), the counts are
   compared with the source's and the foreign keys checked before commit;
5. only after the commit are the materials swapped in by renaming and the
   secret key written (the embedded default).

The engines may differ: a SQLite backup restores into PostgreSQL and back,
which is how a site moves from the embedded default to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DatabaseError, connections, models, transaction
from django.db.migrations.loader import MigrationLoader

from xietong.lib.progress import ByteProgress
from xietong.lib.schema import known_migrations
from xietong.ops.archive import SECRET_KEY, Extracted, OpsError, extract_verified
from xietong.ops.databases import (
    applied_migrations,
    client,
    conninfo,
    count_rows,
    engine_of,
    libpq_params,
    quote_name,
    run_client,
    table_names,
)

SOURCE = "xietong_restore_source"
ROWS_PER_CHUNK = 2000
SCRATCH_ENV = "XIETONG_RESTORE_SCRATCH_DATABASE"

Say = Callable[[str], None]


@dataclass
class RestoreResult:
    """What was restored, and what the operator must know (a different secret key)."""

    manifest: dict[str, Any]
    rows: int
    media_files: int
    warnings: list[str] = field(default_factory=list)


def restore_backup(
    archive: Path,
    *,
    force: bool = False,
    scratch_database: str = "",
    progress: bool = False,
    say: Say = lambda line: None,
) -> RestoreResult:
    """Restore ``archive`` into the configured database and data folder; raise ``OpsError`` and change nothing on failure."""
    target = settings.DATABASES["default"]
    target_engine = engine_of(target)  # refuses an engine other than SQLite and PostgreSQL first
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".xietong-restore-", dir=media_root.parent))
    try:
        size = archive.stat().st_size if archive.is_file() else 0
        bar = ByteProgress(size, shown=progress and size > 0)
        say(f"verifying {archive}")
        try:
            extracted = extract_verified(archive, staging / "archive", bar.advance)
        finally:
            bar.close()
        _refuse_newer(extracted.manifest)
        server = None
        if extracted.engine == "postgresql":
            client("pg_restore")
            server = _scratch_server(target, scratch_database)
        fresh = _refuse_occupied(force)
        with _source(extracted, staging, server, say) as source:
            if fresh and extracted.engine == "sqlite" and target_engine == "sqlite":
                rows = _move_in(source, say)
            else:
                say("migrating the target database")
                call_command("migrate", interactive=False, verbosity=0)
                rows = _copy(source, say)
        media_count = _swap_media(staging / "archive" / "media", media_root, staging)
        warnings = _restore_secret_key(extracted.path(SECRET_KEY).read_text().strip())
        return RestoreResult(extracted.manifest, rows, media_count, warnings)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_newer(manifest: dict[str, Any]) -> None:
    known = known_migrations()
    for app, names in sorted(manifest["migrations"].items()):
        for name in names:
            if (app, name) not in known:
                raise OpsError(
                    f"the archive is newer than this Xietong: its migration {app}.{name} is unknown here "
                    f"(the archive was written by version {manifest.get('product_version', '?')}); "
                    "upgrade Xietong, then restore"
                )


def _product_tables() -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_config is not None and model._meta.app_config.name.startswith("xietong.")
        }
    )


def _refuse_occupied(force: bool) -> bool:
    """Refuse a target holding any row of the product's tables (reads only); return whether it has no table at all."""
    connection = connections["default"]
    with connection.cursor() as cursor:
        existing = set(table_names(cursor, engine_of(connection.settings_dict)))
        tables = [t for t in _product_tables() if t in existing]
        counts = count_rows(cursor, tables)
    held = sum(counts.values())
    if held and not force:
        raise OpsError(
            f"the target database already holds data ({held} rows in the product's tables): "
            "restore replaces everything in it; add --force to do that"
        )
    return not existing


def _scratch_server(target: dict[str, Any], given: str) -> dict[str, Any]:
    """The PostgreSQL server a dump is restored on first: the target's own, or the one given."""
    if engine_of(target) == "postgresql":
        return target
    url = given or os.environ.get(SCRATCH_ENV, "")
    if not url:
        raise OpsError(
            "this archive holds a PostgreSQL dump and the target is SQLite: give a PostgreSQL server to read "
            f"the dump on with --scratch-database postgresql://user@host:5432/postgres (or {SCRATCH_ENV}); "
            "a temporary database is created there and dropped after"
        )
    import dj_database_url

    return dict(dj_database_url.parse(url))


def _psycopg(server: dict[str, Any]) -> Any:
    import psycopg

    params = libpq_params(server)
    if server.get("PASSWORD"):
        params["password"] = str(server["PASSWORD"])
    return psycopg.connect(conninfo(params), autocommit=True)


@contextmanager
def _source(extracted: Extracted, staging: Path, server: dict[str, Any] | None, say: Say) -> Iterator[str]:
    """Open the archive's database as the Django database ``SOURCE``, migrated to the code; close and drop it after."""
    scratch = ""
    if server is None:
        folder = staging / "source"
        folder.mkdir()
        path = folder / "xietong.sqlite3"
        extracted.database.rename(path)
        (folder / "secret_key").write_text(secrets.token_urlsafe(50))
        config: dict[str, Any] = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
        env = {"XIETONG_DATA": str(folder)}
    else:
        from psycopg import sql

        scratch = f"xietong_restore_{secrets.token_hex(6)}"
        say(f"restoring the PostgreSQL dump into the scratch database {scratch}")
        try:
            with _psycopg(server) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        except Exception as exc:  # psycopg's errors: no rights, no server
            raise OpsError(
                f"cannot create a scratch database on {server.get('HOST') or 'the server'}: {exc}"
            ) from None
        config = {**server, "NAME": scratch, "CONN_MAX_AGE": 0}
        env = {
            "DATABASE_URL": _url(config),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "XIETONG_DATA": str(staging),
        }
    try:
        if scratch:
            run_client(
                [
                    client("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--no-password",
                    f"--dbname={conninfo(libpq_params(config))}",
                    str(extracted.database),
                ],
                config,
            )
        # configure_settings fills Django's defaults (it insists on a "default" entry beside ours).
        both = connections.configure_settings(
            {"default": dict(connections.databases["default"]), SOURCE: config}
        )
        connections.databases[SOURCE] = both[SOURCE]
        _check_counts(extracted.manifest)
        if _needs_migrating(extracted.manifest):
            say("migrating the archive's database forward")
            _migrate_elsewhere(env)
        yield SOURCE
    finally:
        with suppress(Exception):
            connections[SOURCE].close()
        connections.databases.pop(SOURCE, None)
        with suppress(AttributeError):
            del connections[SOURCE]
        if scratch and server is not None:
            from psycopg import sql

            with suppress(Exception), _psycopg(server) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
                )


def _url(config: dict[str, Any]) -> str:
    from urllib.parse import quote

    user = quote(str(config.get("USER") or ""), safe="")
    password = quote(str(config.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = config.get("HOST") or "localhost"
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(str(config['NAME']), safe='')}"


def _check_counts(manifest: dict[str, Any]) -> None:
    """The archive's database holds what the manifest counted (the checksum already says so; this says it in rows)."""
    connection = connections[SOURCE]
    with connection.cursor() as cursor:
        tables = table_names(cursor, engine_of(connection.settings_dict))
        counts = count_rows(cursor, tables)
        migrations = applied_migrations(cursor, tables)
    if counts != manifest["row_counts"] or migrations != manifest["migrations"]:
        raise OpsError(
            "the archive's database does not hold what its manifest counted: the archive is damaged"
        )


def _needs_migrating(manifest: dict[str, Any]) -> bool:
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return any(key not in applied for key in loader.graph.leaf_nodes())


def _migrate_elsewhere(env: dict[str, str]) -> None:
    """Migrate the source in its own process, where it is the default database.

    Data migrations use the default manager without ``using()``: run in this
    process against a second alias they would write into the target.
    """
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "XIETONG_STATIC_ROOT")
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="xietong.settings")
    environment["XIETONG_STATIC_ROOT"] = str(Path(env["XIETONG_DATA"]) / "static")
    connections[SOURCE].close()
    done = subprocess.run(
        [sys.executable, "-m", "xietong.cli", "migrate", "--no-input", "--verbosity", "0"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise OpsError(
            "migrating the archive's database failed: " + (lines[-1] if lines else str(done.returncode))
        )


def _copied_models() -> list[type[models.Model]]:
    """Every table's model once (no proxies, no unmanaged), those referred to before those referring."""
    by_table: dict[str, type[models.Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            by_table.setdefault(model._meta.db_table, model)
    ordered: list[type[models.Model]] = []
    seen: set[str] = set()

    def visit(model: type[models.Model], path: set[str]) -> None:
        table = model._meta.db_table
        if table in seen or table in path:  # a cycle (deferred foreign keys make it harmless)
            return
        for fk in model._meta.concrete_fields:
            related = fk.related_model if fk.is_relation else None
            if isinstance(related, type) and related._meta.db_table in by_table and related is not model:
                visit(by_table[related._meta.db_table], path | {table})
        seen.add(table)
        ordered.append(model)

    for model in by_table.values():
        visit(model, set())
    return ordered


def _copy(source: str, say: Say) -> int:
    """Replace every table's rows in the target by the source's, in one transaction; return the rows copied."""
    target = connections["default"]
    copied = _copied_models()
    total = 0
    with transaction.atomic(using="default"):
        with target.cursor() as cursor:
            existing = set(table_names(cursor, engine_of(target.settings_dict)))
            for model in reversed(copied):
                if model._meta.db_table in existing:
                    cursor.execute(f"DELETE FROM {quote_name(model._meta.db_table)}")
        say(f"copying {len(copied)} tables")
        for model in copied:
            total += _copy_model(model, source)
        tables = [m._meta.db_table for m in copied]
        with connections[source].cursor() as cursor:
            expected = count_rows(cursor, tables)
        with target.cursor() as cursor:
            restored = count_rows(cursor, tables)
        if restored != expected:
            wrong = sorted(t for t in tables if restored[t] != expected[t])
            raise OpsError(
                f"the restored row counts differ from the archive's in {', '.join(wrong)}: nothing was restored"
            )
        try:
            target.check_constraints()
        except DatabaseError as exc:
            raise OpsError(f"the archive's rows break a constraint ({exc}): nothing was restored") from None
        if target.vendor == "postgresql":
            with target.cursor() as cursor:
                for statement in target.ops.sequence_reset_sql(no_style(), copied):
                    cursor.execute(statement)
    return total


def _move_in(source: str, say: Say) -> int:
    """A SQLite archive into a SQLite target that has no table yet: the (migrated) file itself, renamed into place.

    The rename is atomic and the staging folder is beside the data folder's
    database (same file system): there is no moment with half a database.
    """
    path = Path(connections[source].settings_dict["NAME"])
    with connections[source].cursor() as cursor:
        rows = sum(count_rows(cursor, [m._meta.db_table for m in _copied_models()]).values())
    connections[source].close()
    single = sqlite3.connect(path)
    try:
        single.execute("PRAGMA journal_mode=DELETE")  # folds any -wal into the file and removes it
    finally:
        single.close()
    target = connections["default"]
    target_path = Path(target.settings_dict["NAME"])
    target.close()
    say("moving the archive's database into place")
    for stale in (Path(f"{target_path}-wal"), Path(f"{target_path}-shm")):
        stale.unlink(missing_ok=True)  # an empty database's, never to be replayed onto this one
    os.replace(path, target_path)
    return rows


def _copy_model(model: type[models.Model], source: str) -> int:
    """Copy one model's rows in chunks, primary keys and timestamps as they are (raw: no auto_now)."""
    fields = [f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]
    target = connections["default"]
    manager = model._base_manager
    count = 0
    batch: list[models.Model] = []

    def flush() -> None:
        size = max(1, target.ops.bulk_batch_size(fields, batch) or len(batch))
        for start in range(0, len(batch), size):
            manager.using("default")._insert(batch[start : start + size], fields=fields, raw=True)  # type: ignore[attr-defined]
        batch.clear()

    for obj in manager.using(source).order_by("pk").iterator(chunk_size=ROWS_PER_CHUNK):
        batch.append(obj)
        count += 1
        if len(batch) >= ROWS_PER_CHUNK:
            flush()
    if batch:
        flush()
    return count


def _swap_media(new: Path, media_root: Path, staging: Path) -> int:
    """Put the archive's materials in place by renaming (same file system), the old ones removed with the staging."""
    new.mkdir(parents=True, exist_ok=True)
    count = sum(1 for path in new.rglob("*") if path.is_file())
    old = staging / "media-before"
    if media_root.exists():
        os.rename(media_root, old)
    try:
        os.rename(new, media_root)
    except OSError:
        if old.exists():
            os.rename(old, media_root)
        raise
    return count


def _restore_secret_key(key: str) -> list[str]:
    """Keep the old site's key where the data folder holds it; say so where the environment sets another."""
    warnings = []
    given = os.environ.get("SECRET_KEY", "")
    if settings.EMBEDDED:
        key_file = Path(settings.DATA_DIR) / "secret_key"
        partial = key_file.with_name(".secret_key.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        os.replace(partial, key_file)
    if given and given != key:
        warnings.append(
            "SECRET_KEY in the environment differs from the archived site's key: its signed links and sessions "
            "stop working (passwords keep working); to keep them, set SECRET_KEY to the archive's member "
            f"'{SECRET_KEY}'"
        )
    return warnings
