"""Record deliveries (in the emitter's transaction), send them, retry them, replay them.

``emit_event`` and ``notify_chat`` write one delivery row per subscribed endpoint or channel and
enqueue its sending in the outbox, so a broker outage delays a delivery and never loses it. The
row is the source of truth: ``deliver_*`` locks it and sends only a delivery that is due, so a
task delivered twice sends once. A receiver that is down (no answer, 429, 5xx) leaves the row
*waiting to retry* with its next attempt time (its Retry-After, or an exponential backoff); the
``integrations.retry_due`` beat task enqueues due ones again. After
``INTEGRATIONS_MAX_ATTEMPTS`` the row is *failed*, kept with its status code and error, and can
be replayed from the admin.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from engagement.platform import encryption, outbox
from engagement.platform.errors import InvalidInput, NotFound

from . import providers, signing
from .models import (
    ChatChannel,
    ChatDelivery,
    ChatKind,
    ChatProvider,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

WEBHOOK_TASK = "integrations.deliver_webhook"
CHAT_TASK = "integrations.deliver_chat"
MAX_RETRY_AFTER = 3600


# --- recording ----------------------------------------------------------------------------------


def _enqueue(task_name: str, delivery: WebhookDelivery | ChatDelivery) -> None:
    outbox.enqueue(
        task_name=task_name,
        kwargs={"delivery_id": delivery.id},
        dedup_key=f"{task_name}-{delivery.id}-{delivery.attempts}",
    )


def subscribed_endpoints(event: str) -> list[WebhookEndpoint]:
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True).order_by("id")
        if event in (endpoint.events or [])
    ]


def _body(*, event: str, event_id: uuid.UUID, data: dict[str, Any], now: datetime) -> str:
    return json.dumps(
        {"id": str(event_id), "type": event, "created_at": now.isoformat(), "data": data},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def emit_events(*, event: str, events: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """Record ``event`` for each (key, data) to every endpoint subscribed; returns deliveries.

    A key already delivered to an endpoint is not recorded twice (the emitter may run twice).
    """
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = subscribed_endpoints(event)
    if not endpoints:
        return 0
    now = timezone.now()
    created = 0
    with transaction.atomic():
        for key, data in events:
            event_id = uuid.uuid4()
            body = _body(event=event, event_id=event_id, data=data, now=now)
            for endpoint in endpoints:
                try:
                    with transaction.atomic():
                        delivery = WebhookDelivery.objects.create(
                            endpoint=endpoint, event=event, event_id=event_id, key=key, body=body
                        )
                except IntegrityError:
                    continue
                _enqueue(WEBHOOK_TASK, delivery)
                created += 1
    return created


def emit_event(*, event: str, key: str, data: dict[str, Any]) -> int:
    """Record one event for every endpoint subscribed to it (see ``emit_events``)."""
    return emit_events(event=event, events=[(key, data)])


def channels_for(*, kind: str, team_id: int | None) -> list[ChatChannel]:
    """Active channels taking ``kind``: those of every team, and the item's team's own."""
    return [
        channel
        for channel in ChatChannel.objects.filter(is_active=True).order_by("id")
        if kind in (channel.kinds or []) and channel.team_id in (None, team_id)
    ]


def notify_chat(
    *, kind: str, key: str, text: str, link: str = "", team_id: int | None = None
) -> int:
    """Record a chat alert for each channel routed to it; returns how many were recorded."""
    if kind not in ChatKind.values:
        raise ValueError(f"unknown chat alert {kind!r}")
    channels = channels_for(kind=kind, team_id=team_id)
    created = 0
    with transaction.atomic():
        for channel in channels:
            try:
                with transaction.atomic():
                    delivery = ChatDelivery.objects.create(
                        channel=channel, kind=kind, key=key, text=text, link=link
                    )
            except IntegrityError:
                continue
            _enqueue(CHAT_TASK, delivery)
            created += 1
    return created


# --- sending ------------------------------------------------------------------------------------


def _backoff(attempts: int) -> float:
    return min(MAX_RETRY_AFTER, settings.INTEGRATIONS_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def _explain(result: providers.Result) -> str:
    """What went wrong, for the delivery log (staff's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        if result.status_code is None:
            if result.error == SECRET_UNREADABLE:
                return encryption.SecretUnreadable(result.error_detail).message
            if result.error == "timeout":
                return _("No answer within %(seconds)s seconds.") % {
                    "seconds": settings.INTEGRATIONS_HTTP_TIMEOUT
                }
            return _("Could not connect: %(error)s") % {"error": result.error}
        if result.status_code in (401, 403):
            return _(
                "The receiver refused the credentials (HTTP %(code)s): check the token or URL."
            ) % {"code": result.status_code}
        if result.status_code in (404, 410):
            return _(
                "The receiver does not know this URL or room (HTTP %(code)s): check the settings."
            ) % {"code": result.status_code}
        if result.status_code == 429:
            return _("Rate-limited by the receiver (HTTP 429).")
        return _("The receiver answered HTTP %(code)s.") % {"code": result.status_code}


SECRET_UNREADABLE = "secret_unreadable"  # noqa: S105 (an error code)


def _unreadable(what: str) -> providers.Result:
    """No request: the stored credential cannot be decrypted (wrong FIELD_ENCRYPTION_KEYS).
    Retried like an outage, so fixing the keys delivers it."""
    return providers.Result(None, error=SECRET_UNREADABLE, error_detail=what)


def _record_result(
    delivery: WebhookDelivery | ChatDelivery, result: providers.Result, now: datetime
) -> str:
    delivery.status_code = result.status_code
    delivery.response_excerpt = result.body[:500]
    if result.ok:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
    elif result.transient and delivery.attempts < settings.INTEGRATIONS_MAX_ATTEMPTS:
        wait = (
            min(MAX_RETRY_AFTER, result.retry_after)
            if result.retry_after is not None
            else _backoff(delivery.attempts)
        )
        delivery.state = DeliveryState.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        delivery.last_error = _explain(result)
    else:
        delivery.state = DeliveryState.FAILED
        delivery.next_attempt_at = None
        delivery.last_error = _explain(result)
    delivery.save()
    if not result.ok:
        logger.warning(
            "%s %s: %s (attempt %s, %s)",
            delivery.__class__.__name__,
            delivery.id,
            result.status_code or result.error,
            delivery.attempts,
            delivery.state,
        )
    return delivery.state


def _due(delivery: WebhookDelivery | ChatDelivery, now: datetime) -> bool:
    if delivery.state == DeliveryState.PENDING:
        return True
    return delivery.state == DeliveryState.RETRYING and (
        delivery.next_attempt_at is None or delivery.next_attempt_at <= now
    )


def webhook_request(delivery: WebhookDelivery, *, timestamp: int) -> providers.Request:
    return providers.Request(
        url=delivery.endpoint.url,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Timestamp": str(timestamp),
            "X-Signature": signing.signature(
                secret=delivery.endpoint.secret, timestamp=timestamp, body=delivery.body
            ),
            "X-Event": delivery.event,
            "X-Event-Id": str(delivery.event_id),
            "X-Delivery-Id": str(delivery.id),
        },
        content=delivery.body.encode(),
    )


