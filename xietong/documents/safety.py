"""Checks on an uploaded workbook before any of it is parsed.

``check_xlsx`` looks only at the zip directory and a few small members, so a
hostile file (a renamed .docx, an encrypted or macro-enabled workbook, a zip
bomb, a sheet that declares a million rows, XML with a DOCTYPE or entity
declarations) is refused in milliseconds with a clear message. The streaming reader (``xietong.documents.workbook``) counts
rows again as it reads: a declared dimension is never trusted alone.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

# An encrypted workbook (and a legacy .xls) is an OLE compound file.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")

# Everything unpacked together may not exceed this; a workbook of the
# largest allowed size holds a few tens of MB of XML at most.
MAX_UNCOMPRESSED = 200 * 2**20
# A large member that shrank more than this is a bomb, not a spreadsheet.
MAX_RATIO = 100
RATIO_FROM = 5 * 2**20
MAX_MEMBERS = 2000
MAX_CONTENT_TYPES = 2**20
# Rows a sheet may have above its data: headers and the goal's two fields.
HEADER_ROWS = 5

SPREADSHEET_TYPES = (
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
)
MACRO_TYPE = b"macroEnabled"

_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]*\d*:?[A-Z]*(\d*))\"")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+\d+(?::[A-Z]+\d+)?)\"")
_MERGE_START = re.compile(rb"<(?:\w+:)?mergeCells[\s>]")
_MERGE_END = re.compile(rb"</(?:\w+:)?mergeCells>")
MAX_MERGE_TAIL = 8 * 2**20
# What may come before an XML part's root element (declaration, comments);
# a real workbook's parts have a hundred bytes or so.
MAX_PROLOG = 2**20


class WorkbookRefused(ValueError):
    """The file as a whole is refused; ``str()`` is a clear message."""


def max_rows() -> int:
    return int(settings.XIETONG_IMPORT_MAX_ROWS)


@contextmanager
def _opened(source: IO[bytes] | Path) -> Iterator[IO[bytes]]:
    if isinstance(source, Path | str):
        with open(source, "rb") as handle:
            yield handle
    else:
        start = source.tell()
        try:
            yield source
        finally:
            source.seek(start)


def _size(handle: IO[bytes]) -> int:
    here = handle.tell()
    end = handle.seek(0, 2)
    handle.seek(here)
    return end - here


def check_xlsx(source: IO[bytes] | Path) -> None:
    """Raise ``WorkbookRefused`` unless ``source`` looks like a plain .xlsx workbook."""
    with _opened(source) as handle:
        head = handle.read(8)
        handle.seek(-len(head), 1)
        if head.startswith(OLE_SIGNATURE):
            raise WorkbookRefused(
                _("文件已加密或是旧版 .xls 格式:请在 Excel 中取消密码并另存为 .xlsx 工作簿后再导入")
            )
        if not head.startswith(ZIP_SIGNATURES):
            raise WorkbookRefused(_("文件不是 Excel 工作簿(.xlsx):请用模板填写后上传"))
        limit_mb = int(settings.XIETONG_MAX_UPLOAD_MB)
        if _size(handle) > limit_mb * 2**20:
            raise WorkbookRefused(_("文件过大(上限 %(limit)s MB)") % {"limit": limit_mb})
        try:
            with zipfile.ZipFile(handle) as archive:
                _check_archive(archive)
        except zipfile.BadZipFile:
            raise WorkbookRefused(_("文件已损坏,不是有效的 Excel 工作簿(.xlsx)")) from None


def _check_archive(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise WorkbookRefused(_("工作簿结构异常(压缩包内文件过多),已拒绝"))
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNCOMPRESSED or (info.file_size > RATIO_FROM and ratio > MAX_RATIO):
            raise WorkbookRefused(_("工作簿解压后异常庞大(疑似压缩炸弹),已拒绝"))
    names = {info.filename for info in infos}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise WorkbookRefused(_("工作簿含有宏,不接受:请另存为不含宏的 .xlsx 工作簿"))
    if (
        "[Content_Types].xml" not in names
        or archive.getinfo("[Content_Types].xml").file_size > MAX_CONTENT_TYPES
    ):
        raise WorkbookRefused(_("文件不是 Excel 工作簿(.xlsx):请用模板填写后上传"))
    content_types = archive.read("[Content_Types].xml")
    if MACRO_TYPE in content_types:
        raise WorkbookRefused(_("工作簿含有宏,不接受:请另存为不含宏的 .xlsx 工作簿"))
    if not any(kind in content_types for kind in SPREADSHEET_TYPES):
        if b"wordprocessingml" in content_types:
            raise WorkbookRefused(_("文件是 Word 文档,不是 Excel 工作簿(.xlsx)"))
        if b"presentationml" in content_types:
            raise WorkbookRefused(_("文件是演示文稿,不是 Excel 工作簿(.xlsx)"))
        raise WorkbookRefused(_("文件不是 Excel 工作簿(.xlsx):请用模板填写后上传"))
    for info in infos:
        _check_prolog(archive, info.filename)
    limit = max_rows()
    for name in names:
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            with archive.open(name) as member:
                head = member.read(65536)
            found = _DIMENSION.search(head)
            if found and found.group(2) and int(found.group(2)) > limit + HEADER_ROWS:
                raise WorkbookRefused(too_many_rows())
            # The dimension may be missing or lie: count the rows as bytes.
            if count_rows(archive, name, stop_after=limit + HEADER_ROWS) > limit + HEADER_ROWS:
                raise WorkbookRefused(too_many_rows())


class _RootReached(Exception):
    """The root element started: no DOCTYPE can follow."""


class _DoctypeFound(Exception):
    """The part declares a document type (and so possibly entities)."""


def _check_prolog(archive: zipfile.ZipFile, member: str) -> None:
    """Refuse the file when an XML part declares a DOCTYPE (entities, external references).

    Office files never have one; a DOCTYPE is how a file asks a parser to
    read a local file or an address (external entities) or to expand a
    billion laughs. Expat reads only the prolog, up to the root element: it
    fetches nothing and expands nothing (it stops at the declaration's
    start), whatever parser openpyxl uses afterwards.
    """
    parser = expat.ParserCreate()

    def doctype(*_args: object) -> None:
        raise _DoctypeFound

    def root(*_args: object) -> None:
        raise _RootReached

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.StartElementHandler = root
    read = 0
    with archive.open(member) as stream:
        first = True
        while chunk := stream.read(64 * 1024):
            if first and not _looks_like_xml(chunk):
                return  # a picture or other binary part: no XML parser reads it
            first = False
            read += len(chunk)
            try:
                parser.Parse(chunk, False)
            except _RootReached:
                return
            except _DoctypeFound:
                raise WorkbookRefused(
                    _("工作簿的 XML 含有 DOCTYPE 或实体声明(%(part)s),Excel 不会这样保存,已拒绝")
                    % {"part": member}
                ) from None
            except expat.ExpatError:
                raise WorkbookRefused(_("文件已损坏,不是有效的 Excel 工作簿(.xlsx)")) from None
            if read > MAX_PROLOG:
                break
    if read:  # a part that ends, or goes on, without a root element is no XML openpyxl can read
        raise WorkbookRefused(_("文件已损坏,不是有效的 Excel 工作簿(.xlsx)"))


def _looks_like_xml(head: bytes) -> bool:
    """Return whether a part starts as XML text does (after a byte-order mark and spaces)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")


