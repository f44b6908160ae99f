"""Branding and staff display names: reads, the one write, and the WCAG contrast check.

- ``current()``: the branding row (one small query, then kept by the process for
  ``BRANDING_CACHE_SECONDS``; a save clears this process's copy at once, the other workers'
  expire within those seconds — customer pages read it on every request).
- ``company_name()``: the company's name as customers read it — the branding's name, else the
  ``COMPANY_NAME`` setting, else 「弊社」 (the translation of "our company").
- ``display_name(user)``: the staff member's display name (``StaffProfile``), else their full
  name, else their username — the one name replies are signed with.
- ``update_branding(...)``: validates (colour format, contrast of white text on the accent colour
  at least 4.5:1 — WCAG 2.x AA for normal text — and the logo: PNG or JPEG, 200 KB at most) and
  saves, all or nothing.
"""

from __future__ import annotations

import re
import time
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from engagement.platform.errors import InvalidInput
from engagement.platform.models import Branding, StaffProfile

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
AA_NORMAL_TEXT = 4.5
MAX_LOGO_BYTES = 200 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
WHITE = "#ffffff"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio (1–21) of two ``#rrggbb`` colours."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


_cached: tuple[float, Branding] | None = None


def current() -> Branding:
    """The branding (without the logo's bytes): one primary-key query, kept by this process for
    ``BRANDING_CACHE_SECONDS`` (a network cache would make pages wait on Redis)."""
    global _cached
    now = time.monotonic()
    if _cached is not None and _cached[0] > now:
        return _cached[1]
    row = Branding.objects.defer("logo").filter(pk=1).first() or Branding(pk=1)
    _cached = (now + float(getattr(settings, "BRANDING_CACHE_SECONDS", 10)), row)
    return row


def forget_cached(**_kwargs: Any) -> None:
    """Drop this process's copy (connected to ``Branding``'s save and delete signals)."""
    global _cached
    _cached = None


def logo() -> tuple[bytes, str] | None:
    """The logo's bytes and content type, or None."""
    row = Branding.objects.filter(pk=1).exclude(logo_type="").values("logo", "logo_type").first()
    if not row:
        return None
    return bytes(row["logo"]), row["logo_type"]


def company_name(row: Branding | None = None) -> str:
    row = row or current()
    return row.company_name or getattr(settings, "COMPANY_NAME", "") or _("our company")


def sender_address() -> str:
    """``From:`` of e-mails to customers: the sender name (or company name) and the address."""
    row = current()
    name = row.sender_name or row.company_name
    address = settings.DEFAULT_FROM_EMAIL
    return formataddr((name, address)) if name else address


def footer() -> str:
    return current().footer


def display_name(user: Any) -> str:
    """The name a staff member signs with: display name, else full name, else username."""
    if user is None:
        return ""
    profile = StaffProfile.objects.filter(user_id=user.pk).values_list("display_name", flat=True)
    name = (profile.first() or "").strip()
    return name or user.get_full_name() or user.get_username()


def staff_label(user: Any) -> str:
    """``display_name`` without a query of its own, for lists of staff read with
    ``staff_queryset`` (the profile is joined)."""
    if user is None:
        return ""
    try:
        name = (user.staff_profile.display_name or "").strip()
    except StaffProfile.DoesNotExist:
        name = ""
    return name or user.get_full_name() or user.get_username()


def staff_queryset() -> Any:
    """Active staff with their profiles, ordered by the name they are shown with."""
    from django.contrib.auth import get_user_model
    from django.db.models import F, Value
    from django.db.models.functions import Coalesce, Concat, NullIf, Trim

    full_name = NullIf(Trim(Concat(F("first_name"), Value(" "), F("last_name"))), Value(""))
    return (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .select_related("staff_profile")
        .annotate(
            shown_as=Coalesce(
                NullIf(Trim(F("staff_profile__display_name")), Value("")),
                full_name,
                F("username"),
            )
        )
        .order_by("shown_as", "id")
    )


def logo_type(data: bytes) -> str:
    return next((kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)), "")


def check_branding(*, accent_colour: str, logo: bytes | None) -> dict[str, list[str]]:
    """The problems of these values, by field (empty when they can be saved)."""
    errors: dict[str, list[str]] = {}
    if not HEX_COLOUR.match(accent_colour or ""):
        errors["accent_colour"] = [_("Enter a colour as #rrggbb, e.g. #1f5f8b.")]
    else:
        ratio = contrast_ratio(WHITE, accent_colour)
        if ratio < AA_NORMAL_TEXT:
            errors["accent_colour"] = [
                _(
                    "White text on this colour has a contrast of %(ratio).2f:1; WCAG AA needs "
                    "at least 4.5:1. Choose a darker colour."
                )
                % {"ratio": ratio}
            ]
    if logo:
        if len(logo) > MAX_LOGO_BYTES:
            errors["logo"] = [_("The logo is larger than 200 KB.")]
        elif not logo_type(logo):
            errors["logo"] = [_("The logo must be a PNG or JPEG image.")]
    return errors


@transaction.atomic
def update_branding(
    *,
    company_name: str,
    sender_name: str,
    footer: str,
    accent_colour: str,
    logo: bytes | None = None,
    remove_logo: bool = False,
) -> Branding:
    """Save the branding; nothing is saved when a value is wrong (``InvalidInput``)."""
    accent_colour = (accent_colour or "").strip().lower()
    errors = check_branding(accent_colour=accent_colour, logo=logo)
    if errors:
        raise InvalidInput(_("The branding was not saved."), fields=errors)
    branding = Branding.objects.select_for_update().filter(pk=1).first() or Branding(pk=1)
    branding.company_name = company_name.strip()[:100]
    branding.sender_name = sender_name.strip()[:100]
    branding.footer = footer.strip()[:1000]
    branding.accent_colour = accent_colour
    if logo:
        branding.logo, branding.logo_type = logo, logo_type(logo)
    elif remove_logo:
        branding.logo, branding.logo_type = b"", ""
    branding.save()
    return branding


@transaction.atomic
def set_display_name(*, user: Any, display_name: str) -> StaffProfile:
    profile, _created = StaffProfile.objects.update_or_create(
        user=user, defaults={"display_name": display_name.strip()[:100]}
    )
    return profile


def context(request: Any) -> dict[str, Any]:
    """Template context processor: ``branding`` (company name, footer, whether there is a logo),
    read only when a template uses it."""

    def values() -> dict[str, Any]:
        row = current()
        return {
            "company_name": company_name(row),
            "footer": row.footer,
            "has_logo": bool(row.logo_type),
            "accent_colour": row.accent_colour,
        }

    return {"branding": SimpleLazyObject(values)}
