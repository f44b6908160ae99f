"""Bulk actions run in the background with progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from engagement.platform.models import TimeStampedModel


class BulkAction(models.TextChoices):
    ASSIGN = "assign", _("Assign")
    STATE = "state", _("Change state")
    TAG = "tag", _("Add tag")
    TOPIC = "topic", _("Set topic")
    MERGE = "merge", _("Merge duplicates")


class JobState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BulkJob(TimeStampedModel):
    """A bulk action over a large selection, run in the background chunk by chunk."""

    action = models.CharField(_("action"), max_length=10, choices=BulkAction.choices)
    params = models.JSONField(_("parameters"), default=dict)
    item_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(_("items"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.PENDING
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("total")), name="triage_job_progress"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.processed}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.processed * 100 / self.total)
