"""Triage around feedback items: audit trail, tags, notes, rules, alerts, replies, bulk jobs.

The triage fields themselves (state, owner, team, priority, due_at, duplicate_of) live on
``voc.FeedbackItem``; everything that changes them goes through ``voc.triage.services``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from engagement.models import TimeStampedModel, Touchpoint
from voc.models import Channel, Priority, Sentiment


class EventKind(models.TextChoices):
    STATE = "state", _("State changed")
    OWNER = "owner", _("Owner changed")
    TEAM = "team", _("Team changed")
    PRIORITY = "priority", _("Priority changed")
    DUE = "due", _("Due time changed")
    TAG = "tag", _("Tag added")
    UNTAG = "untag", _("Tag removed")
    TOPIC = "topic", _("Topic changed")
    DUPLICATE = "duplicate", _("Marked as duplicate")
    NOTE = "note", _("Note added")
    REPLY = "reply", _("Reply sent")
    RULE = "rule", _("Rule applied")


class TriageEvent(models.Model):
    """One line of an item's audit trail: who changed what, when (never edited)."""

    item = models.ForeignKey(
        "voc.FeedbackItem", on_delete=models.CASCADE, related_name="triage_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("change"), max_length=12, choices=EventKind.choices)
    old_value = models.CharField(_("before"), max_length=200, blank=True)
    new_value = models.CharField(_("after"), max_length=200, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("triage event")
        verbose_name_plural = _("triage events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["item", "created_at"])]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind} {self.old_value}→{self.new_value}"


class Tag(TimeStampedModel):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ItemTag(models.Model):
    item = models.ForeignKey("voc.FeedbackItem", on_delete=models.CASCADE, related_name="item_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="item_tags")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("item tag")
        verbose_name_plural = _("item tags")
        ordering = ["tag__name"]
        constraints = [models.UniqueConstraint(fields=["item", "tag"], name="triage_item_tag")]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.tag_id}"


class Note(TimeStampedModel):
    """An internal note (never shown to the customer); ``parent`` makes threads."""

    item = models.ForeignKey("voc.FeedbackItem", on_delete=models.CASCADE, related_name="notes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("note"))
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="triage_mentions"
    )

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


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
            ("view_all_teams", _("Can triage the items of all teams")),
            ("export_feedback", _("Can export feedback items as CSV")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(state="draft"), name="triage_one_draft_per_item"
            )
        ]

    def __str__(self) -> str:
        return self.subject


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
