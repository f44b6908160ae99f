"""Distribution: invitations (personal links), invitation and reminder sends, unsubscribe.

``queue_invitations`` / ``queue_reminders`` create one ``Delivery`` row per invitation and kind
(the database allows only one) on the customer's channel (the first usable one of
``SURVEYS_CHANNEL_ORDER``: LINE, e-mail, SMS), then enqueue the Celery task
``surveys.send_deliveries`` through the outbox in batches. Sending, retries with backoff, quiet
hours and re-sends are in ``surveys.services.sending``; links in ``surveys.services.links``.

Contact rules, the same on every channel. Contact-frequency (fatigue): a customer who was sent
any survey message in the last ``survey.contact_interval_days`` days is not invited now.
Customers who opted out (unsubscribe link, LINE block, SMS "STOP" for that channel), were
forgotten, churned (``engagement.customers.selectors.churn``: the last cancellation followed by
neither a re-activation nor a purchase), have no usable address
or do not allow contact are not invited. A held invitation stays "created" with
``held_reason`` saying why, and is looked at again by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from engagement.customers.models import Customer
from engagement.customers.selectors import churn
from engagement.platform.errors import Conflict
from surveys import tokens
from surveys.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    HoldReason,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)
from surveys.services import sending

logger = logging.getLogger(__name__)


# --- invitations ------------------------------------------------------------------------------


def create_invitations(
    *, survey: Survey, customers: Iterable[Customer], now: datetime
) -> list[tuple[Invitation, str]]:
    """One personal link per customer (idempotent: an existing invitation is kept, same link).

    Returns ``(invitation, token)`` for each customer, in the given order; forgotten customers
    are left out.
    """
    if survey.status == SurveyStatus.CLOSED:
        raise Conflict(_("This survey is closed; no more invitations can be created."))
    wanted = [c for c in customers if c.forgotten_at is None]
    ids = list(dict.fromkeys(c.id for c in wanted))
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        Invitation.objects.bulk_create(
            [Invitation(survey=survey, customer_id=cid, nonce=tokens.new_nonce()) for cid in chunk],
            ignore_conflicts=True,
        )
    by_customer: dict[int, Invitation] = {}
    for start in range(0, len(ids), 1000):
        for inv in Invitation.objects.filter(
            survey=survey, customer_id__in=ids[start : start + 1000]
        ):
            by_customer[inv.customer_id] = inv
    return [
        (by_customer[cid], tokens.make_token(by_customer[cid].nonce, tokens.PERSONAL))
        for cid in ids
        if cid in by_customer
    ]


def _held_reason(invitation: Invitation, channels: list[str]) -> str:
    customer = invitation.customer
    if customer.unsubscribed_at or customer.forgotten_at:
        return HoldReason.OPTED_OUT
    if not customer.contact_allowed:
        return HoldReason.NOT_ALLOWED
    if getattr(invitation, "churned", False):
        return HoldReason.CHURNED
    if not channels:
        blocked = customer.line_blocked_at or customer.sms_opted_out_at
        return HoldReason.OPTED_OUT if blocked and not customer.email else HoldReason.NO_ADDRESS
    if getattr(invitation, "recently_contacted", False):
        return HoldReason.FATIGUE
    return ""


@transaction.atomic
def queue_invitations(*, survey: Survey, now: datetime, limit: int | None = 5000) -> int:
    """Queue one invitation message (LINE, e-mail or SMS, see ``SURVEYS_CHANNEL_ORDER``) for
    each invitation not yet sent; the others are held with the reason (fatigue, opted out,
    churned, no address). Returns how many were queued."""
    if survey.status != SurveyStatus.OPEN:
        raise Conflict(_("Invitations can be sent only while the survey is open."))
    recent = Invitation.objects.filter(
        customer_id=OuterRef("customer_id"),
        sent_at__gte=now - timedelta(days=survey.contact_interval_days),
    ).exclude(survey=survey)
    query = (
        Invitation.objects.filter(survey=survey, status=InvitationStatus.CREATED)
        .exclude(deliveries__kind=DeliveryKind.INVITATION)
        .select_related("customer")
        .annotate(recently_contacted=Exists(recent), standing=churn.standing("customer_id"))
        .order_by("id")
    )
    candidates = list(query if limit is None else query[:limit])
    available = sending.Senders.load().available()
    queue: list[Delivery] = []
    held: dict[str, list[int]] = {}
    for invitation in candidates:
        invitation.churned = churn.is_churned(invitation.standing)
        channels = sending.usable_channels(invitation.customer, available)
        reason = _held_reason(invitation, channels)
        if reason:
            held.setdefault(reason, []).append(invitation.id)
        else:
            queue.append(
                Delivery(invitation=invitation, kind=DeliveryKind.INVITATION, channel=channels[0])
            )
    for reason, ids in held.items():
        for start in range(0, len(ids), 1000):
            Invitation.objects.filter(id__in=ids[start : start + 1000]).update(
                held_reason=reason, updated_at=now
            )
    Delivery.objects.bulk_create(queue, ignore_conflicts=True, batch_size=1000)
    queued_ids = [d.invitation_id for d in queue]
    for start in range(0, len(queued_ids), 1000):
        Invitation.objects.filter(id__in=queued_ids[start : start + 1000]).update(
            status=InvitationStatus.QUEUED, held_reason="", updated_at=now
        )
    # ignore_conflicts leaves ids unset on some databases: read the rows back.
    ids: list[int] = []
    for start in range(0, len(queued_ids), 1000):
        ids += Delivery.objects.filter(
            invitation_id__in=queued_ids[start : start + 1000],
            kind=DeliveryKind.INVITATION,
            status=DeliveryStatus.QUEUED,
        ).values_list("id", flat=True)
    return sending.enqueue_deliveries(ids, key=f"survey-{survey.id}-deliveries")


def queue_invitation_emails(*, survey: Survey, now: datetime, limit: int | None = 5000) -> int:
    """The former name of ``queue_invitations`` (e-mail was the only channel)."""
    return queue_invitations(survey=survey, now=now, limit=limit)


@transaction.atomic
def queue_reminders(*, survey: Survey, now: datetime, limit: int = 5000) -> int:
    """Queue one reminder for each invitation sent ``reminder_after_days`` ago and not
    answered (nor reminded) since, on the customer's channel; returns how many queued."""
    if survey.status != SurveyStatus.OPEN or survey.reminder_after_days == 0:
        return 0
    completed = Response.objects.filter(
        invitation_id=OuterRef("id"), status=ResponseStatus.COMPLETED
    )
    candidates = list(
        Invitation.objects.filter(
            survey=survey,
            status=InvitationStatus.SENT,
            sent_at__lte=now - timedelta(days=survey.reminder_after_days),
            reminded_at__isnull=True,
        )
        .select_related("customer")
        .exclude(Exists(completed))
        .exclude(deliveries__kind=DeliveryKind.REMINDER)
        .order_by("id")[:limit]
    )
    available = sending.Senders.load().available()
    queue = []
    for invitation in candidates:
        channels = sending.usable_channels(invitation.customer, available)
        if channels:
            queue.append(
                Delivery(invitation=invitation, kind=DeliveryKind.REMINDER, channel=channels[0])
            )
    Delivery.objects.bulk_create(queue, ignore_conflicts=True)
    ids = list(
        Delivery.objects.filter(
            invitation__in=[d.invitation_id for d in queue],
            kind=DeliveryKind.REMINDER,
            status=DeliveryStatus.QUEUED,
        ).values_list("id", flat=True)
    )
    return sending.enqueue_deliveries(ids, key=f"survey-{survey.id}-reminders")


