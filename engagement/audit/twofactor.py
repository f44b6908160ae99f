"""Two-factor sign-in required for administrators, and the lockout answer of django-axes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from engagement.audit.services import has_confirmed_totp, is_admin
from engagement.platform.clientip import client_ip

OIDC_BACKEND = "engagement.audit.oidc.StaffOIDCBackend"
# Paths an administrator without a verified second factor may still reach.
EXEMPT_PREFIXES = ("/accounts/", "/admin/logout/", "/static/", "/i18n/", "/healthz")


def needs_second_factor(request: HttpRequest) -> bool:
    """An administrator signed in with a local password whose session has no verified code."""
    user = getattr(request, "user", None)
    if not settings.TWO_FACTOR_REQUIRED_FOR_ADMINS or user is None:
        return False
    if not user.is_authenticated or user.is_verified():
        return False
    if request.session.get("_auth_user_backend") == OIDC_BACKEND:
        return False  # the identity provider's own MFA applies
    return is_admin(user)


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(EXEMPT_PREFIXES) and needs_second_factor(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "error": {
                            "code": "two_factor_required",
                            "message": _("Two-factor sign-in is required for administrators."),
                            "fields": {},
                        }
                    },
                    status=403,
                )
            name = "audit:two-factor" if has_confirmed_totp(request.user) else "audit:enrol"
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse(name)}?{query}")
        return self.get_response(request)


def locked_out(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """What django-axes answers to a locked-out sign-in (HTTP 429, in Japanese)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "audit/locked_out.html",
        {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


def axes_client_ip(request: HttpRequest) -> str:
    return client_ip(request)
