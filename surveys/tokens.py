"""Link tokens: unguessable, and useless without the secret key.

A token is ``<nonce>.<mac>``: ``nonce`` is 144 random bits from ``secrets`` (stored on the
invitation, or on the survey for its public link) and ``mac`` is HMAC-SHA256 of the purpose and
the nonce under ``SECRET_KEY``, truncated to 128 bits. The database holds only nonces, so a copy
of it yields no working link, while the application can rebuild any link later (for
``export_survey_links``). Verification is constant-time (``hmac.compare_digest``); a malformed,
tampered or unknown token is rejected the same way, so a response never says which it was.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from django.conf import settings

NONCE_BYTES = 18  # 144 bits, 24 URL-safe characters
MAC_BYTES = 16  # 128 bits, 22 URL-safe characters
_TOKEN_RE = re.compile(r"^([A-Za-z0-9_\-]{24})\.([A-Za-z0-9_\-]{22})$")

PERSONAL = "survey-invitation"
PUBLIC = "survey-public"
WIDGET = "survey-widget"  # the embedded NPS widget (``surveys.links.Widget``)
PUBLIC_LINK = "survey-public-link"  # a store or campaign link (``surveys.links.PublicLink``)
UNSUBSCRIBE = "survey-unsubscribe"


def new_nonce() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


def _mac(nonce: str, purpose: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{purpose}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:MAC_BYTES]).decode().rstrip("=")


def make_token(nonce: str, purpose: str) -> str:
    return f"{nonce}.{_mac(nonce, purpose)}"


def verify_token(token: str, purpose: str) -> str | None:
    """The nonce inside ``token`` if its MAC is right for ``purpose``, else None."""
    match = _TOKEN_RE.match(token or "")
    if not match:
        return None
    nonce, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(nonce, purpose)):
        return None
    return nonce
