"""E-mail alerts, each recorded once under a unique key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from engagement.platform.models import TimeStampedModel


class AlertKind(models.TextChoices):
    ESCALATION_OWNER = "overdue_owner", _("Overdue: owner")
    ESCALATION_LEAD = "overdue_lead", _("Overdue: team lead")
    DIGEST = "digest", _("Daily digest")
    RULE = "rule", _("Rule notification")
    MENTION = "mention", _("Mention")
    HEARD_YOU = "heard_you", _("We heard you")


class AlertState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (no address)")


class Alert(TimeStampedModel):
    """Every e-mail alert, recorded before it is sent; ``key`` makes each one happen once."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    item = models.ForeignKey(
        "voc.FeedbackItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("feedback item"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    customer = models.ForeignKey(
        "engagement.Customer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("body"))
    state = models.CharField(
        _("state"), max_length=10, choices=AlertState.choices, default=AlertState.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # How many times an e-mail was actually handed to the mail backend (must stay ≤ 1).
    send_count = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return self.key
