"""LINE Messaging API over plain HTTPS (httpx): push messages and webhook signatures.

Push: ``POST {base}/v2/bot/message/push`` with ``Authorization: Bearer <channel access token>``
and ``X-Line-Retry-Key`` (a UUID per send): LINE accepts a key once and answers a repeat with
409, so a send retried after a worker died between LINE's answer and our commit reaches the
customer once. Webhook: ``X-Line-Signature`` is base64(HMAC-SHA256(channel secret, body)).
The token and the secret are never logged or stored in an error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx

from surveys.channels.base import (
    OutgoingMessage,
    PermanentSendError,
    SendResult,
    TransientSendError,
    parse_retry_after,
)

PUSH_PATH = "/v2/bot/message/push"
# Limits of the buttons template (without image and title) and of its action label.
BUTTON_TEXT_MAX = 160
BUTTON_LABEL_MAX = 20
ALT_TEXT_MAX = 400
TEXT_MAX = 5000


@dataclass(frozen=True)
class LineConfig:
    base_url: str
    access_token: str
    channel_secret: str
    timeout: float = 10.0

    def __repr__(self) -> str:  # never print the secrets
        return f"LineConfig(base_url={self.base_url!r})"


def signature(*, channel_secret: str, body: bytes) -> str:
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def signature_ok(*, channel_secret: str, body: bytes, header: str | None) -> bool:
    if not channel_secret or not header:
        return False
    return hmac.compare_digest(signature(channel_secret=channel_secret, body=body), header)


def push_payload(*, to: str, message: OutgoingMessage) -> dict[str, Any]:
    """A text message and a buttons template with the personal link."""
    return {
        "to": to,
        "messages": [
            {"type": "text", "text": message.text[:TEXT_MAX]},
            {
                "type": "template",
                "altText": message.alt_text[:ALT_TEXT_MAX],
                "template": {
                    "type": "buttons",
                    "text": message.alt_text[:BUTTON_TEXT_MAX],
                    "actions": [
                        {
                            "type": "uri",
                            "label": message.button_label[:BUTTON_LABEL_MAX],
                            "uri": message.url,
                        }
                    ],
                },
            },
        ],
    }


def _reason(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = {}
    text = str(data.get("message") or response.reason_phrase or "")
    details = data.get("details") or []
    if details:
        text += (
            " ("
            + "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in details[:3])
            + ")"
        )
    return f"LINE HTTP {response.status_code}: {text}"[:500]


def push(
    config: LineConfig,
    *,
    to: str,
    message: OutgoingMessage,
    client: httpx.Client | None = None,
) -> SendResult:
    """Push ``message`` to the LINE user ``to``; raises Transient/PermanentSendError."""
    headers = {
        "Authorization": f"Bearer {config.access_token}",
        "Content-Type": "application/json",
        "X-Line-Retry-Key": message.key,
    }
    url = config.base_url.rstrip("/") + PUSH_PATH
    own = client is None
    http = client or httpx.Client(timeout=config.timeout)
    try:
        response = http.post(url, json=push_payload(to=to, message=message), headers=headers)
    except httpx.TimeoutException as exc:
        raise TransientSendError(f"LINE timeout: {exc.__class__.__name__}") from None
    except httpx.TransportError as exc:
        raise TransientSendError(f"LINE unreachable: {exc.__class__.__name__}") from None
    finally:
        if own:
            http.close()
    status = response.status_code
    if status == 200:
        return SendResult(provider_id=response.headers.get("x-line-request-id", ""))
    if status == 409 and response.headers.get("x-line-accepted-request-id"):
        # This retry key was accepted before: the customer already has the message.
        return SendResult(
            provider_id=response.headers["x-line-accepted-request-id"], duplicate=True
        )
    if status == 429 or status >= 500:
        raise TransientSendError(
            _reason(response), retry_after=parse_retry_after(response.headers.get("retry-after"))
        )
    raise PermanentSendError(_reason(response))
