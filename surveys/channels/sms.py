"""SMS behind a small provider interface; Twilio's REST shape is the first implementation.

Twilio: ``POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json``, HTTP basic auth
(account SID, auth token), form fields ``To``, ``From``, ``Body``; 201 with the message ``sid``.
Error 21610 means the recipient replied STOP: the customer is opted out. Inbound messages are
signed with ``X-Twilio-Signature`` = base64(HMAC-SHA1(auth token, URL + sorted key/values)).

Segments: text in the GSM 7-bit alphabet fits 160 characters in one SMS (153 per part when
split); anything else (Japanese) is sent as UCS-2: 70 characters in one SMS, 67 per part.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from surveys.channels.base import (
    PermanentSendError,
    SendResult,
    TransientSendError,
    parse_retry_after,
)

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
# Replies that stop survey SMS (Twilio's standard ones and the Japanese words customers use).
OPT_OUT_KEYWORDS = {
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit",
    "停止", "配信停止", "ていし", "とめて", "止めて", "やめて", "不要",
}  # fmt: skip
OPT_OUT_ERROR_CODES = {21610}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7 or ch in GSM7_EXTENDED for ch in text)


def segments(text: str) -> int:
    """How many SMS parts ``text`` takes."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2  # UCS-2 code units (emoji take two)
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)


def is_opt_out(body: str) -> bool:
    word = (body or "").strip().strip("。.!！ 　").lower()
    return word in OPT_OUT_KEYWORDS


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str, key: str) -> SendResult: ...


@dataclass(frozen=True)
class TwilioConfig:
    base_url: str
    account_sid: str
    auth_token: str
    sender: str
    timeout: float = 10.0
    status_callback: str = ""  # where Twilio reports delivered / undelivered

    def __repr__(self) -> str:  # never print the auth token
        return f"TwilioConfig(base_url={self.base_url!r}, account_sid={self.account_sid!r})"


def twilio_signature(*, auth_token: str, url: str, params: Mapping[str, str]) -> str:
    payload = url + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioSms:
    def __init__(self, config: TwilioConfig, *, client: httpx.Client | None = None) -> None:
        self.config = config
        self.client = client

    def messages_url(self) -> str:
        return (
            f"{self.config.base_url.rstrip('/')}/2010-04-01/Accounts/"
            f"{self.config.account_sid}/Messages.json"
        )

    def send(self, *, to: str, body: str, key: str) -> SendResult:
        own = self.client is None
        http = self.client or httpx.Client(timeout=self.config.timeout)
        data = {"To": to, "From": self.config.sender, "Body": body}
        if self.config.status_callback:
            data["StatusCallback"] = self.config.status_callback
        try:
            response = http.post(
                self.messages_url(),
                data=data,
                auth=(self.config.account_sid, self.config.auth_token),
            )
        except httpx.TimeoutException as exc:
            raise TransientSendError(f"SMS timeout: {exc.__class__.__name__}") from None
        except httpx.TransportError as exc:
            raise TransientSendError(f"SMS unreachable: {exc.__class__.__name__}") from None
        finally:
            if own:
                http.close()
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = {}
        if status in (200, 201):
            return SendResult(provider_id=str(data.get("sid", "")))
        code = data.get("code")
        reason = f"SMS HTTP {status}: {data.get('message') or response.reason_phrase}"
        if code:
            reason += f" (code {code})"
        reason = reason[:500]
        if status == 429 or status >= 500:
            raise TransientSendError(
                reason, retry_after=parse_retry_after(response.headers.get("retry-after"))
            )
        raise PermanentSendError(reason, opted_out=code in OPT_OUT_ERROR_CODES)
