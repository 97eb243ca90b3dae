"""Cells of exported spreadsheets and CSV files."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by Excel and
# LibreOffice (CSV/DDE injection); tab and carriage return can smuggle one in.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(text: str) -> str:
    """Return ``text`` made inert as a spreadsheet cell: a leading formula character is quoted with '."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
