"""Sending one survey message by e-mail, LINE or SMS, through the outbox, at most once.

``deliver_batch`` (the ``surveys.send_deliveries`` task) sends a batch of ``Delivery`` rows with
one HTTP connection per provider. For each row ``deliver`` locks it, re-checks that the
customer may still be contacted on a channel (first usable of ``SURVEYS_CHANNEL_ORDER``),
waits out quiet hours, sends, and records the outcome in the same transaction:

- sent (the provider's message id kept);
- a transient failure (timeout, connection refused, 429, 5xx) is failed with the reason and
  ``next_attempt_at`` = now + max(Retry-After, 1, 2, 4, 8 minutes): ``retry_due_deliveries``
  (every distribution run) sends it again, up to ``Delivery.MAX_ATTEMPTS`` tries, after which
  ``next_attempt_at`` is cleared: failed for good, with the provider's last reason;
- a permanent failure (401, 400, an unknown or blocked recipient) is failed at once; Twilio's
  "unsubscribed recipient" records the customer's SMS opt-out;
- ``resend_deliveries`` (admin action) queues failed or skipped sends again.

LINE sends carry ``X-Line-Retry-Key`` derived from the delivery and its re-send count, so the
window where a worker dies between the provider's answer and the commit cannot reach the
customer twice on LINE (a repeat answers 409 and is recorded as sent).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.customers.models import Customer
from engagement.platform import branding, encryption, outbox
from engagement.platform.errors import DomainError
from surveys.channels import line, sms
from surveys.channels.base import (
    OutgoingMessage,
    PermanentSendError,
    SendError,
    SendResult,
    TransientSendError,
)
from surveys.models import (
    ChannelAccount,
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    SurveyStatus,
)
from surveys.services.links import personal_url, site_url, unsubscribe_url

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
LINE_CHUNK = 25  # LINE sends recorded per transaction
KEY_NAMESPACE = uuid.UUID("6c1f2f1e-7a51-4a77-9a0e-3c5d0e0b7f21")


class SmsTooLong(DomainError):
    pass


# --- configuration ----------------------------------------------------------------------------


def line_config() -> line.LineConfig | None:
    """The LINE channel's credentials: an enabled admin row, else the settings, else None."""
    row = ChannelAccount.objects.filter(channel=DeliveryChannel.LINE, enabled=True).first()
    if row is not None:
        return line.LineConfig(
            base_url=row.api_base_url or settings.LINE_API_BASE_URL,
            access_token=row.access_token,
            channel_secret=row.secret,
            timeout=settings.CHANNEL_HTTP_TIMEOUT,
        )
    if settings.LINE_CHANNEL_ACCESS_TOKEN and settings.LINE_CHANNEL_SECRET:
        return line.LineConfig(
            base_url=settings.LINE_API_BASE_URL,
            access_token=settings.LINE_CHANNEL_ACCESS_TOKEN,
            channel_secret=settings.LINE_CHANNEL_SECRET,
            timeout=settings.CHANNEL_HTTP_TIMEOUT,
        )
    return None


def sms_status_url() -> str:
    return site_url() + reverse("surveys:sms-status")


def twilio_config() -> sms.TwilioConfig | None:
    row = ChannelAccount.objects.filter(channel=DeliveryChannel.SMS, enabled=True).first()
    if row is not None:
        return sms.TwilioConfig(
            base_url=row.api_base_url or settings.TWILIO_API_BASE_URL,
            account_sid=row.account_sid,
            auth_token=row.access_token,
            sender=row.sender,
            timeout=settings.CHANNEL_HTTP_TIMEOUT,
            status_callback=sms_status_url(),
        )
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER:
        return sms.TwilioConfig(
            base_url=settings.TWILIO_API_BASE_URL,
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            sender=settings.TWILIO_FROM_NUMBER,
            timeout=settings.CHANNEL_HTTP_TIMEOUT,
            status_callback=sms_status_url(),
        )
    return None