def count_rows(archive: zipfile.ZipFile, member: str, stop_after: int | None = None) -> int:
    """Return how many ``<row>`` elements a sheet's XML holds, scanning it in chunks.

    No XML is parsed and nothing but the current chunk is kept, so a hostile
    sheet costs one decompression pass; with ``stop_after`` the scan ends as
    soon as the count exceeds it.
    """
    rows = 0
    carry = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            data = carry + chunk
            cut = data.rfind(b"<", max(len(data) - 32, 0))
            if cut == -1:
                cut = len(data)
            rows += len(_ROW.findall(data, 0, cut))
            carry = data[cut:]
            if stop_after is not None and rows > stop_after:
                return rows
    return rows + len(_ROW.findall(carry))


def too_many_rows() -> str:
    return _("工作表行数超过上限 %(limit)s 行,已拒绝:请拆分后分批导入") % {"limit": max_rows()}


def merged_ranges(archive: zipfile.ZipFile, member: str) -> list[str]:
    """Return the merged ranges (``A1:B2``) of one sheet's XML.

    The read-only reader does not see merges. The sheet is decompressed in
    chunks and searched as bytes (no XML tree), keeping only the short tail
    that follows ``<mergeCells``, so memory stays bounded.
    """
    tail = b""
    found = False
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            if found:
                tail += chunk
                if _MERGE_END.search(tail) or len(tail) > MAX_MERGE_TAIL:
                    break
                continue
            window = tail[-64:] + chunk
            start = _MERGE_START.search(window)
            if start:
                found = True
                tail = window[start.start() :]
                if _MERGE_END.search(tail):
                    break
            else:
                tail = window[-64:]
    if not found:
        return []
    return [ref.decode() for ref in _MERGE.findall(tail)]


def declared_rows(source: IO[bytes] | Path) -> int:
    """Return the rows the sheets declare (for a progress bar; never for a decision)."""
    total = 0
    try:
        with _opened(source) as handle, zipfile.ZipFile(handle) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    with archive.open(name) as member:
                        found = _DIMENSION.search(member.read(65536))
                    if found and found.group(2):
                        total += int(found.group(2))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return 0
    return total
