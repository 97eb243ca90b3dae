"""Hostile or wrong files are refused as a whole, quickly, with a clear message."""

from __future__ import annotations

import io
import os
import re
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings
from docx import Document
from openpyxl import Workbook

from xietong.documents.safety import check_xlsx, declared_rows, merged_ranges
from xietong.documents.workbook import WorkbookRefused, read_workbook, template_bytes


def refused(data: bytes | Path) -> str:
    source = data if isinstance(data, Path) else io.BytesIO(data)
    with pytest.raises(WorkbookRefused) as caught:
        read_workbook(source)
    return str(caught.value)


def test_the_template_passes() -> None:
    check_xlsx(io.BytesIO(template_bytes()))


def test_check_leaves_the_stream_where_it_was() -> None:
    stream = io.BytesIO(template_bytes())
    check_xlsx(stream)
    assert stream.tell() == 0


def test_a_csv_renamed_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "charter.xlsx"
    path.write_text("任务描述,责任部门\n上线看板,技术部\n", encoding="utf-8")
    assert "不是 Excel 工作簿" in refused(path)


def test_a_png_renamed_xlsx_is_refused() -> None:
    assert "不是 Excel 工作簿" in refused(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)


def test_an_empty_file_is_refused() -> None:
    assert "不是 Excel 工作簿" in refused(b"")


def test_a_docx_renamed_xlsx_is_refused() -> None:
    out = io.BytesIO()
    Document().save(out)
    assert "Word" in refused(out.getvalue())


def test_a_plain_zip_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "不是 Excel 工作簿" in refused(out.getvalue())


def test_an_encrypted_workbook_is_refused() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    assert "加密" in refused(ole)


def rewrite(data: bytes, changes: dict[str, bytes | None]) -> bytes:
    """Return the zip ``data`` with members replaced, added or (None) removed."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename not in changes:
                target.writestr(info, source.read(info))
        for name, content in changes.items():
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def test_a_macro_enabled_workbook_is_refused() -> None:
    data = rewrite(template_bytes(), {"xl/vbaProject.bin": b"\0" * 64})
    assert "宏" in refused(data)
    with zipfile.ZipFile(io.BytesIO(template_bytes())) as archive:
        types = archive.read("[Content_Types].xml").replace(
            b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml"
        )
    assert "宏" in refused(rewrite(template_bytes(), {"[Content_Types].xml": types}))


def test_a_corrupt_workbook_is_refused_without_a_traceback() -> None:
    data = rewrite(template_bytes(), {"xl/workbook.xml": b"<not xml"})
    assert "损坏" in refused(data)
    assert "损坏" in refused(template_bytes()[:2000])


def test_a_zip_bomb_is_refused_before_anything_is_unpacked() -> None:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template_bytes())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        chunk = b"\0" * (1 << 20)
        # 300 MB of zeros, written in a streaming way so the test stays fast.
        with target.open("xl/worksheets/sheet9.xml", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(chunk)
    data = out.getvalue()
    assert len(data) < 2 * 2**20
    started = time.monotonic()
    assert "压缩炸弹" in refused(data)
    assert time.monotonic() - started < 1


def test_a_single_highly_compressed_member_is_refused() -> None:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template_bytes())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("xl/sharedStrings.xml", b" " * (20 * 2**20))
    assert "压缩炸弹" in refused(out.getvalue())


def long_sheet(path: Path, rows: int) -> Path:
    book = Workbook(write_only=True)
    book.create_sheet("协作信息")
    ws = book.create_sheet("部门职责分工表")
    ws.append(["任务描述", "责任部门", "协作方", "交付标准", "时间节点", "状态", "阻塞原因"])
    for n in range(rows):
        ws.append([f"任务{n}"])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def hundred_thousand_rows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_sheet(tmp_path_factory.mktemp("long") / "long.xlsx", 100_000)


def test_a_sheet_of_100000_rows_is_refused_quickly(hundred_thousand_rows: Path) -> None:
    started = time.monotonic()
    assert "行数超过上限 10000" in refused(hundred_thousand_rows)
    assert time.monotonic() - started < 2
    tracemalloc.start()
    refused(hundred_thousand_rows)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 2**20


def test_a_lying_dimension_does_not_help(hundred_thousand_rows: Path, tmp_path: Path) -> None:
    data = hundred_thousand_rows.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        changes: dict[str, bytes | None] = {}
        for name in sheets:
            xml = archive.read(name)
            xml = re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", b'<dimension ref="A1:G3"/>', xml)
            if b"<dimension" not in xml:
                xml = xml.replace(b"<sheetData>", b'<dimension ref="A1:G3"/><sheetData>', 1)
            changes[name] = xml
    lying = rewrite(data, changes)
    assert declared_rows(io.BytesIO(lying)) < 10
    started = time.monotonic()
    assert "行数超过上限" in refused(lying)  # the rows are counted, not declared
    assert time.monotonic() - started < 2


def test_the_streaming_reader_counts_rows_too(
    hundred_thousand_rows: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xietong.documents import workbook

    monkeypatch.setattr(workbook, "check_xlsx", lambda source: None)
    assert "行数超过上限" in refused(hundred_thousand_rows)


@override_settings(XIETONG_IMPORT_MAX_ROWS=50)
def test_the_row_limit_is_a_setting(tmp_path: Path) -> None:
    assert "行数超过上限 50" in refused(long_sheet(tmp_path / "a.xlsx", 60))


@override_settings(XIETONG_MAX_UPLOAD_MB=1)
def test_a_file_above_the_upload_limit_is_refused() -> None:
    data = rewrite(template_bytes(), {"xl/media/big.bin": os.urandom(2 * 2**20)})
    assert "文件过大" in refused(data)


def test_merged_ranges_are_found_by_streaming() -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for n in range(3000):
        ws.append([n, f"行{n}"])
    ws.merge_cells("A5:B6")
    ws.merge_cells("C7:C9")
    out = io.BytesIO()
    book.save(out)
    with zipfile.ZipFile(out) as archive:
        assert merged_ranges(archive, "xl/worksheets/sheet1.xml") == ["A5:B6", "C7:C9"]
    assert declared_rows(io.BytesIO(out.getvalue())) == 3000