def _deliver_due(
    queryset: QuerySet[Any], delivery_id: int, send: Callable[[Any], providers.Result]
) -> str:
    """Lock one delivery, send it when due (``send`` builds and posts the request) and record
    the result; returns its state afterwards. Shared by webhooks and chat alerts."""
    with transaction.atomic():
        delivery = queryset.select_for_update(of=("self",)).filter(id=delivery_id).first()
        if delivery is None:
            return "missing"
        if not _due(delivery, timezone.now()):
            return delivery.state
        delivery.attempts += 1
        return _record_result(delivery, send(delivery), timezone.now())


def deliver_webhook(*, delivery_id: int) -> str:
    """Send one due webhook delivery; returns its state afterwards."""

    def send(delivery: WebhookDelivery) -> providers.Result:
        if encryption.is_unreadable(delivery.endpoint.secret):
            return _unreadable(_("signing secret of %(name)s") % {"name": delivery.endpoint})
        return providers.post(webhook_request(delivery, timestamp=int(time.time())))

    return _deliver_due(WebhookDelivery.objects.select_related("endpoint"), delivery_id, send)


def chat_request(delivery: ChatDelivery) -> providers.Request:
    channel = delivery.channel
    with translation.override(settings.LANGUAGE_CODE):
        label = pgettext("link to an item", "Open")
    if channel.provider == ChatProvider.SLACK:
        return providers.slack_request(
            url=channel.webhook_url, text=delivery.text, link=delivery.link, link_label=label
        )
    if channel.provider == ChatProvider.TEAMS:
        return providers.teams_request(
            url=channel.webhook_url, text=delivery.text, link=delivery.link, link_label=label
        )
    return providers.chatwork_request(
        token=channel.api_token, room_id=channel.room_id, text=delivery.text, link=delivery.link
    )


