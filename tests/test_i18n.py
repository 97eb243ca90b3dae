"""Chinese is the source language; the English catalogue must be complete."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
EN_PO = ROOT / "xietong" / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries(path: Path) -> dict[str, object]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id if isinstance(m.id, str) else m.id[0]): m for m in catalog if m.id}


def test_every_english_entry_is_translated_and_not_fuzzy() -> None:
    entries = _entries(EN_PO)
    assert entries, "the English catalogue is empty"
    untranslated = [
        msgid
        for msgid, m in entries.items()
        if not (m.string if isinstance(m.string, str) else all(m.string))
    ]  # type: ignore[attr-defined]
    fuzzy = [msgid for msgid, m in entries.items() if m.fuzzy]  # type: ignore[attr-defined]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"),
    reason="GNU gettext is needed to extract strings (CI installs it)",
)
def test_every_translatable_string_in_the_code_is_in_the_catalogue(tmp_path: Path) -> None:
    copy = tmp_path / "xietong"
    shutil.copytree(ROOT / "xietong", copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "xietong.settings",
        "XIETONG_DATA": str(tmp_path / "data"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "--locale", "en", "--no-obsolete", "--no-location"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    extracted = set(_entries(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    missing = sorted(extracted - set(_entries(EN_PO)))
    assert missing == [], f"run `make makemessages` and translate: {missing[:10]}"


def test_counts_read_right_in_english() -> None:
    from datetime import date

    from xietong.charter.format import parse_charter
    from xietong.rules.clock import context_for
    from xietong.rules.engine import run_rules

    collab = parse_charter(
        {
            "tasks": [
                {"description": "a", "deadline": "2024-07-14"},
                {"description": "b", "deadline": "2024-07-12"},
            ]
        }
    )
    t01 = [f for f in run_rules(collab, context_for(date(2024, 7, 15)), only={"T01"}).findings]
    assert "overdue by 1 day:" in t01[0].text("en")
    assert "overdue by 3 days:" in t01[1].text("en")
    assert "已逾期 1 天" in t01[0].text("zh-hans")


def test_every_string_of_the_jinja2_templates_is_in_the_catalogue() -> None:
    """Makemessages reads no ``.jinja`` file (xietong/lib/jinja.py): their strings must be in the catalogue."""
    import re

    call = re.compile(r"""\b(?:_|gettext|ngettext)\(\s*(["'])(.*?)\1""")
    templates = sorted((ROOT / "xietong" / "jinja2").rglob("*.jinja"))
    assert templates
    found = {
        match.group(2) for path in templates for match in call.finditer(path.read_text(encoding="utf-8"))
    }
    assert "编辑" in found
    missing = sorted(found - set(_entries(EN_PO)))
    assert missing == [], f"add these to {EN_PO.name} and translate: {missing[:10]}"
