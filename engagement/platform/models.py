"""Infrastructure models every app uses: time stamps and the task outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent to the broker")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class OutboxMessage(TimeStampedModel):
    """Work recorded in the database before it reaches the broker (see ``platform.outbox``)."""

    task_name = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    # Same key, same work: enqueueing it again while it is not done adds nothing.
    dedup_key = models.CharField(  # noqa: DJ001
        _("deduplication key"), max_length=200, null=True, blank=True
    )
    state = models.CharField(
        pgettext_lazy("queued task", "state"),
        max_length=10,
        choices=OutboxState.choices,
        default=OutboxState.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # The lease of the execution running it (``platform.outbox``): renewed by a heartbeat.
    lease_owner = models.CharField(_("lease owner"), max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)

    class Meta:
        db_table = "engagement_outboxmessage"  # created by the customers app's first migration
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(dedup_key__isnull=False) & ~Q(state="done"),
                name="outbox_open_dedup_key",
            )
        ]
        indexes = [models.Index(fields=["state", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.task_name}({self.kwargs}) {self.state}"


class RateCounter(models.Model):
    """A fixed-window hit counter for rate limits, used when the cache (Redis) cannot count
    (``engagement.platform.ratelimits``). ``key`` is a digest: no client address is stored."""

    key = models.CharField(max_length=64)
    window = models.BigIntegerField(help_text="start of the window, Unix seconds")
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="ratecounter_key_window")
        ]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.key}@{self.window}: {self.count}"


class Branding(TimeStampedModel):
    """The company's branding (one row): logo, accent colour, company name, sender and footer.

    Read through ``engagement.platform.branding``; every wording that names the company
    (「弊社」 in replies, e-mails, customer pages) comes from here.
    """

    company_name = models.CharField(_("company name"), max_length=100, blank=True)
    sender_name = models.CharField(_("sender name of e-mails"), max_length=100, blank=True)
    footer = models.TextField(
        _("footer of e-mails and customer pages"), blank=True, max_length=1000
    )
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#1f5f8b")
    logo = models.BinaryField(_("logo"), blank=True, default=b"", editable=True)
    logo_type = models.CharField(_("logo type"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("branding")

    def __str__(self) -> str:
        return self.company_name or str(_("Branding"))


class StaffProfile(TimeStampedModel):
    """What customers see of a staff member: the name replies are signed with."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    display_name = models.CharField(
        _("display name"),
        max_length=100,
        blank=True,
        help_text=_("The name replies to customers are signed with, e.g. 山田 花子."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return self.display_name
