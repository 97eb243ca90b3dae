"""The charter as an Excel workbook: the template, an export, and the import.

One sheet per charter section with Chinese headers (the headers are part of
the format and are not translated); a 填写说明 sheet comes first. Reading
streams each sheet once in read-only mode with formulas left unevaluated, maps
every row to the charter document (DESIGN.md §4) and reports each bad row with
its sheet, row and column. ``WorkbookRead.charter`` holds the good rows only,
so "import the valid rows" is ``parse_charter(read.charter)``.
"""

from __future__ import annotations

import io
import math
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xietong.charter.format import NUMBER_LIMIT, CharterError, dump_charter, parse_charter
from xietong.documents.safety import (
    HEADER_ROWS,
    WorkbookRefused,
    check_xlsx,
    max_rows,
    merged_ranges,
    too_many_rows,
)
from xietong.lib.cells import DATE_TEXT, DEPARTMENT_SEPARATORS, SEPARATORS
from xietong.lib.limits import date_problem
from xietong.lib.metrics import observe_import
from xietong.rules.snapshot import Collab

__all__ = [
    "Problem",
    "WorkbookRead",
    "WorkbookRefused",
    "read_workbook",
    "template_bytes",
    "workbook_bytes",
]

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PROGRESS_EVERY = 500
# Rows of the template that carry validation lists and formats.
TEMPLATE_ROWS = 1000
DEPARTMENT_ROWS = 200

# --- the layout


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | date | datetime | number | choice | names
    choices: tuple[tuple[str, str], ...] = ()  # (charter value, label in the sheet)
    width: int = 16
    departments: bool = False  # a list validation from the departments sheet
    positive: bool = False  # a number that must be more than 0 (hours, a full score)
    # A column added after the first template: a workbook without it reads as before.
    optional: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    section: str
    fields: tuple[Column, ...] = ()  # label in column A, value in column B, from row 1
    columns: tuple[Column, ...] = ()  # a table whose header is at header_row
    header_row: int = 1


TYPES = (
    ("project", "项目型"),
    ("problem_solving", "问题解决型"),
    ("resource_coordination", "资源协调型"),
    ("process_optimization", "流程优化型"),
)
STATUSES = (("not_started", "未开始"), ("in_progress", "进行中"), ("done", "已完成"), ("blocked", "阻塞"))
ROLES = (("lead", "牵头"), ("support", "配合"))
DIRECTIONS = (("increase", "提升"), ("decrease", "降低"), ("reach", "达到"))
KINDS = (("fixed", "固定"), ("recurring", "周期"), ("sla", "SLA"))
SCENARIOS = (
    ("progress_sync", "进度同步"),
    ("decision", "问题决策"),
    ("risk_warning", "风险预警"),
    ("other", "其他"),
)
CHANNELS = (
    ("im_group", "即时通讯群"),
    ("weekly_meeting", "周例会"),
    ("adhoc_meeting", "专项沟通会"),
    ("email", "邮件"),
)
FREQUENCIES = (("realtime", "实时"), ("on_demand", "按需"), ("rrule", "定期"))
# Other spellings accepted on import (the application's own labels).
ALIASES = {
    "固定日期": "fixed",
    "周期性": "recurring",
    "响应时限(SLA)": "sla",
    "响应时限": "sla",
    "决策": "decision",
    "临时会议": "adhoc_meeting",
    "完成": "done",
}

INFO = Sheet(
    "协作信息",
    "info",
    fields=(
        Column("title", "协作名称", width=40),
        Column("type", "协作类型", "choice", TYPES),
        Column("background", "协作背景"),
        Column("expected_outcome", "预期成果"),
        Column("initiator.department", "发起部门", departments=True),
        Column("initiator.owner", "发起负责人"),
        Column("kickoff.scheduled_at", "启动会时间", "datetime"),
        Column("kickoff.agenda_sent_at", "议程发出时间", "datetime"),
        Column("kickoff.minutes_issued_at", "纪要发出时间", "datetime"),
    ),
)
GOAL = Sheet(
    "核心目标与指标",
    "metrics",
    fields=(Column("goal.statement", "核心目标"), Column("goal.deadline", "目标时限", "date")),
    columns=(
        Column("name", "指标名称", width=24),
        Column("unit", "单位", width=8),
        Column("baseline", "基线值", "number", width=10),
        Column("target", "目标值", "number", width=10),
        Column("direction", "方向", "choice", DIRECTIONS, width=10),
        Column("scale_max", "满分值", "number", width=10, positive=True),
    ),
    header_row=4,
)
DEPARTMENTS = Sheet(
    "参与部门",
    "departments",
    columns=(
        Column("name", "部门"),
        Column("liaison", "对接负责人"),
        Column("head", "部门负责人"),
        Column("duties", "职责概要", width=36),
        Column("role", "角色", "choice", ROLES, width=8),
        Column("confirmed_at", "纪要确认时间", "datetime", width=18),
    ),
)
TASKS = Sheet(
    "部门职责分工表",
    "tasks",
    columns=(
        Column("description", "任务描述", width=36),
        Column("department", "责任部门", departments=True),
        Column("collaborators", "协作方", "names", width=24),
        Column("standard", "交付标准", width=40),
        Column("deadline", "时间节点", "date", width=12),
        Column("status", "状态", "choice", STATUSES, width=10),
        Column("blocked_reason", "阻塞原因", width=24),
        # 执行人 and 关注人 by name (docs/people-on-rows.md), found among existing people on import.
        Column("assignee", "执行人", width=12, optional=True),
        Column("watchers", "关注人", "names", width=20, optional=True),
    ),
)
SUBGOALS = Sheet(
    "子目标",
    "subgoals",
    columns=(
        Column("description", "子目标", width=36),
        Column("department", "部门", departments=True),
        Column("metric", "关联指标", width=20),
        Column("target", "目标值", "number", width=10),
        Column("unit", "单位", width=8),
        Column("kind", "时限类型", "choice", KINDS, width=10),
        Column("date", "截止日期", "date", width=12),
        Column("rrule", "周期规则", width=36),
        Column("hours", "时限(小时)", "number", width=10, positive=True),
        Column("trigger", "触发条件", width=20),
    ),
)
COMMUNICATION = Sheet(
    "沟通机制",
    "communication",
    columns=(
        Column("scenario", "沟通场景", "choice", SCENARIOS, width=12),
        Column("channel", "沟通方式", "choice", CHANNELS, width=12),
        Column("frequency", "频率", "choice", FREQUENCIES, width=8),
        Column("rrule", "周期规则", width=36),
        Column("outputs", "输出物", "names", width=24),
        Column("owner", "负责人", width=16),
        Column("admin", "管理员", width=12),
    ),
)
SHEETS = (INFO, GOAL, DEPARTMENTS, TASKS, SUBGOALS, COMMUNICATION)
INSTRUCTIONS = "填写说明"
DEPARTMENT_LIST = f"'{DEPARTMENTS.name}'!$A$2:$A${DEPARTMENT_ROWS + 1}"
# 、 , , ; ; and new lines separate names; 协作方 (departments) may also use / and /: SEPARATORS and
# DEPARTMENT_SEPARATORS of lib/cells.py (a paste into the table reads cells the same way).
# Rows above a table (or above the first label of 协作信息) read as titles and skipped.
MAX_TITLE_ROWS = 3

