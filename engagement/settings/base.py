"""Every setting, from environment variables, with defaults that run with nothing installed.

Development (the default, ``DJANGO_DEBUG`` unset or ``1``): SQLite file database, Celery tasks run
in-process, e-mail printed to the console. ``production.py`` adds what ``DJANGO_DEBUG=0`` needs.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from engagement.settings.environment import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-" + "x" * 32)
# Keys that encrypt provider tokens, signing secrets and webhook URLs in the database
# (``engagement.platform.encryption``): comma-separated Fernet keys, the first encrypts, all
# decrypt (rotation: a new key first, then ``manage.py reencrypt_secrets``). Required in
# production; in development a key derived from SECRET_KEY is used when it is not set.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")
if not FIELD_ENCRYPTION_KEYS and DEBUG:
    _digest = hashlib.sha256(("field-encryption:" + SECRET_KEY).encode()).digest()
    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(_digest).decode()]
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Number of reverse proxies in front of the app whose X-Forwarded-For entries are trusted.
# 0 (the default) means the socket's address is the client's: a forged header changes nothing.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Public base URL used in links sent by e-mail and in exported survey links.
SITE_URL = (env("SITE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "engagement.platform.apps.PlatformConfig",
    "engagement.integrations.apps.IntegrationsConfig",
    "engagement.customers.apps.CustomersConfig",
    "surveys.apps.SurveysConfig",
    "voc.apps.VocConfig",
    "voc.triage.apps.TriageConfig",
    "engagement.dashboard.apps.DashboardConfig",
    "engagement.reports.apps.ReportsConfig",
    "engagement.demo.apps.DemoConfig",
    "engagement.benchmarks.apps.BenchmarksConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "engagement.urls"
WSGI_APPLICATION = "engagement.wsgi.application"

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
                "csp.context_processors.nonce",
                "engagement.platform.branding.context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif env("DATABASE_TEST_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env("DATABASE_TEST_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Japanese first -------------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "engagement" / "locale"]
TIME_ZONE = "Asia/Tokyo"
# Dates as 2026年12月7日 20:08 (engagement/platform/formats/ja/formats.py).
FORMAT_MODULE_PATH = ["engagement.platform.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes (and WhiteNoise serves from); ./staticfiles unless set.
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")) or "")
STATICFILES_DIRS = [BASE_DIR / "engagement" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

LOGIN_URL = "admin:login"

# --- Cache (rate limits, dashboard fragments) -------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A black-holed Redis must not hang a request: fail fast (0.25 s: a local Redis
            # answers in a millisecond), then the rate limits count in the database for 30 s
            # (engagement.platform.ratelimits). With the broker's 0.3 s, a submit that meets
            # both during an outage still answers within a second.
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A cache that cannot count raises, and engagement.platform.ratelimits counts in the database.
RATELIMIT_FAIL_OPEN = False
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
# Public survey pages (surveys.ratelimits): requests per client address and method, and new
# answers started through a public link, per client and link and per link in total.
SURVEYS_RATE_LIMITS = {"GET": "120/m", "POST": "30/m"}
SURVEYS_PUBLIC_START_LIMITS = {
    "client": env("SURVEYS_PUBLIC_PER_CLIENT", "10/h"),
    "link": env("SURVEYS_PUBLIC_PER_LINK", "600/h"),
}
# A page posted sooner than this after it was shown is shown again (bots post at once).
SURVEYS_MIN_SECONDS_ON_PAGE = float(env("SURVEYS_MIN_SECONDS_ON_PAGE", "2") or 2)
# PostgreSQL: a page of partial answers commits without waiting for the disk (the submit waits).
SURVEYS_ASYNC_PAGE_SAVES = env_bool("SURVEYS_ASYNC_PAGE_SAVES", True)

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "no-reply@example.jp")

# --- Survey messaging channels (surveys.channels) ---------------------------------------------
# Credentials come from the environment or from the admin (Surveys → messaging channels; a
# saved, enabled row wins). Base URLs are settings so tests point them at a local server.
LINE_API_BASE_URL = (env("LINE_API_BASE_URL", "https://api.line.me") or "").rstrip("/")
LINE_CHANNEL_ACCESS_TOKEN = env("LINE_CHANNEL_ACCESS_TOKEN", "") or ""
LINE_CHANNEL_SECRET = env("LINE_CHANNEL_SECRET", "") or ""
TWILIO_API_BASE_URL = (env("TWILIO_API_BASE_URL", "https://api.twilio.com") or "").rstrip("/")
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", "") or ""
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", "") or ""
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", "") or ""
# Seconds for connecting to and hearing back from a provider; a timeout is retried later.
CHANNEL_HTTP_TIMEOUT = float(env("CHANNEL_HTTP_TIMEOUT", "10") or 10)
# Which channel a customer is invited by, first usable one wins.
SURVEYS_CHANNEL_ORDER = env_list("SURVEYS_CHANNEL_ORDER", "line,email,sms")
# No survey message is sent between these hours (Asia/Tokyo, "start-end"; "off" for none);
# a send that falls in them waits until their end.
SURVEYS_QUIET_HOURS = env("SURVEYS_QUIET_HOURS", "21-8") or "21-8"
# An SMS longer than this many segments (70 UCS-2 characters each, 67 when split) is refused.
SMS_MAX_SEGMENTS = env_int("SMS_MAX_SEGMENTS", 3)

# --- Celery -----------------------------------------------------------------------------------
# No broker configured: tasks run in-process (development and the demo). With a broker, the
# web side only records work in the outbox (engagement.platform.outbox); a periodic sweeper re-sends
# whatever is still pending, so a broker outage delays work but loses none.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Publishing happens after commit in the web request (engagement.platform.outbox): a broker that
# is down or black-holed must cost at most one short timeout (0.3 s), never seconds of retries;
# the message stays pending and the sweep sends it later. With the cache's 0.25 s, a submit
# that meets both during an outage still answers well within a second (tested).
CELERY_BROKER_CONNECTION_TIMEOUT = 0.3
CELERY_BROKER_CONNECTION_MAX_RETRIES = 0
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
# The longest task (a full topic re-run over a large set) stays well under this.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 4 * 3600),
    "socket_timeout": 0.3,
    "socket_connect_timeout": 0.3,
    "max_retries": 0,
}
CELERY_TASK_TIME_LIMIT = 3 * 3600
CELERY_TASK_SOFT_TIME_LIMIT = 3 * 3600 - 300
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "engagement.sweep_outbox", "schedule": 60.0},
    "prune-rate-counters": {"task": "engagement.prune_rate_counters", "schedule": 3600.0},
    "surveys-distribution": {"task": "surveys.run_distribution", "schedule": 900.0},
    "triage-escalate-overdue": {"task": "triage.escalate_overdue", "schedule": 300.0},
    "triage-send-digests": {"task": "triage.send_digests", "schedule": 900.0},
    "triage-apply-pending-rules": {"task": "triage.apply_pending_rules", "schedule": 600.0},
    "reports-weekly": {"task": "reports.schedule_weekly_reports", "schedule": 3600.0},
    # Through the outbox (same dedup key as an on-demand run): one at a time, with a lease.
    "voc-run-analysis": {
        "task": "engagement.enqueue_periodic",
        "schedule": 86400.0,
        "kwargs": {"task_name": "voc.run_analysis", "dedup_key": "voc-run-analysis"},
    },
    "voc-analyze-pending": {"task": "voc.analyze_pending", "schedule": 600.0},
    "dashboard-refresh-rollups": {"task": "dashboard.refresh_rollups", "schedule": 600.0},
    "customer-values": {"task": "engagement.refresh_customer_values", "schedule": 86400.0},
    "integrations-retry-due": {"task": "integrations.retry_due", "schedule": 15.0},
    "voc-detect-topic-spikes": {"task": "voc.detect_topic_spikes", "schedule": 3600.0},
}
OUTBOX_RESEND_AFTER_SECONDS = env_int("OUTBOX_RESEND_AFTER_SECONDS", 120)
# A running outbox task holds a lease it renews every third of this; the sweep never re-sends a
# message whose lease is live, and a second delivery of it skips while the first one beats.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 60)

# --- Integrations (webhooks, chat alerts) -------------------------------------------------------
INTEGRATIONS_HTTP_TIMEOUT = env_int("INTEGRATIONS_HTTP_TIMEOUT", 5)
# A delivery the receiver did not take (5xx, 429, time-out) is tried again after
# base × 2^(attempt − 1) seconds (or the receiver's Retry-After), capped at an hour, up to this
# many attempts; then it is marked failed and can be replayed from the admin.
INTEGRATIONS_MAX_ATTEMPTS = env_int("INTEGRATIONS_MAX_ATTEMPTS", 12)
INTEGRATIONS_RETRY_BASE_SECONDS = env_int("INTEGRATIONS_RETRY_BASE_SECONDS", 5)
# http://127.0.0.1 receivers (development and the tests' local provider servers) only.
INTEGRATIONS_ALLOW_LOOPBACK = env_bool("INTEGRATIONS_ALLOW_LOOPBACK", DEBUG)
CHATWORK_API_BASE = (env("CHATWORK_API_BASE", "https://api.chatwork.com/v2") or "").rstrip("/")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["engagement.platform.api_conventions.StaffModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "engagement.platform.api_conventions.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "engagement.platform.api_conventions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"user": "600/min", "anon": "60/min"},
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Engagement platform API",
    "DESCRIPTION": (
        "Surveys, VoC and behaviour data for staff systems. Every error has the shape "
        '{"error": {"code": str, "message": str, "fields": {field: [message]}}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get stable, meaningful names in the schema.
    "ENUM_NAME_OVERRIDES": {
        "FeedbackChannelEnum": "voc.models.Channel",
        "ReportStatusEnum": "engagement.reports.models.ReportStatus",
        "ActionStatusEnum": "engagement.reports.models.ActionStatus",
        "ImportStatusEnum": "engagement.customers.models.ImportStatus",
        "TriageStateEnum": "voc.models.TriageState",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "engagement.platform.api_conventions.document_error_responses",
    ],
    # Swagger UI served from the app itself (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ---------------------------------------------------------------------------------
# Content-Security-Policy on every page (django-csp): scripts only from this site or with the
# request's nonce, never inline handlers. Style attributes are allowed (``style-src-attr``: the
# admin and the charts set widths with them; they cannot run code); style sheets and <style>
# elements only from this site or with the nonce. Customer pages send their own, stricter policy
# (``surveys.customer_pages``).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
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
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", False)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "engagement.platform.logfilters.RedactTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Provider calls (LINE, Twilio): the request line names the account; only problems.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Staff identity and accountability (issue 18; all of it in settings/identity.py) ----------
from engagement.settings.identity import *  # noqa: E402, F403
from engagement.settings.identity import (  # noqa: E402
    IDENTITY_APPS,
    IDENTITY_BEAT_SCHEDULE,
    IDENTITY_MIDDLEWARE_AFTER_AUTH,
    IDENTITY_MIDDLEWARE_LAST,
)

_apps = INSTALLED_APPS.index("engagement.customers.apps.CustomersConfig")
INSTALLED_APPS = [*INSTALLED_APPS[:_apps], *IDENTITY_APPS, *INSTALLED_APPS[_apps:]]
_auth = MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
MIDDLEWARE = [*MIDDLEWARE[:_auth], *IDENTITY_MIDDLEWARE_AFTER_AUTH, *MIDDLEWARE[_auth:]]
MIDDLEWARE += IDENTITY_MIDDLEWARE_LAST
CELERY_BEAT_SCHEDULE = {**CELERY_BEAT_SCHEDULE, **IDENTITY_BEAT_SCHEDULE}
TEMPLATES[0]["OPTIONS"]["context_processors"].append("engagement.audit.context.identity")