def retry_failed_deliveries(*, now: datetime) -> int:
    """Re-queue failed sends whose wait is over and sends held by quiet hours."""
    return sending.retry_due_deliveries(now=now)


def run_distribution(*, now: datetime) -> dict[str, int]:
    """The periodic run: close surveys past their date, queue invitations for open surveys
    (new invitations, and ones held back by the contact-frequency rule), reminders, retries."""
    Survey.objects.filter(status=SurveyStatus.OPEN, closes_at__lte=now).update(
        status=SurveyStatus.CLOSED, updated_at=now
    )
    invited = reminded = 0
    for survey in Survey.objects.filter(status=SurveyStatus.OPEN).order_by("id"):
        invited += queue_invitations(survey=survey, now=now)
        reminded += queue_reminders(survey=survey, now=now)
    return {
        "invitations": invited,
        "reminders": reminded,
        "retries": retry_failed_deliveries(now=now),
    }


def unsubscribe(*, invitation: Invitation, now: datetime) -> Customer:
    """The customer of ``invitation`` receives no more survey messages on any channel (queued
    ones are skipped)."""
    customer = invitation.customer
    if customer.unsubscribed_at is None:
        Customer.objects.filter(id=customer.id, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now, updated_at=now
        )
        customer.refresh_from_db(fields=["unsubscribed_at"])
    return customer
