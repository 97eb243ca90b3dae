"""Sign-in with the directory password (LDAP / Active Directory), through django-auth-ldap.

``LdapBackend`` sits after axes and before the local passwords in
``AUTHENTICATION_BACKENDS`` when ``XIETONG_LDAP_URL`` is set
(docs/sign-in.md, "LDAP / Active Directory"). django-auth-ldap finds the entry (``USER_SEARCH``)
and binds with the typed password; this module decides who that is here:

- the person the directory sync created for this entry (its id, ``entryUUID``),
  else the person with that login, else the one person with that e-mail
  (case-insensitive, exactly one match, never a superuser), else a new person;
- a deactivated person is refused even with the right directory password;
- their name, e-mail, phone and employee number, cut to the columns' lengths,
  and their department from ``XIETONG_LDAP_DEPARTMENT_ATTR``; staff from the
  staff group (a superuser keeps staff);
- a linked local account loses its local password: the directory's is the
  one that counts from then on.

Every change to the person is recorded in the audit log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import ldap
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_auth_ldap.backend import LDAPBackend, ldap_error, populate_user
from ldap.filter import escape_filter_chars

from xietong.audit.record import record, state_of
from xietong.lib.ldap_config import LdapConfig
from xietong.lib.limits import limit_of
from xietong.orgs.directory.ldap import entry_id, normal_dn
from xietong.orgs.models import Department, Person, PersonSource

log = logging.getLogger("xietong.ldap")

CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def config() -> LdapConfig:
    value = settings.XIETONG_LDAP
    assert value is not None, "LdapBackend is only installed when XIETONG_LDAP_URL is set"
    return value


def first(attrs: Any, name: str) -> str:
    """Return the first value of attribute ``name`` in a django-auth-ldap attribute dict, or ""."""
    if not name or attrs is None:
        return ""
    values = attrs.get(name) or []
    if not values:
        return ""
    value = values[0]  # bytes when it is not UTF-8 (django-auth-ldap leaves those undecoded)
    return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()


def fit(model: type[Person] | type[Department], field: str, value: str) -> str:
    """Return ``value`` without control characters, cut to the column's length."""
    return CONTROL.sub("", value).strip()[: limit_of(model, field)]


class LdapBackend(LDAPBackend):
    """django-auth-ldap's backend, linking the directory's entries to the organisation's people."""

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[Person, bool]:
        person = find_person(username, ldap_user.attrs)
        if person is None:
            return Person(username=fit(Person, "username", username.lower())), True
        if not person.is_active:
            # Caught by django-auth-ldap: the attempt fails like a wrong password (and axes counts it).
            raise ldap_user.AuthenticationFailed("the person is deactivated")
        if person.is_superuser and person.source != PersonSource.LDAP:
            # A directory entry that happens to share a local administrator's login must not
            # take that account over: the administrator keeps signing in with the local password.
            raise ldap_user.AuthenticationFailed("a local administrator is never linked to the directory")
        person._ldap_before = state_of(person)  # type: ignore[attr-defined]
        return person, False

    def authenticate_ldap_user(self, ldap_user: Any, password: str) -> Person | None:
        # No transaction around it: it would hold the database's write lock during the binds.
        person: Person | None = super().authenticate_ldap_user(ldap_user, password)
        if person is not None:
            before = getattr(person, "_ldap_before", None)
            reason = _("LDAP 登录") if before is not None else _("LDAP 首次登录")
            record(person, before, actor=person, collaboration=None, reason=reason)
        return person


def find_person(username: str, attrs: Any) -> Person | None:
    """Return the person this directory entry is: by directory id, then login, then a unique e-mail."""
    cfg = config()
    external_id = person_id(attrs)
    if external_id:
        found = Person.objects.filter(source=PersonSource.LDAP, external_id=external_id).first()
        if found is not None:
            return found
    found = Person.objects.filter(username__iexact=username).first()
    if found is not None:
        return found
    email = first(attrs, cfg.email_attr)
    if email:
        matches = list(Person.objects.filter(email__iexact=email, is_superuser=False)[:2])
        if len(matches) == 1:
            return matches[0]
    return None


def person_id(attrs: Any) -> str:
    """Return the entry's directory id (``entryUUID``, AD's ``objectGUID``), or ""."""
    name = config().id_attr
    values = (attrs or {}).get(name) or []
    return entry_id(values[0], name) if values else ""


