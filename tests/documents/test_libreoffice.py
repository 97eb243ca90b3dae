"""Every exported workbook and Word document converts to PDF with LibreOffice headless.

A file LibreOffice cannot read is a file a user cannot open. Without
``soffice`` the tests are skipped, except in CI (``CI`` set), where a
missing LibreOffice is a failure. Each conversion runs with its own
LibreOffice profile, so parallel runs (pytest-xdist) do not collide.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.documents.test_exports import made
from xietong.collabs.models import Collaboration

SOFFICE = os.environ.get("XIETONG_SOFFICE") or shutil.which("soffice") or "/usr/bin/soffice"
TIMEOUT_SECONDS = 120
CONVERTED = [
    ("table", "xlsx"),
    ("subgoals", "xlsx"),
    ("weekly", "xlsx"),
    ("issues", "xlsx"),
    ("risks", "xlsx"),
]
CONVERTED += [("weekly", "docx"), ("minutes", "docx")]


@pytest.fixture
def soffice() -> str:
    if not Path(SOFFICE).exists():
        reason = f"LibreOffice not found at {SOFFICE}"
        if os.environ.get("CI"):
            pytest.fail(f"the LibreOffice test needs soffice in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return SOFFICE


def to_pdf(soffice: str, source: Path, tmp: Path) -> Path:
    profile = tmp / "profile"
    out = tmp / "pdf"
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out / (source.stem + ".pdf")


@pytest.mark.parametrize(("what", "fmt"), CONVERTED)
def test_the_export_converts_to_pdf(
    demo: Collaboration, soffice: str, tmp_path: Path, what: str, fmt: str
) -> None:
    document = made(demo, what, fmt)
    source = tmp_path / document.filename
    source.write_bytes(document.data)
    pdf = to_pdf(soffice, source, tmp_path)
    assert pdf.exists(), f"no PDF from {document.filename}"
    assert pdf.read_bytes().startswith(b"%PDF")
