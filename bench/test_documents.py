"""Excel export and import at 10,000 rows (issue 9).

excel_export: the product's export of the responsibility table
(``xietong.documents.tables.write_xlsx`` under the table's own columns, rows
built in Python as the exporter receives them) against openpyxl's own
write-only mode appending the same values without styles. Target: at most
1.5x the time, peak memory within 30 MB.

excel_import: the charter workbook the product writes
(``xietong.documents.workbook.workbook_bytes``), read back by
``read_workbook`` (openpyxl read-only mode) at 1,000 and 10,000 task rows.

``peak_mb`` is the tracemalloc peak of one separate, untimed run.
"""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from typing import Any

import pytest
from openpyxl import Workbook

from tests.rules import scale
from xietong.documents.exports import table_columns
from xietong.documents.tables import Row, Table, Tone, write_xlsx
from xietong.documents.workbook import read_workbook, workbook_bytes

ROWS = 10_000
TONES = (Tone.NOT_STARTED, Tone.IN_PROGRESS, Tone.DONE, Tone.OVERDUE, Tone.BLOCKED)
STATUS = {
    Tone.NOT_STARTED: "未开始",
    Tone.IN_PROGRESS: "进行中",
    Tone.DONE: "已完成",
    Tone.OVERDUE: "进行中",
    Tone.BLOCKED: "阻塞",
}
DEPARTMENTS = scale.DEPARTMENTS


def _rows(count: int) -> list[Row]:
    """Rows as exports._table yields them: number, description, owner, standard, deadline, …"""
    rows = []
    for i in range(1, count + 1):
        tone = TONES[i % len(TONES)]
        rows.append(
            Row(
                (
                    i,
                    f"建立第{i}类投诉的分类与升级流程,并在周例会上复盘" + ("=注意" if i % 500 == 0 else ""),
                    DEPARTMENTS[i % len(DEPARTMENTS)],
                    "流程文件经评审发布,覆盖 95% 的投诉类型" if i % 7 else "-",
                    date(2024, 7, 1) + timedelta(days=i % 90) if i % 13 else None,
                    "、".join(DEPARTMENTS[(i + k) % len(DEPARTMENTS)] for k in (1, 3)),
                    STATUS[tone],
                    100 if tone == Tone.DONE else (i * 7) % 100,
                    (i % 30) + 1 if tone == Tone.OVERDUE else None,
                    f"人员{i % 40}" if i % 3 else "",
                ),
                tone,
            )
        )
    return rows


def _memory(func: Callable[[], Any]) -> dict[str, float]:
    """Return the tracemalloc peak of one call, and what its result still holds (result_mb)."""
    tracemalloc.start()
    try:
        result = func()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return {"peak_mb": round(peak / 2**20, 2), "result_mb": round(current / 2**20, 2)}


@cache
def _export_rows() -> list[Row]:
    return _rows(ROWS)


def _product() -> bytes:
    return write_xlsx(Table("部门职责分工表", table_columns(), iter(_export_rows())))


def _baseline() -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("部门职责分工表")
    ws.append([str(c.header) for c in table_columns()])
    for row in _export_rows():
        ws.append(list(row.values))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.benchmark(group="excel_export")
def test_export_product(benchmark: Any) -> None:
    data = benchmark.pedantic(_product, rounds=3, warmup_rounds=0)
    assert data.startswith(b"PK")
    benchmark.extra_info.update(rows=ROWS, bytes=len(data), **_memory(_product))


@pytest.mark.benchmark(group="excel_export")
def test_export_baseline(benchmark: Any) -> None:
    data = benchmark.pedantic(_baseline, rounds=3, warmup_rounds=0)
    benchmark.extra_info.update(rows=ROWS, bytes=len(data), **_memory(_baseline))


@cache
def _charter_workbook(tasks: int) -> bytes:
    # Collaborators outside the participants and repeats would only add problems: a clean file.
    collab = scale.collab(tasks, duplicate_every=0)
    return workbook_bytes(collab)


def _import(benchmark: Any, tasks: int) -> None:
    data = _charter_workbook(tasks)
    read = benchmark.pedantic(lambda: read_workbook(io.BytesIO(data)), rounds=2, warmup_rounds=0)
    assert len(read.charter["tasks"]) > tasks * 0.9
    # The charter read holds every good row by contract (result_mb); peak_mb - result_mb is the
    # reading's own working memory, which is what must stay flat.
    benchmark.extra_info.update(
        rows=read.rows, tasks=tasks, **_memory(lambda: read_workbook(io.BytesIO(data)))
    )


@pytest.mark.benchmark(group="excel_import")
def test_import_10k(benchmark: Any) -> None:
    _import(benchmark, 10_000)


@pytest.mark.benchmark(group="excel_import")
def test_import_1k(benchmark: Any) -> None:
    _import(benchmark, 1_000)
