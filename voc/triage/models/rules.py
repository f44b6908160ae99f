"""Business hours and the rules applied to arriving items."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from engagement.customers.models import Touchpoint
from engagement.platform.models import TimeStampedModel
from voc.models import Channel, Priority, Sentiment


def default_workdays() -> list[int]:
    return [1, 2, 3, 4, 5]


class TriageSettings(TimeStampedModel):
    """Business hours and alert timing; one row (id 1), edited by CS leads in the admin."""

    opens_at = models.TimeField(_("business day starts"), default=datetime.time(9, 0))
    closes_at = models.TimeField(_("business day ends"), default=datetime.time(18, 0))
    # ISO weekdays 1 (Monday) … 7 (Sunday).
    workdays = models.JSONField(_("working days (1=Mon … 7=Sun)"), default=default_workdays)
    observe_public_holidays = models.BooleanField(
        _("closed on Japanese public holidays"), default=True
    )
    closed_dates = models.JSONField(_("extra closed dates (YYYY-MM-DD)"), default=list, blank=True)
    lead_escalation_after_hours = models.PositiveIntegerField(
        _("escalate to the team lead after (business hours overdue)"), default=4
    )
    digest_hour = models.PositiveSmallIntegerField(_("daily digest hour (JST)"), default=9)

    class Meta:
        verbose_name = _("triage settings")
        verbose_name_plural = _("triage settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="triage_settings_singleton"),
            models.CheckConstraint(condition=Q(digest_hour__lte=23), name="triage_digest_hour"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="triage_hours_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class NpsCondition(models.TextChoices):
    PROMOTER = "promoter", _("Promoter (9–10)")
    PASSIVE = "passive", _("Passive (7–8)")
    DETRACTOR = "detractor", _("Detractor (0–6)")


class Rule(TimeStampedModel):
    """When an item arrives: conditions (all that are set must hold) → actions."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("order"), default=100)
    # --- conditions (blank = any) ---
    nps_category = models.CharField(
        _("NPS category"), max_length=10, choices=NpsCondition.choices, blank=True
    )
    requires_text = models.BooleanField(_("has free text"), default=False)
    topic = models.ForeignKey(
        "voc.Topic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("topic"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=Sentiment.choices, blank=True
    )
    touchpoint = models.CharField(
        _("touchpoint"), max_length=20, choices=Touchpoint.choices, blank=True
    )
    segment = models.CharField(_("customer segment"), max_length=50, blank=True)
    # --- actions ---
    set_priority = models.PositiveSmallIntegerField(
        _("set priority"), choices=Priority.choices, null=True, blank=True
    )
    due_in_business_hours = models.PositiveIntegerField(
        _("due in (business hours)"), null=True, blank=True
    )
    assign_team = models.ForeignKey(
        "engagement.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assign to team"),
    )
    notify_team = models.ForeignKey(
        "engagement.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("notify team"),
    )
    stop_processing = models.BooleanField(_("stop after this rule"), default=False)

    class Meta:
        verbose_name = _("triage rule")
        verbose_name_plural = _("triage rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """Marks an item whose rules were applied (once per item)."""

    item = models.OneToOneField(
        "voc.FeedbackItem", on_delete=models.CASCADE, related_name="rule_run"
    )
    matched_rule_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rule run")
        verbose_name_plural = _("rule runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.matched_rule_ids}"
