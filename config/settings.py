"""Settings for the patron-records system, read from environment variables.

Development defaults are safe and need nothing set. PRODUCTION=true switches on
everything `manage.py check --deploy` asks for and insists on a real SECRET_KEY,
ALLOWED_HOSTS and an EMAIL_BACKEND that sends mail.
"""

import datetime
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_cache_url,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = env_bool("PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when PRODUCTION is on")

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET_KEY)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY):
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value in production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the site's host names in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# How many reverse proxies in front of the app append to X-Forwarded-For; 0
# means the header is ignored and the connection's address is the client's.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

INSTALLED_APPS = [
    "library.admin_apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "auditlog",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "library",
    "audit",
    "patrons",
    "circulation",
    "activity",
    "privacy",
    "facilities",
    "notices",
    "portal",
    "auditors",
    "demo",
]

MIDDLEWARE = [
    # First: answers /healthz and /readyz to a load balancer's probe by IP over
    # plain HTTP, before the HTTPS redirect and the ALLOWED_HOSTS check.
    "library.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "library.middleware.BadInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "library.middleware.SecondFactorMiddleware",
    "library.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "privacy.middleware.PrivacyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "library.context_processors.staff",
            ],
        },
    },
]

# The embedded default is an SQLite file; production and CI use PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two desks cannot both read
    # an item as free and then both write a loan.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if _test_name := env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": _test_name}
# archive_audit removes archived entries as a role of its own (audit_db_roles):
# the only role that may DELETE from the audit trail. The web application never
# holds these credentials; without them, archiving uses the default connection.
if _archiver_url := env_str("ARCHIVER_DATABASE_URL"):
    DATABASES["archiver"] = dj_database_url.parse(_archiver_url, conn_max_age=0)
    DATABASES["archiver"]["TEST"] = {"MIRROR": "default"}
