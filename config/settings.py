"""Misfire settings, all from the environment (see .env.example).

With nothing set, Misfire runs on an embedded default: SQLite under var/, Celery tasks run
eagerly in-process, and email is written as files under var/mail/.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="") if not DEBUG else env(
    "SECRET_KEY", default="django-insecure-development-key-only-for-debug"
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# `make run` serves on PORT (8000 unless set): links in emails follow it unless SITE_URL is set.
PORT = env.int("PORT", default=8000)
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "common",
    "accounts",
    "incidents",
    "learnings",
    "dashboards",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "common.middleware.RejectNulMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "accounts.middleware.PrivateCacheMiddleware",
    # Last, as django-axes requires: turns a refused sign-in into the lockout page.
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
                "accounts.context_processors.teams",
            ],
            "builtins": ["common.templatetags.misfire"],
        },
    }
]

FORM_RENDERER = "common.forms.FormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'misfire.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A worker keeps its connection for a minute rather than opening one per request (a new
# PostgreSQL connection costs a server process and a few milliseconds of both cores); Django
# checks a kept connection is still alive before reusing it.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "incidents:incident-list"
LOGOUT_REDIRECT_URL = "accounts:login"
# Reset links are one-time by construction (the token hashes the password).
PASSWORD_RESET_TIMEOUT = 24 * 3600

# Sign-in throttling (django-axes 8): failures count per (account, IP) pair, so an attacker
# guessing from elsewhere cannot lock a manager out of their own network. The attempts live
# in the database, shared by every worker.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
# The login form's field is "username" although it holds the email address (USERNAME_FIELD).
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.throttling.login_username"
# The IP is REMOTE_ADDR (django-ipware is not installed), so a client-set X-Forwarded-For
# cannot choose its own IP. Behind a reverse proxy, install django-ipware and set AXES_IPWARE_*.
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Short timeouts: with Redis down, a page waits a second at most for the cache, which
    # then answers as empty (common.cache.RedisCache) instead of failing the request.
    CACHES = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery (config/celery.py): Redis as broker, JSON only, no result backend. Without REDIS_URL
# (the embedded default) tasks run in-process, at once.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task cut off from the broker stops, and its message (acknowledged late) is delivered again.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# The longest task: one team's digests. Past the soft limit it stops between two emails and
# retries; the hard limit kills it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
# A message not acknowledged within this many seconds goes to another worker: longer than the
# hard limit and than the longest retry delay (DIGEST_RETRY_MAX_DELAY), so a task that is
# running or waiting for its retry is never handed out twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200),
    "socket_connect_timeout": 2, "socket_timeout": 5,
}
# Queueing from a web request: a few quick tries, then the caller logs the failure
# (common.tasks.queue_on_commit); a page never waits long for a broker that is down.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0,
                                    "interval_step": 0.2, "interval_max": 0.5}

# The weekly digest (dashboards/digests.py). A transient SMTP error retries the team's run
# after DIGEST_RETRY_BASE_DELAY seconds, doubling each time up to DIGEST_RETRY_MAX_DELAY,
# with jitter; after DIGEST_MAX_RETRIES the unsent emails are recorded as failed.
DIGEST_MAX_RETRIES = env.int("DIGEST_MAX_RETRIES", default=10)
DIGEST_RETRY_BASE_DELAY = env.float("DIGEST_RETRY_BASE_DELAY", default=60)
DIGEST_RETRY_MAX_DELAY = env.float("DIGEST_RETRY_MAX_DELAY", default=3600)

if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
# Seconds an SMTP connection may wait on the server (Django's default: for ever). A server
# that accepts and then stalls fails the send as a transient error, retried with backoff,
# instead of holding a worker until the task's hard time limit kills it.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Misfire <misfire@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Production hardening: secure by default when DEBUG is off; each can be relaxed by env
# (docker-compose does, for plain http on localhost).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The library dashboard's covering index (incident_library_metrics) carries its counted
    # columns in INCLUDE on PostgreSQL; SQLite builds it without them, which is all it needs.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # django-axes logs every sign-in at INFO; its warnings (failures, lockouts) are what matter.
    "loggers": {"axes": {"level": env("AXES_LOG_LEVEL", default="WARNING")}},
}

PAGE_SIZE = 25

# The REST API (api/, /api/v1/). Errors come in one shape (api/errors.py); lists are cursor
# pages (api/pagination.py); who may read and write is api/access.py.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Personal API tokens first ("Authorization: Token <key>"): an unauthenticated call is
        # then a 401 naming the Token scheme.
        "accounts.authentication.TokenAuthentication",
        # Sessions: the browser and the browsable API. Writes need the CSRF token.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.access.ApiAccess"],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.KeysetPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # api/throttles.py: per token (or session), and per IP without credentials; 429 past it.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttles.CallerRateThrottle",
                                 "api.throttles.AnonymousRateThrottle"],
    # The client's IP is REMOTE_ADDR: a client-set X-Forwarded-For cannot choose it.
    "NUM_PROXIES": 0,
}


def _api_rate(name: str, default: str) -> str | None:
    """Requests per token (or signed-in session), or per IP without credentials, as DRF
    writes rates ("600/minute", "20/second"); "none" turns the limit off."""
    value = env(name, default=default).strip()
    if value.lower() in ("", "none"):
        return None
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise environ.ImproperlyConfigured(f"{name} must be like 600/minute or none.")
    return value


API_RATE_TOKEN = _api_rate("API_RATE_TOKEN", "600/minute")
API_RATE_ANONYMOUS = _api_rate("API_RATE_ANONYMOUS", "60/minute")
# Failed token authentications per IP (accounts/authentication.py): past it, every token
# request from that IP is a 429 until the window moves on, so keys cannot be guessed at speed.
API_RATE_TOKEN_FAILURES = _api_rate("API_RATE_TOKEN_FAILURES", "20/minute")

SPECTACULAR_SETTINGS = {
    "TITLE": "Misfire API",
    "DESCRIPTION": "Social-media failures, their causes and what was learned from them. "
                   "Every error is an `Error`; every list is a cursor page.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Swagger UI's files come from drf-spectacular-sidecar, served with the static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.Status",
        "SourceKindEnum": "incidents.models.SourceKind",
        "TimelineKindEnum": "incidents.models.TimelineEvent.Kind",
        "LearningStatusEnum": "learnings.models.LearningStatus",
        "ActionKindEnum": "learnings.models.ActionKind",
    },
}

# Seconds the library dashboard's counts stay in the cache at most. They are counted again
# after any change to an incident anyway (see dashboards.metrics.library_metrics); this only
# bounds how long an entry lives. 0: count on every view.
LIBRARY_METRICS_CACHE_SECONDS = env.int("LIBRARY_METRICS_CACHE_SECONDS", default=3600)
