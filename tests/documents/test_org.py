"""The organisation import: the sheet reader, the action, the page and the command."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from tests.conftest import make_person
from tests.helpers import signed_in
from tests.test_security import inline_code
from xietong.documents.org import HEADERS, SHEET, read_org
from xietong.orgs.actions import do_import_org
from xietong.orgs.models import Department, Person

GOOD = [
    ("张三", "zhangsan", "zs@example.com", "13800000000", "技术部", "部门负责人"),
    ("李四", "lisi", "ls@example.com", 13900000000, "技术部", "成员"),
    ("王五", "wangwu", "", "", "客服部", ""),
]


@pytest.fixture(autouse=True)
def _staging_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path


def sheet(rows: list[tuple[Any, ...]], headers: tuple[str, ...] = HEADERS) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = SHEET
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_creates_departments_heads_and_people() -> None:
    read = read_org(BytesIO(sheet(GOOD)))
    assert read.ok and len(read.rows) == 3
    done = do_import_org(read.rows)
    assert (done.departments_created, done.people_created, done.heads_set) == (2, 3, 1)
    tech = Department.objects.get(name="技术部")
    assert tech.head is not None and tech.head.username == "zhangsan"
    lisi = Person.objects.get(username="lisi")
    assert (lisi.display_name, lisi.email, lisi.phone, lisi.department) == (
        "李四",
        "ls@example.com",
        "13900000000",
        tech,
    )
    assert not lisi.has_usable_password()


@pytest.mark.django_db
def test_a_second_import_updates_people_by_login_without_duplicating() -> None:
    do_import_org(read_org(BytesIO(sheet(GOOD))).rows)
    changed = [("李四", "lisi", "new@example.com", "", "客服部", "成员")]
    done = do_import_org(read_org(BytesIO(sheet(changed))).rows)
    assert (done.people_created, done.people_updated, done.departments_created) == (0, 1, 0)
    assert Person.objects.filter(username="lisi").count() == 1
    lisi = Person.objects.get(username="lisi")
    assert lisi.email == "new@example.com"
    assert lisi.phone == "13900000000"  # an empty cell keeps what was there
    assert lisi.department is not None and lisi.department.name == "客服部"


@pytest.mark.django_db
def test_it_updates_an_existing_account_and_keeps_its_password() -> None:
    existing = make_person("zhangsan")
    do_import_org(read_org(BytesIO(sheet(GOOD[:1]))).rows)
    existing.refresh_from_db()
    assert existing.display_name == "张三" and existing.has_usable_password()
    assert Person.objects.filter(username="zhangsan").count() == 1


def test_it_reports_every_bad_row_with_sheet_row_and_column() -> None:
    rows = [
        *GOOD,
        ("无名", "", "", "", "技术部", "成员"),  # row 5: no login
        ("坏邮箱", "bad", "not-an-email", "", "技术部", "成员"),  # row 6
        ("重复", "lisi", "", "", "技术部", "成员"),  # row 7: login twice
        ("第二负责人", "second", "", "", "技术部", "部门负责人"),  # row 8: 技术部 has a head
        ("怪角色", "odd", "", "", "技术部", "老板"),  # row 9
        ("无部门负责人", "nodept", "", "", "", "部门负责人"),  # row 10
    ]
    read = read_org(BytesIO(sheet(rows)))
    assert not read.ok and len(read.rows) == 3 and read.bad_rows == 6
    where = {(p.sheet, p.row, p.column) for p in read.problems}
    assert where == {
        (SHEET, 5, "B"),
        (SHEET, 6, "C"),
        (SHEET, 7, "B"),
        (SHEET, 8, "F"),
        (SHEET, 9, "F"),
        (SHEET, 10, "F"),
    }
    assert str(read.problems[0]).startswith(f"{SHEET}!B")


def test_it_finds_columns_by_header_in_any_order_and_refuses_a_sheet_without_logins() -> None:
    read = read_org(BytesIO(sheet([("zhaoliu", "赵六")], headers=("login", "name"))))
    assert read.ok and read.rows[0].name == "赵六"
    from xietong.documents.safety import WorkbookRefused

    with pytest.raises(WorkbookRefused):
        read_org(BytesIO(sheet([("赵六",)], headers=("姓名",))))
    with pytest.raises(WorkbookRefused):
        read_org(BytesIO(b"not a workbook"))


# --- the page


@pytest.mark.django_db
def test_only_staff_who_manage_people_may_open_the_page(admin_user: Person, outsider: Person) -> None:
    url = reverse("documents:org_import")
    assert signed_in(outsider).get(url).status_code == 403
    staff = make_person("staff", is_staff=True)
    assert signed_in(staff).get(url).status_code == 403  # staff, but without the people permissions
    assert Client().get(url).status_code == 302
    page = signed_in(admin_user).get(url)
    assert page.status_code == 200
    assert inline_code(page.content.decode()) == []
    assert signed_in(outsider).post(reverse("documents:org_import_confirm"), {}).status_code == 403
    assert signed_in(admin_user).get(reverse("documents:org_template")).status_code == 200


@pytest.mark.django_db
def test_the_page_previews_problems_and_imports_only_when_asked(admin_user: Person) -> None:
    client = signed_in(admin_user)
    bad = [*GOOD, ("坏邮箱", "bad", "not-an-email", "", "技术部", "成员")]
    upload = SimpleUploadedFile("org.xlsx", sheet(bad))
    preview = client.post(reverse("documents:org_import"), {"file": upload})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert SHEET in html and "不是有效的邮箱地址" in html
    assert inline_code(html) == []
    assert Person.objects.filter(username="zhangsan").count() == 0
    token = preview.context["token"]
    refused = client.post(reverse("documents:org_import_confirm"), {"token": token, "choice": "all"})
    assert refused.status_code == 200 and Person.objects.filter(username="zhangsan").count() == 0
    done = client.post(reverse("documents:org_import_confirm"), {"token": token, "choice": "valid"})
    assert done.status_code == 200 and done.context["done"].people_created == 3
    assert not Person.objects.filter(username="bad").exists()


# --- the command


@pytest.mark.django_db
def test_the_command_imports_or_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(sheet([*GOOD, ("无名", "", "", "", "技术部", "成员")]))
    with pytest.raises(SystemExit) as exit_:
        call_command("import_org", str(bad))
    assert exit_.value.code == 2
    assert f"{SHEET}!B5" in capsys.readouterr().err
    assert not Person.objects.filter(username="zhangsan").exists()
    call_command("import_org", str(bad), "--valid-rows")
    assert Person.objects.filter(username="zhangsan").exists()
    good = tmp_path / "good.xlsx"
    good.write_bytes(sheet(GOOD))
    call_command("import_org", str(good))
    assert Person.objects.filter(username__in=["zhangsan", "lisi", "wangwu"]).count() == 3
