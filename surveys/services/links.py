"""Links: every URL in messages, exports and QR codes is built from the one ``SITE_URL``
setting; store and campaign links, their QR codes, and the URL parameters a response keeps.

A store link's URL is ``SITE_URL/p/<token>/`` with the token made from the link's nonce for the
purpose ``tokens.PUBLIC_LINK`` (the survey's own public link uses ``tokens.PUBLIC``), so a link of
one survey cannot be turned into another's. The URL parameters a customer opens it with are kept
only when the survey lists them (``UrlParameter``), cut to ``MAX_VALUE`` characters, without
control characters.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from engagement.platform.errors import InvalidInput
from surveys import tokens
from surveys.links import PublicLink, UrlParameter
from surveys.models import Invitation, Survey

MAX_VALUE = 200
MAX_PARAMETERS = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")


def personal_path(invitation: Invitation) -> str:
    return reverse("surveys:personal", args=[tokens.make_token(invitation.nonce, tokens.PERSONAL)])


def personal_url(invitation: Invitation) -> str:
    return site_url() + personal_path(invitation)


def unsubscribe_url(invitation: Invitation) -> str:
    token = tokens.make_token(invitation.nonce, tokens.UNSUBSCRIBE)
    return site_url() + reverse("surveys:unsubscribe", args=[token])


def public_url(survey: Survey) -> str | None:
    if not survey.public_nonce:
        return None
    token = tokens.make_token(survey.public_nonce, tokens.PUBLIC)
    return site_url() + reverse("surveys:public", args=[token])


def link_token(link: PublicLink) -> str:
    return tokens.make_token(link.nonce, tokens.PUBLIC_LINK)


def link_url(link: PublicLink) -> str:
    return site_url() + reverse("surveys:public", args=[link_token(link)])


def allowed_keys(survey: Survey) -> list[str]:
    return list(
        UrlParameter.objects.filter(survey=survey).order_by("key").values_list("key", flat=True)
    )


def clean_url_params(*, survey: Survey, query: Mapping[str, Any]) -> dict[str, str]:
    """The allow-listed parameters of ``query`` (a QueryDict or dict), cleaned; others dropped."""
    allowed = allowed_keys(survey)
    cleaned: dict[str, str] = {}
    for key in allowed[:MAX_PARAMETERS]:
        value = query.get(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if value is None:
            continue
        text = " ".join(_CONTROL.sub("", str(value)).split())[:MAX_VALUE]
        if text:
            cleaned[key] = text
    return cleaned


@transaction.atomic
def create_public_link(
    *, survey: Survey, name: str, source: str, source_value: str = ""
) -> PublicLink:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Give the link a name."), fields={"name": [_("Required.")]})
    if PublicLink.objects.filter(survey=survey, name=name).exists():
        raise InvalidInput(
            _("This survey already has a link named “%(name)s”.") % {"name": name},
            fields={"name": [_("Already used.")]},
        )
    return PublicLink.objects.create(
        survey=survey, name=name, source=source, source_value=source_value.strip()
    )


def qr_svg(url: str, *, title: str = "") -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=8, border=4, title=title or None)
    return buffer.getvalue()


def qr_png(url: str, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
