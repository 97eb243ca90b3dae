"""Settings, read from the environment (see docs/configuration.md).

Embedded default: no ``DATABASE_URL`` means SQLite in WAL mode inside the data
folder ``XIETONG_DATA`` (default ``./var``), with a secret key generated once
and kept in that folder. With ``DATABASE_URL`` (production, PostgreSQL) the
``SECRET_KEY`` must be given: a server never invents its own secret silently.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from xietong.lib.env import env_bool, env_int, env_list, env_str
from xietong.lib.netguard import parse_allow_list, parse_proxy
from xietong.lib.slaclock import WorkingDay

# Lets admin and generic classes be subscripted (ModelAdmin[Task]) at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("XIETONG_DATA", str(Path.cwd() / "var"))).resolve()

DATABASE_URL = env_str("DATABASE_URL", "")
EMBEDDED = not DATABASE_URL
DEBUG = env_bool("XIETONG_DEBUG", False)
# Production mode (secure cookies, HSTS, a strong key): on with a real database,
# or with XIETONG_SECURE=1 in front of the embedded one. XIETONG_SECURE=0 turns
# it off explicitly, for a trial over plain HTTP (`check --deploy` then warns).
XIETONG_SECURE = env_bool("XIETONG_SECURE", not EMBEDDED)


def _secret_key() -> str:
    given = env_str("SECRET_KEY", "")
    if given:
        if XIETONG_SECURE and _weak(given):
            # The key itself is never printed: error output ends up in logs.
            raise ImproperlyConfigured(
                "SECRET_KEY is too weak for production: use at least 32 random characters, e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return given
    if not EMBEDDED:
        raise ImproperlyConfigured("SECRET_KEY is required when DATABASE_URL is set")
    # Embedded default: one key per data folder, kept across restarts so that
    # sessions survive them.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _weak(key: str) -> bool:
    """Return whether a secret key is short, repetitive or Django's placeholder."""
    return len(key) < 32 or len(set(key)) < 5 or key.startswith("django-insecure-")


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("XIETONG_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("XIETONG_CSRF_TRUSTED_ORIGINS", [])
# Public address of the site, used in links that leave the site (mails, robots).
SITE_URL = env_str("XIETONG_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves Swagger UI for /api/docs from its static files (no CDN)
    "csp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "xietong.orgs",
    "xietong.collabs",
    "xietong.meetings",
    "xietong.tracking",
    "xietong.dashboards",
    "xietong.audit",
    "xietong.notify",
    "xietong.discuss",  # comments and @mentions on a collaboration's rows, over notify
    # above collabs, meetings, tracking and notify: a charter (and the demo) spans them all
    "xietong.charter",
    "xietong.documents",
    "xietong.api",
    "xietong.commands",  # run, smart: commands of no single concern
    "xietong.bench",
    "xietong.ops",  # backup and restore, health, metrics (docs/operations.md)
    # Company sign-in (docs/sign-in.md): django-allauth, its social accounts and MFA; xietong.signin
    # holds the settings adapters, the WeCom provider and DingTalk / Feishu with configurable hosts.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "xietong.signin",
]

MIDDLEWARE = [
    # first: the request id, the per-request metrics and (XIETONG_LOG_FORMAT=json) the request's log line
    "xietong.lib.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xietong.orgs.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",  # company sign-in (docs/sign-in.md)
    "xietong.signin.middleware.RequireStaffMfaMiddleware",  # XIETONG_REQUIRE_MFA_FOR_STAFF
    "xietong.signin.middleware.SigninFormActionMiddleware",  # CSP form-action: the providers' pages
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes asks: it turns a refused login into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xietong.urls"
WSGI_APPLICATION = "xietong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "xietong.notify.context_processors.inbox",
                "xietong.orgs.context_processors.org",
            ],
        },
    },
    {
        # The hot parts of long pages (rows by the hundred): xietong/lib/jinja.py, docs/performance.md.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "xietong.lib.jinja.environment"},
    },
]

DATABASES: dict[str, Any]
if EMBEDDED:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "xietong.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while the worker writes;
                # IMMEDIATE takes the write lock at BEGIN so concurrent writers
                # wait (busy timeout) instead of failing mid-transaction.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
