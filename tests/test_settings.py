"""Settings fail loudly on bad environment values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from xietong.lib.env import env_bool, env_int, env_list, env_str


def test_env_helpers_read_good_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "7")
    monkeypatch.setenv("X_LIST", " a, b ,,c ")
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1, minimum=1) == 7
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    assert env_str("X_UNSET_FOR_SURE", "d") == "d"


@pytest.mark.parametrize(
    ("name", "value", "read"),
    [
        ("X_BOOL", "maybe", lambda: env_bool("X_BOOL", False)),
        ("X_INT", "seven", lambda: env_int("X_INT", 1)),
        ("X_INT", "0", lambda: env_int("X_INT", 1, minimum=1)),
    ],
)
def test_env_helpers_name_the_bad_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, read: object
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        read()  # type: ignore[operator]


def test_a_required_variable_that_is_missing_is_named() -> None:
    with pytest.raises(ImproperlyConfigured, match="X_REQUIRED_UNSET"):
        env_str("X_REQUIRED_UNSET")


def _settings_in_fresh_process(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    clean.update(XIETONG_DATA=str(tmp_path), DJANGO_SETTINGS_MODULE="xietong.settings", **env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=clean, timeout=60, check=False
    )


def test_the_embedded_default_is_sqlite_with_a_kept_secret(tmp_path: Path) -> None:
    first = _settings_in_fresh_process(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "sqlite3" in first.stdout
    key = (tmp_path / "secret_key").read_text()
    _settings_in_fresh_process(tmp_path)
    assert (tmp_path / "secret_key").read_text() == key


def test_a_database_url_without_secret_key_refuses_to_start(tmp_path: Path) -> None:
    done = _settings_in_fresh_process(tmp_path, DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test")
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr


def test_an_unknown_time_zone_refuses_to_start(tmp_path: Path) -> None:
    done = _settings_in_fresh_process(tmp_path, TIME_ZONE="Mars/Olympus")
    assert done.returncode != 0
    assert "TIME_ZONE" in done.stderr
