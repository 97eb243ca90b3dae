"""LDAP / Active Directory settings, read from the environment (docs/sign-in.md, "LDAP / Active Directory").

``LdapConfig.from_env()`` is None unless ``XIETONG_LDAP_URL`` is set; then
the settings module hands ``auth_ldap_settings(config)`` to django-auth-ldap
(its ``AUTH_LDAP_*`` settings) and the directory source reads the same
config. python-ldap (the ``ldap`` extra, a C extension) is imported only
when LDAP is configured: a plain install never needs its headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from xietong.lib.env import env_bool, env_int, env_list, env_str

GROUP_TYPES = ("groupOfNames", "groupOfUniqueNames", "activeDirectory")
MISSING_EXTRA = (
    "XIETONG_LDAP_URL is set but python-ldap and django-auth-ldap are not installed: "
    "pip install 'xietong[ldap]' (building python-ldap needs apt-get install libldap2-dev libsasl2-dev)"
)


@dataclass(frozen=True)
class LdapConfig:
    url: str
    user_base: str
    bind_dn: str = ""
    bind_password: str = ""
    # %(user)s is the login typed on the sign-in page (escaped by django-auth-ldap).
    user_filter: str = "(uid=%(user)s)"
    start_tls: bool = False
    # The person's attribute naming their department: a name (ou: 技术部) or a DN.
    department_attr: str = "ou"
    # Where the departments (organizational units) are; "" means none are read from the directory.
    department_base: str = ""
    department_filter: str = "(objectClass=organizationalUnit)"
    # A department's attribute holding its head's DN (AD: managedBy).
    manager_attr: str = "manager"
    # Optional person attribute naming the departments they head (names or DNs).
    leader_attr: str = ""
    staff_group: str = ""
    group_base: str = ""
    group_type: str = "groupOfNames"
    # The directory's own id of an entry (AD: objectGUID).
    id_attr: str = "entryUUID"
    login_attr: str = "uid"
    name_attrs: tuple[str, ...] = ("displayName", "cn")
    email_attr: str = "mail"
    phone_attr: str = "mobile"
    employee_number_attr: str = "employeeNumber"
    person_filter: str = "(objectClass=inetOrgPerson)"
    page_size: int = 500
    timeout: int = 10

    @classmethod
    def from_env(cls) -> LdapConfig | None:
        """Return the configuration from ``XIETONG_LDAP_*``, or None when ``XIETONG_LDAP_URL`` is unset."""
        url = env_str("XIETONG_LDAP_URL", "")
        if not url:
            return None
        group_type = env_str("XIETONG_LDAP_GROUP_TYPE", cls.group_type)
        if group_type not in GROUP_TYPES:
            raise ImproperlyConfigured(
                f"environment variable XIETONG_LDAP_GROUP_TYPE={group_type!r} is not one of {', '.join(GROUP_TYPES)}"
            )
        user_filter = env_str("XIETONG_LDAP_USER_FILTER", cls.user_filter)
        if "%(user)s" not in user_filter:
            raise ImproperlyConfigured(
                f"environment variable XIETONG_LDAP_USER_FILTER={user_filter!r} must contain %(user)s"
            )
        return cls(
            url=url,
            user_base=env_str("XIETONG_LDAP_USER_BASE"),
            bind_dn=env_str("XIETONG_LDAP_BIND_DN", ""),
            bind_password=env_str("XIETONG_LDAP_BIND_PASSWORD", ""),
            user_filter=user_filter,
            start_tls=env_bool("XIETONG_LDAP_START_TLS", False),
            department_attr=env_str("XIETONG_LDAP_DEPARTMENT_ATTR", cls.department_attr),
            department_base=env_str("XIETONG_LDAP_DEPARTMENT_BASE", ""),
            department_filter=env_str("XIETONG_LDAP_DEPARTMENT_FILTER", cls.department_filter),
            manager_attr=env_str("XIETONG_LDAP_MANAGER_ATTR", cls.manager_attr),
            leader_attr=env_str("XIETONG_LDAP_LEADER_ATTR", ""),
            staff_group=env_str("XIETONG_LDAP_STAFF_GROUP", ""),
            group_base=env_str("XIETONG_LDAP_GROUP_BASE", ""),
            group_type=group_type,
            id_attr=env_str("XIETONG_LDAP_ID_ATTR", cls.id_attr),
            login_attr=env_str("XIETONG_LDAP_LOGIN_ATTR", cls.login_attr),
            name_attrs=tuple(env_list("XIETONG_LDAP_NAME_ATTRS", list(cls.name_attrs))),
            email_attr=env_str("XIETONG_LDAP_EMAIL_ATTR", cls.email_attr),
            phone_attr=env_str("XIETONG_LDAP_PHONE_ATTR", cls.phone_attr),
            employee_number_attr=env_str("XIETONG_LDAP_EMPLOYEE_NUMBER_ATTR", cls.employee_number_attr),
            person_filter=env_str("XIETONG_LDAP_PERSON_FILTER", cls.person_filter),
            page_size=env_int("XIETONG_LDAP_PAGE_SIZE", cls.page_size, minimum=1),
            timeout=env_int("XIETONG_LDAP_TIMEOUT", cls.timeout, minimum=1),
        )


def import_ldap() -> Any:
    """Return the ``ldap`` module, or raise ImproperlyConfigured naming the extra to install."""
    try:
        import ldap  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ImproperlyConfigured(MISSING_EXTRA) from None
    return ldap


def auth_ldap_settings(config: LdapConfig) -> dict[str, Any]:
    """Return django-auth-ldap's ``AUTH_LDAP_*`` settings for ``config``."""
    ldap = import_ldap()
    try:
        from django_auth_ldap import config as auth_config  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise ImproperlyConfigured(MISSING_EXTRA) from None
    group_type = {
        "groupOfNames": auth_config.GroupOfNamesType,
        "groupOfUniqueNames": auth_config.GroupOfUniqueNamesType,
        "activeDirectory": auth_config.NestedActiveDirectoryGroupType,
    }[config.group_type]()
    group_base = config.group_base or (
        config.staff_group.split(",", 1)[1] if "," in config.staff_group else ""
    )
    result: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": config.url,
        "AUTH_LDAP_BIND_DN": config.bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": config.bind_password,
        "AUTH_LDAP_START_TLS": config.start_tls,
        # The id attribute is operational (entryUUID): ask for it beside the ordinary ones.
        "AUTH_LDAP_USER_SEARCH": auth_config.LDAPSearch(
            config.user_base, ldap.SCOPE_SUBTREE, config.user_filter, ["*", config.id_attr]
        ),
        "AUTH_LDAP_USER_ATTRLIST": ["*", config.id_attr],
        # The backend fills the person itself (xietong.orgs.ldap_backend): names, limits, department.
        "AUTH_LDAP_USER_ATTR_MAP": {},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: config.timeout,
            ldap.OPT_TIMEOUT: config.timeout,
            ldap.OPT_REFERRALS: 0,  # Active Directory: do not chase referrals to other domains
        },
        "AUTH_LDAP_USER_FLAGS_BY_GROUP": {},
    }
    if config.staff_group:
        result["AUTH_LDAP_GROUP_TYPE"] = group_type
        result["AUTH_LDAP_GROUP_SEARCH"] = auth_config.LDAPSearch(group_base, ldap.SCOPE_SUBTREE)
        result["AUTH_LDAP_USER_FLAGS_BY_GROUP"] = {"is_staff": config.staff_group}
    return result
