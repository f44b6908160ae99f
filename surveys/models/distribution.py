"""Distribution: invitations (personal links), the messages sent for them (e-mail, LINE,
SMS) and the messaging channels' credentials."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from engagement.platform import encryption
from engagement.platform.encryption import EncryptedTextField
from engagement.platform.models import TimeStampedModel
from surveys.channels import validation
from surveys.models.design import Survey


class InvitationStatus(models.TextChoices):
    CREATED = "created", _("Created")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    ANSWERED = "answered", _("Answered")


class HoldReason(models.TextChoices):
    FATIGUE = "fatigue", _("Contacted recently (contact-frequency rule)")
    OPTED_OUT = "opted_out", _("Opted out of survey messages")
    CHURNED = "churned", _("Churned (cancelled)")
    NO_ADDRESS = "no_address", _("No usable e-mail, LINE or phone")
    NOT_ALLOWED = "not_allowed", _("Contact not allowed")


class Invitation(TimeStampedModel):
    """One customer's personal link to one survey.

    Only the link's random nonce is stored; the link also carries an HMAC of the nonce made with
    the secret key (``surveys.tokens``), so a copy of the database alone yields no working link.
    """

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("survey")
    )
    customer = models.ForeignKey(
        "engagement.Customer",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("customer"),
    )
    nonce = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.CREATED,
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # Why the invitation was not sent (yet): set by each distribution run, cleared when queued.
    held_reason = models.CharField(
        _("held back because"), max_length=12, choices=HoldReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "customer"], name="invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.customer_id}"


class DeliveryKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    # The provider reported the message reached the phone (Twilio's status callback).
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LINE = "line", "LINE"
    SMS = "sms", "SMS"


class Delivery(TimeStampedModel):
    """One message (invitation or reminder) to one invitation's customer, by e-mail, LINE or
    SMS: at most one of each kind.

    queued -> sent, or failed (with the provider's reason; transient failures are retried with
    backoff until ``MAX_ATTEMPTS``, then ``next_attempt_at`` is cleared: failed for good), or
    skipped (the customer opted out or the survey closed before the send). A queued send in
    quiet hours waits with ``next_attempt_at`` at their end.
    """

    MAX_ATTEMPTS = 5

    invitation = models.ForeignKey(
        Invitation,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("invitation"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=DeliveryKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("reason of failure"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=8, choices=DeliveryChannel.choices, default=DeliveryChannel.EMAIL
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=100, blank=True)
    # Sends the same message again (the idempotency key of a re-send differs from the first).
    resend_count = models.PositiveSmallIntegerField(_("re-sends"), default=0)

    class Meta:
        verbose_name = _("send")
        verbose_name_plural = _("sends")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "kind"], name="delivery_once_per_kind")
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.invitation_id}:{self.kind}:{self.channel}:{self.status}"


class ChannelAccount(TimeStampedModel):
    """Credentials of a messaging channel saved in the admin; without a row (or with the row
    disabled) the environment's settings are used (``LINE_*``, ``TWILIO_*``).

    Formats are checked at save time with a message in Japanese; secrets are never shown back
    or logged.
    """

    channel = models.CharField(
        _("channel"),
        max_length=8,
        unique=True,
        choices=[(DeliveryChannel.LINE, "LINE"), (DeliveryChannel.SMS, "SMS (Twilio)")],
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    api_base_url = models.CharField(
        _("API base URL"),
        max_length=200,
        blank=True,
        help_text=_(
            "Leave empty for the provider's own (https://api.line.me, https://api.twilio.com)."
        ),
        validators=[validation.validate_base_url],
    )
    account_sid = models.CharField(
        _("account SID (SMS)"),
        max_length=34,
        blank=True,
        validators=[validation.validate_twilio_account_sid],
    )
    sender = models.CharField(
        _("sender number (SMS, E.164)"),
        max_length=16,
        blank=True,
        validators=[validation.validate_e164],
    )
    # Encrypted at rest (``engagement.platform.encryption``); the admin never shows them back.
    access_token = EncryptedTextField(_("access token"), blank=True)
    secret = EncryptedTextField(_("channel secret"), blank=True)

    class Meta:
        verbose_name = _("messaging channel")
        verbose_name_plural = _("messaging channels")
        ordering = ["channel"]

    def __str__(self) -> str:
        return self.get_channel_display()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, list[Any]] = {}
        checks = (
            [
                ("access_token", validation.validate_line_access_token),
                ("secret", validation.validate_line_channel_secret),
            ]
            if self.channel == DeliveryChannel.LINE
            else [("access_token", validation.validate_twilio_auth_token)]
        )
        for field, check in checks:
            try:
                check(getattr(self, field))
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
        if self.enabled:
            needed = (
                ["access_token", "secret"]
                if self.channel == DeliveryChannel.LINE
                else ["account_sid", "access_token", "sender"]
            )
            for field in needed:
                value = getattr(self, field)
                if not value and not encryption.is_unreadable(value):
                    errors.setdefault(field, []).append(_("Required while the channel is enabled."))
        if errors:
            raise ValidationError(errors)
