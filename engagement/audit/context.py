from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def identity(request: HttpRequest) -> dict[str, Any]:
    """What the sign-in page shows: the SSO button, whether passwords are turned off, and
    whether the last session ended by a time limit (read only by the templates that ask, so
    other pages never load the session for it)."""

    def session_expired() -> bool:
        session = getattr(request, "session", None)
        return bool(session.pop("session_expired", False)) if session is not None else False

    return {
        "session_expired": session_expired,
        "oidc_enabled": settings.OIDC_ENABLED,
        "local_passwords_enabled": settings.LOCAL_PASSWORDS_ENABLED,
    }
