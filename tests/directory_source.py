"""In-process directory sources for the sync tests and the benchmark: plain lists, and a generated company."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from xietong.orgs.directory.base import DirDepartment, DirectoryError, DirPerson


@dataclass
class ListSource:
    """A directory given as lists; ``fail_after`` people raises ``DirectoryError`` mid-read."""

    departments_list: list[DirDepartment] = field(default_factory=list)
    people_list: list[DirPerson] = field(default_factory=list)
    name: str = "wecom"
    fail_after: int | None = None

    def departments(self) -> Iterator[DirDepartment]:
        yield from self.departments_list

    def people(self) -> Iterator[DirPerson]:
        for n, person in enumerate(self.people_list):
            if self.fail_after is not None and n == self.fail_after:
                raise DirectoryError("the directory stopped answering")
            yield person


@dataclass
class GeneratedSource:
    """A company of ``departments`` departments (a tree ten wide) and ``people`` people, made on the fly.

    Nothing is held: each read generates the same records again, as a paged
    source would fetch them. Every department's first person leads it.
    """

    departments_count: int = 2000
    people_count: int = 20000
    name: str = "dingtalk"
    renamed: int = 0  # how many departments carry a changed name (a second sync with changes)

    def departments(self) -> Iterator[DirDepartment]:
        for n in range(self.departments_count):
            parent = "" if n < 10 else f"d{(n - 10) // 10}"
            name = f"部门{n}" + ("-新" if n < self.renamed else "")
            yield DirDepartment(f"d{n}", name, parent)

    def people(self) -> Iterator[DirPerson]:
        per = max(1, self.people_count // self.departments_count)
        for n in range(self.people_count):
            dept = f"d{(n // per) % self.departments_count}"
            yield DirPerson(
                external_id=f"u{n}",
                login=f"user{n}",
                name=f"员工{n}",
                email=f"user{n}@example.com",
                mobile=f"138{n:08d}",
                employee_number=f"E{n:06d}",
                department_ids=(dept,),
                leads=(dept,) if n % per == 0 else (),
            )
