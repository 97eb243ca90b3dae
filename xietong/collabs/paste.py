"""Rows pasted from Excel (or WPS) into the responsibility table's new-row form.

A copied range arrives as tab-separated text, one line per row, a cell with
a line break or a tab in double quotes. Columns are the table's own order,
任务描述 · 责任部门 · 交付标准 · 时间节点 · 协作方, unless the first line is a
header naming them (so a range copied from the exported workbook, whose
协作方 comes before 交付标准, is read by its headers). Cells are read as the
workbook import reads them (``lib/cells.py``): dates such as 2024-07-20,
2024/7/20 or 2024年7月20日, 协作方 separated by 、 , ; or /.

``read_paste`` never writes: it returns every row with its problems, and
the page creates the rows (all of them, or none) only when no row has one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from xietong.collabs.actions.tasks import TaskInput
from xietong.collabs.models import TaskStatus
from xietong.lib.cells import date_of_text, names_of
from xietong.lib.limits import LimitError, date_problem
from xietong.orgs.models import Department

# The table's columns, in its order, by the header a copied range may start with.
COLUMNS = (
    ("description", "任务描述"),
    ("department", "责任部门"),
    ("standard", "交付标准"),
    ("deadline", "时间节点"),
    ("collaborators", "协作方"),
)
HEADERS = {title: key for key, title in COLUMNS}
# A paste of more rows is refused whole: a table grows by hand, a whole charter comes as a workbook.
MAX_ROWS = 200
# Characters read at most (a few hundred rows of long texts); more is refused before parsing.
MAX_TEXT = 200_000


@dataclass
class PastedRow:
    number: int  # the line of the paste (1: the first row of data)
    cells: dict[str, str]  # what was pasted, by column key, for the preview
    data: TaskInput | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Paste:
    rows: list[PastedRow]
    problems: list[str]  # problems of the whole paste (too long, nothing in it)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems and not any(r.problems for r in self.rows)


def _lines(text: str) -> list[list[str]]:
    # A cell Excel quoted may hold a line break: the reader, not splitlines, finds where rows end.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"')
    return [row for row in reader if any(cell.strip() for cell in row)]


def read_paste(
    text: str, departments: list[Department], may_add: Callable[[Department | None], bool]
) -> Paste:
    """Read ``text`` into rows of the table among the collaboration's ``departments``.

    ``may_add`` says whether the person may put a row under a department
    (None: no department); a row they may not add is a problem of its own.
    """
    if len(text) > MAX_TEXT:
        return Paste([], [_("粘贴的内容太长(最多 %(n)s 个字符)") % {"n": MAX_TEXT}])
    try:
        lines = _lines(text)
    except csv.Error:
        return Paste([], [_("无法读取粘贴的内容,请从 Excel 直接复制单元格")])
    keys = [key for key, _title in COLUMNS]
    if lines and lines[0] and lines[0][0].strip() in HEADERS:
        keys = [HEADERS.get(cell.strip(), "") for cell in lines[0]]
        lines = lines[1:]
    if not lines:
        return Paste([], [_("没有可添加的行")])
    if len(lines) > MAX_ROWS:
        return Paste([], [_("一次最多粘贴 %(n)s 行") % {"n": MAX_ROWS}])
    by_name = {d.name: d for d in departments}
    rows = []
    for number, line in enumerate(lines, start=1):
        cells = {key: "" for key, _title in COLUMNS}
        for key, cell in zip(keys, line, strict=False):
            if key:
                cells[key] = cell.strip()
        rows.append(_row(number, cells, by_name, may_add))
    return Paste(rows, [])


def _row(
    number: int,
    cells: dict[str, str],
    by_name: dict[str, Department],
    may_add: Callable[[Department | None], bool],
) -> PastedRow:
    row = PastedRow(number, cells)
    if not cells["description"]:
        row.problems.append(_("任务描述为空"))
    department = None
    if cells["department"]:
        department = by_name.get(cells["department"])
        if department is None:
            row.problems.append(_("未参与本协作的部门:%(name)s") % {"name": cells["department"]})
    if (department is not None or not cells["department"]) and not may_add(department):
        row.problems.append(_("你不能为该部门添加任务"))
    deadline = None
    if cells["deadline"]:
        deadline = date_of_text(cells["deadline"])
        if deadline is None:
            row.problems.append(_("无法识别的日期 %(value)s") % {"value": cells["deadline"]})
        elif (problem := date_problem(deadline)) is not None:
            row.problems.append(problem)
    collaborators = []
    for name in names_of(cells["collaborators"], departments=True):
        found = by_name.get(name)
        if found is None:
            row.problems.append(_("未参与本协作的部门:%(name)s") % {"name": name})
        elif found == department:
            row.problems.append(_("责任部门不必再列为协作方"))
        elif found not in collaborators:
            collaborators.append(found)
    if row.problems:
        return row
    try:
        row.data = TaskInput(
            description=cells["description"],
            department=department,
            standard=cells["standard"],
            deadline=deadline,
            collaborators=collaborators,
            status=TaskStatus.NOT_STARTED,
            blocked_reason="",
        )
    except LimitError as error:
        title = dict(COLUMNS).get(error.field)
        # The column's title is a msgid of the table's header.
        row.problems.append(f"{_(title) if title else error.field}:{error.reason}")
    return row
