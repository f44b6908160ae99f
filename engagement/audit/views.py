"""Staff account pages: two-factor set-up and check, sign out everywhere, a refused SSO sign-in."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from engagement.audit import services
from engagement.audit.oidc import FAILURE_SESSION_KEY
from engagement.platform.errors import DomainError
from engagement.platform.forms import add_domain_error


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: a QR code, then a first code confirms it."""
    device = services.start_totp_enrolment(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment = services.confirm_totp_enrolment(
                user=request.user, token=form.cleaned_data["token"], request=request
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            otp_login(request, enrolment.device)
            return render(
                request,
                "audit/recovery_codes.html",
                {"codes": enrolment.recovery_codes, "next": _next_url(request)},
            )
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4)
    secret_b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "audit/enrol.html",
        {"form": form, "qr": qr, "secret": secret_b32, "next": _next_url(request)},
    )


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enter a code from the authenticator app, or a recovery code."""
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_second_factor(
                user=request.user,
                token=form.cleaned_data["token"],
                now=timezone.now(),
                request=request,
            )
        except services.TwoFactorLocked as exc:
            add_domain_error(form, exc)
            status = 429
        except DomainError as exc:
            add_domain_error(form, exc)
            status = 400
        else:
            otp_login(request, device)
            return HttpResponseRedirect(_next_url(request))
    return render(
        request, "audit/two_factor.html", {"form": form, "next": _next_url(request)}, status=status
    )


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    ended = services.sign_out_everywhere(user=request.user, request=request)
    messages.success(request, _("Signed out of %(count)d sessions.") % {"count": ended})
    return HttpResponseRedirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "audit/account.html",
        {
            "has_totp": services.has_confirmed_totp(request.user),
            "sessions": request.user.staff_sessions.count(),
        },
    )


def sign_in_failed(request: HttpRequest) -> HttpResponse:
    message = request.session.pop(FAILURE_SESSION_KEY, "") or _(
        "The sign-in could not be completed. Please try again."
    )
    return render(
        request,
        "audit/sign_in_failed.html",
        {"message": message, "oidc_enabled": settings.OIDC_ENABLED},
        status=403,
    )