@dataclass
class Senders:
    """The configured channels for one batch, each with one HTTP connection."""

    line: line.LineConfig | None
    twilio: sms.TwilioConfig | None
    http: httpx.Client | None = None
    _sms: sms.SmsProvider | None = field(default=None, repr=False)

    @classmethod
    def load(cls) -> Senders:
        return cls(line=line_config(), twilio=twilio_config())

    def available(self) -> set[str]:
        found = {DeliveryChannel.EMAIL.value}
        if self.line is not None:
            found.add(DeliveryChannel.LINE.value)
        if self.twilio is not None:
            found.add(DeliveryChannel.SMS.value)
        return found

    def client(self) -> httpx.Client:
        if self.http is None:
            self.http = httpx.Client(timeout=settings.CHANNEL_HTTP_TIMEOUT)
        return self.http

    def sms_provider(self) -> sms.SmsProvider:
        if self._sms is None:
            assert self.twilio is not None
            self._sms = sms.TwilioSms(self.twilio, client=self.client())
        return self._sms

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


# --- contact rules ----------------------------------------------------------------------------


def usable_channels(customer: Customer, available: Iterable[str]) -> list[str]:
    """The customer's channels in the order of ``SURVEYS_CHANNEL_ORDER`` (none if they may not
    be contacted at all)."""
    if not customer.contact_allowed or customer.unsubscribed_at or customer.forgotten_at:
        return []
    allowed = set(available)
    ok = {
        DeliveryChannel.LINE.value: bool(customer.line_user_id and not customer.line_blocked_at),
        DeliveryChannel.EMAIL.value: bool(customer.email),
        DeliveryChannel.SMS.value: bool(
            customer.phone and customer.sms_allowed and not customer.sms_opted_out_at
        ),
    }
    return [c for c in settings.SURVEYS_CHANNEL_ORDER if c in allowed and ok.get(c)]


def quiet_hours() -> tuple[int, int] | None:
    value = (settings.SURVEYS_QUIET_HOURS or "").strip().lower()
    if not value or value == "off":
        return None
    start, _sep, end = value.partition("-")
    return int(start) % 24, int(end) % 24


