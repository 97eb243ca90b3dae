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
