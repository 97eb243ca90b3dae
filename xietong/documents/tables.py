"""Write a table as an Excel workbook (.xlsx) or a CSV file: streamed, styled, made inert.

A ``Table`` is a title, its columns and an iterable of rows; the writers
read the rows once, in order, so a table of ten thousand rows is never held
whole: the workbook is written in openpyxl's write-only mode, one row at a
time, and the CSV text row by row.

- **xlsx**: the header row is bold on a grey fill and frozen (panes at
  ``A2``), every column has its width, the status column of a row is filled
  with its tone's colour (done green, in progress blue, overdue red, blocked
  orange, not started grey), an auto filter covers the header and the data,
  dates and times are real date cells (``yyyy-mm-dd``, ``yyyy-mm-dd hh:mm``).
- **csv**: UTF-8 with a byte order mark, so that Excel opens Chinese text
  correctly; dates as ``YYYY-MM-DD``, times as ``YYYY-MM-DD HH:MM``.
- Text cells of both are passed through ``neutralise_cell``: a cell
  starting with ``=``, ``+``, ``-`` or ``@`` is quoted so that no
  spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from xietong.lib.cells import FORMULA_STARTS, neutralise_cell

Value = str | int | float | Decimal | date | datetime | None

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Excel's limit on a sheet's name, and the characters it refuses in one.
SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


class Tone(StrEnum):
    """The colour of a row's status cell."""

    DONE = "done"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    BLOCKED = "blocked"
    NOT_STARTED = "not_started"


# Excel's own light "good / neutral / bad" fills, and a blue, orange and grey beside them.
TONE_FILLS: dict[Tone, str] = {
    Tone.DONE: "C6EFCE",
    Tone.IN_PROGRESS: "DDEBF7",
    Tone.OVERDUE: "FFC7CE",
    Tone.BLOCKED: "F8CBAD",
    Tone.NOT_STARTED: "EDEDED",
}
HEADER_FILL = "D9D9D9"


@dataclass(frozen=True)
class Column:
    header: str
    width: float = 14
    status: bool = False  # the cell coloured with the row's tone
    wrap: bool = False  # long text: wrapped in the workbook

    @property
    def styled(self) -> bool:
        return self.status or self.wrap


@dataclass(frozen=True)
class Row:
    values: Sequence[Value]
    tone: Tone | None = None


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name
    columns: Sequence[Column]
    rows: Iterable[Row]
    tz: tzinfo | None = None  # datetimes are shown in this zone (default: as they are)


def _local(value: datetime, tz: tzinfo | None) -> datetime:
    """Return ``value`` as a naive local time (spreadsheets know no time zones)."""
    if value.tzinfo is not None:
        value = value.astimezone(tz) if tz is not None else value
        value = value.replace(tzinfo=None)
    return value.replace(second=0, microsecond=0)


def sheet_name(title: str) -> str:
    name = title.translate(_SHEET_NAME_BAD).strip().strip("'") or "Sheet"
    return name[:SHEET_NAME_MAX]


# --- xlsx


_WRAP = Alignment(wrap_text=True, vertical="top")
_FILLS = {tone: PatternFill("solid", start_color=rgb, end_color=rgb) for tone, rgb in TONE_FILLS.items()}


class _StyledCell(Cell):
    """A styled cell handed to ``ws.append``.

    openpyxl first tries any appended object as a value and formats
    ``repr(obj)`` into the ValueError it then catches; Cell's own repr
    computes the coordinate each time. This one is constant.
    """

    __slots__ = ("_style_id",)

    def __repr__(self) -> str:
        return "<styled cell>"

    @property
    def style_id(self) -> int:
        # The style of a reused cell never changes: look it up in the workbook once.
        try:
            return self._style_id
        except AttributeError:
            self._style_id: int = super().style_id
            return self._style_id


class _Cells:
    """One reusable cell per column and style (wrap, tone, number format).

    Setting ``cell.fill`` or ``cell.alignment`` hashes the style object into
    the workbook's collection on every assignment, and building a cell per
    value costs more than writing it. In write-only mode ``ws.append`` writes
    the row before it returns and keeps no cell, so each column's styled
    cells are made once and only their value changes from row to row: a
    styled cell then costs what openpyxl's own recycled cell costs.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self._made: dict[tuple[int, bool, Tone | None, str | None], _StyledCell] = {}

    def get(self, index: int, wrap: bool, tone: Tone | None, number_format: str | None) -> _StyledCell:
        key = (index, wrap, tone, number_format)
        cell = self._made.get(key)
        if cell is None:
            cell = self._made[key] = _StyledCell(self.ws, row=1, column=1)
            if wrap:
                cell.alignment = _WRAP
            if tone is not None:
                cell.fill = _FILLS[tone]
            if number_format is not None:
                cell.number_format = number_format
        return cell


def _row(
    cells: _Cells, values: Sequence[Value], columns: Sequence[Column], tone: Tone | None, tz: tzinfo | None
) -> list[object]:
    """Return what ``ws.append`` writes for a row: plain values, and cells only where a style is needed."""
    if len(values) != len(columns):
        raise ValueError(f"row of {len(values)} values for {len(columns)} columns")
    out: list[object] = []
    for index, value in enumerate(values):
        column = columns[index]
        number_format = None
        if type(value) is str:
            # Neutralised, a text never starts with "=", so openpyxl never takes it for a formula.
            if value.startswith(FORMULA_STARTS):
                value = "'" + value
            if not column.styled:
                out.append(value)
                continue
        elif isinstance(value, datetime):
            value, number_format = _local(value, tz), DATETIME_FORMAT
        elif isinstance(value, date):
            number_format = DATE_FORMAT
        elif isinstance(value, str):  # a str subclass (a lazy translation rendered, an enum)
            value = neutralise_cell(str(value))
        status = tone if column.status else None
        if not column.wrap and status is None and number_format is None:
            out.append(value)
        else:
            cell = cells.get(index, column.wrap, status, number_format)
            cell.value = value
            out.append(cell)
    return out


def write_xlsx(table: Table) -> bytes:
    """Return ``table`` as an .xlsx workbook of one sheet (rows streamed in write-only mode)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_name(table.title))
    ws.freeze_panes = "A2"
    columns = list(table.columns)
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    bold = Font(bold=True)
    header_fill = PatternFill("solid", start_color=HEADER_FILL, end_color=HEADER_FILL)
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=neutralise_cell(column.header))
        cell.font = bold
        cell.fill = header_fill
        header.append(cell)
    ws.append(header)
    cells = _Cells(ws)
    tz = table.tz
    count = 0
    for row in table.rows:
        ws.append(_row(cells, row.values, columns, row.tone, tz))
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- csv


def _text(value: Value, tz: tzinfo | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value, tz).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise_cell(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def write_csv(table: Table) -> bytes:
    """Return ``table`` as CSV: UTF-8 with a byte order mark, CRLF line ends, text cells made inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise_cell(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow([_text(v, table.tz) for v in row.values])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
