"""Replies to customers and "we heard you" messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from engagement.platform.models import TimeStampedModel


class ReplyTemplate(TimeStampedModel):
    """A customer reply in polite Japanese; placeholders like {customer_name} are filled in."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Placeholders: {customer_name}, {feedback_excerpt}, {received_date}, "
            "{staff_name}, {company_name}"
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReplyState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    QUEUED = "queued", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Reply(TimeStampedModel):
    """A reply to the customer about one item: a draft until sent, then kept as sent."""

    item = models.ForeignKey("voc.FeedbackItem", on_delete=models.CASCADE, related_name="replies")
    template = models.ForeignKey(
        ReplyTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    state = models.CharField(
        _("state"), max_length=10, choices=ReplyState.choices, default=ReplyState.DRAFT
    )
    to_email = models.EmailField(_("sent to"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("customer reply")
        verbose_name_plural = _("customer replies")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("contact_customer", _("Can reply to customers and send 'we heard you' messages")),
            ("export_feedback", _("Can export feedback items as CSV")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(state="draft"), name="triage_one_draft_per_item"
            )
        ]

    def __str__(self) -> str:
        return self.subject


class HeardYouCampaign(TimeStampedModel):
    """One "we heard you" message to every contactable customer with feedback in some topics."""

    key = models.CharField(max_length=64, unique=True)
    topic_ids = models.JSONField(default=list)
    message = models.TextField(_("message"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("'we heard you' message")
        verbose_name_plural = _("'we heard you' messages")
        ordering = ["-created_at", "-id"]
        permissions = [("send_heard_you", _("Can send 'we heard you' messages"))]

    def __str__(self) -> str:
        return self.message[:40]