def deliver_chat(*, delivery_id: int) -> str:
    """Send one due chat alert; returns its state afterwards."""

    def send(delivery: ChatDelivery) -> providers.Result:
        channel = delivery.channel
        if encryption.is_unreadable(channel.webhook_url) or encryption.is_unreadable(
            channel.api_token
        ):
            return _unreadable(_("webhook URL or token of %(name)s") % {"name": channel})
        return providers.post(chat_request(delivery))

    return _deliver_due(ChatDelivery.objects.select_related("channel"), delivery_id, send)


def retry_due_deliveries(*, now: datetime | None = None, limit: int = 500) -> int:
    """Enqueue every delivery whose retry time has come (beat, every 15 s)."""
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        for model, task in ((WebhookDelivery, WEBHOOK_TASK), (ChatDelivery, CHAT_TASK)):
            for delivery in model.objects.filter(
                state=DeliveryState.RETRYING, next_attempt_at__lte=now
            ).order_by("next_attempt_at", "id")[:limit]:
                _enqueue(task, delivery)
                count += 1
    return count


# --- replay -------------------------------------------------------------------------------------


def _replay(
    model: type[WebhookDelivery] | type[ChatDelivery],
    *,
    delivery_id: int,
    target: str,
    copied: tuple[str, ...],
    inactive: str,
    task: str,
) -> Any:
    """Send a delivery's message to its endpoint or channel (``target``) again, as a new row."""
    original = model.objects.select_related(target).filter(id=delivery_id).first()
    if original is None:
        raise NotFound(_("The delivery does not exist."))
    if not getattr(original, target).is_active:
        raise InvalidInput(inactive)
    replay = model.objects.create(
        **{name: getattr(original, name) for name in (target, *copied)},
        key=f"{original.key[:150]}:replay:{uuid.uuid4().hex[:12]}",
        replay_of=original,
    )
    _enqueue(task, replay)
    return replay


@transaction.atomic
def replay_webhook_delivery(*, delivery_id: int) -> WebhookDelivery:
    """Send the same event (same body and event id) to the same endpoint again, as a new row."""
    return _replay(
        WebhookDelivery,
        delivery_id=delivery_id,
        target="endpoint",
        copied=("event", "event_id", "body"),
        inactive=_("The endpoint is inactive; activate it before replaying."),
        task=WEBHOOK_TASK,
    )


@transaction.atomic
def replay_chat_delivery(*, delivery_id: int) -> ChatDelivery:
    """Send the same alert to the same chat channel again, as a new row."""
    return _replay(
        ChatDelivery,
        delivery_id=delivery_id,
        target="channel",
        copied=("kind", "text", "link"),
        inactive=_("The channel is inactive; activate it before replaying."),
        task=CHAT_TASK,
    )


# --- erasure ------------------------------------------------------------------------------------


def erase_traces(*, traces: list[str]) -> int:
    """A forgotten customer's traces out of the delivery logs (called by ``forget_customer``):
    inside the strings of each webhook body (re-serialised, so escaped text is found too), chat
    texts, and what receivers answered. Returns the rows changed."""
    from engagement.platform.erasure import contains_trace, scrub_json, scrub_rows

    if not traces:
        return 0
    changed = 0
    for delivery in WebhookDelivery.objects.only("pk", "body").iterator(chunk_size=1000):
        try:
            payload = json.loads(delivery.body)
        except ValueError:
            continue
        if contains_trace(payload, traces):
            body = json.dumps(
                scrub_json(payload, traces),
                ensure_ascii=False,
                separators=(",", ":"),
                sort_keys=True,
            )
            WebhookDelivery.objects.filter(pk=delivery.pk).update(body=body)
            changed += 1
    changed += scrub_rows(
        WebhookDelivery.objects.all(),
        text_fields=["key", "response_excerpt", "last_error"],
        traces=traces,
    )
    changed += scrub_rows(
        ChatDelivery.objects.all(),
        text_fields=["key", "text", "link", "response_excerpt", "last_error"],
        traces=traces,
    )
    return changed
