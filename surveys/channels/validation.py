"""Formats checked when staff save channel settings or customer numbers (Japanese messages)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
LINE_USER_ID = re.compile(r"^U[0-9a-f]{32}$")
LINE_ACCESS_TOKEN = re.compile(r"^[A-Za-z0-9+/=._-]{40,600}$")
LINE_CHANNEL_SECRET = re.compile(r"^[0-9a-f]{32}$")
TWILIO_ACCOUNT_SID = re.compile(r"^AC[0-9a-f]{32}$")
TWILIO_AUTH_TOKEN = re.compile(r"^[0-9a-f]{32}$")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def normalise_phone(value: str) -> str:
    """A Japanese or international number as E.164: 090-1234-5678 → +819012345678."""
    digits = re.sub(r"[\s\-()‐－ー]", "", value or "")
    digits = digits.translate(str.maketrans("０１２３４５６７８９＋", "0123456789+"))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+81" + digits[1:]
    return digits


def validate_e164(value: str) -> None:
    if value and not E164.match(value):
        raise ValidationError(
            _(
                "Enter the phone number in international format (E.164), e.g. +819012345678: "
                "a plus sign, the country code and the number, without hyphens."
            ),
            code="e164",
        )


def validate_line_user_id(value: str) -> None:
    if value and not LINE_USER_ID.match(value):
        raise ValidationError(
            _("A LINE user ID is a U followed by 32 hexadecimal characters."), code="line_user"
        )


def validate_line_access_token(value: str) -> None:
    if value and not LINE_ACCESS_TOKEN.match(value):
        raise ValidationError(
            _(
                "This does not look like a LINE channel access token: it is a long string "
                "(40 characters or more) of letters, digits and + / = only. Copy it again from "
                "the LINE Developers console."
            ),
            code="line_token",
        )


def validate_line_channel_secret(value: str) -> None:
    if value and not LINE_CHANNEL_SECRET.match(value):
        raise ValidationError(
            _("The LINE channel secret is 32 hexadecimal characters (0-9, a-f)."),
            code="line_secret",
        )


def validate_twilio_account_sid(value: str) -> None:
    if value and not TWILIO_ACCOUNT_SID.match(value):
        raise ValidationError(
            _("The account SID starts with AC followed by 32 hexadecimal characters."),
            code="twilio_sid",
        )


def validate_twilio_auth_token(value: str) -> None:
    if value and not TWILIO_AUTH_TOKEN.match(value):
        raise ValidationError(
            _("The auth token is 32 hexadecimal characters (0-9, a-f)."), code="twilio_token"
        )


def url_problem(value: str) -> str | None:
    """Why ``value`` is not a usable base URL (https, or http to this machine only), or None."""
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        return str(_("Enter a full URL starting with https:// (e.g. https://api.line.me)."))
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        return str(_("Use https://; plain http:// is allowed only for a server on this machine."))
    if parts.query or parts.fragment:
        return str(_("The URL must not contain ? or #."))
    return None


def validate_base_url(value: str) -> None:
    problem = url_problem(value) if value else None
    if problem:
        raise ValidationError(problem, code="base_url")
