"""The LDAP / Active Directory source of the directory sync (docs/sign-in.md, "LDAP / Active Directory").

Departments are the organizational units under ``XIETONG_LDAP_DEPARTMENT_BASE``
(their parent is the unit above them in the DN); people are the entries
matching ``XIETONG_LDAP_PERSON_FILTER`` under ``XIETONG_LDAP_USER_BASE``.
Both are identified by ``entryUUID`` (``XIETONG_LDAP_ID_ATTR``; AD's binary
``objectGUID`` is read as a UUID), so a renamed or moved entry stays the
same department or person.

Everything is read with the paged results control (RFC 2696, page size
``XIETONG_LDAP_PAGE_SIZE``, 500): people are yielded page by page, so memory
is bounded by a page whatever the size of the directory. The departments
(a few thousand at most) are kept in one small index of DN, name and id, to
give a department its parent and a person their departments and the
departments they head (the department's ``manager`` attribute, AD's
``managedBy``, or the person's ``XIETONG_LDAP_LEADER_ATTR``).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ldap
from django.utils.translation import gettext as _
from ldap.controls import SimplePagedResultsControl

from xietong.lib.ldap_config import LdapConfig
from xietong.orgs.directory.base import DirDepartment, DirectoryError, DirPerson

log = logging.getLogger("xietong.directory")

Entry = tuple[str, dict[str, list[bytes]]]


def normal_dn(dn: str) -> str:
    """Return ``dn`` in one spelling (spaces, escapes and case of attribute names and values)."""
    try:
        return str(ldap.dn.dn2str(ldap.dn.str2dn(dn))).lower()
    except ldap.DECODING_ERROR:
        return dn.strip().lower()


def parent_dn(dn: str) -> str:
    parts = ldap.dn.str2dn(dn)
    return str(ldap.dn.dn2str(parts[1:])) if len(parts) > 1 else ""


def rdn_value(dn: str) -> str:
    return str(ldap.dn.str2dn(dn)[0][0][1])


@dataclass
class DepartmentIndex:
    """The departments by normalised DN, by name (names held once only) and the heads' DNs."""

    by_dn: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    headed_by: dict[str, list[str]] = field(default_factory=dict)  # person's normalised DN -> ids

    def add(self, dn: str, external_id: str, name: str, managers: list[str]) -> None:
        self.by_dn[normal_dn(dn)] = external_id
        self.ids.add(external_id)
        if name in self.by_name or name in self.ambiguous:
            self.by_name.pop(name, None)
            self.ambiguous.add(name)
        else:
            self.by_name[name] = external_id
        for manager in managers:
            self.headed_by.setdefault(normal_dn(manager), []).append(external_id)

    def resolve(self, value: str) -> str:
        """Return the id of the department ``value`` names (a DN, a name or an id), or ""."""
        value = value.strip()
        if "=" in value and ldap.dn.is_dn(value):
            return self.by_dn.get(normal_dn(value), "")
        if value in self.ids:
            return value
        return self.by_name.get(value, "")