else:
    # Persistent connections (one per process, reused for 600 s, checked before
    # reuse) are the default: opening a PostgreSQL connection per request costs
    # pages several times their throughput. Django 5.2's own pool (OPTIONS
    # "pool") is not offered: it needs psycopg_pool (psycopg[pool]), which is
    # not a dependency, and a sync gunicorn worker serves one request at a time,
    # so one persistent connection per worker is already a pool of the right
    # size. Many machines: put PgBouncer in front (docs/deployment.md).
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("XIETONG_DB_CONN_MAX_AGE", 600, minimum=0),
            conn_health_checks=True,
        )
    }
    # PgBouncer in transaction pooling mode cannot keep a server-side cursor
    # (QuerySet.iterator) across transactions: set this to 1 behind one.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
        "XIETONG_DB_DISABLE_SERVER_SIDE_CURSORS", False
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.Person"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
# Each language is named in itself in the switcher, so nobody needs to read the other.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r} is not one of {', '.join(dict(LANGUAGES))}")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone") from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("XIETONG_STATIC_ROOT", str(DATA_DIR / "static")))
# WhiteNoise serves from here; collected by `xietong run` / `collectstatic`.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"

# Working days a blocked task may stay blocked before it must be escalated (T02).
XIETONG_ESCALATION_WORKING_DAYS = env_int("XIETONG_ESCALATION_WORKING_DAYS", 2, minimum=1)

# The hours of a working day that SLA clocks on working hours count (工作小时), "HH:MM-HH:MM".
XIETONG_WORKING_HOURS = env_str("XIETONG_WORKING_HOURS", "09:00-18:00")
try:
    WorkingDay.parse(XIETONG_WORKING_HOURS)
except ValueError:
    raise ImproperlyConfigured(
        f"environment variable XIETONG_WORKING_HOURS={XIETONG_WORKING_HOURS!r} is not like 09:00-18:00"
    ) from None

# --- Background work and notifications (docs/notifications.md)

# The cache holds each collaboration's judged snapshot, keyed by its version
# (docs/benchmarks.md): correct in any backend, since a write bumps the
# version and a stale key is never read again. Local memory by default (per
# process); XIETONG_CACHE_URL=redis://host:6379/1 shares it between the web
# processes of one or many machines; dummy:// turns caching off (to measure
# what it saves).
_CACHE_URL = env_str("XIETONG_CACHE_URL", "")
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
        if _CACHE_URL == "dummy://"
        else {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}
        if _CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env_int("XIETONG_CACHE_ENTRIES", 10000, minimum=10)},
        }
    )
}
# Lifetime of a cached snapshot: how long a renamed person or department may
# still show under the old name (writes to a collaboration show at once).
XIETONG_SNAPSHOT_SECONDS = env_int("XIETONG_SNAPSHOT_SECONDS", 300, minimum=1)
# Rows a page of the responsibility table shows: a very long table is paged (docs/performance.md).
XIETONG_TABLE_PAGE_ROWS = env_int("XIETONG_TABLE_PAGE_ROWS", 200, minimum=10)
# Reference views for `make bench` (xietong/bench/views.py); never on in production.
XIETONG_BENCH_VIEWS = env_bool("XIETONG_BENCH_VIEWS", False)