def _fill_person(sender: Any, user: Person, ldap_user: Any, **kwargs: Any) -> None:
    """Copy the directory's attributes onto the person before django-auth-ldap saves it."""
    cfg = config()
    attrs = ldap_user.attrs
    name = next((first(attrs, attr) for attr in cfg.name_attrs if first(attrs, attr)), "")
    if name:
        user.display_name = fit(Person, "display_name", name)
    email = first(attrs, cfg.email_attr)
    if email:
        user.email = fit(Person, "email", email)
    phone = first(attrs, cfg.phone_attr)
    if phone:
        user.phone = fit(Person, "phone", phone)
    number = fit(Person, "employee_number", first(attrs, cfg.employee_number_attr))
    if number and not Person.objects.filter(employee_number=number).exclude(pk=user.pk).exists():
        user.employee_number = number
    external_id = fit(Person, "external_id", person_id(attrs))
    taken = Person.objects.filter(source=PersonSource.LDAP, external_id=external_id).exclude(pk=user.pk)
    if external_id and not taken.exists():
        user.external_id = external_id
    user.source = PersonSource.LDAP
    if user.has_usable_password():
        user.set_unusable_password()  # the directory password is the one that counts now
    if user.is_superuser:
        user.is_staff = True  # the staff group never takes the admin away from an administrator
    department = department_for(ldap_user)
    if department is not None:
        user.department = department


def department_for(ldap_user: Any) -> Department | None:
    """Return the department the entry's department attribute names (None: leave it as it is).

    The value is a name (``ou: 技术部``) or a DN. With ``XIETONG_LDAP_DEPARTMENT_BASE``
    the department is looked up in the directory: a department the sync made
    is found by its id; a name the directory does not have is ignored (a
    person who may edit their own entry cannot make departments up).
    Without it a department is found by name, or made with a name of at most
    the column's length.
    """
    cfg = config()
    value = first(ldap_user.attrs, cfg.department_attr)
    if not value:
        return None
    dn = value if _is_dn(value) else ""
    name = CONTROL.sub("", ldap.dn.str2dn(dn)[0][0][1] if dn else value).strip()
    if not name or len(name) > limit_of(Department, "name"):
        # Never a department named by whatever a directory entry holds: the name's limit applies.
        log.warning("LDAP department %r of %s ignored: empty or too long", value[:120], ldap_user.dn)
        return None
    external_id = ""
    if cfg.department_base:
        external_id = _directory_department(ldap_user, cfg, name, dn)
        if not external_id:
            log.warning("LDAP department %r of %s is not under %s", name, ldap_user.dn, cfg.department_base)
            return None
        found = Department.objects.filter(source=PersonSource.LDAP, external_id=external_id).first()
        if found is not None:
            return found
    department = Department.objects.filter(name=name).first()
    if department is not None:
        return department
    department = Department.objects.create(
        name=name, source=PersonSource.LDAP if external_id else "local", external_id=external_id
    )
    record(department, None, actor=None, collaboration=None, reason=_("LDAP 首次登录"))
    return department


def _is_dn(value: str) -> bool:
    return "=" in value and ldap.dn.is_dn(value)


def _directory_department(ldap_user: Any, cfg: LdapConfig, name: str, dn: str) -> str:
    """Return the id of the department entry named ``name`` (or at ``dn``) under the department base, or ""."""
    conn = ldap_user.connection
    try:
        if dn:
            if not normal_dn(dn).endswith("," + normal_dn(cfg.department_base)):
                return ""
            results = conn.search_s(dn, ldap.SCOPE_BASE, cfg.department_filter, [cfg.id_attr])
        else:
            query = f"(&{cfg.department_filter}(ou={escape_filter_chars(name)}))"
            results = conn.search_s(cfg.department_base, ldap.SCOPE_SUBTREE, query, [cfg.id_attr])
    except ldap.NO_SUCH_OBJECT:
        return ""
    entries = [attrs for entry_dn, attrs in results if entry_dn]
    if len(entries) != 1 or not entries[0].get(cfg.id_attr):
        return ""
    return entry_id(entries[0][cfg.id_attr][0], cfg.id_attr)


def _directory_unreachable(
    sender: Any, context: str, user: Any, request: HttpRequest | None, exception: Exception, **kwargs: Any
) -> None:
    """Note that the directory, not the password, failed (told only if no other backend signs them in)."""
    log.warning("LDAP %s failed: %s", context, exception)
    if request is not None:
        request._xietong_ldap_failed = True  # type: ignore[attr-defined]


def _sign_in_failed(sender: Any, credentials: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Tell the person on the login page that the directory could not be asked."""
    if getattr(request, "_xietong_ldap_failed", False) and hasattr(request, "_messages"):
        assert request is not None
        messages.error(request, _("暂时无法连接目录服务(LDAP),请稍后再试;如持续出现请联系管理员。"))


populate_user.connect(_fill_person, sender=LdapBackend, dispatch_uid="xietong.orgs.ldap_backend.fill")
ldap_error.connect(_directory_unreachable, sender=LdapBackend, dispatch_uid="xietong.orgs.ldap_backend.error")
user_login_failed.connect(_sign_in_failed, dispatch_uid="xietong.orgs.ldap_backend.failed")
