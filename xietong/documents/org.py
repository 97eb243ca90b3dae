"""Reading the organisation sheet: departments, their heads and people, from Excel.

One sheet (``组织架构``, else the first), a header row naming the columns
(姓名, 登录名, 邮箱, 电话, 部门, 角色 — or name, login, email, phone,
department, role), one person a row. ``read_org`` judges every row and
reports each bad cell with its sheet, row and column; storing is
``xietong.orgs.actions.do_import_org``, which takes only the good rows
(``OrgRow``, defined there: the organisation owns what it stores).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from xietong.documents.safety import WorkbookRefused, check_xlsx
from xietong.documents.workbook import Problem
from xietong.orgs.actions import OrgRole, OrgRow

SHEET = "组织架构"
HEADERS = ("姓名", "登录名", "邮箱", "电话", "部门", "角色")
# Each field and the headers that name it (case and spaces ignored).
_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "login": ("登录名", "账号", "login", "username"),
    "email": ("邮箱", "email"),
    "phone": ("电话", "phone"),
    "department": ("部门", "department"),
    "role": ("角色", "role"),
}
_MAX_LENGTH = {"name": 100, "login": 150, "email": 254, "phone": 40, "department": 100}
_DEFAULT_MAX_ROWS = 5000


_ROLES = {"部门负责人": OrgRole.HEAD, "负责人": OrgRole.HEAD, "head": OrgRole.HEAD, "成员": OrgRole.MEMBER}
_ROLES |= {"member": OrgRole.MEMBER, "": OrgRole.MEMBER}


@dataclass
class OrgRead:
    """What the sheet holds: its good rows and every problem found."""

    rows: list[OrgRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    bad_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total(self) -> int:
        return len(self.rows) + self.bad_rows


def template_bytes() -> bytes:
    """Return an empty organisation sheet with its header row, as .xlsx."""
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    sheet.append(["张三", "zhangsan", "zhangsan@example.com", "13800000000", "技术部", "部门负责人"])
    sheet.append(["李四", "lisi", "lisi@example.com", "", "技术部", "成员"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def read_org(source: IO[bytes] | Path) -> OrgRead:
    """Return the rows and problems of an organisation sheet.

    Raises ``WorkbookRefused`` when the file is not a readable workbook or
    its header row lacks the 登录名 column.
    """
    _check(source)
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise WorkbookRefused(_("无法读取 Excel 文件:%(error)s") % {"error": type(exc).__name__}) from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        return _read_rows(sheet.title, sheet.iter_rows(values_only=True))
    finally:
        book.close()


def _check(source: IO[bytes] | Path) -> None:
    """Refuse what is not a safe .xlsx before openpyxl opens it (the workbook reader's own check)."""
    check_xlsx(source)
    if not isinstance(source, Path):
        source.seek(0)


def _columns(header: Iterable[Any]) -> dict[str, int]:
    wanted = {alias.lower(): name for name, aliases in _FIELDS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = wanted.get(_cell(cell).replace(" ", "").lower())
        if name and name not in found:
            found[name] = index
    return found


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed as a number
    return str(value).strip()


def _read_rows(title: str, rows: Iterable[tuple[Any, ...]]) -> OrgRead:
    read = OrgRead()
    iterator = iter(rows)
    header = next(iterator, None)
    columns = _columns(header or ())
    if "login" not in columns:
        raise WorkbookRefused(
            _("%(sheet)s 的第 1 行应为表头,且含“登录名”列(%(headers)s)")
            % {"sheet": title, "headers": "、".join(HEADERS)}
        )
    limit = int(getattr(settings, "XIETONG_IMPORT_MAX_ROWS", _DEFAULT_MAX_ROWS))
    logins: set[str] = set()
    heads: dict[str, str] = {}
    for number, values in enumerate(iterator, start=2):
        cells = {name: _cell(values[i]) if i < len(values) else "" for name, i in columns.items()}
        if not any(cells.values()):
            continue
        if read.total >= limit:
            read.problems.append(Problem(title, number, None, _("行数超过上限 %(n)s") % {"n": limit}))
            break
        problems = _judge(title, number, cells, columns, logins, heads)
        if problems:
            read.problems.extend(problems)
            read.bad_rows += 1
            continue
        role = _ROLES[cells.get("role", "").lower()]
        read.rows.append(
            OrgRow(
                row=number,
                login=cells["login"],
                name=cells.get("name", ""),
                email=cells.get("email", ""),
                phone=cells.get("phone", ""),
                department=cells.get("department", ""),
                role=role,
            )
        )
        logins.add(cells["login"])
        if role == OrgRole.HEAD:
            heads[cells["department"]] = cells["login"]
    return read


def _judge(
    title: str,
    number: int,
    cells: dict[str, str],
    columns: dict[str, int],
    logins: set[str],
    heads: dict[str, str],
) -> list[Problem]:
    """Return the problems of one row (empty: the row is good)."""

    def at(name: str, reason: str) -> Problem:
        return Problem(title, number, get_column_letter(columns[name] + 1), reason)

    problems = [
        at(name, _("超过 %(n)s 个字符") % {"n": limit})
        for name, limit in _MAX_LENGTH.items()
        if len(cells.get(name, "")) > limit
    ]
    login = cells["login"]
    if not login:
        problems.append(at("login", _("缺少登录名")))
    else:
        try:
            UnicodeUsernameValidator()(login)
        except ValidationError:
            problems.append(at("login", _("登录名只能包含字母、数字和 @ . + - _")))
        if login in logins:
            problems.append(at("login", _("登录名 %(login)s 在表中重复") % {"login": login}))
    if cells.get("email"):
        try:
            validate_email(cells["email"])
        except ValidationError:
            problems.append(at("email", _("不是有效的邮箱地址")))
    role = cells.get("role", "").lower()
    if role not in _ROLES:
        problems.append(at("role", _("角色应为“部门负责人”或“成员”")))
    elif _ROLES[role] == OrgRole.HEAD:
        department = cells.get("department", "")
        if not department:
            problems.append(at("role", _("部门负责人须填写部门")))
        elif department in heads:
            problems.append(
                at(
                    "role",
                    _("%(department)s 已有负责人 %(login)s")
                    % {"department": department, "login": heads[department]},
                )
            )
    return problems
