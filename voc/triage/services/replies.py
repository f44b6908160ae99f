"""Closing the loop: replies to one customer, and "we heard you" messages per topic."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.customers.models import Customer
from engagement.platform import branding, outbox
from engagement.platform.errors import Conflict, InvalidInput, NotFound
from voc.models import FeedbackItem, Topic

from ..models import (
    Alert,
    AlertKind,
    AlertState,
    EventKind,
    HeardYouCampaign,
    Reply,
    ReplyState,
    ReplyTemplate,
)
from .alerts import deliver_alert, excerpt
from .workflow import lock_item, record_event

PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")


class NoContactPermission(Conflict):
    code = "contact_not_allowed"


def company_name(item: FeedbackItem | None = None) -> str:
    """The survey's brand for an answer to a survey, else the company name of the branding
    settings (``engagement.platform.branding``: else ``COMPANY_NAME``, else 「弊社」)."""
    if item is not None and item.response_id:
        brand = item.response.survey.brand_name
        if brand:
            return brand
    return branding.company_name()


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace ``{name}`` by ``values[name]``; unknown placeholders stay as they are."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def placeholder_values(*, item: FeedbackItem, staff: Any) -> dict[str, str]:
    customer = item.customer
    with translation.override(settings.LANGUAGE_CODE):
        name = (customer.name if customer and customer.name else "") or _("Customer")
        return {
            "customer_name": name,
            "feedback_excerpt": excerpt(item.text, 100),
            "received_date": timezone.localtime(item.received_at).strftime("%Y年%m月%d日"),
            "staff_name": branding.display_name(staff) if staff else "",
            "company_name": company_name(item),
        }


def check_contactable(customer: Customer | None) -> None:
    if customer is None:
        raise NoContactPermission(_("This feedback has no customer to reply to."))
    if customer.forgotten_at or not customer.contact_allowed:
        raise NoContactPermission(_("The customer has not allowed us to contact them."))
    if not customer.email:
        raise NoContactPermission(_("The customer has no e-mail address."))


@transaction.atomic
def save_reply_draft(
    *,
    item_id: int,
    actor: Any,
    subject: str | None = None,
    body: str | None = None,
    template_id: int | None = None,
    reply_id: int | None = None,
) -> Reply:
    """Create or update the item's one draft; with a template, fill it from the template.

    With ``reply_id`` (an edit of a shown draft), that draft must still be a draft: a double
    submit after sending gets a ``Conflict`` instead of a new draft.
    """
    item = lock_item(item_id=item_id)
    check_contactable(item.customer)
    template = None
    if template_id:
        template = ReplyTemplate.objects.filter(id=template_id, is_active=True).first()
        if template is None:
            raise NotFound(_("The reply template does not exist."))
        values = placeholder_values(item=item, staff=actor)
        subject = fill_placeholders(template.subject, values)
        body = fill_placeholders(template.body, values)
    subject = (subject or "").strip()
    body = (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = [_("Required.")]
    if not body:
        errors["body"] = [_("Required.")]
    if errors:
        raise InvalidInput(_("Enter a subject and a message."), fields=errors)
    draft = Reply.objects.filter(item=item, state=ReplyState.DRAFT).first()
    if reply_id is not None and (draft is None or draft.id != reply_id):
        raise Conflict(_("This reply has already been sent."), code="already_sent")
    if draft is None:
        draft = Reply(item=item, created_by=actor)
    draft.subject, draft.body = subject[:200], body
    if template:
        draft.template = template
    draft.save()
    return draft


@transaction.atomic
def send_reply(*, reply_id: int, actor: Any) -> Reply:
    """Queue the draft for sending (a task sends the e-mail); a second click changes nothing."""
    reply = (
        Reply.objects.select_for_update(of=("self",))
        .filter(id=reply_id)
        .select_related("item")
        .first()
    )
    if reply is None:
        raise NotFound(_("The reply does not exist."))
    if reply.state != ReplyState.DRAFT:
        raise Conflict(_("This reply has already been sent."), code="already_sent")
    item = lock_item(item_id=reply.item_id)
    customer = Customer.objects.filter(id=item.customer_id).first()
    check_contactable(customer)
    reply.state = ReplyState.QUEUED
    reply.to_email = customer.email  # type: ignore[union-attr]
    reply.sent_by = actor
    reply.save(update_fields=["state", "to_email", "sent_by", "updated_at"])
    record_event(item=item, actor=actor, kind=EventKind.REPLY, new=reply.subject)
    outbox.enqueue(
        task_name="triage.send_reply",
        kwargs={"reply_id": reply.id},
        dedup_key=f"triage-reply-{reply.id}",
    )
    return reply


def deliver_reply(*, reply_id: int) -> bool:
    """The task's work: send a queued reply once; re-checks the contact permission first."""
    with transaction.atomic():
        reply = (
            Reply.objects.select_for_update(of=("self",))
            .filter(id=reply_id)
            .select_related("item__customer")
            .first()
        )
        if reply is None or reply.state != ReplyState.QUEUED:
            return False
        try:
            check_contactable(reply.item.customer)
        except NoContactPermission as exc:
            reply.state = ReplyState.FAILED
            reply.last_error = exc.message
            reply.save(update_fields=["state", "last_error", "updated_at"])
            return False
        footer = branding.footer()
        EmailMessage(
            subject=reply.subject,
            body=f"{reply.body}\n\n--\n{footer}" if footer else reply.body,
            from_email=branding.sender_address(),
            to=[reply.to_email],
        ).send(fail_silently=False)
        reply.state = ReplyState.SENT
        reply.sent_at = timezone.now()
        reply.save(update_fields=["state", "sent_at", "updated_at"])
    return True


