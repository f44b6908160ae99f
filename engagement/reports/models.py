"""Improvement reports: product areas, improvement actions, and stored report snapshots.

A ``Report`` stores the computed data as JSON (``data``) once generated, so a past report
reopens exactly as it was, whatever happened to the feedback since.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from engagement.platform.models import TimeStampedModel


class ProductArea(TimeStampedModel):
    """A part of the product that a product team owns; VoC topics belong to one or more."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    topics = models.ManyToManyField(
        "voc.Topic", related_name="product_areas", blank=True, verbose_name=_("topics")
    )

    class Meta:
        verbose_name = _("product area")
        verbose_name_plural = _("product areas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportSubscription(TimeStampedModel):
    """A staff user who receives the weekly report of a product area by e-mail."""

    product_area = models.ForeignKey(
        ProductArea,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        verbose_name=_("product area"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name=_("user"),
    )

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["product_area", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["product_area", "user"], name="report_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_area} → {self.user}"


class ActionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", pgettext_lazy("improvement action", "In progress")
    SHIPPED = "shipped", _("Shipped")
    VERIFIED = "verified", _("Verified")


# Allowed status changes: forward one step, or back one step to correct a mistake.
ACTION_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ActionStatus.PROPOSED: (ActionStatus.PLANNED,),
    ActionStatus.PLANNED: (ActionStatus.IN_PROGRESS, ActionStatus.PROPOSED),
    ActionStatus.IN_PROGRESS: (ActionStatus.SHIPPED, ActionStatus.PLANNED),
    ActionStatus.SHIPPED: (ActionStatus.VERIFIED, ActionStatus.IN_PROGRESS),
    ActionStatus.VERIFIED: (ActionStatus.SHIPPED,),
}


class ImprovementAction(TimeStampedModel):
    """What the company does about one or more VoC topics (the 'Do' of PDCA)."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="improvement_actions",
        verbose_name=_("owner"),
    )
    product_area = models.ForeignKey(
        ProductArea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("product area"),
    )
    topics = models.ManyToManyField(
        "voc.Topic", related_name="improvement_actions", verbose_name=_("linked topics")
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ActionStatus.choices,
        default=ActionStatus.PROPOSED,
        db_index=True,
    )
    shipped_on = models.DateField(_("ship date"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    heard_you_sent_at = models.DateTimeField(_("'we heard you' sent at"), null=True, blank=True)
    heard_you_count = models.PositiveIntegerField(_("'we heard you' messages"), default=0)

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["shipped", "verified"]) | Q(shipped_on__isnull=False),
                name="action_shipped_has_date",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reports:action", args=[self.id])


class ReportKind(models.TextChoices):
    ON_DEMAND = "on_demand", _("On demand")
    WEEKLY = "weekly", _("Weekly")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Generating")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Report(TimeStampedModel):
    """One improvement report: its parameters, progress while generated, then a JSON snapshot."""

    kind = models.CharField(
        _("kind"), max_length=10, choices=ReportKind.choices, default=ReportKind.ON_DEMAND
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    product_area = models.ForeignKey(
        ProductArea,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("product area"),
    )
    segment = models.CharField(_("segment"), max_length=50, blank=True)
    touchpoint = models.CharField(_("touchpoint"), max_length=20, blank=True)
    survey = models.ForeignKey(
        "surveys.Survey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="improvement_reports",
        verbose_name=_("survey"),
    )
    # The shared analysis filters (``surveys.filters``) beyond the period, as the dashboard's
    # query string (``wave=3&link=5&param_store=shibuya&nps_band=detractor``): the same scope
    # on every page. Segment, touchpoint and survey are also in their own columns.
    filters = models.CharField(_("filters"), max_length=2000, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    error = models.TextField(_("error"), blank=True)
    data = models.JSONField(_("snapshot"), default=dict, blank=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requested_reports",
        verbose_name=_("requested by"),
    )

    class Meta:
        verbose_name = _("improvement report")
        verbose_name_plural = _("improvement reports")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="report_period"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_lte_100"),
            # One weekly report per product area and week.
            models.UniqueConstraint(
                fields=["product_area", "period_start"],
                condition=Q(kind="weekly"),
                name="report_weekly_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "period_end"])]

    def __str__(self) -> str:
        return self.title or f"{self.period_start} – {self.period_end}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report", args=[self.id])
