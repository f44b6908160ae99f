"""Staff identity and accountability (issue 18): sign-in, two-factor, lockout, sessions, audit.

Imported at the end of ``base``; ``base`` adds ``IDENTITY_APPS`` to ``INSTALLED_APPS`` and places
``IDENTITY_MIDDLEWARE_AFTER_AUTH`` right after ``AuthenticationMiddleware``. Every value comes
from an environment variable (README, "Staff sign-in and the audit log").
"""

from __future__ import annotations

from datetime import timedelta

from engagement.settings.environment import env, env_bool, env_int, env_list

IDENTITY_APPS = [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "mozilla_django_oidc",
    "engagement.audit.apps.AuditConfig",
]
IDENTITY_MIDDLEWARE_AFTER_AUTH = [
    "django_otp.middleware.OTPMiddleware",
    "engagement.audit.middleware.AuditMiddleware",
    "engagement.audit.middleware.SessionLimitsMiddleware",
    "engagement.audit.twofactor.RequireTwoFactorMiddleware",
]
# Axes answers a locked-out sign-in itself: it must be the last middleware.
IDENTITY_MIDDLEWARE_LAST = ["axes.middleware.AxesMiddleware"]

# --- Sign-in: local passwords and OpenID Connect ---------------------------------------------
# Axes first (refuses a locked-out user before any password check), then local passwords, then
# the identity provider when one is configured.
OIDC_OP_ISSUER = env("OIDC_ISSUER")
OIDC_ENABLED = bool(OIDC_OP_ISSUER)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "engagement.audit.backends.LocalPasswordBackend",
]
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("engagement.audit.oidc.StaffOIDCBackend")

# Local passwords off: only the break-glass accounts may sign in with a password.
LOCAL_PASSWORDS_ENABLED = env_bool("LOCAL_PASSWORDS_ENABLED", True)
BREAK_GLASS_USERNAMES = env_list("BREAK_GLASS_USERNAMES")

# Endpoints default to the issuer's discovery document (read once, at start-up: see
# engagement.audit.oidc); each may be set explicitly instead.
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID", "") or ""
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", "") or ""
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256") or "RS256"
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid email profile") or "openid email profile"
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_AUTHORIZATION_ENDPOINT", "") or ""
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_TOKEN_ENDPOINT", "") or ""
OIDC_OP_USER_ENDPOINT = env("OIDC_USERINFO_ENDPOINT", "") or ""
OIDC_OP_JWKS_ENDPOINT = env("OIDC_JWKS_ENDPOINT", "") or ""
OIDC_TOKEN_USE_BASIC_AUTH = env_bool("OIDC_TOKEN_USE_BASIC_AUTH", True)
OIDC_USE_NONCE = True
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 5)
OIDC_ALLOWED_EMAIL_DOMAINS = [d.lower() for d in env_list("OIDC_ALLOWED_EMAIL_DOMAINS")]
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", "groups") or "groups"
# "IdP group=product role;…", e.g. "cs-agents=CS agent;engage-admins=Administrator".
OIDC_ROLE_MAP = {
    left.strip(): right.strip()
    for left, _sep, right in (
        item.partition("=") for item in (env("OIDC_ROLE_MAP", "") or "").split(";")
    )
    if left.strip() and right.strip()
}
OIDC_CREATE_USER = True
LOGIN_REDIRECT_URL = "/admin/"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/sign-in-failed/"
LOGOUT_REDIRECT_URL = "/admin/login/"
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"

# --- Two-factor (TOTP + recovery codes) and lockout --------------------------------------------
# Staff with the Administrator role (and superusers) who sign in with a local password must
# pass a TOTP or recovery code; staff who sign in through the identity provider rely on its MFA.
# On by default in production (DJANGO_DEBUG=0), off in development and the demo.
TWO_FACTOR_REQUIRED_FOR_ADMINS = env_bool(
    "TWO_FACTOR_REQUIRED_FOR_ADMINS", not env_bool("DJANGO_DEBUG", True)
)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Engagement") or "Engagement"
RECOVERY_CODES = 10
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 30))
# Either the same username or the same address failing AXES_FAILURE_LIMIT times locks.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "engagement.audit.twofactor.locked_out"
AXES_CLIENT_IP_CALLABLE = "engagement.audit.twofactor.axes_client_ip"
AXES_VERBOSE = False

# --- Sessions and passwords ---------------------------------------------------------------------
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME_SECONDS", 12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME or 1209600
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Audit log and retention ------------------------------------------------------------------
# PostgreSQL: audit batches commit without waiting for the disk (see engagement.audit.log).
AUDIT_ASYNC_COMMIT = env_bool("AUDIT_ASYNC_COMMIT", True)
# Defaults for the retention rules (months; 0 keeps for ever); the admin's rules override them.
RETENTION_DEFAULT_MONTHS = {
    "feedback_text": env_int("RETENTION_FEEDBACK_TEXT_MONTHS", 0),
    "responses": env_int("RETENTION_RESPONSES_MONTHS", 0),
    "behaviour": env_int("RETENTION_BEHAVIOUR_MONTHS", 0),
    "audit_log": env_int("RETENTION_AUDIT_LOG_MONTHS", 0),
    "exports": env_int("RETENTION_EXPORTS_MONTHS", 0),
}
IDENTITY_BEAT_SCHEDULE = {
    "audit-apply-retention": {"task": "audit.apply_retention", "schedule": 86400.0},
}
# django-otp counts wrong codes; the lock after AXES_FAILURE_LIMIT is ours (audit.services).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
