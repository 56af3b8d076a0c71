"""Settings for every environment.

Every value can be set from the environment (``DJANGO_`` prefix, plus ``DATABASE_URL`` and
``REDIS_URL``). With nothing set the site runs on the embedded default: SQLite, Celery eager,
local-memory cache and e-mail to the console.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"DJANGO_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(f"DJANGO_{name}")
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# A development key only: production refuses to start without DJANGO_SECRET_KEY (see below).
SECRET_KEY = env("SECRET_KEY", "dev-insecure-only-for-local-use-9f3c2b7e")
if not DEBUG and SECRET_KEY.startswith("dev-insecure"):
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_htmx",
    "axes",
    "csp",
    "tenancy",
    "inventory",
    "sampling",
    "deadlines",
    "inspections",
    "publication",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Opens the tenant scope around the view, after the user is known.
    "tenancy.middleware.TenantScopeMiddleware",
    # Last: a NUL in the URL is a 400 before any view reads it (the error page has the layout).
    "tenancy.middleware.RefuseNulMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "tenancy.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenancy.context_processors.tenant",
            ],
        },
    }
]

if not os.environ.get("DATABASE_URL"):
    (BASE_DIR / "var").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A second connection to the same database, autocommitted, for job progress (tenancy/jobs.py).
    DATABASES["progress"] = {**DATABASES["default"], "ATOMIC_REQUESTS": False, "TEST": {"MIRROR": "default"}}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Readers must not fail while an import holds the write lock.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# A county bureau sits behind one NAT address: locking by IP would lock the whole bureau out.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Sessions end after two idle hours and when the browser closes.
SESSION_COOKIE_AGE = int(env("SESSION_IDLE_SECONDS", str(2 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
# ...without writing back what a request only read (tenancy/sessions.py says why).
SESSION_ENGINE = "tenancy.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Object grants (django-guardian's tables) are read and written only through tenancy/grants.py,
# which keeps the tenant scope as the outer filter. Guardian's backend would answer
# user.has_perm(perm, obj) past the scope, so it is not installed (hence guardian.W001), nor are
# its methods patched onto User and Group; no anonymous user row: the public never holds a grant.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False
GUARDIAN_MONKEY_PATCH_GROUP = False
SILENCED_SYSTEM_CHECKS.append("guardian.W001")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: spreadsheets up to 20 MB by default (the importer checks and says so in Chinese).
IMPORT_MAX_BYTES = int(env("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# What an .xlsx may unpack to (counted while decompressing: a 300 KB upload can hold gigabytes);
# the command line's own file cap (`import_registry --max-bytes`), its unpacked cap in the same ratio.
IMPORT_MAX_UNPACKED_BYTES = int(env("IMPORT_MAX_UNPACKED_BYTES", str(512 * 1024 * 1024)))
IMPORT_COMMAND_MAX_BYTES = int(env("IMPORT_COMMAND_MAX_BYTES", str(2 * 1024 * 1024 * 1024)))
# A queued or running background job (an import, a batch draw, a PDF batch) whose worker gave no
# sign of life this long is marked failed (tenancy/jobs.py); IMPORT_… is the name it had.
JOB_STALE_AFTER_SECONDS = int(env("JOB_STALE_AFTER_SECONDS", env("IMPORT_STALE_AFTER_SECONDS", "300")))
# Attachments (signed scans, evidence photos): PDF/JPEG/PNG checked by content, 10 MB each (tenancy/uploads.py).
ATTACHMENT_MAX_BYTES = int(env("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: real worker and beat with Redis; eager in the embedded default.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process that grew past this (KiB) after a task — a long 备案表 takes WeasyPrint over
# 1 GB — is replaced, so the memory goes back to the machine instead of staying with it.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(env("CELERY_MAX_MEMORY_PER_CHILD_KB", "524288"))
# Longer than the longest task (a bulk draw or a 100,000-row import), so a slow task is not redelivered:
# a message a dead worker held is delivered again once this has passed since it was taken.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", str(3 * 3600)))}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
# `celery -A config beat` keeps its last-run times here (var/ is writable in the image too).
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILE", str(BASE_DIR / "var" / "celerybeat-schedule"))
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Built from the apps' periodic jobs (tenancy.periodic.JOBS, config/celery.py); entries here are added to them.
CELERY_BEAT_SCHEDULE: dict = {}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "双随机监管平台 <noreply@localhost>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Strict filters: a value a filter cannot use is a 400, not a filter left out (tenancy/filters.py).
    "DEFAULT_FILTER_BACKENDS": ["tenancy.filters.StrictFilterBackend"],
    # JSON bodies only: a multipart PATCH whose body was no object at all changed nothing and said 200.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "tenancy.pagination.CodeCursorPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "tenancy.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": env("API_THROTTLE", "6000/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "双随机、一公开监管平台 API",
    "DESCRIPTION": "REST API v1 for provincial platforms and other systems. 省级平台同步接口。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Group operations by resource (entities, draws, …), not by the version segment.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Several models have a choice set named "status": each gets a name of its own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "InspectionStatusEnum": "inspections.models.Inspection.Status",
        "AnswerStatusEnum": "inspections.models.Answer.Status",
        "HandlingStatusEnum": "inspections.models.Handling.Status",
    },
}

# Content-Security-Policy: everything from our own origin, nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# The container health check calls plain http inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' preload list is the domain owner's decision, not a default.
        SILENCED_SYSTEM_CHECKS.append("security.W021")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Product settings: the defaults of the rules, each overridable per organization later.
SITE_TITLE = _("双随机、一公开监管平台")
FILING_DEADLINE_DAYS = int(env("FILING_DEADLINE_DAYS", "2"))  # 阳城县发改局方案：抽取后 2 日内备案
ASYNC_IMPORT_ROW_THRESHOLD = int(env("ASYNC_IMPORT_ROW_THRESHOLD", "5000"))
ASYNC_DRAW_POOL_THRESHOLD = int(env("ASYNC_DRAW_POOL_THRESHOLD", "50000"))
# A 备案表 with more target rows than this is rendered by a worker (WeasyPrint: ~5 ms a row).
ASYNC_FILING_PDF_ROWS = int(env("ASYNC_FILING_PDF_ROWS", "300"))
# The 备案表 lists at most this many targets (and reserves); beyond it the full list is an .xlsx
# annex whose SHA-256 the PDF prints (a worker lays out ~2,000 rows in ~400 MB, and no more).
FILING_PDF_MAX_ROWS = int(env("FILING_PDF_MAX_ROWS", "2000"))
# Without a worker (Celery inline) a task's zip of 检查记录表 is built in the request: at most this
# many records (~0.25 s each); a larger task needs REDIS_URL and a worker.
INSPECTION_RECORDS_INLINE_MAX = int(env("INSPECTION_RECORDS_INLINE_MAX", "100"))
AXES_LOCKOUT_CALLABLE = "tenancy.views.locked_out"
# Deadlines: how often beat scans for reminders and overdue items; the address e-mails link to.
DEADLINES_SCAN_SECONDS = int(env("DEADLINES_SCAN_SECONDS", "900"))
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# Test hooks only (tests/integration/test_deadlines_worker.py): the scan pauses while this file exists.
DEADLINES_TEST_PAUSE_FILE = env("DEADLINES_TEST_PAUSE_FILE")
DEADLINES_TEST_NOW = env("DEADLINES_TEST_NOW")  # likewise: the periodic scans run as of this moment
