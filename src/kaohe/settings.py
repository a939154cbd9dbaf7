"""Django settings for Kaohe, read from the environment and checked at start-up.

Every setting an operator may change comes from a `KAOHE_*` environment variable; a malformed
value stops the process with a message naming the variable (see docs/operations.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from kaohe.core.clientip import trusted_networks

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("KAOHE_DATA_DIR", Path.cwd() / "var")).resolve()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable; anything but a recognised word is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Read an integer variable with a lower bound."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("KAOHE_DEBUG", False)
_DEV_SECRET = "insecure-development-key-only-for-KAOHE_DEBUG=1-never-in-production"
SECRET_KEY = os.environ.get("KAOHE_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "KAOHE_SECRET_KEY is not set. Set it to a long random string, or set KAOHE_DEBUG=1 "
            "for a development server."
        )
    SECRET_KEY = _DEV_SECRET
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "KAOHE_SECRET_KEY must be at least 50 characters long with at least 5 different characters"
    )

ALLOWED_HOSTS = env_list("KAOHE_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("KAOHE_ALLOWED_HOSTS must name the host(s) served, comma-separated")
CSRF_TRUSTED_ORIGINS = env_list("KAOHE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "kaohe.core",
    "kaohe.units",
    "kaohe.indicators",
    "kaohe.schemes",
    "kaohe.observations",
    "kaohe.results",
    "kaohe.goals",
    "kaohe.monitoring",
    "kaohe.surveys",
    "kaohe.panels",
    "kaohe.projects",
    "kaohe.rectification",
    "kaohe.people",
    "kaohe.web",
    "kaohe.demo",
]

MIDDLEWARE = [
    "kaohe.surveys.admission.AdmissionMiddleware",  # first: an overloaded answer page sheds here
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kaohe.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kaohe.urls"
WSGI_APPLICATION = "kaohe.wsgi.application"
ASGI_APPLICATION = "kaohe.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kaohe.web.context_processors.navigation",
            ],
        },
    }
]

_DEFAULT_DB = f"sqlite:///{DATA_DIR / 'kaohe.sqlite3'}"
DATABASE_URL = os.environ.get("KAOHE_DATABASE_URL", _DEFAULT_DB)


def database_from_url(url: str, *, variable: str) -> dict[str, Any]:
    """Turn a database URL into Django's settings; SQLite gets WAL and immediate transactions."""
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise ImproperlyConfigured(f"{variable}={url!r}: {exc}") from None
    engine = config.get("ENGINE", "")
    if engine.endswith("sqlite3"):
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {}).update(
            {
                # WAL lets readers go on while one process writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue instead of failing with "database locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                " PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
                "transaction_mode": "IMMEDIATE",
            }
        )
    elif "postgresql" not in engine:
        raise ImproperlyConfigured(
            f"{variable}={url!r}: Kaohe runs on SQLite or PostgreSQL, not {engine}"
        )
    return config


DATABASES = {"default": database_from_url(DATABASE_URL, variable="KAOHE_DATABASE_URL")}

# Redis: the stream of incoming values (`kaohe consume`) and the events published after each
# accepted batch. Empty disables publishing (the pipeline itself never needs Redis).
KAOHE_REDIS_URL = os.environ.get("KAOHE_REDIS_URL", "redis://127.0.0.1:6379/0")
# The Redis stream `kaohe consume` reads values from (one consumer group, "kaohe-ingest").
KAOHE_STREAM = os.environ.get("KAOHE_STREAM", "kaohe:observations")
if KAOHE_REDIS_URL and not KAOHE_REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"KAOHE_REDIS_URL={KAOHE_REDIS_URL!r}: expected redis://, rediss:// or unix://"
    )

# Jobs: long work (scoring runs, target suggestions) runs in `kaohe worker` processes, queued in
# the database through Django's Tasks API (django-tasks + django-tasks-db; see docs/decisions.md).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# A running job whose worker has not beaten its heart for this long is taken as lost: it is
# queued again while attempts remain, else failed with "worker lost".
KAOHE_JOB_STALE_SECONDS = env_int("KAOHE_JOB_STALE_SECONDS", 120, minimum=1)
# How often a worker marks its running job alive (well under the stale timeout).
KAOHE_JOB_HEARTBEAT_SECONDS = env_int("KAOHE_JOB_HEARTBEAT_SECONDS", 10, minimum=1)
# Attempts a job gets (a lost worker uses one); a retry by hand starts a fresh count.
KAOHE_JOB_MAX_ATTEMPTS = env_int("KAOHE_JOB_MAX_ATTEMPTS", 3, minimum=1)
if KAOHE_JOB_HEARTBEAT_SECONDS >= KAOHE_JOB_STALE_SECONDS:
    raise ImproperlyConfigured(
        "KAOHE_JOB_HEARTBEAT_SECONDS must be shorter than KAOHE_JOB_STALE_SECONDS"
    )

