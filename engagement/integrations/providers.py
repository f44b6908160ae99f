"""The HTTP requests each receiver expects, and one ``post`` that never raises.

- Webhooks: JSON body, ``X-Signature``/``X-Timestamp`` (see ``signing``), ``X-Event``,
  ``X-Event-Id``, ``X-Delivery-Id``.
- Slack incoming webhook: ``{"text": …}`` (mrkdwn, ``&<>`` escaped, the link as ``<url|label>``).
- Microsoft Teams workflow webhook: a message with one Adaptive Card (text and an "open" action).
- Chatwork: ``POST {CHATWORK_API_BASE}/rooms/{room_id}/messages`` with ``X-ChatWorkToken`` and
  the form field ``body``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings

USER_AGENT = "EngagementPlatform-Integrations/1"


@dataclass
class Request:
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    content: bytes | None = None


@dataclass
class Result:
    status_code: int | None  # None: no answer (time-out, connection refused)
    body: str = ""
    retry_after: float | None = None
    error: str = ""
    error_detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def transient(self) -> bool:
        """Worth trying again: no answer, rate-limited, or a server error."""
        return (
            self.status_code is None
            or self.status_code in (408, 425, 429)
            or (self.status_code >= 500)
        )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def post(request: Request) -> Result:
    """Send ``request``; every failure becomes a ``Result`` (redirects are not followed)."""
    headers = {"User-Agent": USER_AGENT, **request.headers}
    try:
        answer = requests.post(
            request.url,
            headers=headers,
            json=request.json if request.content is None and request.data is None else None,
            data=request.content if request.content is not None else request.data,
            timeout=settings.INTEGRATIONS_HTTP_TIMEOUT,
            allow_redirects=False,
        )
    except requests.Timeout:
        return Result(None, error="timeout")
    except requests.RequestException as exc:
        return Result(None, error=f"{exc.__class__.__name__}: {exc}"[:500])
    return Result(
        answer.status_code,
        body=answer.text[:500],
        retry_after=_retry_after(answer.headers.get("Retry-After")),
    )


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_request(*, url: str, text: str, link: str, link_label: str) -> Request:
    body = _slack_escape(text)
    if link:
        body += f"\n<{link}|{_slack_escape(link_label)}>"
    return Request(url=url, json={"text": body})


def teams_request(*, url: str, text: str, link: str, link_label: str) -> Request:
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": link_label, "url": link}]
    return Request(
        url=url,
        json={
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": card,
                }
            ],
        },
    )


def chatwork_request(*, token: str, room_id: str, text: str, link: str) -> Request:
    return Request(
        url=f"{settings.CHATWORK_API_BASE}/rooms/{room_id}/messages",
        headers={"X-ChatWorkToken": token},
        data={"body": f"{text}\n{link}" if link else text},
    )
