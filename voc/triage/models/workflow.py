"""The audit trail, tags and internal notes of feedback items."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from engagement.platform.models import TimeStampedModel


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
