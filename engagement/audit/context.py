from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def identity(request: HttpRequest) -> dict[str, Any]:
    """What the sign-in page shows: the SSO button, and whether passwords are turned off."""
    return {
        "oidc_enabled": settings.OIDC_ENABLED,
        "local_passwords_enabled": settings.LOCAL_PASSWORDS_ENABLED,
    }