INSTRUCTION_LINES = (
    "协作章程导入模板",
    "",
    "1. 每个工作表对应章程的一个部分;请勿改动工作表名称和表头。",
    "2. 先在「参与部门」中列出全部部门,其他表中的部门从下拉列表中选择。",
    "3. 部门职责分工表:每行一项任务,只填一个责任部门;协作方可填多个,用顿号(、)分隔;交付标准必填。",
    "4. 日期请填写为日期(如 2024-07-20),时间如 2024-07-08 10:00;不要填写不存在的日期。",
    "5. 状态、角色、协作类型等请从下拉列表中选择。",
    "6. 子目标的时限类型:固定(填截止日期)、周期(填周期规则,如 FREQ=WEEKLY;BYDAY=FR)、SLA(填时限小时数和触发条件)。",
    "7. 沟通机制的频率:实时、按需或定期(定期须填周期规则)。",
    "8. 不接受公式、合并单元格和宏;请粘贴数值后再导入。",
    "9. 同一部门的同一任务描述不能重复;有问题的行会连同工作表、行号和列名一起列出。",
)


def _letter(sheet: Sheet, column: Column) -> str:
    return get_column_letter(sheet.columns.index(column) + 1)


# --- the result of reading


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        # "部门职责分工表!E7(时间节点):…": the cell, then the header's name if known.
        place = self.sheet
        letters = (self.column or "").split("(", 1)[0]
        header = (self.column or "")[len(letters) :]
        if self.row is not None:
            place += f"!{letters}{self.row}{header}"
        elif self.column:
            place += f"!{self.column}"
        return f"{place}:{self.reason}"


@dataclass
class WorkbookRead:
    charter: dict[str, Any]
    problems: list[Problem]
    rows: int
    bad_rows: int
    # The sheet row of each charter row, per section: a charter path names its cell.
    kept: dict[str, list[int]] = field(default_factory=dict)
    # What was skipped on purpose and is said, not refused: title rows, hidden rows.
    notices: list[Problem] = field(default_factory=list)
    # Sheets that cannot be imported at all (missing, no readable header, every row bad):
    # the import is refused even when only the valid rows are asked for.
    refused_sheets: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def importable(self) -> bool:
        """Whether "import the valid rows" may store this read: no sheet would be dropped whole."""
        return not self.refused_sheets

    def place(self, path: str, reason: str) -> Problem:
        """Return a problem the charter reports at ``path`` ("title", "tasks[1].department") as a cell."""
        match = _PATH.fullmatch(path)
        if match is None:
            return Problem(INFO.name, None, None, reason)
        head, index, rest = match["head"], match["index"], match["rest"] or ""
        if index is None:
            for sheet in SHEETS:
                column = next((c for c in sheet.fields if c.key == path), None)
                if column is not None:
                    row = sheet.fields.index(column) + 1
                    return Problem(sheet.name, row, f"B({column.header})", reason)
            return Problem(INFO.name, None, None, reason)
        section = "metrics" if head == "goal.metrics" else head
        sheet = next((sh for sh in SHEETS if sh.section == section), INFO)
        rows = self.kept.get(section, [])
        number = rows[int(index)] if int(index) < len(rows) else None
        key = rest.lstrip(".").split(".")[-1] if rest else ""
        key = {"liaisons": "liaison", "frequency": "rrule"}.get(key, key)
        column = next((c for c in sheet.columns if c.key == key), None)
        letter = f"{_letter(sheet, column)}({column.header})" if column is not None else None
        return Problem(sheet.name, number, letter, reason)


# "title", "goal.statement", "departments[2].name", "goal.metrics[0].name", "subgoals[1].deadline.rrule"
_PATH = re.compile(r"(?P<head>[a-z_.]+?)(?:\[(?P<index>\d+)\](?P<rest>(?:\.[a-z_]+)*))?")


# --- writing


