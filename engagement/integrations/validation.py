"""What a webhook URL, a chat webhook URL and a Chatwork token must look like (checked on save).

Only HTTPS URLs are accepted, never with credentials in them nor at a private or link-local
address; Slack and Teams URLs must be on their providers' hosts. Loopback HTTP URLs are accepted
only with ``INTEGRATIONS_ALLOW_LOOPBACK`` (development and the tests' local provider servers).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

SLACK_HOSTS = ("hooks.slack.com",)
TEAMS_HOST_SUFFIXES = (".logic.azure.com", ".powerplatform.com", ".webhook.office.com")
CHATWORK_TOKEN = re.compile(r"^[A-Za-z0-9]{20,64}$")
CHATWORK_ROOM = re.compile(r"^[0-9]{1,15}$")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_private_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith((".local", ".internal", ".localhost"))
    return not address.is_global


def loopback_allowed(url: str) -> bool:
    """A loopback URL in a deployment that allows them (development, tests)."""
    host = (urlsplit(url).hostname or "").lower()
    return bool(getattr(settings, "INTEGRATIONS_ALLOW_LOOPBACK", False)) and _is_loopback(host)


def webhook_url_error(url: str) -> str | None:
    """Why ``url`` cannot receive deliveries, in the staff's language; None when it can."""
    try:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        return _("This URL is not valid.")
    if not host or parts.scheme not in ("http", "https"):
        return _("Enter a complete URL starting with https://.")
    if parts.username or parts.password:
        return _("The URL must not contain a user name or password.")
    if loopback_allowed(url):
        return None
    if parts.scheme != "https":
        return _("Only https:// URLs are accepted.")
    if _is_private_address(host):
        return _("The URL points to a private or local address, which is not accepted.")
    return None


def chat_channel_errors(
    *, provider: str, webhook_url: str, api_token: str, room_id: str
) -> dict[str, list[str]]:
    """Field → messages for a chat channel whose settings cannot work."""
    errors: dict[str, list[str]] = {}
    if provider in ("slack", "teams"):
        if not webhook_url:
            errors["webhook_url"] = [_("Enter the webhook URL.")]
        else:
            problem = webhook_url_error(webhook_url)
            host = (urlsplit(webhook_url).hostname or "").lower()
            path = urlsplit(webhook_url).path
            if not problem and not loopback_allowed(webhook_url):
                if provider == "slack" and (
                    host not in SLACK_HOSTS or not path.startswith("/services/")
                ):
                    problem = _(
                        "This is not a Slack incoming webhook URL "
                        "(https://hooks.slack.com/services/…)."
                    )
                if provider == "teams" and not host.endswith(TEAMS_HOST_SUFFIXES):
                    problem = _(
                        "This is not a Microsoft Teams workflow URL "
                        "(https://….logic.azure.com/… or ….powerplatform.com/…)."
                    )
            if problem:
                errors["webhook_url"] = [problem]
    elif provider == "chatwork":
        if not CHATWORK_TOKEN.match(api_token or ""):
            errors["api_token"] = [
                _("The Chatwork API token must be 20 to 64 letters and digits, without spaces.")
            ]
        if not CHATWORK_ROOM.match(room_id or ""):
            errors["room_id"] = [_("The Chatwork room ID is a number (the digits after #!rid).")]
    else:
        errors["provider"] = [_("Choose a provider.")]
    return errors
