"""The demo data set's marker: ``seed_demo`` records what it loaded, so a second run reuses it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from engagement.platform.models import TimeStampedModel


class DemoDataset(TimeStampedModel):
    seed = models.IntegerField(_("seed"))
    customers = models.PositiveIntegerField(_("customers"))
    # Counts of what was created (customers, behaviours, responses, feedback items …).
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("demo data set")
        verbose_name_plural = _("demo data sets")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"seed={self.seed} customers={self.customers}"