class LdapSource:
    """Departments and people of an LDAP directory or Active Directory, read page by page."""

    name = "ldap"

    def __init__(self, config: LdapConfig) -> None:
        self.config = config
        self._index: DepartmentIndex | None = None
        self.pages_read = 0  # pages of search results read so far (the bench and the tests look)

    @classmethod
    def from_env(cls) -> LdapSource:
        config = LdapConfig.from_env()
        if config is None:
            raise DirectoryError(_("未配置 LDAP:请设置 XIETONG_LDAP_URL(见 docs/sign-in.md)"))
        return cls(config)

    # --- the Source protocol

    def departments(self) -> Iterator[DirDepartment]:
        """Yield every department under the department base, parents before their children."""
        index, rows = self._read_departments()
        self._index = index
        base = normal_dn(self.config.department_base)
        for dn, external_id, name in sorted(rows, key=lambda row: len(ldap.dn.str2dn(row[0]))):
            yield DirDepartment(
                external_id=external_id, name=name, parent_id=self._parent_id(index, dn, base)
            )

    def people(self) -> Iterator[DirPerson]:
        """Yield every person under the user base, one page of the directory in memory at a time."""
        cfg = self.config
        index = self._index
        if index is None:
            index, _rows = self._read_departments()
            self._index = index
        attrs = [
            cfg.id_attr,
            cfg.login_attr,
            *cfg.name_attrs,
            cfg.email_attr,
            cfg.phone_attr,
            cfg.employee_number_attr,
            cfg.department_attr,
        ]
        if cfg.leader_attr:
            attrs.append(cfg.leader_attr)
        for dn, entry in self._paged(cfg.user_base, cfg.person_filter, attrs):
            external_id = self._id(entry)
            login = _text(entry, cfg.login_attr).lower()
            if not external_id or not login:
                log.warning("LDAP entry %s skipped: no %s or %s", dn, cfg.id_attr, cfg.login_attr)
                continue
            departments = _unique(index.resolve(v) for v in _texts(entry, cfg.department_attr))
            leads = list(index.headed_by.get(normal_dn(dn), []))
            if cfg.leader_attr:
                leads.extend(index.resolve(v) for v in _texts(entry, cfg.leader_attr))
            name = next((_text(entry, a) for a in cfg.name_attrs if _text(entry, a)), login)
            yield DirPerson(
                external_id=external_id,
                login=login,
                name=name,
                email=_text(entry, cfg.email_attr),
                mobile=_text(entry, cfg.phone_attr),
                employee_number=_text(entry, cfg.employee_number_attr),
                department_ids=departments,
                leads=_unique(leads),
            )

    # --- reading

    def _read_departments(self) -> tuple[DepartmentIndex, list[tuple[str, str, str]]]:
        cfg = self.config
        index = DepartmentIndex()
        rows: list[tuple[str, str, str]] = []
        if not cfg.department_base:
            return index, rows
        base = normal_dn(cfg.department_base)
        attrs = [cfg.id_attr, cfg.manager_attr]
        for dn, entry in self._paged(cfg.department_base, cfg.department_filter, attrs):
            if normal_dn(dn) == base:
                continue  # the container of the departments is not one
            external_id = self._id(entry)
            if not external_id:
                log.warning("LDAP department %s skipped: no %s", dn, cfg.id_attr)
                continue
            name = rdn_value(dn)
            index.add(dn, external_id, name, _texts(entry, cfg.manager_attr))
            rows.append((dn, external_id, name))
        return index, rows

    def _parent_id(self, index: DepartmentIndex, dn: str, base: str) -> str:
        """Return the id of the nearest department above ``dn`` (units that are not departments are skipped)."""
        parent = parent_dn(dn)
        while parent and normal_dn(parent) != base:
            found = index.by_dn.get(normal_dn(parent))
            if found:
                return found
            parent = parent_dn(parent)
        return ""

    def _id(self, entry: dict[str, list[bytes]]) -> str:
        values = _get(entry, self.config.id_attr)
        return entry_id(values[0], self.config.id_attr) if values else ""

    def _connect(self) -> Any:
        cfg = self.config
        try:
            conn = ldap.initialize(cfg.url, bytes_mode=False)
            conn.set_option(ldap.OPT_NETWORK_TIMEOUT, cfg.timeout)
            conn.set_option(ldap.OPT_TIMEOUT, cfg.timeout)
            conn.set_option(ldap.OPT_REFERRALS, 0)
            if cfg.start_tls:
                conn.start_tls_s()
            conn.simple_bind_s(cfg.bind_dn, cfg.bind_password)
        except ldap.LDAPError as exc:
            raise self._error(exc) from None
        return conn

    def _paged(self, base: str, query: str, attrs: list[str]) -> Iterator[Entry]:
        """Yield the entries under ``base`` matching ``query``, one page of the directory at a time."""
        conn = self._connect()
        control = SimplePagedResultsControl(True, size=self.config.page_size, cookie="")
        try:
            while True:
                try:
                    msgid = conn.search_ext(base, ldap.SCOPE_SUBTREE, query, attrs, serverctrls=[control])
                    _type, entries, _msgid, controls = conn.result3(msgid)
                except ldap.LDAPError as exc:
                    raise self._error(exc) from None
                self.pages_read += 1
                for dn, entry in entries:
                    if dn:  # search references (AD's referrals to other domains) have none
                        yield dn, entry
                page = next(
                    (c for c in controls if c.controlType == SimplePagedResultsControl.controlType), None
                )
                if page is None or not page.cookie:
                    return
                control.cookie = page.cookie
        finally:
            with contextlib.suppress(ldap.LDAPError):
                conn.unbind_s()

    def _error(self, exc: ldap.LDAPError) -> DirectoryError:
        info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
        reason = " ".join(str(info.get(key, "")) for key in ("desc", "info")).strip() or repr(exc)
        return DirectoryError(
            _("无法读取 LDAP 目录 %(url)s:%(reason)s") % {"url": self.config.url, "reason": reason}
        )


def entry_id(raw: bytes | str, attr: str) -> str:
    """Return an entry's id as text: ``entryUUID`` as it is, AD's binary ``objectGUID`` as a UUID."""
    if isinstance(raw, bytes):
        if attr.lower() == "objectguid" and len(raw) == 16:
            return str(uuid.UUID(bytes_le=raw))
        return raw.decode("utf-8", "replace").strip()
    return raw.strip()


def _get(entry: dict[str, list[bytes]], name: str) -> list[bytes]:
    if not name:
        return []
    # Attribute names are case-insensitive; servers answer in their own spelling.
    for key, values in entry.items():
        if key.lower() == name.lower():
            return values
    return []


def _texts(entry: dict[str, list[bytes]], name: str) -> list[str]:
    return [v.decode("utf-8", "replace").strip() for v in _get(entry, name)]


def _text(entry: dict[str, list[bytes]], name: str) -> str:
    values = _texts(entry, name)
    return values[0] if values else ""


def _unique(values: Any) -> tuple[str, ...]:
    """Return the non-empty values, first occurrence kept, in order."""
    return tuple(dict.fromkeys(v for v in values if v))
