"""Make the upgrade fixture with the code of a previous release: ``python tests/upgrade/make_fixture.py COMMIT``.

The release's tree is taken with ``git archive`` (the working tree and its
branch are not touched) and run with this venv's Python: it migrates a fresh
SQLite database, loads the demo at the guide's dates and writes, with that
release's own commands, the charter export and the rule findings at the
pinned day. ``tests/upgrade/test_upgrade.py`` migrates a copy of that
database with today's code and compares.

At each release: run it with the released commit, commit ``fixtures/``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The guide's dates, as the `demo` fixture of tests/conftest.py: kickoff Monday, data up to the weekly meeting.
KICKOFF = "2024-07-08"
AS_OF = "2024-08-12"
# The days the findings are judged on: mid-execution, and after the goal's deadline (2024-09-30).
JUDGED_ON = ("2024-08-12", "2024-10-08")
# The clock while the old code writes (the demo's own rows are dated by --kickoff/--today; this pins the rest).
NOW = "2024-08-12T18:00:00+08:00"

# Runs one command of the old tree's console script with the clock stopped at NOW (time-machine, ticking).
_PINNED = """
import sys, time_machine
from datetime import datetime
with time_machine.travel(datetime.fromisoformat(sys.argv[1]), tick=True):
    sys.argv = ["xietong", *sys.argv[2:]]
    from xietong.cli import main
    main()
"""


def old_xietong(tree: Path, data: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    """Run ``xietong ARGS`` with the release's code in ``tree``; return its standard output."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(PYTHONPATH=str(tree), DJANGO_SETTINGS_MODULE="xietong.settings", XIETONG_DATA=str(data))
    env.pop("LANGUAGE_CODE", None)
    done = subprocess.run(
        [sys.executable, "-c", _PINNED, NOW, *args],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in ok:
        raise SystemExit(f"xietong {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def make(commit: str, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="xietong-fixture-") as scratch:
        tree, data = Path(scratch) / "tree", Path(scratch) / "data"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        full = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", commit], capture_output=True, text=True, check=True
        ).stdout.strip()
        old_xietong(tree, data, "migrate", "--verbosity", "0")
        old_xietong(tree, data, "demo", "--kickoff", KICKOFF, "--today", AS_OF)
        export = json.loads(old_xietong(tree, data, "export", "demo"))
        # `check` exits 1 when there are error findings: that is a result, not a failure.
        findings = {
            day: json.loads(old_xietong(tree, data, "check", "demo", "--json", "--today", day, ok=(0, 1)))
            for day in JUDGED_ON
        }
        database = data / "xietong.sqlite3"
        with sqlite3.connect(database) as db:  # one file (no WAL beside it), compact
            db.execute("PRAGMA journal_mode=DELETE")
        db = sqlite3.connect(database)
        db.execute("VACUUM")
        db.close()
        out.mkdir(parents=True, exist_ok=True)
        with (
            database.open("rb") as source,
            gzip.GzipFile(out / "xietong.sqlite3.gz", "wb", mtime=0) as target,
        ):
            shutil.copyfileobj(source, target)
        write_json(out / "export.json", export)
        write_json(out / "findings.json", findings)
        write_json(out / "made_by.json", {"commit": full, "kickoff": KICKOFF, "as_of": AS_OF, "now": NOW})


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("commit", help="the previous release's commit (or tag)")
    parser.add_argument("-o", "--out", type=Path, default=FIXTURES, help=f"default: {FIXTURES}")
    options = parser.parse_args()
    make(options.commit, options.out)
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
