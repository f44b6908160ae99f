"""What every customer page shares: language (Japanese unless switched), rate limit, CSRF check,
security headers, and the message pages (invalid link 404, closed 410, already answered).

Headers: ``Referrer-Policy: no-referrer``, ``Cache-Control: no-store``, a CSP that allows only this
site's own files, ``X-Robots-Tag: noindex``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware, RejectRequest
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from surveys.models import (
    Survey,
)
from surveys.ratelimits import limited

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _csrf_failed(request: HttpRequest) -> bool:
    """Django's CSRF token check, without its Origin/Referer check.

    ``Referrer-Policy: no-referrer`` makes browsers send ``Origin: null`` and no ``Referer`` with
    the form posts of these pages, which Django's middleware rejects. The cookie/form token pair
    (double submit, ``SameSite=Lax`` cookie) is still required; personal-link URLs additionally
    carry an unguessable token an attacker does not know.
    """
    if getattr(request, "_dont_enforce_csrf_checks", False):  # Django's test client
        return False
    try:
        CsrfViewMiddleware(lambda r: HttpResponse())._check_token(request)
    except RejectRequest:
        return True
    return False


def customer_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        switch = request.GET.get("lang", "")
        if switch in dict(settings.LANGUAGES):
            language = switch
        if language not in dict(settings.LANGUAGES):
            language = "ja"
        translation.activate(language)
        request.LANGUAGE_CODE = language
        if switch in dict(settings.LANGUAGES):
            # Language links are plain GET links (a form post to /i18n/setlang/ would carry
            # "Origin: null" under no-referrer): remember the choice, drop the parameter.
            response: HttpResponse = HttpResponseRedirect(request.path, status=303)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=request.is_secure(),
                httponly=True,
            )
        elif limited(request):
            response = message_page(
                request,
                status=429,
                title=_("Too many requests"),
                text=_("Please wait a moment and try again."),
            )
        elif request.method == "POST" and _csrf_failed(request):
            response = message_page(
                request,
                status=403,
                title=_("The page has expired"),
                text=_(
                    "For your security, please open the page again and resend your answers. "
                    "Your browser must accept cookies from this site."
                ),
            )
        else:
            response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "no-store, private"
        response["Content-Security-Policy"] = CSP
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


def message_page(
    request: HttpRequest,
    *,
    status: int,
    title: str,
    text: str,
    survey: Survey | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context = {"title": title, "text": text, "survey": survey, **(extra or {})}
    return render(request, "surveys/message.html", context, status=status)


def invalid_link_page(request: HttpRequest) -> HttpResponse:
    return message_page(
        request,
        status=404,
        title=_("This link cannot be used"),
        text=_(
            "The link may be incomplete. Please open it again from the e-mail or message you "
            "received, copying the whole address."
        ),
    )


def closed_page(request: HttpRequest, survey: Survey) -> HttpResponse:
    return message_page(
        request,
        status=410,
        title=_("This survey has closed"),
        text=_("Thank you for your interest. The answering period for this survey has ended."),
        survey=survey,
    )


def already_answered_page(request: HttpRequest, survey: Survey) -> HttpResponse:
    return message_page(
        request,
        status=409 if request.method == "POST" else 200,
        title=_("You have already answered this survey"),
        text=_(
            "Thank you. Answers can be sent only once per link, so your earlier answers are "
            "kept as they are."
        ),
        survey=survey,
    )
