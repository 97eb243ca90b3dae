"""`xietong check`, `import` and `export` as a person runs them: output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from xietong.collabs.models import Collaboration

GOOD = Path(__file__).parent / "charters" / "good.json"


def xietong(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run the real console script in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["XIETONG_DATA"] = str(tmp / "data")
    return subprocess.run(
        [sys.executable, "-m", "xietong.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def write(tmp: Path, data: Any, name: str = "charter.json") -> Path:
    path = tmp / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_check_of_a_clean_charter_exits_0_with_score_100(tmp_path: Path) -> None:
    done = xietong("check", str(GOOD), "--json", "--today", "2024-07-15", tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"findings": [], "score": 100}


def test_check_exits_1_and_lists_error_findings_with_their_paths(tmp_path: Path) -> None:
    data = json.loads(GOOD.read_text(encoding="utf-8"))
    data["tasks"][2]["department"] = None
    data["tasks"][4]["standard"] = ""
    done = xietong("check", str(write(tmp_path, data)), "--json", "--today", "2024-07-15", tmp=tmp_path)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert {(f["rule"], f["severity"], f["object"]) for f in report["findings"]} >= {
        ("R01", "error", "tasks[2]"),
        ("R03", "error", "tasks[4]"),
    }
    assert all(set(f) == {"rule", "severity", "message", "object"} for f in report["findings"])
    assert 0 <= report["score"] < 100


def test_check_exits_0_when_only_warnings_are_found(tmp_path: Path) -> None:
    data = json.loads(GOOD.read_text(encoding="utf-8"))
    del data["kickoff"]
    done = xietong("check", str(write(tmp_path, data)), "--json", "--today", "2024-07-15", tmp=tmp_path)
    assert done.returncode == 0
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["K01"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"title": "x", "tasks": [', "JSON"),
        ('{"title": "x", "colour": "red"}', "colour"),
        ('{"tasks": [{"deadline": "2024-02-30"}]}', "tasks[0].deadline"),
        ('{"goal": {"metrics": [{"target": "eighty"}]}}', "goal.metrics[0].target"),
    ],
)
def test_check_exits_2_with_one_line_for_a_malformed_charter(
    tmp_path: Path, content: str, expected: str
) -> None:
    done = xietong("check", str(write(tmp_path, content)), tmp=tmp_path)
    assert done.returncode == 2
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_check_exits_2_for_a_missing_file_or_a_bad_day(tmp_path: Path) -> None:
    missing = xietong("check", str(tmp_path / "nope.json"), tmp=tmp_path)
    bad_day = xietong("check", str(GOOD), "--today", "2024-02-30", tmp=tmp_path)
    assert (missing.returncode, bad_day.returncode) == (2, 2)
    assert "Traceback" not in missing.stderr + bad_day.stderr
    assert "2024-02-30" in bad_day.stderr


def test_check_prints_messages_in_the_language_asked_for(tmp_path: Path) -> None:
    data = json.loads(GOOD.read_text(encoding="utf-8"))
    data["tasks"][2]["department"] = None
    path = str(write(tmp_path, data))
    zh = json.loads(xietong("check", path, "--json", "--today", "2024-07-15", tmp=tmp_path).stdout)
    en = json.loads(
        xietong("check", path, "--json", "--today", "2024-07-15", "--lang", "en", tmp=tmp_path).stdout
    )
    r01_zh = next(f["message"] for f in zh["findings"] if f["rule"] == "R01")
    r01_en = next(f["message"] for f in en["findings"] if f["rule"] == "R01")
    assert "责任部门" in r01_zh
    assert "responsible" in r01_en.lower()
    assert r01_en != r01_zh


@pytest.mark.django_db
def test_check_judges_a_stored_collaboration_by_slug(demo: Collaboration) -> None:
    out = StringIO()
    call_command("check", demo.slug, "--json", "--today", "2024-08-12", stdout=out)
    report = json.loads(out.getvalue())
    assert report["score"] > 80
    assert all(f["severity"] != "error" for f in report["findings"])


@pytest.mark.django_db
def test_check_of_an_unknown_slug_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        call_command("check", "no-such-collaboration")
    assert caught.value.code == 2
    assert "no-such-collaboration" in capsys.readouterr().err


@pytest.mark.django_db
def test_import_then_export_gives_the_same_charter(tmp_path: Path) -> None:
    out = StringIO()
    # The operator applies the heads the charter names (by default they are only proposed).
    call_command("import", str(GOOD), "--slug", "c1", "--apply-org-changes", stdout=out)
    assert "c1" in out.getvalue()
    exported = tmp_path / "out.json"
    call_command("export", "c1", "-o", str(exported))
    from xietong.charter.format import parse_charter

    assert parse_charter(exported.read_bytes()) == parse_charter(GOOD.read_bytes())


@pytest.mark.django_db
def test_import_of_an_unstorable_charter_exits_2_and_stores_nothing(tmp_path: Path) -> None:
    data = json.loads(GOOD.read_text(encoding="utf-8"))
    data["departments"][0]["liaison"] = ["张经理", "王经理"]
    with pytest.raises(SystemExit) as caught:
        call_command("import", str(write(tmp_path, data)))
    assert caught.value.code == 2
    assert not Collaboration.objects.exists()