# PostgreSQL streaming replicas (docs/operations.md, "More than one machine"):
# one or more URLs, comma-separated, become the aliases replica_1, replica_2...
# Nothing is read from them unless a query asks with library.db.lagging_reads();
# the router sends every other read, and every write, to default.
REPLICA_DATABASES: list[str] = []
for _number, _replica_url in enumerate(env_list("DATABASE_REPLICA_URL", []), start=1):
    _alias = f"replica_{_number}"
    DATABASES[_alias] = dj_database_url.parse(
        _replica_url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    # The test suite reads the primary's test database through it.
    DATABASES[_alias]["TEST"] = {"MIRROR": "default"}
    REPLICA_DATABASES.append(_alias)
DATABASE_ROUTERS = ["library.db.PrimaryRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, so a locked-out login stops here
    "django.contrib.auth.backends.ModelBackend",
    "patrons.auth.CardNumberBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No anonymous guardian user: anonymous visitors hold no object permissions.
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "admin:login"
# Staff land on their own home page, which lists the pages their role opens,
# rather than on the admin's index (library.admin_site.StaffAdminSite.login).
LOGIN_REDIRECT_URL = "staff_home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True
# One style for dates and times on every page (library/formats/en/formats.py):
# a format module, since the locale's own formats win over DATE_FORMAT settings.
FORMAT_MODULE_PATH = ["library.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# In development whitenoise serves straight from the app folders (no collectstatic).
WHITENOISE_AUTOREFRESH = not PRODUCTION
WHITENOISE_USE_FINDERS = not PRODUCTION

# Mail carries live password-reset links. In production it must go out, not
# into the service log (console) or onto disk (file), where anyone who reads
# those could take over a patron's account; so production names its backend.
_UNSENT_MAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
# Either one URL, EMAIL_URL (smtp://user:password@host:587?tls=1, smtps://...,
# config.env.parse_email_url), or EMAIL_BACKEND and the EMAIL_* settings.
_email_url = env_str("EMAIL_URL")
if _email_url and env_str("EMAIL_BACKEND"):
    raise ImproperlyConfigured("Set EMAIL_URL or EMAIL_BACKEND, not both")
if _email_url:
    globals().update(parse_email_url("EMAIL_URL", _email_url))
else:
    EMAIL_BACKEND = env_str(
        "EMAIL_BACKEND", "" if PRODUCTION else "django.core.mail.backends.console.EmailBackend"
    )
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true")
# A mail server that does not answer must not hold a worker for ever.
EMAIL_TIMEOUT = globals().get("EMAIL_TIMEOUT") or env_int("EMAIL_TIMEOUT", 30, minimum=1)
if PRODUCTION and (not EMAIL_BACKEND or EMAIL_BACKEND in _UNSENT_MAIL_BACKENDS):
    raise ImproperlyConfigured(
        "EMAIL_URL or EMAIL_BACKEND must name a backend that sends mail in production, such "
        "as smtp://host:587?tls=1 or django.core.mail.backends.smtp.EmailBackend, since the "
        "console and file backends would write password-reset links to the log or to disk"
    )
if (
    PRODUCTION
    and EMAIL_HOST_PASSWORD
    and not (EMAIL_USE_TLS or EMAIL_USE_SSL)
    and EMAIL_HOST not in ("localhost", "127.0.0.1", "::1")
):
    raise ImproperlyConfigured(
        "The mail server's password would cross the network unencrypted: set tls=1 or ssl=1 "
        "in EMAIL_URL (EMAIL_USE_TLS or EMAIL_USE_SSL)"
    )
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "library@localhost")

# The cache: CACHE_URL, redis://[:password@]host:6379/1 for Django's RedisCache
# (shared by every process), or local memory per process by default. Nothing
# the project keeps there names a patron.
CACHES = {"default": parse_cache_url("CACHE_URL", env_str("CACHE_URL"))}

# Background tasks: Celery with a Redis broker (config/celery.py). A password
# reset's mail is sent by a worker, so the request takes as long for an unknown
# address as for a known one. Without a broker (a first run on a laptop, the test
# suite) tasks run eagerly, inside the request.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# An eager task's error stays in the task: a reset must not fail for a known
# address only.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True  # nothing waits for a task's answer: no result backend
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged once it has run, and goes back to the queue if its
# worker dies, so a restart loses no reset mail (one may go twice instead).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Redis gives an unacknowledged task to another worker after this many seconds;
# it must outlast a task's longest retry delay (patrons.tasks), or the task runs twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 60 * 60, minimum=900)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker logs through LOGGING below, whose formatter withholds exception
# messages, rather than through Celery's own handlers; and what is printed (the
# console mail backend's mail, in development) is not turned into log records.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_REDIRECT_STDOUTS = False

# Sessions are short and end with the browser: a desk PC is shared.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 2, minimum=60)
# Database sessions that drop search terms after SEARCH_TERM_MINUTES; a term
# typed into a search box (a card number, a name) is kept no longer than that.
SESSION_ENGINE = "library.sessions"
SEARCH_TERM_MINUTES = env_int("SEARCH_TERM_MINUTES", 10, minimum=1)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling per account and address (django-axes). Attempts are keyed by
# a hash of the account the user name or card number names (of the typed name
# when it names none), never the number itself (patrons.auth.axes_username).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "library.net.client_ip"
AXES_USERNAME_CALLABLE = "patrons.auth.axes_username"
AXES_SENSITIVE_PARAMETERS = ["username", "otp_token", "card_number"]
AXES_DISABLE_ACCESS_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_VERBOSE = False

# Two-factor sign-in for sensitive roles (library.security.TWO_FACTOR_ROLES).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Library staff")
# No admin screen shows an authenticator's secret (django-otp).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60, minimum=60)

# Content Security Policy (django-csp): everything from this site, nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# The audit trail: django-auditlog writes into audit.AuditEntry, which adds
# the hash chain. Identity fields are redacted whole, not half-masked (CONF-6).
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
# auditlog's own migrations create its default entry table even when the model
# is swapped out; that unused table would only hold a foreign key to content
# types (and block TRUNCATE on PostgreSQL), so its migrations are not run.
MIGRATION_MODULES = {"auditlog": None}
AUDITLOG_MASK_CALLABLE = "audit.chain.redact"
# Where witness_audit_head publishes the trail's head, outside the database
# (audit.witness): file:///path on another volume, syslog:///dev/log or
# syslog://host:514, mailto:auditors@example.org. verify_audit reads the heads
# back from the first file sink and checks each against the chain and archives.
AUDIT_WITNESS_SINKS = env_list("AUDIT_WITNESS_SINKS", [])
# Where archive_audit writes and verify_audit finds the archive files.
AUDIT_ARCHIVE_DIR = env_str("AUDIT_ARCHIVE_DIR", "")
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_ON_RAW_SAVE = True
# No correlation id from a request header: any client could write text into the
# trail, and entries of one request sharing it could join a check-out's entries
# to the patron read (CONF-9).
AUDITLOG_CID_HEADER = None

# Library policy settings.
LIBRARY_AGE_OF_MAJORITY = env_int("AGE_OF_MAJORITY", 18, minimum=1)  # CONF-4
# CAM-3: footage is viewed only from these address ranges (comma-separated
# CIDRs, e.g. "10.20.0.0/16,192.0.2.0/24"); empty means no network limit.
FOOTAGE_ALLOWED_NETWORKS = env_list("FOOTAGE_ALLOWED_NETWORKS", [])
# CAM-1: how long a recording is kept unless an incident or a legal order holds it.
FOOTAGE_RETENTION_DAYS = env_int("FOOTAGE_RETENTION_DAYS", 30, minimum=1)
# Circulation desk: unpaid fines (in cents) at which check-outs stop, and how
# many days a hold waits on the hold shelf.
CIRCULATION_FINE_LIMIT_CENTS = env_int("CIRCULATION_FINE_LIMIT_CENTS", 1000)
CIRCULATION_HOLD_PICKUP_DAYS = env_int("CIRCULATION_HOLD_PICKUP_DAYS", 7, minimum=1)
# Statistics: a count below this is shown as "fewer than N", and further cells
# are withheld so it cannot be worked out from the totals (CONF-9).
STATISTICS_MIN_CELL = env_int("STATISTICS_MIN_CELL", 5, minimum=3)
# Retention in days per kind of record; `manage.py purge_expired` deletes what
# is older (privacy.retention). Records of patrons under a legal hold are kept.
LIBRARY_RETENTION_DAYS = {
    "computer_sessions": env_int("RETENTION_COMPUTER_SESSIONS_DAYS", 1),
    "reference_consultations": env_int("RETENTION_REFERENCE_DAYS", 30),
    "event_signups": env_int("RETENTION_EVENT_SIGNUPS_DAYS", 30),  # after the event ends
    "found_items": env_int("RETENTION_FOUND_ITEMS_DAYS", 90),
    "settled_fines": env_int("RETENTION_SETTLED_FINES_DAYS", 400),
    "expired_holds": env_int("RETENTION_EXPIRED_HOLDS_DAYS", 0),  # after the pickup date
    # CONF-3: a patron account with no activity for this long is told, then,
    # after the grace days below with still none, deleted (patrons.retention).
    "inactive_accounts": env_int("RETENTION_INACTIVE_ACCOUNTS_DAYS", 3 * 365, minimum=30),
    # A sent notice keeps its kind, channel and days this long, then only the
    # day, kind and patron (notices.retention); an unsent one is dropped.
    "sent_notices": env_int("RETENTION_SENT_NOTICES_DAYS", 30),
}
RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS = env_int(
    "RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS", 30, minimum=1
)
if LIBRARY_RETENTION_DAYS["inactive_accounts"] <= RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS:
    # A notice older than the inactivity period is not acted on (patrons.selectors).
    raise ImproperlyConfigured(
        "RETENTION_INACTIVE_ACCOUNTS_GRACE_DAYS must be shorter than "
        "RETENTION_INACTIVE_ACCOUNTS_DAYS"
    )

# Notices (notices app, docs/notices.md): days before the due date for the
# reminder, days overdue for the first, second and final overdue notices, and
# days before a card's expiry for the renewal reminder.
NOTICES_PRE_DUE_DAYS = env_int("NOTICES_PRE_DUE_DAYS", 3, minimum=1)
NOTICES_OVERDUE_DAYS = (
    env_int("NOTICES_OVERDUE_FIRST_DAYS", 1, minimum=1),
    env_int("NOTICES_OVERDUE_SECOND_DAYS", 8, minimum=1),
    env_int("NOTICES_OVERDUE_FINAL_DAYS", 15, minimum=1),
)
if not NOTICES_OVERDUE_DAYS[0] < NOTICES_OVERDUE_DAYS[1] < NOTICES_OVERDUE_DAYS[2]:
    raise ImproperlyConfigured(
        "NOTICES_OVERDUE_FIRST_DAYS < NOTICES_OVERDUE_SECOND_DAYS < NOTICES_OVERDUE_FINAL_DAYS "
        "must hold, or one overdue day would get two notices"
    )
NOTICES_CARD_EXPIRY_DAYS = env_int("NOTICES_CARD_EXPIRY_DAYS", 30, minimum=1)
# How many notice ids one worker task sends (send_notices queues one task a batch).
NOTICES_BATCH_SIZE = env_int("NOTICES_BATCH_SIZE", 500, minimum=1)

# /readyz (library.health): the scheduled jobs (library.jobs) that must have
# last run successfully within READYZ_JOB_MAX_AGE_HOURS for the site to be ready.
READYZ_JOBS = env_list(
    "READYZ_JOBS",
    ["purge_expired", "send_notices", "clearsessions", "witness_audit_head", "verify_audit"],
)
READYZ_JOB_MAX_AGE_HOURS = env_int("READYZ_JOB_MAX_AGE_HOURS", 26, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "library.log.NoDetailFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Request errors are logged without the request itself, so no card number or
    # form field reaches the log (see the "no patron data in logs" rule).
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# Registration (issue 16): new library cards. A generated number is the prefix,
# random digits and, under the "luhn" scheme, a Luhn check digit, PATRON_CARD_LENGTH
# digits in all; a scanned card must carry a valid check digit under that scheme
# ("none" checks only that it is digits). A new or renewed card runs
# PATRON_CARD_PERIOD_DAYS from the day it is issued.
PATRON_CARD_PREFIX = env_str("PATRON_CARD_PREFIX", "2100")
PATRON_CARD_LENGTH = env_int("PATRON_CARD_LENGTH", 14, minimum=8)
PATRON_CARD_CHECK_DIGIT = env_str("PATRON_CARD_CHECK_DIGIT", "luhn")
PATRON_CARD_PERIOD_DAYS = env_int("PATRON_CARD_PERIOD_DAYS", 3 * 365, minimum=1)
if PATRON_CARD_CHECK_DIGIT not in ("luhn", "none"):
    raise ImproperlyConfigured(
        f"PATRON_CARD_CHECK_DIGIT must be luhn or none, not {PATRON_CARD_CHECK_DIGIT!r}"
    )
if not PATRON_CARD_PREFIX.isdigit() or len(PATRON_CARD_PREFIX) > PATRON_CARD_LENGTH - 5:
    raise ImproperlyConfigured(
        "PATRON_CARD_PREFIX must be digits, leaving at least five digits of PATRON_CARD_LENGTH"
    )
