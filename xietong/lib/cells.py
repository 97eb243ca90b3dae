"""Cells of exported spreadsheets and CSV files."""

from __future__ import annotations

import re
from datetime import date

# A cell starting with one of these is run as a formula by Excel and
# LibreOffice (CSV/DDE injection); tab and carriage return can smuggle one in.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(text: str) -> str:
    """Return ``text`` made inert as a spreadsheet cell: a leading formula character is quoted with '."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --- reading cells typed or pasted as text (the workbook import, a paste from Excel into the table)

# 2024-07-20, 2024/7/20, 2024.7.20, 2024年7月20日
DATE_TEXT = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
# 、 , , ; ; and new lines separate names; 协作方 (departments) may also use / and /.
SEPARATORS = re.compile(r"[\u3001,\uff0c;\uff1b\n]")
DEPARTMENT_SEPARATORS = re.compile(r"[\u3001,\uff0c;\uff1b/\uff0f\n]")


def date_of_text(text: str) -> date | None:
    """Return the date a cell's text names (``DATE_TEXT``), or None when it names none (2024-02-30, 明天)."""
    match = DATE_TEXT.fullmatch(text.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def names_of(text: str, *, departments: bool = False) -> list[str]:
    """Return the names a cell lists (``SEPARATORS``; ``departments`` also splits on / and /)."""
    separators = DEPARTMENT_SEPARATORS if departments else SEPARATORS
    return [part.strip() for part in separators.split(text) if part.strip()]
