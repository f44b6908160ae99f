"""Production (``DJANGO_DEBUG=0``): required variables, HTTPS, hashed and compressed static files.

Loaded on top of ``base`` by ``engagement.settings`` when ``DJANGO_DEBUG=0``.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from engagement.settings.base import STORAGES
from engagement.settings.environment import env, env_bool, env_int

PRODUCTION_REQUIRED = (
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "FIELD_ENCRYPTION_KEYS",
)
missing = [name for name in PRODUCTION_REQUIRED if not env(name)]
if missing:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG=0 (production) needs these environment variables: "
        + ", ".join(missing)
        + ". See README.md, 'Configuration'."
    )

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Secure by default; a deployment behind plain HTTP (an internal test host) turns them off
# explicitly with the variables, never by editing code.
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", True)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", True)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
