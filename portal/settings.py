"""One settings module for every way the portal runs.

Everything that differs between the embedded default, CI and production comes
from the environment. A file `data/portal.env` (written by `dev.py` on first
start) fills in what the environment leaves unset, so a fresh clone needs no
exported variables; in production the environment alone is used.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django
from django.core.exceptions import ImproperlyConfigured

from portal import logs, oidc_mapping

BASE_DIR = Path(__file__).resolve().parent.parent


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ImproperlyConfigured(f"{path}, line {number}: expected KEY=VALUE")
        values[key.strip()] = value.strip()
    return values


def _environment() -> dict[str, str]:
    data_dir = Path(os.environ.get("PORTAL_DATA_DIR", BASE_DIR / "data"))
    merged = _read_env_file(data_dir / "portal.env")
    merged.update(os.environ)
    merged.setdefault("PORTAL_DATA_DIR", str(data_dir))
    return merged


ENV = _environment()


def env_str(name: str, default: str | None = None) -> str:
    value = ENV.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = ENV.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def _env_number(name: str, default, kind, what: str):
    value = ENV.get(name)
    if value is None or value == "":
        return default
    try:
        return kind(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {what}, not {value!r}.") from None


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "a whole number")


def env_float(name: str, default: float) -> float:
    seconds = _env_number(name, default, float, "a number of seconds")
    # Every such setting is a wait or a timeout: zero or less would make a
    # worker spin or a sleep fail, and "inf" or "nan" never come back.
    if not 0 < seconds < float("inf"):
        raise ImproperlyConfigured(f"{name} must be a number of seconds above 0, not {ENV.get(name)!r}.")
    return seconds


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in ENV.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(env_str("PORTAL_DATA_DIR"))
DEBUG = env_bool("DEBUG", False)
# "production" is the portal behind its HTTPS proxy (docker-compose.yml): secure
# cookies, HSTS and redirects to HTTPS become the defaults. "development" is a
# laptop's or CI's portal on plain HTTP.
PORTAL_ENV = env_str("PORTAL_ENV", "development")
if PORTAL_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"PORTAL_ENV must be development or production, not {PORTAL_ENV!r}.")
PRODUCTION = PORTAL_ENV == "production"
SECRET_KEY = env_str("SECRET_KEY")
# Client secrets are encrypted with the first key; the others still decrypt,
# so a key can be rotated without a moment where old secrets are unreadable.
PORTAL_ENCRYPTION_KEYS = env_list("PORTAL_ENCRYPTION_KEYS")
if not PORTAL_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "PORTAL_ENCRYPTION_KEYS must be set: Talkdesk client secrets are stored "
        "encrypted and the portal will not store them in plain text."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_TZ = True
USE_I18N = False
LANGUAGE_CODE = "en-us"

DJANGO_6 = django.VERSION >= (6, 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    # For its docs page's template and the Swagger UI files it ships, served
    # from the portal's own static files (no CDN).
    "ninja",
    "imports",
    "imports.notifications",
    "portal",
    "mozilla_django_oidc",
]
if not DJANGO_6:
    INSTALLED_APPS += ["template_partials", "csp"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Under /api/, whatever Django itself answers with an error (an unknown
    # path, a method not allowed, a crash) is a problem+json like the API's own.
    "imports.api.problems.ProblemMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.logs.ImportIdMiddleware",
    # A full or read-only disk met by a view: a page saying so, not a 500.
    "imports.storage_errors.StorageErrorMiddleware",
    # After authentication: times are shown in the signed-in person's zone.
    "imports.person_zone.PersonTimeZoneMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware" if DJANGO_6 else "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

# No inline script or style anywhere: htmx's own indicator styles are switched
# off in base.html so that this policy holds without exceptions.
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
if DJANGO_6:
    SECURE_CSP = _CSP_DIRECTIVES
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "imports.person_zone.context",
            ],
        },
    }
]
if not DJANGO_6:
    # Django 6's partials are built in; on 5.2 the same tags come from the
    # add-on they grew out of, made built in so templates read the same.
    TEMPLATES[0]["OPTIONS"]["builtins"] = ["template_partials.templatetags.partials"]

_default_database = f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"
# Health checks: a connection kept from before a database restart is found
# dead and replaced when a task or request starts, instead of failing it.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_database), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker write at the same time: WAL lets
    # readers go on during a write, and IMMEDIATE transactions queue writers
    # behind the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out client is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
# A user name from one address: a guesser is stopped, while the same user
# signing in from elsewhere, and colleagues behind the same office address,
# are not locked out by someone else's guessing.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "portal.client_address.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "imports:history"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "staticfiles")))
# WhiteNoise looks at this folder when the app starts, even when it serves
# from the source folders; an empty one is enough.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serving straight from the source folders spares the embedded default a
# collectstatic step; production images collect once at build time.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))

# Addresses of the reverse proxy, the one rule for what to believe of its
# headers: gunicorn (--forwarded-allow-ips) takes the scheme from
# X-Forwarded-Proto only from these, so Django needs no SECURE_PROXY_SSL_HEADER
# (which would believe the header from anyone who reaches gunicorn directly),
# and portal/client_address.py takes X-Forwarded-For only from these.
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", "127.0.0.1")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
# Pages hand htmx the token in a header; no script reads the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Health checks come over plain HTTP from the host itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
X_FRAME_OPTIONS = "DENY"

# Talkdesk rejects anything over 5 MB; the portal takes a little more so it can
# tell the planner the file is too large (and offer to split it) rather than
# let the request fail without a word.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A file up to this size (Talkdesk's own limit for one file) is checked in the
# web request that uploads it, for an answer at once; a larger one by the
# worker, while the preview says "Checking…": a check holds many times the
# file's size for a moment, and a web process keeps what it once held.
CHECK_IN_WEB_MAX_BYTES = env_int("CHECK_IN_WEB_MAX_BYTES", 5 * 1024 * 1024)
# Django's own upload settings cap no file: FILE_UPLOAD_MAX_MEMORY_SIZE only
# decides when an upload is spooled to disk. The cap is the first handler's,
# which stops an upload over UPLOAD_MAX_BYTES while it streams in.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "imports.uploads.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# A workbook is parsed in a child process held to this much memory and time,
# so that a hostile one (a decompression bomb, a sheet claiming a million
# columns) costs the child, not the web process or the worker.
WORKBOOK_MEMORY_MB = env_int("WORKBOOK_MEMORY_MB", 1024)
WORKBOOK_SECONDS = env_float("WORKBOOK_SECONDS", 30.0)

TALKDESK_SCOPE_WRITE = env_str("TALKDESK_SCOPE_WRITE", "wfm-public:write")
TALKDESK_SCOPE_READ = env_str("TALKDESK_SCOPE_READ", "wfm-public:read")
TALKDESK_SCOPE_USERS = env_str("TALKDESK_SCOPE_USERS", "users:read")
# How long a request to Talkdesk may take to connect, and then to answer.
TALKDESK_CONNECT_TIMEOUT_SECONDS = env_float("TALKDESK_CONNECT_TIMEOUT_SECONDS", 10)
TALKDESK_READ_TIMEOUT_SECONDS = env_float("TALKDESK_READ_TIMEOUT_SECONDS", 60)
# The hosts a connection's base URL may reach over plain http: the simulator
# on this machine in development and CI; none in production, where the client
# secret and tokens must not travel unencrypted.
TALKDESK_PLAIN_HTTP_HOSTS = frozenset(
    host.lower().strip("[]")
    for host in env_list("TALKDESK_PLAIN_HTTP_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,::1")
)
# First status check this soon after the upload; later ones back off up to the
# ceiling. Every wait is also cut to half the broker's visibility timeout.
IMPORT_POLL_FIRST_SECONDS = env_float("IMPORT_POLL_FIRST_SECONDS", 1)
IMPORT_POLL_MAX_SECONDS = env_float("IMPORT_POLL_MAX_SECONDS", 30)
# After a failed status check the next waits longer with each failure in a
# row, up to this: Talkdesk coming back is noticed this soon, and the
# account's queue moves again.
IMPORT_RECHECK_MAX_SECONDS = env_float("IMPORT_RECHECK_MAX_SECONDS", 5)
# Talkdesk acknowledged a file but answers its status checks with something
# the portal cannot read (an HTML page, an unknown status, 404 for its id):
# asked again for this long, then left to an admin as needs attention.
IMPORT_UNREADABLE_STATUS_SECONDS = env_float("IMPORT_UNREADABLE_STATUS_SECONDS", 900)
# A send that failed without reaching Talkdesk (429, 5xx, no connection) is
# tried again after a wait that doubles from the first to the ceiling.
IMPORT_RETRY_FIRST_SECONDS = env_float("IMPORT_RETRY_FIRST_SECONDS", 2)
IMPORT_RETRY_MAX_SECONDS = env_float("IMPORT_RETRY_MAX_SECONDS", 300)
RECONCILE_EVERY_SECONDS = env_float("RECONCILE_EVERY_SECONDS", 30)
IMPORT_STALLED_AFTER_SECONDS = env_int("IMPORT_STALLED_AFTER_SECONDS", 6 * 3600)
# A worker preparing or sending a part says it is alive this often; after
# four missed beats the reconciler takes it for dead and frees the part.
IMPORT_HEARTBEAT_SECONDS = env_float("IMPORT_HEARTBEAT_SECONDS", 10)
# How far back the record of what Talkdesk accepted is consulted: what was
# imported longer ago is history a new file is no longer compared with.
ACCEPTED_EVENTS_DAYS = env_int("ACCEPTED_EVENTS_DAYS", 90)
if ACCEPTED_EVENTS_DAYS < 0:
    raise ImproperlyConfigured(f"ACCEPTED_EVENTS_DAYS must be 0 or more days, not {ACCEPTED_EVENTS_DAYS}.")

# A preview nobody confirmed expires after this many days, and says so.
PORTAL_PREVIEW_EXPIRY_DAYS = env_int("PORTAL_PREVIEW_EXPIRY_DAYS", 7)
if PORTAL_PREVIEW_EXPIRY_DAYS < 1:
    raise ImproperlyConfigured(
        f"PORTAL_PREVIEW_EXPIRY_DAYS must be a whole number of days, 1 or more, not {PORTAL_PREVIEW_EXPIRY_DAYS}."
    )

# The API (/api/v1/): requests per key per minute before 429, and how long
# an Idempotency-Key and its answer are remembered.
API_RATE_PER_MINUTE = env_int("API_RATE_PER_MINUTE", 600)
API_IDEMPOTENCY_HOURS = env_int("API_IDEMPOTENCY_HOURS", 24)
# An upload through the API up to this size is checked in its request (and
# answered 201, checked); a larger one by a worker, answered 202 at once
# while the check runs (docs/performance.md, "API", has the measurements).
API_CHECK_IN_REQUEST_MAX_BYTES = env_int("API_CHECK_IN_REQUEST_MAX_BYTES", 32 * 1024)
if API_RATE_PER_MINUTE < 1 or API_IDEMPOTENCY_HOURS < 24:
    raise ImproperlyConfigured(
        "API_RATE_PER_MINUTE must be at least 1, and API_IDEMPOTENCY_HOURS at least 24 (a nightly job retries "
        "within a day)."
    )
# Webhooks: the first wait before sending again, doubling (with jitter) up to
# the ceiling, for as long as the last setting says; how long a receiver may
# take; and the host names that may resolve to loopback or private addresses
# (a receiver on the same machine in tests), which are otherwise refused.
WEBHOOK_RETRY_FIRST_SECONDS = env_float("WEBHOOK_RETRY_FIRST_SECONDS", 5)
WEBHOOK_RETRY_MAX_SECONDS = env_float("WEBHOOK_RETRY_MAX_SECONDS", 3 * 3600)
WEBHOOK_RETRY_FOR_SECONDS = env_float("WEBHOOK_RETRY_FOR_SECONDS", 24 * 3600)
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_ALLOWED_HOSTS = frozenset(host.lower() for host in env_list("WEBHOOK_ALLOWED_HOSTS"))

REDIS_URL = ENV.get("REDIS_URL", "")
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 3600)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
        # Kombu looks for messages past their visibility timeout only every
        # tenth sweep by default; every sweep, and a sweep at least every
        # quarter of the timeout, brings back a dead worker's messages soon
        # after the timeout rather than many times later.
        "unacked_restore_interval": max(1, min(10, CELERY_BROKER_VISIBILITY_TIMEOUT // 4)),
        "unacked_restore_throttle": 1,
    }
else:
    # The embedded default: Kombu's filesystem transport is a real broker that
    # needs no server, so a fresh machine runs the real worker and beat.
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    # Kombu's own, but writing each message whole before it can be read.
    CELERY_BROKER_TRANSPORT = "portal.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "staging_folder": str(_broker_dir / "staging"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The folder is read once a second by default, which alone made a
        # confirmed import wait up to a second before it was sent; a listing
        # of a small folder ten times a second costs nothing worth measuring.
        "polling_interval": env_float("BROKER_POLLING_SECONDS", 0.1),
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Beat sends a heartbeat this often, which a worker records; /readyz answers
# "not ready" when the last one is older than READYZ_HEARTBEAT_MAX_AGE_SECONDS.
HEARTBEAT_EVERY_SECONDS = env_float("HEARTBEAT_EVERY_SECONDS", 30)
READYZ_HEARTBEAT_MAX_AGE_SECONDS = env_float("READYZ_HEARTBEAT_MAX_AGE_SECONDS", 3 * HEARTBEAT_EVERY_SECONDS)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "reconcile-imports": {"task": "imports.tasks.reconcile_imports", "schedule": RECONCILE_EVERY_SECONDS},
    "reconcile-checks": {"task": "imports.tasks.reconcile_checks", "schedule": RECONCILE_EVERY_SECONDS},
    "sync-connection-agents": {"task": "imports.tasks.sync_all_connection_agents", "schedule": 3600.0},
    "heartbeat": {"task": "imports.tasks.heartbeat", "schedule": HEARTBEAT_EVERY_SECONDS},
    "expire-previews": {"task": "imports.tasks.expire_previews", "schedule": 3600.0},
    "send-due-webhooks": {"task": "imports.tasks.send_due_webhooks", "schedule": RECONCILE_EVERY_SECONDS},
    "forget-idempotency-keys": {"task": "imports.tasks.forget_idempotency_keys", "schedule": 3600.0},
}

# Lines of text by default; one JSON object a line with LOG_FORMAT=json, for a
# log collector. Either way a line about an import carries its id.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = logs.configuration(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))
# Celery keeps Django's logging instead of installing its own handlers, so the
# worker's and beat's lines have the same format and the import id too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# E-mail (Django's SMTP backend). Without EMAIL_HOST the portal sends none and
# says so on the e-mail choices page.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true: choose STARTTLS or TLS.")
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT_SECONDS", 30)
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "Schedule imports <schedule-imports@localhost>")
EMAIL_NOTIFICATIONS = bool(EMAIL_HOST)
# The portal's address as people reach it, for the links in e-mails.
PORTAL_URL = env_str("PORTAL_URL", "http://localhost:8000")
if not PORTAL_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"PORTAL_URL must start with http:// or https://, not {PORTAL_URL!r}.")

# /metrics answers a scraper that sends `Authorization: Bearer METRICS_TOKEN`,
# or one from METRICS_ALLOWED_ADDRESSES (addresses or networks); with neither
# set it answers no one.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES")
for _entry in METRICS_ALLOWED_ADDRESSES:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_ADDRESSES: {_entry!r} is not an address or network (such as 10.0.0.0/8)."
        ) from None

# Single sign-on with an OpenID Connect provider (docs/single-sign-on.md).
OIDC_ISSUER = env_str("OIDC_ISSUER", "").rstrip("/")
OIDC_ENABLED = bool(OIDC_ISSUER)
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your company account")
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
# "provider group=Team name" pairs separated by ";", and the groups whose
# members are admins of the portal.
OIDC_TEAM_GROUPS = oidc_mapping.parse_team_groups(env_str("OIDC_TEAM_GROUPS", ""))
OIDC_ADMIN_GROUPS = env_list("OIDC_ADMIN_GROUPS")
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_TIMEOUT = env_float("OIDC_TIMEOUT_SECONDS", 10)
OIDC_VERIFY_SSL = env_bool("OIDC_VERIFY_SSL", True)
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("OIDC_TOKEN_USE_BASIC_AUTH", False)
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"
if OIDC_ENABLED:
    missing = [name for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if not ENV.get(name)]
    if missing:
        raise ImproperlyConfigured(f"OIDC_ISSUER is set, so {' and '.join(missing)} must be set too.")
    AUTHENTICATION_BACKENDS.append("portal.oidc.ProviderBackend")
# Off: people sign in only through the identity provider; the password form
# and Django's password backend are gone.
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
if not LOCAL_PASSWORDS:
    if not OIDC_ENABLED:
        raise ImproperlyConfigured("LOCAL_PASSWORDS=false needs OIDC_ISSUER: otherwise no one could sign in.")
    AUTHENTICATION_BACKENDS.remove("django.contrib.auth.backends.ModelBackend")
