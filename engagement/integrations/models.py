"""Webhook endpoints and chat channels, and the log of every delivery to them."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from engagement.platform import encryption
from engagement.platform.encryption import EncryptedTextField
from engagement.platform.models import TimeStampedModel

from . import validation


class WebhookEvent(models.TextChoices):
    RESPONSE_COMPLETED = "response.completed", _("Survey response completed")
    FEEDBACK_CREATED = "feedback.created", _("Feedback item created")
    FEEDBACK_ASSIGNED = "feedback.assigned", _("Feedback item assigned")
    FEEDBACK_RESOLVED = "feedback.resolved", _("Feedback item resolved")
    TOPIC_SPIKE = "topic.spike", _("Topic spike")


class ChatKind(models.TextChoices):
    DETRACTOR = "detractor", _("Detractor answer")
    SLA_BREACH = "sla_breach", _("SLA breach (overdue item)")
    TOPIC_SPIKE = "topic_spike", _("Topic spike")


class ChatProvider(models.TextChoices):
    SLACK = "slack", _("Slack (incoming webhook)")
    TEAMS = "teams", _("Microsoft Teams (workflow webhook)")
    CHATWORK = "chatwork", _("Chatwork (API token and room)")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Waiting to retry")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(TimeStampedModel):
    """A URL that receives signed JSON deliveries of the events it subscribes to."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(
        _("events"), default=list, help_text=_("The events this endpoint receives.")
    )
    # Encrypted at rest (``engagement.platform.encryption``), like the chat channels' URL and token.
    secret = EncryptedTextField(
        _("signing secret"),
        default=new_secret,
        help_text=_("Shared with the receiver; signs every delivery (HMAC-SHA256)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        url_error = validation.webhook_url_error(self.url)
        if url_error:
            errors["url"] = [url_error]
        unknown = [e for e in (self.events or []) if e not in WebhookEvent.values]
        if not self.events or unknown:
            errors["events"] = [str(_("Choose at least one known event."))]
        if len(self.secret or "") < 24 and not encryption.is_unreadable(self.secret):
            errors["secret"] = [str(_("The signing secret must be at least 24 characters."))]
        if errors:
            raise ValidationError(errors)


class ChatChannel(TimeStampedModel):
    """A Slack, Teams or Chatwork room that receives alerts, for one team or for all."""

    name = models.CharField(_("name"), max_length=100)
    provider = models.CharField(_("provider"), max_length=10, choices=ChatProvider.choices)
    webhook_url = EncryptedTextField(
        _("webhook URL"),
        blank=True,
        help_text=_("Slack incoming webhook or Teams workflow URL."),
    )
    api_token = EncryptedTextField(_("Chatwork API token"), blank=True)
    room_id = models.CharField(_("Chatwork room ID"), max_length=20, blank=True)
    kinds = models.JSONField(_("alerts"), default=list, help_text=_("The alerts sent here."))
    team = models.ForeignKey(
        "engagement.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Only this team's alerts; empty: every alert."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = validation.chat_channel_errors(
            provider=self.provider,
            webhook_url=self.webhook_url,
            api_token=self.api_token,
            room_id=self.room_id,
        )
        for name in ("webhook_url", "api_token"):
            if encryption.is_unreadable(getattr(self, name)):
                errors.pop(name, None)  # kept as stored; cannot be checked without its key
        unknown = [k for k in (self.kinds or []) if k not in ChatKind.values]
        if not self.kinds or unknown:
            errors["kinds"] = [str(_("Choose at least one alert."))]
        if errors:
            raise ValidationError(errors)


class DeliveryBase(TimeStampedModel):
    key = models.CharField(_("key"), max_length=200)
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        abstract = True


class WebhookDelivery(DeliveryBase):
    """One event sent to one endpoint: the exact body signed, and how the receiver answered."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    event_id = models.UUIDField(_("event ID"))
    body = models.TextField(_("body"))
    replay_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replay of"),
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "key"], name="webhook_delivery_once")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.state})"


class ChatDelivery(DeliveryBase):
    """One alert sent to one chat channel."""

    channel = models.ForeignKey(
        ChatChannel,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("channel"),
    )
    kind = models.CharField(_("alert"), max_length=20, choices=ChatKind.choices)
    text = models.TextField(_("text"))
    link = models.URLField(_("link"), max_length=500, blank=True)
    replay_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replay of"),
    )

    class Meta:
        verbose_name = _("chat delivery")
        verbose_name_plural = _("chat deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "key"], name="chat_delivery_once")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel_id} ({self.state})"
