"""What every directory source yields: departments and people, page by page.

A source reads its directory in pages and yields plain records; the sync
(``xietong.orgs.directory.sync``) compares them with the organisation and
applies the difference. Sources never touch the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


class DirectoryError(Exception):
    """The directory could not be read (unreachable, refused, malformed): nothing is changed."""


@dataclass(frozen=True)
class DirDepartment:
    external_id: str  # the directory's own id: a department renamed there is renamed here
    name: str
    parent_id: str = ""  # external id of the parent; "" for a top-level department


@dataclass(frozen=True)
class DirPerson:
    external_id: str  # the directory's own id (LDAP entryUUID or DN, WeCom/DingTalk userid, Feishu open_id)
    login: str  # the username they sign in with
    name: str
    email: str = ""
    mobile: str = ""
    employee_number: str = ""
    department_ids: tuple[str, ...] = ()  # external ids; the first is the main department
    leads: tuple[str, ...] = field(default=())  # external ids of departments this person heads


class Source(Protocol):
    """A company directory. ``name`` is a ``PersonSource`` value (ldap, wecom, dingtalk, feishu)."""

    name: str

    def departments(self) -> Iterator[DirDepartment]: ...

    def people(self) -> Iterator[DirPerson]: ...