def _local(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


def _cell_value(column: Column, value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if column.kind == "date":
        return date.fromisoformat(value) if isinstance(value, str) else value
    if column.kind == "datetime":
        return _local(datetime.fromisoformat(value)) if isinstance(value, str) else value
    if column.kind == "choice":
        return dict(column.choices).get(value, value)
    if column.kind == "names":
        return "、".join([value] if isinstance(value, str) else value)
    if isinstance(value, list):
        return "、".join(value)
    return value


def _number_format(column: Column) -> str | None:
    return {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT}.get(column.kind)


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _validation(column: Column) -> DataValidation | None:
    if column.departments:
        formula = DEPARTMENT_LIST
    elif column.kind == "choice":
        formula = '"' + ",".join(label for _code, label in column.choices) + '"'
    else:
        return None
    return DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=column.kind == "choice",
        errorTitle="输入无效",
        error=f"请从列表中选择{column.header}",
    )


def _build(sections: dict[str, Any] | None, departments: Sequence[str] = ()) -> bytes:
    book = Workbook()
    intro = book.active
    assert intro is not None
    intro.title = INSTRUCTIONS
    for line in INSTRUCTION_LINES:
        intro.append([line])
    intro["A1"].font = Font(bold=True, size=14)
    intro.column_dimensions["A"].width = 110
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        data = (sections or {}).get(sheet.section, {})
        _write_fields(ws, sheet, data.get("fields", {}))
        rows = data.get("rows", [])
        if sheet is DEPARTMENTS and not rows:
            rows = [{"name": name} for name in departments]
        _write_table(ws, sheet, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_fields(ws: Worksheet, sheet: Sheet, values: dict[str, Any]) -> None:
    if not sheet.fields:
        return
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = max(ws.column_dimensions["B"].width or 0, 60)
    for index, column in enumerate(sheet.fields, start=1):
        label = ws.cell(index, 1, column.header)
        label.font = HEADER_FONT
        label.fill = HEADER_FILL
        cell = ws.cell(index, 2, _cell_value(column, values.get(column.key)))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if fmt := _number_format(column):
            cell.number_format = fmt
        if rule := _validation(column):
            ws.add_data_validation(rule)
            rule.add(f"B{index}")


def _write_table(ws: Worksheet, sheet: Sheet, rows: list[dict[str, Any]]) -> None:
    if not sheet.columns:
        return
    top = sheet.header_row
    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(top, index, column.header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(column.width, ws.column_dimensions[letter].width or 0)
        last = top + max(TEMPLATE_ROWS, len(rows) + 200)
        if fmt := _number_format(column):
            # Blank rows get the format from the column, so no empty cells are written.
            ws.column_dimensions[letter].number_format = fmt
        if rule := _validation(column):
            ws.add_data_validation(rule)
            rule.add(f"{letter}{top + 1}:{letter}{last}")
    ws.freeze_panes = ws.cell(top + 1, 1)
    for offset, row in enumerate(rows, start=1):
        for index, column in enumerate(sheet.columns, start=1):
            value = _cell_value(column, row.get(column.key))
            if value is None:
                continue
            cell = ws.cell(top + offset, index, value)
            if fmt := _number_format(column):
                cell.number_format = fmt


def template_bytes(departments: Sequence[str] = ()) -> bytes:
    """Return the empty template (.xlsx), its departments sheet prefilled with ``departments``."""
    return _build(None, departments)


def workbook_bytes(collab: Collab) -> bytes:
    """Return ``collab`` as a workbook in the template's layout."""
    return _build(_sections(dump_charter(collab)))


def _sections(charter: dict[str, Any]) -> dict[str, Any]:
    goal = charter.get("goal") or {}
    kickoff = charter.get("kickoff") or {}
    initiator = charter.get("initiator") or {}
    confirmations = dict(kickoff.get("confirmations") or {})
    info = {
        "title": charter.get("title"),
        "type": charter.get("type"),
        "background": charter.get("background"),
        "expected_outcome": charter.get("expected_outcome"),
        "initiator.department": initiator.get("department"),
        "initiator.owner": initiator.get("owner"),
        "kickoff.scheduled_at": kickoff.get("scheduled_at"),
        "kickoff.agenda_sent_at": kickoff.get("agenda_sent_at"),
        "kickoff.minutes_issued_at": kickoff.get("minutes_issued_at"),
    }
    departments = [{**d, "confirmed_at": confirmations.pop(d["name"], None)} for d in charter["departments"]]
    # A confirmation by a department that is not listed keeps its own row.
    departments += [{"name": name, "confirmed_at": moment} for name, moment in confirmations.items()]
    subgoals = []
    for goal_row in charter["subgoals"]:
        deadline: dict[str, Any] = goal_row.get("deadline") or {}
        subgoals.append({**goal_row, **deadline})
    communication = []
    for rule in charter["communication"]:
        frequency: Any = rule.get("frequency")
        rrule = ""
        if isinstance(frequency, dict):
            rrule = frequency.get("rrule", "")
            frequency = "rrule"
        communication.append({**rule, "frequency": frequency, "rrule": rrule})
    return {
        "info": {"fields": info},
        "metrics": {
            "fields": {"goal.statement": goal.get("statement"), "goal.deadline": goal.get("deadline")},
            "rows": goal.get("metrics", []),
        },
        "departments": {"rows": departments},
        "tasks": {"rows": charter["tasks"]},
        "subgoals": {"rows": subgoals},
        "communication": {"rows": communication},
    }


# --- reading


class _Bad(ValueError):
    """One cell cannot be read; the message is the reason."""


_DATE_TEXT = DATE_TEXT  # lib/cells.py: the dates a pasted cell may name too
_TIME_TEXT = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def _in_window(found: date) -> date:
    problem = date_problem(found)
    if problem is not None:
        raise _Bad(f"{found.isoformat()}:{problem}")
    return found


def _time_only(value: time) -> _Bad:
    """A date cell that holds a time only: 0 (Excel shows 1900-01-00, i.e. 1899-12-31) or a time of day."""
    if value == time():
        return _Bad(
            _("不是日期:单元格的值为 0(Excel 显示为 1900-01-00 或 1899-12-31);请填写实际日期,如 2024-07-20")
        )
    return _Bad(
        _("只有时间 %(value)s,没有日期;请填写日期,如 2024-07-20") % {"value": value.strftime("%H:%M")}
    )


def _as_date(value: Any) -> date | None:
    return _in_window(_read_date(value))


def _read_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, time):
        raise _time_only(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            moment = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            moment = None
        if isinstance(moment, datetime) and 1900 < moment.year < 2200:
            return moment.date()
        raise _Bad(_("无法识别的日期 %(value)s") % {"value": value})
    text = str(value).strip()
    match = _DATE_TEXT.fullmatch(text)
    if not match:
        raise _Bad(_("无法识别的日期 %(value)s") % {"value": text})
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise _Bad(_("无法识别的日期 %(value)s") % {"value": text}) from None


def _as_datetime(value: Any) -> str | None:
    zone = ZoneInfo(settings.TIME_ZONE)
    if isinstance(value, time):
        raise _time_only(value)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            match = _DATE_TEXT.match(text)
            clock = _TIME_TEXT.search(text[match.end() :]) if match else None
            if not match:
                raise _Bad(_("无法识别的时间 %(value)s") % {"value": text}) from None
            try:
                moment = datetime(
                    int(match[1]),
                    int(match[2]),
                    int(match[3]),
                    int(clock[1]) if clock else 0,
                    int(clock[2]) if clock else 0,
                    int(clock[3] or 0) if clock else 0,
                    tzinfo=zone,
                )
            except ValueError:
                raise _Bad(_("无法识别的时间 %(value)s") % {"value": text}) from None
    else:
        raise _Bad(_("无法识别的时间 %(value)s") % {"value": value})
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    _in_window(moment.date())
    return moment.isoformat()


def _as_number(column: Column, value: Any) -> int | float:
    number = _read_number(value)
    # Every number is checked here, at its cell: what the database cannot hold (NaN, infinity,
    # 10^16 and more) and what makes no sense for the column (SLA hours of -1).
    if not math.isfinite(number) or abs(number) >= NUMBER_LIMIT:
        raise _Bad(
            _("数值 %(value)s 超出范围(绝对值须小于 %(limit)s)")
            % {"value": value, "limit": f"{NUMBER_LIMIT:,}"}
        )
    if column.positive and number <= 0:
        raise _Bad(_("%(name)s须大于 0,而不是 %(value)s") % {"name": column.header, "value": value})
    return number


def _read_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Bad(_("应为数字"))
    if isinstance(value, int | float):
        return value
    text = str(value).strip().rstrip("%")
    try:
        number = float(text)
    except ValueError:
        raise _Bad(_("应为数字,而不是 %(value)s") % {"value": value}) from None
    return int(number) if number.is_integer() else number


def _as_choice(column: Column, value: Any) -> str:
    text = str(value).strip()
    for code, label in column.choices:
        if text in (code, label):
            return code
    codes = {code for code, _label in column.choices}
    if ALIASES.get(text) in codes:
        return ALIASES[text]
    labels = "、".join(label for _code, label in column.choices)
    raise _Bad(_("不是允许的值 %(value)s(可选:%(labels)s)") % {"value": text, "labels": labels})


def _convert(column: Column, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [] if column.kind == "names" else None
    if isinstance(value, str) and value.lstrip().startswith("="):
        raise _Bad(_("公式不被接受,请粘贴数值"))
    if column.kind == "date":
        found = _as_date(value)
        return found.isoformat() if found else None
    if column.kind == "datetime":
        return _as_datetime(value)
    if column.kind == "number":
        return _as_number(column, value)
    if column.kind == "choice":
        return _as_choice(column, value)
    if column.kind == "names":
        separators = DEPARTMENT_SEPARATORS if column.key == "collaborators" else SEPARATORS
        return [part.strip() for part in separators.split(str(value)) if part.strip()]
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class _Reader:
    progress: Callable[[int], None] | None
    problems: list[Problem] = field(default_factory=list)
    bad: set[tuple[str, int]] = field(default_factory=set)
    rows: int = 0
    streamed: int = 0
    fields: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    merged: dict[str, dict[int, str]] = field(default_factory=dict)
    kept: dict[str, list[int]] = field(default_factory=dict)
    notices: list[Problem] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    # The sheet rows read as table rows, per sheet: a sheet none of which survives is refused.
    data_rows: dict[str, list[int]] = field(default_factory=dict)

    def problem(self, sheet: Sheet, row: int | None, column: Column | None, reason: str) -> None:
        letter = None
        if column is not None:
            letter = "B" if column in sheet.fields else _letter(sheet, column)
            letter = f"{letter}({column.header})"
        self.problems.append(Problem(sheet.name, row, letter, reason))
        if row is not None:
            self.bad.add((sheet.name, row))

    def refuse(self, sheet: Sheet, row: int | None, reason: str) -> None:
        self.problems.append(Problem(sheet.name, row, None, reason))
        if sheet.name not in self.refused:
            self.refused.append(sheet.name)

    def tick(self) -> None:
        self.streamed += 1
        if self.progress is not None and self.streamed % PROGRESS_EVERY == 0:
            self.progress(self.streamed)


def _find_sheet(names: list[str], wanted: str) -> str | None:
    """Return the sheet named ``wanted``, or the one whose name only adds spaces ("部门职责分工表 ")."""
    if wanted in names:
        return wanted
    return next((name for name in names if name.strip() == wanted), None)


def read_workbook(source: IO[bytes] | Path, progress: Callable[[int], None] | None = None) -> WorkbookRead:
    """Read a charter workbook; raise ``WorkbookRefused`` when the file as a whole is refused."""
    check_xlsx(source)
    reader = _Reader(progress)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = load_workbook(source, read_only=True, data_only=False, keep_links=False)
    except WorkbookRefused:
        raise
    except Exception:  # openpyxl raises many kinds of errors on a broken file
        raise WorkbookRefused(_("文件已损坏,不是有效的 Excel 工作簿(.xlsx)")) from None
    try:
        for sheet in SHEETS:
            name = _find_sheet(book.sheetnames, sheet.name)
            if name is None:
                reader.refuse(sheet, None, _("缺少工作表 %(name)s") % {"name": sheet.name})
                continue
            ws = book[name]
            _read_sheet(reader, sheet, book, ws, _merges(book, ws))
    except SyntaxError:
        # Sheets are parsed as they stream, after load_workbook: malformed XML
        # (xml.etree's ParseError, lxml's XMLSyntaxError) is a broken file, not a server error.
        raise WorkbookRefused(_("文件已损坏,不是有效的 Excel 工作簿(.xlsx)")) from None
    finally:
        book.close()
    if progress is not None:
        progress(reader.streamed)
    observe_import("workbook", reader.rows)  # the rows read, for /metrics
    charter = _assemble(reader)
    _refuse_emptied_sheets(reader)
    # In the order a person fixes them: sheet by sheet, top to bottom (checks run in several passes).
    order = {sheet.name: index for index, sheet in enumerate(SHEETS)}
    problems = sorted(reader.problems, key=lambda p: (order.get(p.sheet, -1), p.row or 0))
    notices = sorted(reader.notices, key=lambda p: (order.get(p.sheet, -1), p.row or 0))
    return WorkbookRead(
        charter=charter,
        problems=problems,
        rows=reader.rows,
        bad_rows=len(reader.bad),
        kept=reader.kept,
        notices=notices,
        refused_sheets=[sheet.name for sheet in SHEETS if sheet.name in reader.refused],
    )


def _refuse_emptied_sheets(reader: _Reader) -> None:
    """A table whose every row is bad would be dropped whole by "import the valid rows": refuse it."""
    for sheet in SHEETS:
        numbers = reader.data_rows.get(sheet.name, [])
        if (
            numbers
            and sheet.name not in reader.refused
            and all((sheet.name, n) in reader.bad for n in numbers)
        ):
            reader.refuse(
                sheet,
                None,
                _("此表的 %(count)s 行全部有问题;只导入有效行会丢掉整张表,因此不能导入")
                % {"count": len(numbers)},
            )


def _merges(book: Any, ws: Any) -> list[str]:
    archive: zipfile.ZipFile | None = getattr(book, "_archive", None)
    member = getattr(ws, "_worksheet_path", None)
    if archive is None or member is None:
        return []
    return merged_ranges(archive, member)


def _report_merges(reader: _Reader, sheet: Sheet, merges: list[str], titles: set[int]) -> None:
    """Merged cells are refused, except in a title row (skipped as a whole)."""
    for ref in merges:
        min_col, min_row, _max_col, max_row = range_boundaries(ref)
        assert min_row is not None and max_row is not None and min_col is not None
        if all(row in titles for row in range(min_row, max_row + 1)):
            continue
        reason = _("合并单元格 %(ref)s 不被接受,请取消合并后每格填写") % {"ref": ref}
        reader.problems.append(Problem(sheet.name, min_row, get_column_letter(min_col), reason))
        for row in range(min_row, max_row + 1):
            reader.bad.add((sheet.name, row))


def _blank(values: Iterable[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


class _Rows:
    """The rows of a read-only sheet as stored: each row's number, its values and whether it is hidden.

    openpyxl's read-only ``iter_rows`` drops the row and column attributes; this reads the same
    XML with the same parser, once, and keeps ``hidden`` (rows) and the hidden column ranges.
    """

    def __init__(self, book: Any, ws: Any) -> None:
        self.book = book
        self.ws = ws
        self.hidden_columns: list[tuple[int, int]] = []  # 0-based, inclusive

    def __iter__(self) -> Iterator[tuple[int, tuple[Any, ...], bool]]:
        with self.ws._get_source() as source:
            parser = WorkSheetParser(
                source,
                self.ws._shared_strings,
                data_only=False,
                epoch=self.book.epoch,
                date_formats=self.book._date_formats,
                timedelta_formats=self.book._timedelta_formats,
            )
            first = True
            for number, cells in parser.parse():
                if first:  # <cols> comes before <sheetData>
                    self.hidden_columns = _hidden_ranges(parser.column_dimensions.values())
                    first = False
                attributes = parser.row_dimensions.pop(str(number), None) or {}
                hidden = str(attributes.get("hidden", "")).lower() in ("1", "true")
                yield number, self.ws._get_row(cells, values_only=True), hidden

    def hidden(self, index: int) -> bool:
        return any(low <= index <= high for low, high in self.hidden_columns)


def _hidden_ranges(columns: Iterable[dict[str, str]]) -> list[tuple[int, int]]:
    ranges = []
    for attributes in columns:
        if str(attributes.get("hidden", "")).lower() in ("1", "true"):
            try:
                ranges.append((int(attributes["min"]) - 1, int(attributes.get("max", attributes["min"])) - 1))
            except (KeyError, ValueError):
                continue
    return ranges


def _looks_like_header(sheet: Sheet, values: tuple[Any, ...]) -> bool:
    """Whether a row is the table's header: at least half of the template's headers are in it."""
    # Counted over the first template's columns, so an optional column does not raise the bar.
    headers = {column.header for column in sheet.columns if not column.optional}
    found = {text for value in values if value is not None and (text := str(value).strip()) in headers}
    return len(found) >= max(2, (len(headers) + 1) // 2)


def _filled(values: tuple[Any, ...]) -> list[str]:
    return [str(value).strip() for value in values if not _blank([value])]


def _no_header(sheet: Sheet, row: int) -> str:
    return _("找不到表头:第 %(row)s 行应是表头(%(headers)s);此工作表无法导入") % {
        "row": row,
        "headers": "、".join(column.header for column in sheet.columns),
    }


def _title_text(labels: dict[str, Column], values: tuple[Any, ...]) -> str | None:
    """Above 协作信息's labels: one cell filled (a merged title keeps its text in the first), not a label."""
    filled = _filled(values)
    if len(filled) == 1 and filled[0] not in labels:
        return filled[0]
    return None


def _row_list(rows: list[int]) -> str:
    shown = "、".join(str(row) for row in rows[:10])
    return shown + ("…" if len(rows) > 10 else "")


def _read_sheet(reader: _Reader, sheet: Sheet, book: Any, ws: Any, merges: list[str]) -> None:
    # Rows are counted as they stream: the declared size is never trusted.
    limit = max_rows() + HEADER_ROWS + MAX_TITLE_ROWS
    labels = {column.header: column for column in sheet.fields}
    positions: dict[int, Column] | None = None if sheet.columns else {}
    header_row: int | None = None
    titles: list[int] = []
    pending: list[tuple[int, str]] = []  # rows above a table's header, until it is found
    hidden_rows: list[int] = []
    in_hidden: dict[int, list[int]] = {}  # column index -> rows with content in that hidden column
    field_rows: dict[str, int] = {}
    started = False  # a label or the header was read: below it, nothing is a title
    rows = reader.tables.setdefault(sheet.section, [])
    data_rows = reader.data_rows.setdefault(sheet.name, [])
    stream = _Rows(book, ws)
    for number, values, hidden in stream:
        reader.tick()
        if number > limit:
            raise WorkbookRefused(too_many_rows())
        if _blank(values):
            continue
        if positions is None and _looks_like_header(sheet, values):
            positions, header_row, started = _read_header(reader, sheet, number, values), number, True
            for above, text in pending:  # what stood above the header was its title
                titles.append(above)
                reader.notices.append(
                    Problem(sheet.name, above, None, _("标题行,已跳过:%(text)s") % {"text": text})
                )
            continue
        if hidden:  # how people "delete" a row: skipped, and said so below
            hidden_rows.append(number)
            continue
        if positions is None and not sheet.fields:
            # Above a table's header: a title (merged or not, a line or a few) until the header comes.
            if len(pending) >= MAX_TITLE_ROWS:
                reader.refuse(sheet, pending[0][0], _no_header(sheet, pending[0][0]))
                return
            pending.append((number, " ".join(_filled(values))))
            continue
        title = None if started or len(titles) >= MAX_TITLE_ROWS else _title_text(labels, values)
        if title is not None:
            titles.append(number)
            reader.notices.append(
                Problem(sheet.name, number, None, _("标题行,已跳过:%(text)s") % {"text": title})
            )
            continue
        started = True
        is_field = positions is None or not sheet.columns  # 协作信息, or 核心目标 above its table
        for index, value in enumerate(values):
            if stream.hidden(index) and (index > 0 or not is_field) and not _blank([value]):
                in_hidden.setdefault(index, []).append(number)
        if is_field:
            key = _read_field(reader, sheet, labels, number, values)
            if key is not None:
                field_rows[key] = number
        else:
            assert positions is not None
            reader.rows += 1
            data_rows.append(number)
            row = _read_row(reader, sheet, positions, number, values)
            rows.append((number, row))
    if sheet.columns and positions is None:
        if started or pending or hidden_rows:  # rows with content and no header to read them by
            first = pending[0][0] if pending else sheet.header_row
            reader.refuse(sheet, first, _no_header(sheet, first))
        else:  # an empty sheet: nothing would be dropped
            reader.problems.append(
                Problem(
                    sheet.name,
                    sheet.header_row,
                    None,
                    _("缺少表头行(第 %(row)s 行)") % {"row": sheet.header_row},
                )
            )
    if hidden_rows:
        reader.notices.append(
            Problem(
                sheet.name,
                None,
                None,
                _("已跳过 %(count)s 个隐藏行(第 %(rows)s 行);如需导入,请取消隐藏后重新上传")
                % {"count": len(hidden_rows), "rows": _row_list(hidden_rows)},
            )
        )
    for index, numbers in in_hidden.items():
        column = (positions or {}).get(index)
        letter = get_column_letter(index + 1) + (f"({column.header})" if column is not None else "")
        reason = _("此列已隐藏,但第 %(rows)s 行有内容;请取消隐藏并核对,或清空该列") % {
            "rows": _row_list(numbers)
        }
        reader.problems.append(Problem(sheet.name, header_row or numbers[0], letter, reason))
        reader.bad.update((sheet.name, n) for n in numbers)
    _report_merges(reader, sheet, merges, set(titles))
    # Rows made bad after they were read (a merge, a hidden column) are not kept.
    rows[:] = [(n, row) for n, row in rows if (sheet.name, n) not in reader.bad]
    for key, number in field_rows.items():
        if (sheet.name, number) in reader.bad:
            reader.fields.pop(key, None)


def _read_field(
    reader: _Reader, sheet: Sheet, labels: dict[str, Column], number: int, values: tuple[Any, ...]
) -> str | None:
    """Read one label / value row; return the field's key when the label is known."""
    label = str(values[0]).strip() if values and values[0] is not None else ""
    column = labels.get(label)
    if column is None:
        reader.problems.append(
            Problem(sheet.name, number, "A", _("无法识别的项目 %(label)s") % {"label": label})
        )
        reader.bad.add((sheet.name, number))
        return None
    raw = values[1] if len(values) > 1 else None
    if _blank([raw]):
        return None
    reader.rows += 1
    try:
        value = _convert(column, raw)
    except _Bad as exc:
        reader.problem(sheet, number, column, str(exc))
        return None
    if (sheet.name, number) not in reader.bad:
        reader.fields[column.key] = value
    return column.key


def _read_header(reader: _Reader, sheet: Sheet, number: int, values: tuple[Any, ...]) -> dict[int, Column]:
    by_header = {column.header: column for column in sheet.columns}
    positions: dict[int, Column] = {}
    for index, value in enumerate(values):
        text = str(value).strip() if value is not None else ""
        if text in by_header:
            positions[index] = by_header.pop(text)
        elif text:
            reader.problems.append(
                Problem(
                    sheet.name,
                    number,
                    get_column_letter(index + 1),
                    _("无法识别的列 %(name)s") % {"name": text},
                )
            )
    for column in by_header.values():
        if column.optional:
            continue
        reader.problems.append(
            Problem(sheet.name, number, None, _("缺少列 %(name)s") % {"name": column.header})
        )
    return positions


def _read_row(
    reader: _Reader, sheet: Sheet, positions: dict[int, Column], number: int, values: tuple[Any, ...]
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for index, value in enumerate(values):
        column = positions.get(index)
        if column is None:
            if value is not None and str(value).strip():
                reader.problems.append(
                    Problem(
                        sheet.name, number, get_column_letter(index + 1), _("此列不在模板中,内容无法导入")
                    )
                )
                reader.bad.add((sheet.name, number))
            continue
        try:
            row[column.key] = _convert(column, value)
        except _Bad as exc:
            reader.problem(sheet, number, column, str(exc))
    return row


# --- from rows to the charter document


def _column(sheet: Sheet, key: str) -> Column:
    return next(column for column in sheet.columns if column.key == key)


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return value if isinstance(value, str) else ""


def _assemble(reader: _Reader) -> dict[str, Any]:
    f = reader.fields
    t = reader.tables
    charter: dict[str, Any] = {
        "title": f.get("title") or "",
        "type": f.get("type"),
        "background": f.get("background") or "",
        "expected_outcome": f.get("expected_outcome") or "",
        "initiator": {
            "department": f.get("initiator.department") or "",
            "owner": f.get("initiator.owner") or "",
        },
    }
    # Each section's raw rows are dropped once assembled (pop), so a large table is held once, not twice.
    metrics = _metrics(reader, t.pop("metrics", []))
    if f.get("goal.statement") or f.get("goal.deadline") or metrics:
        charter["goal"] = {
            "statement": f.get("goal.statement") or "",
            "deadline": f.get("goal.deadline"),
            "metrics": metrics,
        }
    departments, confirmations = _departments(reader, t.pop("departments", []))
    charter["departments"] = departments
    kickoff = {
        key: f.get(f"kickoff.{key}") for key in ("scheduled_at", "agenda_sent_at", "minutes_issued_at")
    }
    if any(kickoff.values()) or confirmations:
        charter["kickoff"] = {**kickoff, "confirmations": confirmations}
    names = {d["name"] for d in departments}
    metric_names = {m["name"] for m in metrics}
    charter["tasks"] = _tasks(reader, t.pop("tasks", []), names)
    charter["subgoals"] = _subgoals(reader, t.pop("subgoals", []), names, metric_names)
    charter["communication"] = _communication(reader, t.pop("communication", []))
    # Whatever slipped through the row checks still meets the charter's own validation. The
    # tables' rows were each validated as they were kept (_keep); checking them again here
    # would build a second copy of a 10,000-row table for nothing.
    try:
        parse_charter({key: value for key, value in charter.items() if key not in _ROW_SECTIONS})
    except CharterError as exc:
        reader.problems.append(Problem(INFO.name, None, None, str(exc)))
    return charter


_ROW_SECTIONS = ("tasks", "subgoals", "communication")


def _validated(reader: _Reader, sheet: Sheet, number: int, section: str, item: dict[str, Any]) -> bool:
    """Check one row with the charter's validation; report the offending column."""
    try:
        if section == "metrics":
            parse_charter({"goal": {"metrics": [item]}})
        else:
            parse_charter({section: [item]})
    except CharterError as exc:
        key = exc.path.rsplit(".", 1)[-1]
        column = next((c for c in sheet.columns if c.key == key), None)
        reader.problem(sheet, number, column, exc.reason)
        return False
    return True


def _keep(reader: _Reader, sheet: Sheet, number: int, section: str, item: dict[str, Any]) -> bool:
    kept = (sheet.name, number) not in reader.bad and _validated(reader, sheet, number, section, item)
    if kept:
        reader.kept.setdefault(section, []).append(number)
    return kept


def _metrics(reader: _Reader, rows: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    name = _column(GOAL, "name")
    for number, row in rows:
        item: dict[str, Any] = {c.key: row.get(c.key) for c in GOAL.columns}
        item["name"] = _text(row, "name")
        item["unit"] = _text(row, "unit")
        if not item["name"]:
            reader.problem(GOAL, number, name, _("指标名称为空"))
        elif item["name"] in seen:
            reader.problem(GOAL, number, name, _("指标 %(name)s 重复") % {"name": item["name"]})
        seen.add(item["name"])
        if _keep(reader, GOAL, number, "metrics", item):
            out.append(item)
    return out


def _departments(
    reader: _Reader, rows: list[tuple[int, dict[str, Any]]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    out: list[dict[str, Any]] = []
    confirmations: dict[str, str] = {}
    seen: set[str] = set()
    name = _column(DEPARTMENTS, "name")
    for number, row in rows:
        item: dict[str, Any] = {key: _text(row, key) for key in ("name", "liaison", "head", "duties")}
        item["role"] = row.get("role")
        if not item["name"]:
            reader.problem(DEPARTMENTS, number, name, _("部门名称为空"))
        elif item["name"] in seen:
            reader.problem(DEPARTMENTS, number, name, _("部门 %(name)s 重复列出") % {"name": item["name"]})
        seen.add(item["name"])
        if not _keep(reader, DEPARTMENTS, number, "departments", item):
            continue
        if row.get("confirmed_at"):
            confirmations[item["name"]] = row["confirmed_at"]
        # A row with only a confirmation time is a confirmation, not a participant.
        if any(item[key] for key in ("liaison", "head", "duties", "role")) or not row.get("confirmed_at"):
            out.append(item)
        else:
            reader.kept["departments"].pop()  # a confirmation only: no charter row
    return out, confirmations


def _unknown(
    reader: _Reader, sheet: Sheet, number: int, column: Column, names: Iterable[str], known: set[str]
) -> None:
    for name in names:
        if name and name not in known:
            reader.problem(sheet, number, column, _("未知的部门 %(name)s(不在参与部门表中)") % {"name": name})


def _tasks(reader: _Reader, rows: list[tuple[int, dict[str, Any]]], known: set[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    description = _column(TASKS, "description")
    for number, row in rows:
        item: dict[str, Any] = {
            "description": _text(row, "description"),
            "department": _text(row, "department"),
            "collaborators": row.get("collaborators") or [],
            "standard": _text(row, "standard"),
            "deadline": row.get("deadline"),
            "status": row.get("status"),
            "blocked_reason": _text(row, "blocked_reason"),
        }
        # Optional keys of the charter (docs/charter.md): given only when filled in.
        if _text(row, "assignee"):
            item["assignee"] = _text(row, "assignee")
        if row.get("watchers"):
            item["watchers"] = row["watchers"]
        if not item["description"]:
            reader.problem(TASKS, number, description, _("任务描述为空"))
        key = (item["description"], item["department"])
        if key in seen:
            reader.problem(
                TASKS,
                number,
                description,
                _("重复的任务(与第 %(row)s 行相同的描述和责任部门)") % {"row": seen[key]},
            )
        else:
            seen[key] = number
        if not item["standard"]:
            reader.problem(TASKS, number, _column(TASKS, "standard"), _("缺少交付标准"))
        _unknown(reader, TASKS, number, _column(TASKS, "department"), [item["department"]], known)
        _unknown(reader, TASKS, number, _column(TASKS, "collaborators"), item["collaborators"], known)
        if _keep(reader, TASKS, number, "tasks", item):
            out.append(item)
    return out


def _subgoals(
    reader: _Reader, rows: list[tuple[int, dict[str, Any]]], known: set[str], metrics: set[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for number, row in rows:
        kind = row.get("kind")
        if kind is None:
            kind = (
                "fixed"
                if row.get("date")
                else "recurring"
                if row.get("rrule")
                else "sla"
                if row.get("hours")
                else None
            )
        wanted = {"fixed": ("date",), "recurring": ("rrule",), "sla": ("hours", "trigger")}
        deadline: dict[str, Any] | None = None
        if kind is not None:
            deadline = {
                "kind": kind,
                **{
                    key: row.get(key) or ("" if key in ("rrule", "trigger") else None) for key in wanted[kind]
                },
            }
            for other, keys in wanted.items():
                for key in keys:
                    if other != kind and row.get(key) not in (None, "") and key not in wanted[kind]:
                        reader.problem(
                            SUBGOALS,
                            number,
                            _column(SUBGOALS, key),
                            _("此列不用于该时限类型,请清空或改选时限类型"),
                        )
        item: dict[str, Any] = {
            "description": _text(row, "description"),
            "department": _text(row, "department"),
            "metric": _text(row, "metric"),
            "target": row.get("target"),
            "unit": _text(row, "unit"),
            "deadline": deadline,
        }
        _unknown(reader, SUBGOALS, number, _column(SUBGOALS, "department"), [item["department"]], known)
        if item["metric"] and item["metric"] not in metrics:
            reader.problem(
                SUBGOALS,
                number,
                _column(SUBGOALS, "metric"),
                _("核心目标中没有名为 %(name)s 的指标") % {"name": item["metric"]},
            )
        if _keep(reader, SUBGOALS, number, "subgoals", item):
            out.append(item)
    return out


def _communication(reader: _Reader, rows: list[tuple[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for number, row in rows:
        frequency: Any = row.get("frequency")
        rrule = _text(row, "rrule")
        if rrule and frequency in (None, "rrule"):
            frequency = {"rrule": rrule}
        elif frequency == "rrule":
            reader.problem(
                COMMUNICATION, number, _column(COMMUNICATION, "rrule"), _("定期沟通需要填写周期规则")
            )
        elif rrule:
            reader.problem(
                COMMUNICATION, number, _column(COMMUNICATION, "rrule"), _("频率不是“定期”时不填写周期规则")
            )
        item: dict[str, Any] = {
            "scenario": row.get("scenario"),
            "channel": row.get("channel"),
            "frequency": frequency,
            "outputs": row.get("outputs") or [],
            "owner": _text(row, "owner"),
            "admin": _text(row, "admin"),
        }
        if _keep(reader, COMMUNICATION, number, "communication", item):
            out.append(item)
    return out
