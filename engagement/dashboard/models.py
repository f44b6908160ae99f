"""Pre-aggregated daily summaries the dashboard reads (so its cost does not grow with the data).

``DailyRollup`` holds sums per day × survey × touchpoint × segment and one more key:

- ``kind = nps``: key = the NPS score (0–10, or NULL); response counts, CSAT and index sums, and
  the behaviour outcomes of the respondents in the window after answering;
- ``kind = band``: key = the awareness-index band (0: 0–20 … 4: 80–100); counts and outcomes;
- ``kind = topic``: key = a VoC topic id, ``category`` = the item's NPS category; feedback item
  counts (all, negative) and the outcomes after each item.

Sums (not averages) are stored so that any filter adds rows up exactly; means and confidence
intervals come from ``n``, ``sum`` and ``sum of squares``. ``engagement.dashboard.services``
rebuilds the table (task ``dashboard.refresh_rollups``); ``RollupRun`` records each rebuild.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from engagement.customers.models import Touchpoint
from engagement.platform.models import TimeStampedModel


class RollupKind(models.TextChoices):
    NPS = "nps", _("NPS score")
    BAND = "band", _("Awareness band")
    TOPIC = "topic", _("VoC topic")


class DailyRollup(models.Model):
    kind = models.CharField(max_length=5, choices=RollupKind.choices)
    day = models.DateField()
    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    wave = models.ForeignKey(
        "surveys.Wave", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    touchpoint = models.CharField(max_length=20, choices=Touchpoint.choices, blank=True)
    segment = models.CharField(max_length=50, blank=True)
    key = models.BigIntegerField(null=True, blank=True)
    category = models.CharField(max_length=10, blank=True)
    n = models.PositiveIntegerField(default=0)
    negative = models.PositiveIntegerField(default=0)
    csat_n = models.PositiveIntegerField(default=0)
    csat_sum = models.FloatField(default=0)
    empathy_n = models.PositiveIntegerField(default=0)
    empathy_sum = models.FloatField(default=0)
    attachment_n = models.PositiveIntegerField(default=0)
    attachment_sum = models.FloatField(default=0)
    awareness_n = models.PositiveIntegerField(default=0)
    awareness_sum = models.FloatField(default=0)
    # Behaviour in the window after the anchor (responses or items with a known customer).
    anchors = models.PositiveIntegerField(default=0)
    churn = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)
    referral = models.PositiveIntegerField(default=0)
    review = models.PositiveIntegerField(default=0)
    spend_sum = models.FloatField(default=0)
    spend_sq = models.FloatField(default=0)

    class Meta:
        verbose_name = _("daily summary")
        verbose_name_plural = _("daily summaries")
        ordering = ["kind", "day", "id"]
        indexes = [
            models.Index(fields=["kind", "day"], name="rollup_kind_day"),
            models.Index(fields=["kind", "wave"], name="rollup_kind_wave"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.day} {self.key}"


class RollupRun(TimeStampedModel):
    """One rebuild of the summaries."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    window_days = models.PositiveIntegerField(_("behaviour window (days)"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    # The customer segments seen at the rebuild (the dashboard's segment filter offers them).
    segments = models.JSONField(_("segments"), default=list, blank=True)

    class Meta:
        verbose_name = _("summary rebuild")
        verbose_name_plural = _("summary rebuilds")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M}"


class SavedViewPage(models.TextChoices):
    DASHBOARD = "dashboard", _("Engagement dashboard")
    COMPARE = "compare", _("Comparison")
    CROSSTAB = "crosstab", _("Crosstab")
    TOPICS = "topics", _("Topics")
    REPORTS = "reports", _("Improvement reports")


class SavedView(TimeStampedModel):
    """A named selection of filters (and crosstab dimensions) on an analysis page.

    The query string is the page's own: opening the view is opening the page with it, so a view
    is shared by sending its URL; ``shared`` lists it for every colleague who opens the page.
    """

    name = models.CharField(_("name"), max_length=100)
    page = models.CharField(_("page"), max_length=20, choices=SavedViewPage.choices)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_analysis_views",
        verbose_name=_("owner"),
    )
    shared = models.BooleanField(_("shared with colleagues"), default=False)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["page", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "page", "name"], name="saved_view_name_unique_per_owner"
            )
        ]

    def __str__(self) -> str:
        return self.name
