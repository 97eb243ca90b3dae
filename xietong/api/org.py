"""The organisation: departments and people (any signed-in person may read them), and who you are."""

# No `from __future__ import annotations`: ninja reads the views' annotations at run time.

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from xietong.api.auth import caller
from xietong.api.errors import INVALID, responses
from xietong.api.pagination import Pages
from xietong.api.schemas import DepartmentOut, DepartmentRef, MeOut, PersonOut, PersonRef, SearchText
from xietong.orgs.models import Department, Person

router = Router(tags=["organisation"])


def _department_ref(department: Department | None) -> DepartmentRef | None:
    return DepartmentRef(id=department.pk, name=department.name) if department else None


def _departments(rows: list[Department]) -> list[DepartmentOut]:
    return [
        DepartmentOut(
            id=d.pk, name=d.name, head=PersonRef(id=d.head.pk, name=d.head.name) if d.head else None
        )
        for d in rows
    ]


def _people(rows: list[Person]) -> list[PersonOut]:
    return [
        PersonOut(id=p.pk, username=p.username, name=p.name, department=_department_ref(p.department))
        for p in rows
    ]


@router.get("/departments", response=responses({200: list[DepartmentOut]}, INVALID))
@paginate(Pages, present=_departments)
def list_departments(request: HttpRequest, q: Query[SearchText | None] = None) -> QuerySet[Department]:
    """Every department, by name; `q` finds names containing it."""
    rows = Department.objects.select_related("head").order_by("name", "id")
    return rows.filter(name__icontains=q) if q else rows


@router.get("/people", response=responses({200: list[PersonOut]}, INVALID))
@paginate(Pages, present=_people)
def list_people(request: HttpRequest, q: Query[SearchText | None] = None) -> QuerySet[Person]:
    """Active people, by name; `q` finds a name, username or department containing it."""
    rows = Person.objects.filter(is_active=True).select_related("department").order_by("display_name", "id")
    if q:
        rows = rows.filter(
            Q(display_name__icontains=q) | Q(username__icontains=q) | Q(department__name__icontains=q)
        )
    return rows


@router.get("/me", response=responses({200: MeOut}))
def me(request: HttpRequest) -> MeOut:
    """The person this request acts for."""
    person = caller(request)
    return MeOut(
        id=person.pk,
        username=person.username,
        name=person.name,
        department=_department_ref(person.department),
        language=person.language,
        is_admin=person.is_superuser,
    )
