"""Links in messages, exports and QR codes: all built from the one ``SITE_URL`` setting."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from surveys import tokens
from surveys.models import Invitation, Survey


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
