"""Pages for branding: the settings page (administrators), a staff member's own display name,
and the public stylesheet and logo that customer pages load (no inline styles under the CSP)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from engagement.platform import branding
from engagement.platform.errors import InvalidInput
from engagement.platform.forms import add_domain_error

BRANDING_PERM = "platform.change_branding"


class BrandingForm(forms.Form):
    company_name = forms.CharField(
        label=gettext_lazy("Company name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Used wherever customers read the company's name (「弊社」 if empty)."
        ),
    )
    sender_name = forms.CharField(
        label=gettext_lazy("Sender name of e-mails"), max_length=100, required=False
    )
    footer = forms.CharField(
        label=gettext_lazy("Footer"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Shown under customer pages and at the end of e-mails."),
    )
    accent_colour = forms.CharField(
        label=gettext_lazy("Accent colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=gettext_lazy(
            "White text on it must have a contrast of at least 4.5:1 (WCAG AA)."
        ),
    )
    logo = forms.FileField(label=gettext_lazy("Logo (PNG or JPEG, 200 KB at most)"), required=False)
    remove_logo = forms.BooleanField(label=gettext_lazy("Remove the logo"), required=False)


def _context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title, **extra}


@staff_member_required
def branding_settings(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(BRANDING_PERM):
        raise PermissionDenied
    current = branding.current()
    status = 200
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("logo")
            if upload is not None and upload.size > branding.MAX_LOGO_BYTES:
                form.add_error("logo", _("The logo is larger than 200 KB."))
            else:
                try:
                    branding.update_branding(
                        company_name=data["company_name"],
                        sender_name=data["sender_name"],
                        footer=data["footer"],
                        accent_colour=data["accent_colour"],
                        logo=upload.read() if upload is not None else None,
                        remove_logo=data["remove_logo"],
                    )
                except InvalidInput as error:
                    add_domain_error(form, error)
                else:
                    messages.success(request, _("The branding was saved."))
                    return HttpResponseRedirect(reverse("branding"))
        status = 400
    else:
        form = BrandingForm(
            initial={
                "company_name": current.company_name,
                "sender_name": current.sender_name,
                "footer": current.footer,
                "accent_colour": current.accent_colour,
            }
        )
    response = TemplateResponse(
        request,
        "platform/branding.html",
        _context(
            request,
            _("Branding"),
            form=form,
            branding=current,
            has_logo=bool(current.logo_type),
            contrast=round(branding.contrast_ratio(branding.WHITE, current.accent_colour), 2),
        ),
    )
    response.status_code = status
    return response


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=gettext_lazy("Display name"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Replies to customers are signed with it (your full name or username if empty)."
        ),
    )


@staff_member_required
def profile(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            branding.set_display_name(
                user=request.user, display_name=form.cleaned_data["display_name"]
            )
            messages.success(request, _("Your display name was saved."))
            return HttpResponseRedirect(reverse("staff-profile"))
    else:
        form = ProfileForm(
            initial={
                "display_name": getattr(
                    getattr(request.user, "staff_profile", None), "display_name", ""
                )
            }
        )
    return TemplateResponse(
        request,
        "platform/profile.html",
        _context(
            request,
            _("Your display name"),
            form=form,
            signed_as=branding.display_name(request.user),
        ),
    )


@require_GET
def branding_css(request: HttpRequest) -> HttpResponse:
    """The accent colour as a stylesheet (customer pages and the admin load it)."""
    colour = branding.current().accent_colour
    if not branding.HEX_COLOUR.match(colour or ""):
        colour = "#1f5f8b"
    response = HttpResponse(
        f":root {{ --accent: {colour}; --primary: {colour}; --header-bg: {colour}; }}\n",
        content_type="text/css; charset=utf-8",
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def branding_logo(request: HttpRequest) -> HttpResponse:
    found = branding.logo()
    if found is None:
        raise Http404
    data, kind = found
    response = HttpResponse(data, content_type=kind)
    response["Cache-Control"] = "public, max-age=60"
    response["X-Content-Type-Options"] = "nosniff"
    return response