# Django's Tasks API (the django-tasks backport) on the database: workers on
# any number of machines claim rows with SKIP LOCKED on PostgreSQL.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Seconds between two sweeps inside each worker process (the sweep is idempotent).
XIETONG_SWEEP_SECONDS = env_int("XIETONG_SWEEP_SECONDS", 60, minimum=1)
# --- Monitoring (docs/operations.md, "Monitoring"): /healthz, /readyz, /metrics.
# 1: /readyz answers 503 while no worker has swept within two sweep periods (or the outbox lags);
# 0 (default): the site serves without the worker, so readiness only reports it as "degraded".
XIETONG_READY_REQUIRES_WORKER = env_bool("XIETONG_READY_REQUIRES_WORKER", False)
# /metrics answers a request bearing this token ("Authorization: Bearer …"), or from these addresses and
# CIDR networks; anyone else gets 404. Behind a reverse proxy set XIETONG_BEHIND_PROXY=1: without it a
# request carrying a proxy's headers needs the token (the proxy's own 127.0.0.1 must not let visitors in).
XIETONG_METRICS_TOKEN = env_str("XIETONG_METRICS_TOKEN", "")
XIETONG_METRICS_ALLOWED_IPS = env_list("XIETONG_METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
from xietong.lib.metrics import parse_networks as _parse_networks  # noqa: E402

_parse_networks(XIETONG_METRICS_ALLOWED_IPS, "XIETONG_METRICS_ALLOWED_IPS")  # a typo stops the start

# --- Directory sync (docs/directory-sync.md): which directories the worker syncs and when,
# e.g. "wecom@02:00" (daily, TIME_ZONE) or "ldap/6h" (an interval); empty: only by command.
# The vendors' credentials are read by each source (XIETONG_WECOM_CORP_ID, …) when it runs.
from xietong.orgs.directory.schedule import parse as _parse_directory_sync  # noqa: E402

try:
    XIETONG_DIRECTORY_SYNC = _parse_directory_sync(env_str("XIETONG_DIRECTORY_SYNC", ""))
except ValueError as _bad:
    raise ImproperlyConfigured(str(_bad)) from None
# --- Scheduled backups (docs/operations.md, "Scheduled backups"; xietong/ops/schedule.py): written by the
# worker, "daily@02:30" (TIME_ZONE) or an interval "6h" / "30m"; empty: none. The newest XIETONG_BACKUP_KEEP
# scheduled ones are kept in XIETONG_BACKUP_DIR (backups made by hand there are never deleted).
from xietong.ops.schedule import parse as _parse_backup_schedule  # noqa: E402

try:
    XIETONG_BACKUP_SCHEDULE = _parse_backup_schedule(env_str("XIETONG_BACKUP_SCHEDULE", ""))
except ValueError as _bad:
    raise ImproperlyConfigured(str(_bad)) from None
XIETONG_BACKUP_KEEP = env_int("XIETONG_BACKUP_KEEP", 7, minimum=1)
XIETONG_BACKUP_DIR = Path(env_str("XIETONG_BACKUP_DIR", "") or str(DATA_DIR / "backups")).resolve()
# Days before a task's deadline that its department is reminded.
XIETONG_DUE_SOON_DAYS = env_int("XIETONG_DUE_SOON_DAYS", 2, minimum=0)
# Delivery attempts on network errors and 5xx before a delivery is marked failed.
XIETONG_DELIVERY_ATTEMPTS = env_int("XIETONG_DELIVERY_ATTEMPTS", 6, minimum=1)
# First retry delay in seconds; each further retry waits twice as long.
XIETONG_RETRY_SECONDS = env_int("XIETONG_RETRY_SECONDS", 60, minimum=1)
# Seconds after which a delivery still "sending" is taken for the send of a dead worker and tried
# again (xietong/notify/delivery.py, lease()). 0: derived from the timeouts, at least 2 minutes.
# Set it only above the slowest real send: a live send taken over is sent twice.
XIETONG_DELIVERY_LEASE_SECONDS = env_int("XIETONG_DELIVERY_LEASE_SECONDS", 0, minimum=0)
# Messages a minute one group robot accepts (WeCom and DingTalk: about 20).
XIETONG_ROBOT_PER_MINUTE = env_int("XIETONG_ROBOT_PER_MINUTE", 20, minimum=1)
# --- Group robot limits (docs/notifications.md, "Group robot limits"; xietong/notify/limiter.py):
# per webhook address, shared by every collaboration and worker. 0: XIETONG_ROBOT_PER_MINUTE.
XIETONG_WECOM_PER_MINUTE = env_int("XIETONG_WECOM_PER_MINUTE", 0, minimum=0)
XIETONG_DINGTALK_PER_MINUTE = env_int("XIETONG_DINGTALK_PER_MINUTE", 0, minimum=0)
XIETONG_FEISHU_PER_SECOND = env_int("XIETONG_FEISHU_PER_SECOND", 5, minimum=1)
XIETONG_FEISHU_PER_MINUTE = env_int("XIETONG_FEISHU_PER_MINUTE", 100, minimum=1)
# Hosts, addresses and CIDR networks robots may reach although not public (intranet robot
# gateways): "robot-gw.intranet,10.2.0.0/16". Anything else is refused at start-up.
XIETONG_ROBOT_ALLOWED_HOSTS = env_list("XIETONG_ROBOT_ALLOWED_HOSTS", [])
parse_allow_list(XIETONG_ROBOT_ALLOWED_HOSTS, "XIETONG_ROBOT_ALLOWED_HOSTS")
# The HTTP proxy robots are sent through where the only way out is one: "http://[user:password@]
# proxy.intranet:3128". Held parsed (its repr hides the password); a bad value stops start-up.
XIETONG_ROBOT_PROXY = parse_proxy(env_str("XIETONG_ROBOT_PROXY", ""), "XIETONG_ROBOT_PROXY")
# Mail: SMTP when XIETONG_EMAIL_HOST is set, otherwise printed on the console
# (the embedded default and the demo: reminders still reach the in-app inbox).
EMAIL_HOST = env_str("XIETONG_EMAIL_HOST", "")
EMAIL_PORT = env_int("XIETONG_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("XIETONG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("XIETONG_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("XIETONG_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env_bool("XIETONG_EMAIL_SSL", False)
EMAIL_TIMEOUT = env_int("XIETONG_EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("XIETONG_EMAIL_FROM", "xietong@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("XIETONG_EMAIL_STARTTLS and XIETONG_EMAIL_SSL exclude each other")

# --- Security (docs/security.md)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Secure cookies and HSTS in production only: the embedded default serves plain HTTP on 127.0.0.1.
SESSION_COOKIE_SECURE = XIETONG_SECURE
CSRF_COOKIE_SECURE = XIETONG_SECURE
SECURE_HSTS_SECONDS = env_int("XIETONG_HSTS_SECONDS", 365 * 24 * 3600, minimum=0) if XIETONG_SECURE else 0
# Off by default: other hosts of a company's domain are often plain-HTTP intranet services.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("XIETONG_HSTS_INCLUDE_SUBDOMAINS", False)
XIETONG_BEHIND_PROXY = env_bool("XIETONG_BEHIND_PROXY", False)
if XIETONG_BEHIND_PROXY:
    # The proxy says whether the request came over HTTPS (it must drop a client's own header).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off by default: redirecting to HTTPS is the reverse proxy's job.
SECURE_SSL_REDIRECT = env_bool("XIETONG_SSL_REDIRECT", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    "security.W005",  # HSTS without subdomains: deliberate, see above
    "security.W008",  # no HTTPS redirect here: the proxy does it (XIETONG_SSL_REDIRECT=1 otherwise)
    "security.W021",  # HSTS preload: intranet host names cannot be on the browsers' preload list
]

# No inline script or style anywhere: the pages load only their own files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "object-src": [NONE],
    },
}

# Login throttling (django-axes): failures counted in the database, shared by
# every worker and machine, judged per username *and* address with a growing
# delay (xietong.lib.throttle; docs/security.md "Login throttling").
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses attempts while locked out; logs nobody in
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "xietong.lib.throttle.LoginThrottle"
# Failures of one username from one address before it waits 1 minute, then 2, 4 … doubling.
AXES_FAILURE_LIMIT = env_int("XIETONG_LOGIN_FAILURES", 5, minimum=1)
# The longest wait (the doubling stops there).
AXES_COOLOFF_TIME = timedelta(minutes=env_int("XIETONG_LOGIN_LOCKOUT_MINUTES", 60, minimum=1))
# Failures from one address over all usernames before that address waits the same way.
XIETONG_LOGIN_ADDRESS_FAILURES = env_int("XIETONG_LOGIN_ADDRESS_FAILURES", 50, minimum=1)
# Failures are forgotten this long after the pair's last one.
XIETONG_LOGIN_FORGET_HOURS = env_int("XIETONG_LOGIN_FORGET_HOURS", 24, minimum=1)
# What axes logs about a failure; LoginThrottle judges the pair and the address itself.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = False  # LoginThrottle forgets the pair's failures only
# An attempt refused during a wait is not counted: the wait shown is the wait there is.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "xietong.lib.security.client_ip"
AXES_LOCKOUT_CALLABLE = "xietong.lib.security.login_locked_out"
AXES_DISABLE_ACCESS_LOG = True  # no second, ever-growing table of successful logins
AXES_VERBOSE = False  # no banner on every command; failures and lockouts are still logged

# Uploads: form fields up to 2.5 MB in memory; files above that spill to a
# temporary file; a request larger than the upload limit is refused unread.
XIETONG_MAX_UPLOAD_MB = env_int("XIETONG_MAX_UPLOAD_MB", 10, minimum=1)
# Rows per sheet of an imported workbook; a longer sheet is refused unread.
XIETONG_IMPORT_MAX_ROWS = env_int("XIETONG_IMPORT_MAX_ROWS", 10000, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_HANDLERS = [
    "xietong.lib.security.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# Error reports hide secrets (settings, headers, POST values with secret names).
DEFAULT_EXCEPTION_REPORTER_FILTER = "xietong.lib.security.ExceptionReporterFilter"
LOG_LEVEL = env_str("XIETONG_LOG_LEVEL", "INFO")
# "text" (lines as they always were) or "json": one JSON object per line with the request id
# (docs/operations.md, "JSON logs and request ids"; xietong/lib/requestlog.py).
XIETONG_LOG_FORMAT = env_str("XIETONG_LOG_FORMAT", "text")
if XIETONG_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"XIETONG_LOG_FORMAT={XIETONG_LOG_FORMAT!r} is not text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secrets": {"()": "xietong.lib.security.RedactSecretsFilter"},
        "request_id": {"()": "xietong.lib.requestlog.RequestIdFilter"},
    },
    "formatters": {"json": {"()": "xietong.lib.requestlog.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_secrets", "request_id"],
            **({"formatter": "json"} if XIETONG_LOG_FORMAT == "json" else {}),
        }
    },
    "loggers": {
        # Django's own handlers print unfiltered: its messages go through ours instead.
        "django": {"handlers": [], "level": "NOTSET", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Company sign-in (docs/sign-in.md): django-allauth beside the login page above.
# /accounts/login/ stays Django's login form (throttled by axes); it lists the company methods
# configured here (OIDC, DingTalk, Feishu, WeCom), which run allauth's OAuth flows, and hands a
# password sign-in to allauth's login stages, so a local account with TOTP is asked for its code.
from xietong.signin.config import social_providers_from_env  # noqa: E402

SOCIALACCOUNT_PROVIDERS = social_providers_from_env()
ACCOUNT_ADAPTER = "xietong.signin.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "xietong.signin.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"  # people are invited or come from a directory: no sign-up mails
ACCOUNT_USER_DISPLAY = "xietong.signin.adapters.user_display"
SOCIALACCOUNT_AUTO_SIGNUP = True  # the first company sign-in creates the person (no extra form)
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # linking by a verified e-mail is xietong.signin.adapters
SOCIALACCOUNT_STORE_TOKENS = False  # the provider's tokens are not needed after the sign-in
SOCIALACCOUNT_REQUESTS_TIMEOUT = env_int("XIETONG_SIGNIN_TIMEOUT", 10, minimum=1)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env_str("XIETONG_MFA_ISSUER", "协同")
# Staff without a second factor are sent to set one up before any other page.
XIETONG_REQUIRE_MFA_FOR_STAFF = env_bool("XIETONG_REQUIRE_MFA_FOR_STAFF", False)

# --- Sign-in with LDAP / Active Directory (docs/sign-in.md, "LDAP / Active Directory"): on only when XIETONG_LDAP_URL
# is set; python-ldap (the `ldap` extra) is imported only then, with a clear error if missing.
from xietong.lib.ldap_config import LdapConfig, auth_ldap_settings  # noqa: E402

XIETONG_LDAP = LdapConfig.from_env()
if XIETONG_LDAP is not None:
    globals().update(auth_ldap_settings(XIETONG_LDAP))  # django-auth-ldap's AUTH_LDAP_* settings
    # after axes (a locked-out pair is refused first), before the local passwords
    AUTHENTICATION_BACKENDS.insert(1, "xietong.orgs.ldap_backend.LdapBackend")
