"""What customers send back: LINE webhook events and SMS replies.

LINE: ``follow`` allows LINE messages again, ``unfollow`` (the customer blocked us) stops them;
a text message holding a one-time link code links the LINE user to the customer who was given
the code. SMS: an opt-out keyword ("STOP", 「停止」 …) stops SMS to that number. The signature
of each request is checked by the view before anything here runs.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from engagement.customers import services as customer_services
from surveys.channels import sms
from surveys.channels.validation import LINE_USER_ID
from surveys.models import Delivery, DeliveryChannel, DeliveryStatus

logger = logging.getLogger(__name__)


def handle_line_events(*, events: list[dict[str, Any]], now: datetime) -> dict[str, int]:
    """Apply a webhook's events; unknown kinds are ignored. Returns counts by outcome."""
    counts: dict[str, int] = {}

    def count(key: str) -> None:
        counts[key] = counts.get(key, 0) + 1

    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        source = event.get("source") or {}
        user_id = source.get("userId") if isinstance(source, dict) else None
        if not isinstance(user_id, str) or not LINE_USER_ID.match(user_id):
            count("ignored")
            continue
        kind = event.get("type")
        if kind in ("follow", "unfollow"):
            customer_services.record_line_follow(
                line_user_id=user_id, blocked=kind == "unfollow", now=now
            )
            count(kind)
        elif kind == "message" and (event.get("message") or {}).get("type") == "text":
            text = str((event.get("message") or {}).get("text") or "")[:100]
            customer = customer_services.link_line_user(code=text, line_user_id=user_id, now=now)
            count("linked" if customer else "unmatched")
        else:
            count("ignored")
    return counts


def handle_sms_reply(*, sender: str, body: str, now: datetime) -> bool:
    """An SMS reply from ``sender``: an opt-out keyword stops SMS to the number."""
    if not sms.is_opt_out(body):
        return False
    customer_services.record_sms_opt_out(phone=sender, now=now)
    return True


def record_sms_status(*, message_sid: str, status: str, error_code: str, now: datetime) -> int:
    """Twilio's report on a sent SMS: delivered, or undelivered/failed (failed for good, with
    the carrier's error code). Returns the rows changed."""
    if not message_sid:
        return 0
    rows = Delivery.objects.filter(provider_message_id=message_sid, channel=DeliveryChannel.SMS)
    if status == "delivered":
        return rows.filter(status=DeliveryStatus.SENT).update(
            status=DeliveryStatus.DELIVERED, updated_at=now
        )
    if status in ("undelivered", "failed"):
        reason = f"SMS {status}" + (f" (code {error_code})" if error_code else "")
        return rows.filter(status=DeliveryStatus.SENT).update(
            status=DeliveryStatus.FAILED, error=reason, next_attempt_at=None, updated_at=now
        )
    return 0
