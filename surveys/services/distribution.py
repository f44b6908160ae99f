"""Distribution: invitations (personal links), e-mail sends and reminders, unsubscribe.

E-mail flow. ``queue_invitation_emails`` / ``queue_reminders`` create one ``Delivery`` row per
invitation and kind (the database allows only one), then enqueue the Celery task
``surveys.send_deliveries`` through the outbox in batches. ``deliver`` sends one delivery: it
locks the row, skips it unless it is queued or failed, re-checks that the customer may still be
contacted, sends, and records sent (or failed with the reason). ``retry_failed_deliveries``
re-queues failed sends (up to ``Delivery.MAX_ATTEMPTS``, with growing waits). A delivery is sent
at most once: the only window for a duplicate is a worker dying between the mail server
accepting the message and the commit that records it.

Contact-frequency rule: a customer who was sent any survey e-mail in the last
``survey.contact_interval_days`` days is not invited now (the invitation stays "created" and is
tried again by the next run). Customers who unsubscribed, were forgotten, have no e-mail or
do not allow contact are never e-mailed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.customers.models import Customer
from engagement.platform import branding, outbox
from engagement.platform.errors import Conflict
from surveys import tokens
from surveys.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    Survey,
    SurveyStatus,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


# --- links ------------------------------------------------------------------------------------


def personal_path(invitation: Invitation) -> str:
    return reverse("surveys:personal", args=[tokens.make_token(invitation.nonce, tokens.PERSONAL)])


def personal_url(invitation: Invitation) -> str:
    return settings.SITE_URL + personal_path(invitation)


def unsubscribe_url(invitation: Invitation) -> str:
    token = tokens.make_token(invitation.nonce, tokens.UNSUBSCRIBE)
    return settings.SITE_URL + reverse("surveys:unsubscribe", args=[token])


def public_url(survey: Survey) -> str | None:
    if not survey.public_nonce:
        return None
    token = tokens.make_token(survey.public_nonce, tokens.PUBLIC)
    return settings.SITE_URL + reverse("surveys:public", args=[token])


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


def _contactable() -> Q:
    return Q(
        customer__contact_allowed=True,
        customer__unsubscribed_at__isnull=True,
        customer__forgotten_at__isnull=True,
    ) & ~Q(customer__email="")


def _queue(deliveries: list[Delivery], *, survey_id: int) -> int:
    ids = sorted(d.id for d in deliveries)
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        outbox.enqueue(
            task_name="surveys.send_deliveries",
            kwargs={"delivery_ids": batch},
            dedup_key=f"survey-{survey_id}-deliveries-{batch[0]}-{batch[-1]}-{len(batch)}",
        )
    return len(ids)


@transaction.atomic
def queue_invitation_emails(*, survey: Survey, now: datetime, limit: int = 5000) -> int:
    """Queue invitation e-mails for invitations not yet e-mailed; returns how many queued."""
    if survey.status != SurveyStatus.OPEN:
        raise Conflict(_("Invitations can be sent only while the survey is open."))
    recent = Invitation.objects.filter(
        customer_id=OuterRef("customer_id"),
        sent_at__gte=now - timedelta(days=survey.contact_interval_days),
    ).exclude(survey=survey)
    candidates = list(
        Invitation.objects.filter(survey=survey, status=InvitationStatus.CREATED)
        .filter(_contactable())
        .exclude(Exists(recent))
        .exclude(deliveries__kind=DeliveryKind.INVITATION)
        .order_by("id")[:limit]
    )
    created = Delivery.objects.bulk_create(
        [Delivery(invitation=inv, kind=DeliveryKind.INVITATION) for inv in candidates],
        ignore_conflicts=True,
    )
    Invitation.objects.filter(id__in=[i.id for i in candidates]).update(
        status=InvitationStatus.QUEUED, updated_at=now
    )
    # ignore_conflicts leaves ids unset on some databases: read the rows back.
    deliveries = list(
        Delivery.objects.filter(
            invitation__in=candidates, kind=DeliveryKind.INVITATION, status=DeliveryStatus.QUEUED
        )
    )
    del created
    return _queue(deliveries, survey_id=survey.id)


@transaction.atomic
def queue_reminders(*, survey: Survey, now: datetime, limit: int = 5000) -> int:
    """Queue one reminder for each invitation e-mailed ``reminder_after_days`` ago and not
    answered (nor reminded) since; returns how many queued."""
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
        .filter(_contactable())
        .exclude(Exists(completed))
        .exclude(deliveries__kind=DeliveryKind.REMINDER)
        .order_by("id")[:limit]
    )
    Delivery.objects.bulk_create(
        [Delivery(invitation=inv, kind=DeliveryKind.REMINDER) for inv in candidates],
        ignore_conflicts=True,
    )
    deliveries = list(
        Delivery.objects.filter(
            invitation__in=candidates, kind=DeliveryKind.REMINDER, status=DeliveryStatus.QUEUED
        )
    )
    return _queue(deliveries, survey_id=survey.id)


def _message(delivery: Delivery) -> EmailMessage:
    invitation = delivery.invitation
    survey = invitation.survey
    with translation.override("ja"):
        params = {
            "brand": survey.brand_name,
            "title": survey.title,
            "url": personal_url(invitation),
            "unsubscribe": unsubscribe_url(invitation),
        }
        if delivery.kind == DeliveryKind.REMINDER:
            subject = _("[%(brand)s] Reminder: we would appreciate your answers") % params
            intro = (
                _(
                    'A few days ago we asked for your opinion in the survey "%(title)s". If you '
                    "have a moment, we would be grateful for your answers."
                )
                % params
            )
        else:
            subject = _("[%(brand)s] Request for your cooperation with a survey") % params
            intro = (
                _(
                    "Thank you for using %(brand)s. We would be grateful if you could answer the "
                    'survey "%(title)s" (about three minutes).'
                )
                % params
            )
        body = "\n\n".join(
            [
                intro,
                _("Answer the survey here (this link is just for you):\n%(url)s") % params,
                _(
                    "If you would rather not receive survey e-mails from us, please use this "
                    "link:\n%(unsubscribe)s"
                )
                % params,
            ]
        )
    footer = branding.footer()
    if footer:
        body = f"{body}\n\n--\n{footer}"
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=branding.sender_address(),
        to=[invitation.customer.email],
    )


def deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Send one delivery (at most once); returns its final status."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("invitation__survey", "invitation__customer")
            .filter(id=delivery_id)
            .first()
        )
        if delivery is None:
            return "missing"
        if delivery.status not in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED):
            return delivery.status
        invitation = delivery.invitation
        customer = invitation.customer
        now = now or timezone.now()
        answered = Response.objects.filter(
            invitation=invitation, status=ResponseStatus.COMPLETED
        ).exists()
        if (
            not customer.contact_allowed
            or customer.unsubscribed_at
            or customer.forgotten_at
            or not customer.email
            or invitation.survey.status != SurveyStatus.OPEN
            or (delivery.kind == DeliveryKind.REMINDER and answered)
        ):
            delivery.status = DeliveryStatus.SKIPPED
            delivery.save(update_fields=["status", "updated_at"])
            return delivery.status
        delivery.attempts += 1
        try:
            _message(delivery).send(fail_silently=False)
        except Exception as exc:  # SMTP refused, timed out, …: recorded and retried later
            delivery.status = DeliveryStatus.FAILED
            delivery.error = f"{exc.__class__.__name__}: {exc}"[:2000]
            delivery.save(update_fields=["status", "error", "attempts", "updated_at"])
            if delivery.kind == DeliveryKind.INVITATION:
                Invitation.objects.filter(id=invitation.id).update(
                    status=InvitationStatus.FAILED, updated_at=now
                )
            logger.warning("survey e-mail %s failed: %s", delivery.id, exc.__class__.__name__)
            return delivery.status
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.error = ""
        delivery.save(update_fields=["status", "sent_at", "error", "attempts", "updated_at"])
        if delivery.kind == DeliveryKind.INVITATION:
            Invitation.objects.filter(id=invitation.id).exclude(
                status=InvitationStatus.ANSWERED
            ).update(status=InvitationStatus.SENT, sent_at=now, updated_at=now)
        else:
            Invitation.objects.filter(id=invitation.id).update(reminded_at=now, updated_at=now)
        return delivery.status


def retry_failed_deliveries(*, now: datetime) -> int:
    """Re-queue failed sends whose wait is over (1, 2, 4, 8 minutes after each attempt)."""
    due = [
        d
        for d in Delivery.objects.filter(
            status=DeliveryStatus.FAILED, attempts__lt=Delivery.MAX_ATTEMPTS
        ).select_related("invitation")
        if d.updated_at <= now - timedelta(minutes=2 ** max(d.attempts - 1, 0))
    ]
    by_survey: dict[int, list[Delivery]] = {}
    for d in due:
        by_survey.setdefault(d.invitation.survey_id, []).append(d)
    count = 0
    with transaction.atomic():
        for survey_id, deliveries in by_survey.items():
            # The dedup key includes the attempt so each retry is new work.
            ids = sorted(d.id for d in deliveries)
            attempt = max(d.attempts for d in deliveries)
            for start in range(0, len(ids), BATCH_SIZE):
                batch = ids[start : start + BATCH_SIZE]
                outbox.enqueue(
                    task_name="surveys.send_deliveries",
                    kwargs={"delivery_ids": batch},
                    dedup_key=f"survey-{survey_id}-retry{attempt}-{batch[0]}-{batch[-1]}",
                )
                count += len(batch)
    return count


def run_distribution(*, now: datetime) -> dict[str, int]:
    """The periodic run: close surveys past their date, queue invitations for open surveys
    (new invitations, and ones held back by the contact-frequency rule), reminders, retries."""
    Survey.objects.filter(status=SurveyStatus.OPEN, closes_at__lte=now).update(
        status=SurveyStatus.CLOSED, updated_at=now
    )
    invited = reminded = 0
    for survey in Survey.objects.filter(status=SurveyStatus.OPEN).order_by("id"):
        invited += queue_invitation_emails(survey=survey, now=now)
        reminded += queue_reminders(survey=survey, now=now)
    return {
        "invitations": invited,
        "reminders": reminded,
        "retries": retry_failed_deliveries(now=now),
    }


def unsubscribe(*, invitation: Invitation, now: datetime) -> Customer:
    """The customer of ``invitation`` receives no more survey e-mails (queued ones are skipped)."""
    customer = invitation.customer
    if customer.unsubscribed_at is None:
        Customer.objects.filter(id=customer.id, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now, updated_at=now
        )
        customer.refresh_from_db(fields=["unsubscribed_at"])
    return customer
