"""The Excel import in a real browser: upload, a preview naming the bad cells, import the valid rows.

A person exports the guide's example as a workbook, breaks three rows of
the responsibility table (an impossible date, an unknown department, a
formula) and uploads it: the preview lists each by sheet, row and column,
nothing is stored until they choose to import the valid rows, and then
they land in the new collaboration.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.conftest import make_person
from tests.test_views import charter_with_tasks
from xietong.charter.format import parse_charter
from xietong.charter.store import do_import_charter
from xietong.collabs.models import Collaboration, Task
from xietong.collabs.snapshots import load_snapshot
from xietong.documents.workbook import workbook_bytes

pytestmark = pytest.mark.browser


def broken_workbook(tmp_path: Path) -> Path:
    source = do_import_charter(parse_charter(charter_with_tasks(4)), slug="source")
    book = load_workbook(io.BytesIO(workbook_bytes(load_snapshot(source))))
    tasks = book["部门职责分工表"]
    tasks["E2"] = "2024-02-30"
    tasks["B3"] = "不存在部"
    tasks["A4"] = '=HYPERLINK("http://example.com")'
    info = book["协作信息"]
    (title_row,) = [cell.row for cell in info["A"] if cell.value == "协作名称"]
    info.cell(title_row, 2, "从 Excel 导入的协作")
    path = tmp_path / "broken.xlsx"
    book.save(path)
    source.delete()
    return path


def test_the_preview_names_the_bad_cells_and_the_valid_rows_are_imported(
    page: Page, login: object, transactional_db: None, tmp_path: Path
) -> None:
    path = broken_workbook(tmp_path)
    make_person("importer")
    login("importer")  # type: ignore[operator]

    page.goto("/import/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传并预览").click()
    problems = page.locator("table").filter(has_text="原因")
    expect(problems).to_contain_text("E(时间节点)")
    expect(problems).to_contain_text("无法识别的日期 2024-02-30")
    expect(problems).to_contain_text("不存在部")
    expect(problems).to_contain_text("公式不被接受")
    expect(page.get_by_role("button", name="导入", exact=True)).to_have_count(0)
    assert not Collaboration.objects.exists()  # a preview stores nothing

    page.get_by_role("button", name="仅导入有效行").click()
    expect(page).to_have_url(re.compile(r"/c/[^/]+/$"))
    stored = Collaboration.objects.get()
    assert stored.title == "从 Excel 导入的协作"
    assert Task.objects.filter(collaboration=stored).count() == 1  # the one row left intact