# --- "we heard you" -----------------------------------------------------------------------------


def _topic_scope(topic_ids: list[int]) -> list[int]:
    ids = {int(t) for t in topic_ids}
    ids |= set(Topic.objects.filter(merged_into_id__in=ids).values_list("id", flat=True))
    return sorted(ids)


def heard_you_recipients(*, topic_ids: list[int]) -> QuerySet[Customer]:
    """Customers with feedback in these topics who allowed contact (and have an address)."""
    return (
        Customer.objects.active()
        .filter(
            contact_allowed=True,
            unsubscribed_at__isnull=True,
            feedback_items__topic_id__in=_topic_scope(topic_ids),
        )
        .exclude(email="")
        .distinct()
        .order_by("id")
    )


def heard_you_body(*, customer: Customer, message: str, company: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Dear %(name)s,\n\nThank you for always choosing %(company)s.\n"
            "Based on the feedback you kindly sent us, we have made the following improvement, "
            "and we would like to let you know.\n\n%(message)s\n\n"
            "Thank you again for your valuable feedback. We look forward to serving you.\n\n"
            "%(company)s\n"
        ) % {"name": customer.name or _("Customer"), "company": company, "message": message}


def send_heard_you(*, topic_ids: list[int], message: str, actor: Any) -> HeardYouCampaign:
    """Tell every contactable customer with feedback in ``topic_ids`` that they were heard.

    The same message to the same topics is sent once (``campaign.was_created`` is False the
    second time). Each e-mail is an ``Alert``; a task sends them.
    """
    message = (message or "").strip()
    topic_ids = sorted({int(t) for t in topic_ids or []})
    if not topic_ids:
        raise InvalidInput(_("Choose at least one topic."), fields={"topic_ids": [_("Required.")]})
    if not message:
        raise InvalidInput(_("Enter the message."), fields={"message": [_("Required.")]})
    if Topic.objects.filter(id__in=topic_ids).count() != len(topic_ids):
        raise NotFound(_("One of the topics does not exist."))
    key = hashlib.sha256(f"{topic_ids}|{message}".encode()).hexdigest()[:40]
    with transaction.atomic():
        campaign, created = HeardYouCampaign.objects.get_or_create(
            key=key, defaults={"topic_ids": topic_ids, "message": message, "actor": actor}
        )
        campaign.was_created = created  # type: ignore[attr-defined]
        if not created:
            return campaign
        company = company_name(None)
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Your feedback has reached us — %(company)s") % {"company": company}
        alerts = [
            Alert(
                key=f"heard-you-{key}-{customer.id}",
                kind=AlertKind.HEARD_YOU,
                customer=customer,
                to=[customer.email],
                subject=subject,
                body=heard_you_body(customer=customer, message=message, company=company),
            )
            for customer in heard_you_recipients(topic_ids=topic_ids).iterator(chunk_size=2000)
        ]
        Alert.objects.bulk_create(alerts, batch_size=1000, ignore_conflicts=True)
        campaign.recipients = len(alerts)
        campaign.save(update_fields=["recipients", "updated_at"])
        outbox.enqueue(
            task_name="triage.send_heard_you",
            kwargs={"campaign_id": campaign.id},
            dedup_key=f"triage-heard-you-{campaign.id}",
        )
    return campaign


def deliver_heard_you(*, campaign_id: int) -> int:
    campaign = HeardYouCampaign.objects.filter(id=campaign_id).first()
    if campaign is None:
        return 0
    ids = Alert.objects.filter(
        key__startswith=f"heard-you-{campaign.key}-", state=AlertState.PENDING
    ).values_list("id", flat=True)
    return sum(1 for alert_id in list(ids) if deliver_alert(alert_id=alert_id))