def quiet_until(now: datetime) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (Asia/Tokyo), or None outside them."""
    hours = quiet_hours()
    if hours is None:
        return None
    start, end = hours
    local = timezone.localtime(now)
    hour = local.hour
    inside = (start <= hour < end) if start < end else (hour >= start or hour < end)
    if not inside:
        return None
    until = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if until <= local:
        until += timedelta(days=1)
    return until


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    wait = timedelta(minutes=2 ** max(attempts - 1, 0))
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return wait


# --- messages ---------------------------------------------------------------------------------


def _params(delivery: Delivery) -> dict[str, str]:
    invitation = delivery.invitation
    survey = invitation.survey
    return {
        "brand": survey.brand_name,
        "title": survey.title,
        "url": personal_url(invitation),
        "unsubscribe": unsubscribe_url(invitation),
    }


def _intro(delivery: Delivery, params: dict[str, str]) -> str:
    if delivery.kind == DeliveryKind.REMINDER:
        return (
            _(
                'A few days ago we asked for your opinion in the survey "%(title)s". If you '
                "have a moment, we would be grateful for your answers."
            )
            % params
        )
    return (
        _(
            "Thank you for using %(brand)s. We would be grateful if you could answer the "
            'survey "%(title)s" (about three minutes).'
        )
        % params
    )


def _subject(delivery: Delivery, params: dict[str, str]) -> str:
    if delivery.kind == DeliveryKind.REMINDER:
        return _("[%(brand)s] Reminder: we would appreciate your answers") % params
    return _("[%(brand)s] Request for your cooperation with a survey") % params


def email_message(delivery: Delivery) -> EmailMessage:
    with translation.override("ja"):
        params = _params(delivery)
        body = "\n\n".join(
            [
                _intro(delivery, params),
                _("Answer the survey here (this link is just for you):\n%(url)s") % params,
                _(
                    "If you would rather not receive survey e-mails from us, please use this "
                    "link:\n%(unsubscribe)s"
                )
                % params,
            ]
        )
        subject = _subject(delivery, params)
    footer = branding.footer()
    if footer:
        body = f"{body}\n\n--\n{footer}"
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=branding.sender_address(),
        to=[delivery.invitation.customer.email],
    )


def send_key(delivery: Delivery) -> str:
    """The provider idempotency key: the same for every try of one send, new for a re-send."""
    return str(uuid.uuid5(KEY_NAMESPACE, f"delivery-{delivery.id}-{delivery.resend_count}"))


def line_message(delivery: Delivery) -> OutgoingMessage:
    with translation.override("ja"):
        params = _params(delivery)
        intro = _intro(delivery, params)
        text = "\n\n".join(
            [
                f"{_subject(delivery, params)}\n{intro}",
                _("Answer the survey here (this link is just for you):\n%(url)s") % params,
                _("To stop survey messages, please use this link:\n%(unsubscribe)s") % params,
            ]
        )
        return OutgoingMessage(
            text=text,
            url=params["url"],
            button_label=_("Answer the survey"),
            alt_text=intro,
            key=send_key(delivery),
        )


def sms_body(delivery: Delivery) -> str:
    with translation.override("ja"):
        params = _params(delivery)
        if delivery.kind == DeliveryKind.REMINDER:
            lead = _("[%(brand)s] Reminder: survey") % params
        else:
            lead = _("[%(brand)s] Please answer our survey") % params
        body = f"{lead} {params['url']} " + _('Reply "STOP" to opt out')
    if sms.segments(body) > settings.SMS_MAX_SEGMENTS:
        raise SmsTooLong(
            _("The SMS would take %(n)d segments (the limit is %(max)d).")
            % {"n": sms.segments(body), "max": settings.SMS_MAX_SEGMENTS}
        )
    return body


# --- sending ----------------------------------------------------------------------------------


def _readable(value: str, what: str) -> None:
    """A credential no key decrypts (wrong ``FIELD_ENCRYPTION_KEYS``) fails the send as
    transient, with the reason: fixing the keys sends it on the next retry."""
    if encryption.is_unreadable(value):
        raise TransientSendError(encryption.SecretUnreadable(what).message)


def _send(delivery: Delivery, channel: str, senders: Senders) -> SendResult:
    customer = delivery.invitation.customer
    if channel == DeliveryChannel.LINE:
        assert senders.line is not None
        _readable(senders.line.access_token, _("LINE channel access token"))
        return line.push(
            senders.line,
            to=customer.line_user_id,
            message=line_message(delivery),
            client=senders.client(),
        )
    if channel == DeliveryChannel.SMS:
        try:
            body = sms_body(delivery)
        except SmsTooLong as exc:
            raise PermanentSendError(str(exc)) from None
        if senders.twilio is not None:
            _readable(senders.twilio.auth_token, _("SMS auth token"))
        return senders.sms_provider().send(to=customer.phone, body=body, key=send_key(delivery))
    email_message(delivery).send(fail_silently=False)
    return SendResult()


def deliver(
    *, delivery_id: int, now: datetime | None = None, senders: Senders | None = None
) -> str:
    """Send one delivery (at most once); returns its status after this try."""
    own = senders is None
    senders = senders or Senders.load()
    try:
        return _deliver(delivery_id=delivery_id, now=now or timezone.now(), senders=senders)
    finally:
        if own:
            senders.close()


def deliver_batch(*, delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch (the task): one configuration lookup and one connection for all of it."""
    counts: dict[str, int] = {}
    with ExitStack() as stack:
        senders = Senders.load()
        stack.callback(senders.close)
        for start in range(0, len(delivery_ids), LINE_CHUNK):
            chunk = delivery_ids[start : start + LINE_CHUNK]
            done: set[int] = set()
            if senders.line is not None:
                # LINE sends are idempotent by their retry key: a chunk shares one transaction
                # (a worker killed mid-chunk rolls it back; the re-send answers 409 → sent).
                with transaction.atomic():
                    _commit_without_waiting()
                    for row in _locked(chunk):
                        if row.channel != DeliveryChannel.LINE:
                            continue
                        status = _process(row, now=timezone.now(), senders=senders, line_only=True)
                        if status is not None:
                            done.add(row.id)
                            counts[status] = counts.get(status, 0) + 1
            for delivery_id in chunk:
                if delivery_id not in done:
                    status = deliver(delivery_id=delivery_id, senders=senders)
                    counts[status] = counts.get(status, 0) + 1
    return counts