# An uploaded file larger than this is read by a worker as a job (the page links its progress);
# a smaller one is read within the request.
KAOHE_UPLOAD_INLINE_BYTES = env_int("KAOHE_UPLOAD_INLINE_BYTES", 512 * 1024, minimum=0)
# An API list asked for as CSV gives every matching row, up to this many (more: a 400 that asks
# for narrower filters).
KAOHE_CSV_MAX_ROWS = env_int("KAOHE_CSV_MAX_ROWS", 100_000, minimum=1)

# Survey submissions (the answer pages under /s/): the most taken per second, counted in the
# default cache (shared by the workers with KAOHE_CACHE_URL, per worker without; 0: no limit);
# over it a submission is answered 503 with Retry-After. On PostgreSQL a submission waits this
# long for a lock before it is answered 503 the same way (SQLite: its 5 s busy timeout).
KAOHE_SURVEY_MAX_PER_SECOND = env_int("KAOHE_SURVEY_MAX_PER_SECOND", 0, minimum=0)
KAOHE_SURVEY_LOCK_TIMEOUT_MS = env_int("KAOHE_SURVEY_LOCK_TIMEOUT_MS", 3000, minimum=0)

# Pages and API lists cached on the version of the data (`kaohe.core.fragments`): the longest
# an entry lives (0: no caching). The default cache is each process's memory unless
# KAOHE_CACHE_URL names a Redis server (then the workers share it).
KAOHE_FRAGMENT_SECONDS = env_int("KAOHE_FRAGMENT_SECONDS", 600, minimum=0)
KAOHE_CACHE_URL = os.environ.get("KAOHE_CACHE_URL", "")
if KAOHE_CACHE_URL and not KAOHE_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"KAOHE_CACHE_URL={KAOHE_CACHE_URL!r}: expected redis://, rediss:// or unix://"
    )
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": KAOHE_CACHE_URL}
        if KAOHE_CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kaohe.core.passwords.CharacterClassValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures (django-axes): per user name and the client's real address, so
# that failures from one address never lock the account for anyone else. Behind a reverse proxy
# the proxies must be named (KAOHE_TRUSTED_PROXIES); only then is X-Forwarded-For believed.
try:
    KAOHE_TRUSTED_PROXY_NETWORKS = trusted_networks(env_list("KAOHE_TRUSTED_PROXIES", []))
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
AXES_CLIENT_IP_CALLABLE = "kaohe.core.clientip.client_ip"
AXES_FAILURE_LIMIT = env_int("KAOHE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("KAOHE_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("KAOHE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("KAOHE_STATIC_ROOT", DATA_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("KAOHE_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's parsers, refusing NUL characters in text with a 400 (kaohe.core.parsers)
    "DEFAULT_PARSER_CLASSES": [
        "kaohe.core.parsers.NulFreeJSONParser",
        "kaohe.core.parsers.NulFreeFormParser",
        "kaohe.core.parsers.NulFreeMultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "kaohe.core.pagination.Pagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "kaohe.core.renderers.BrowsableAPI",
        "kaohe.core.renderers.CSVRenderer",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "kaohe.core.renderers.ContentNegotiation",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "kaohe.core.schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kaohe API",
    "DESCRIPTION": "Kaohe (考核) performance-assessment platform. Every list is scoped to the "
    "caller's units; objects outside the scope answer 404.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kaohe.core.schema.csv_as_text",
    ],
    "ENUM_NAME_OVERRIDES": {
        "IndicatorStatusEnum": "kaohe.indicators.models.Indicator.Status",
        "AdmissionStatusEnum": "kaohe.indicators.models.AdmissionRequest.Status",
        # scheme versions and scoring runs share draft / published / superseded
        "PublicationStatusEnum": "kaohe.schemes.models.SchemeVersion.Status",
        "SurveyKindEnum": "kaohe.surveys.models.Survey.Kind",
        "StaffGradeEnum": "kaohe.people.models.StaffGrade",
        "KeyProjectStatusEnum": "kaohe.projects.models.KeyProject.Status",
    },
}

# Content-Security-Policy (django-csp): scripts only from our own static files, no inline script
# and no eval; styles from our files, plus style *attributes* (the templates' small layout
# touches and the chart tooltips ECharts writes), never an inline <style> element.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A session ends when the browser closes, and after eight hours (one working day) at most.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = env_int("KAOHE_SESSION_HOURS", 8, minimum=1) * 3600
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("KAOHE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("KAOHE_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_HSTS_SECONDS = env_int("KAOHE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAOHE_LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools log every layout step at INFO
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
