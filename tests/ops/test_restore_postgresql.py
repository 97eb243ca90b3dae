"""Moving between engines: a SQLite backup restored into PostgreSQL, its PostgreSQL backup back into SQLite.

The documented way from the embedded default to PostgreSQL. Each test makes
its own database on the run's PostgreSQL server and drops it; the processes
never share pytest-django's connection.
"""

from __future__ import annotations

import re
import sys
import tarfile
from pathlib import Path

from tests.ops.backup_site import (
    Original,
    Site,
    original,
    postgresql_database,
    postgresql_half,
    postgresql_server,
    scratch_databases,
    tables_of,
    with_a_broken_reference,
)

__all__ = ["original"]  # the fixture, used by name
pytestmark = postgresql_half


def _counts(site: Site) -> dict[str, int]:
    return dict(site.run_in("table_counts"))


def test_sqlite_to_postgresql_and_back_keeps_the_whole_site(original: Original, tmp_path: Path) -> None:
    server = postgresql_server()
    with postgresql_database(server) as url:
        pg = Site(tmp_path / "pg-data", url)
        done = pg.xietong("restore", str(original.archive))
        # SECRET_KEY comes from the environment with PostgreSQL: the operator is told it differs
        assert "signed links and sessions stop working (passwords keep working)" in done.stderr
        assert pg.run_in("facts", BACKUP_TEST_TOKEN=original.token) == original.facts
        assert sorted(p.name for p in (pg.data / "media").rglob("*") if p.is_file()) == sorted(
            p.name for p in (original.site.data / "media").rglob("*") if p.is_file()
        )

        # a full PostgreSQL target is refused without --force, and nothing is written
        before = _counts(pg)
        refused = pg.xietong("restore", str(original.archive), check=False)
        assert refused.returncode == 1 and "already holds data" in refused.stderr
        assert _counts(pg) == before
        # … and a restore failing at its last step (a broken reference) leaves it as it was, too
        broken = with_a_broken_reference(original.archive, tmp_path / "broken.tar.gz")
        failed = pg.xietong("restore", "--force", str(broken), check=False)
        assert failed.returncode == 1 and "nothing was restored" in failed.stderr, failed.stderr
        assert _counts(pg) == before

        archive = tmp_path / "from-postgresql.tar.gz"
        pg.xietong("backup", "-o", str(archive))
        with tarfile.open(archive) as tar:
            assert "database.pgdump" in tar.getnames()
        # PostgreSQL into PostgreSQL (the dump read in a scratch database on the same server), over its own data
        pg.xietong("restore", "--force", str(archive))
        assert _counts(pg) == before
        pg.run_in("fill")  # new rows after a restore: the sequences were reset past the restored keys

    back = Site(tmp_path / "back")
    refused = back.xietong("restore", str(archive), check=False)
    assert refused.returncode == 1 and "--scratch-database" in refused.stderr
    done = back.xietong("restore", str(archive), "--scratch-database", server)
    assert back.run_in("facts", BACKUP_TEST_TOKEN=original.token) == original.facts
    scratch = re.search(r"scratch database (\S+)", done.stdout)
    assert scratch and scratch.group(1) not in scratch_databases(server)


def test_missing_postgresql_client_tools_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    server = postgresql_server()
    without_tools = str(Path(sys.executable).parent)  # python, but no pg_dump / pg_restore
    with postgresql_database(server) as url:
        pg = Site(tmp_path / "data", url)  # an empty database: a backup of it is quick and still a dump
        out = tmp_path / "out"
        out.mkdir()
        done = pg.xietong("backup", "-o", str(out), check=False, PATH=without_tools)
        assert done.returncode == 1 and "pg_dump was not found on PATH" in done.stderr
        assert "postgresql-client" in done.stderr and list(out.iterdir()) == []

        pg.xietong("backup", "-o", str(out / "empty.tar.gz"))
        done = pg.xietong("restore", "--force", str(out / "empty.tar.gz"), check=False, PATH=without_tools)
        assert done.returncode == 1 and "pg_restore was not found on PATH" in done.stderr
        assert tables_of(url) == []  # not even migrated: nothing written