def _skip(delivery: Delivery, reason: str) -> str:
    delivery.status = DeliveryStatus.SKIPPED
    delivery.error = reason
    delivery.next_attempt_at = None
    delivery.save(update_fields=["status", "error", "next_attempt_at", "updated_at"])
    return delivery.status


def _commit_without_waiting() -> None:
    """A LINE send is idempotent by its retry key: if the database lost this commit (a crash
    within the WAL writer's delay), the re-send gets 409 and is recorded as sent. So the
    commit need not wait for the disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _locked(ids: list[int]) -> list[Delivery]:
    return list(
        Delivery.objects.select_for_update(of=("self",))
        .select_related("invitation__survey", "invitation__customer")
        .filter(id__in=ids)
        .order_by("id")
    )


def _deliver(*, delivery_id: int, now: datetime, senders: Senders) -> str:
    with transaction.atomic():
        rows = _locked([delivery_id])
        if not rows:
            return "missing"
        return _process(rows[0], now=now, senders=senders) or "missing"


def _process(
    delivery: Delivery, *, now: datetime, senders: Senders, line_only: bool = False
) -> str | None:
    """Check, send and record one locked delivery; with ``line_only``, None (and nothing
    written) when it would not go out on LINE."""
    if delivery.status not in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED):
        return delivery.status
    if delivery.status == DeliveryStatus.FAILED and delivery.next_attempt_at is None:
        return delivery.status  # failed for good; only a re-send queues it again
    invitation = delivery.invitation
    customer = invitation.customer
    if invitation.survey.status != SurveyStatus.OPEN:
        return _skip(delivery, _("The survey is no longer open."))
    if (
        delivery.kind == DeliveryKind.REMINDER
        and Response.objects.filter(invitation=invitation, status=ResponseStatus.COMPLETED).exists()
    ):
        return _skip(delivery, _("Already answered."))
    channels = usable_channels(customer, senders.available())
    if not channels:
        return _skip(delivery, _("The customer cannot be contacted (opted out or no address)."))
    until = quiet_until(now)
    if until is not None:
        delivery.next_attempt_at = until
        delivery.save(update_fields=["next_attempt_at", "updated_at"])
        return "deferred"
    channel = delivery.channel if delivery.channel in channels else channels[0]
    if line_only and channel != DeliveryChannel.LINE:
        return None
    delivery.channel = channel
    if channel == DeliveryChannel.LINE and not line_only:
        _commit_without_waiting()  # a LINE chunk did this once for all its rows
    delivery.attempts += 1
    fields = ["status", "error", "attempts", "channel", "next_attempt_at", "updated_at"]
    try:
        result = _send(delivery, channel, senders)
    except Exception as exc:  # provider down or refusing: recorded, retried when transient
        transient = not isinstance(exc, SendError) or exc.transient
        reason = exc.reason if isinstance(exc, SendError) else f"{exc.__class__.__name__}: {exc}"
        delivery.status = DeliveryStatus.FAILED
        delivery.error = reason[:2000]
        if transient and delivery.attempts < Delivery.MAX_ATTEMPTS:
            retry_after = exc.retry_after if isinstance(exc, SendError) else None
            delivery.next_attempt_at = now + backoff(delivery.attempts, retry_after)
        else:
            delivery.next_attempt_at = None
        delivery.save(update_fields=fields)
        if isinstance(exc, PermanentSendError) and exc.opted_out:
            Customer.objects.filter(id=customer.id, sms_opted_out_at__isnull=True).update(
                sms_opted_out_at=now, updated_at=now
            )
        if delivery.kind == DeliveryKind.INVITATION:
            Invitation.objects.filter(id=invitation.id).update(
                status=InvitationStatus.FAILED, updated_at=now
            )
        logger.warning(
            "survey %s send %s failed (attempt %s): %s",
            channel,
            delivery.id,
            delivery.attempts,
            exc.__class__.__name__,
        )
        return delivery.status
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = now
    delivery.error = ""
    delivery.next_attempt_at = None
    delivery.provider_message_id = result.provider_id[:100]
    delivery.save(update_fields=[*fields, "sent_at", "provider_message_id"])
    if delivery.kind == DeliveryKind.INVITATION:
        Invitation.objects.filter(id=invitation.id).exclude(
            status=InvitationStatus.ANSWERED
        ).update(status=InvitationStatus.SENT, sent_at=now, updated_at=now)
    else:
        Invitation.objects.filter(id=invitation.id).update(reminded_at=now, updated_at=now)
    return delivery.status


# --- queueing, retries, re-sends --------------------------------------------------------------


def enqueue_deliveries(ids: list[int], *, key: str) -> int:
    """Hand the deliveries to the worker through the outbox, ``BATCH_SIZE`` per task."""
    ids = sorted(ids)
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        outbox.enqueue(
            task_name="surveys.send_deliveries",
            kwargs={"delivery_ids": batch},
            dedup_key=f"{key}-{batch[0]}-{batch[-1]}-{len(batch)}",
        )
    return len(ids)


@transaction.atomic
def retry_due_deliveries(*, now: datetime) -> int:
    """Send again the failed sends whose wait is over, and the ones held by quiet hours."""
    due = list(
        Delivery.objects.filter(
            status__in=[DeliveryStatus.FAILED, DeliveryStatus.QUEUED],
            next_attempt_at__isnull=False,
            next_attempt_at__lte=now,
        )
        .order_by("id")
        .values_list("id", "attempts")
    )
    by_attempt: dict[int, list[int]] = {}
    for delivery_id, attempts in due:
        by_attempt.setdefault(attempts, []).append(delivery_id)
    # The dedup key includes the attempt so each retry is new work.
    return sum(
        enqueue_deliveries(ids, key=f"deliveries-retry{attempts}")
        for attempts, ids in by_attempt.items()
    )


@transaction.atomic
def resend_deliveries(*, delivery_ids: Iterable[int], now: datetime) -> int:
    """Queue failed or skipped sends again (the admin's "re-send"); sent ones are left alone."""
    rows = list(
        Delivery.objects.select_for_update()
        .filter(
            id__in=list(delivery_ids), status__in=[DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]
        )
        .order_by("id")
    )
    for row in rows:
        row.status = DeliveryStatus.QUEUED
        row.attempts = 0
        row.error = ""
        row.next_attempt_at = None
        row.resend_count += 1
        row.save(
            update_fields=[
                "status",
                "attempts",
                "error",
                "next_attempt_at",
                "resend_count",
                "updated_at",
            ]
        )
    return sum(
        enqueue_deliveries([row.id], key=f"delivery-resend{row.resend_count}") for row in rows
    )


def summary_of(delivery: Delivery) -> dict[str, Any]:
    return {
        "channel": delivery.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "error": delivery.error,
    }
