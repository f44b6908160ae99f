"""Admin of what CS leads configure and watch: rules, hours, alerts, jobs, templates."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from engagement.platform import scope
from engagement.platform.admin_columns import count_column
from engagement.platform.formatting import count
from voc.models import FeedbackItem, Topic

from ..models import (
    Alert,
    BulkJob,
    HeardYouCampaign,
    ReplyTemplate,
    Rule,
    Tag,
    TriageSettings,
)


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "is_active",
        "position",
        "nps_category",
        "topic",
        "channel",
        "set_priority",
        "due_in_business_hours",
        "assign_team",
        "notify_team",
    )
    list_editable = ("is_active", "position")
    list_filter = ("is_active",)
    fieldsets = (
        (None, {"fields": ("name", "is_active", "position", "stop_processing")}),
        (
            _("When (all conditions that are set)"),
            {
                "fields": (
                    "nps_category",
                    "requires_text",
                    "topic",
                    "channel",
                    "sentiment",
                    "touchpoint",
                    "segment",
                )
            },
        ),
        (
            _("Then"),
            {"fields": ("set_priority", "due_in_business_hours", "assign_team", "notify_team")},
        ),
    )


@admin.register(TriageSettings)
class TriageSettingsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "workdays",
        "observe_public_holidays",
        "lead_escalation_after_hours",
        "digest_hour",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "state", "item", "recipient", "created_at", "sent_at")
    list_filter = ("kind", "state")
    search_fields = ("key",)
    exclude = ("to", "customer")  # addresses of customers are personal data
    readonly_fields = (
        "key",
        "kind",
        "state",
        "item",
        "recipient",
        "subject",
        "body",
        "sent_at",
        "send_count",
        "last_error",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alert]:
        # Alerts about an item follow the item's scope; the others (digests) only for all-teams.
        qs = super().get_queryset(request)
        if scope.sees_all_teams(request.user):
            return qs
        return qs.filter(item__in=FeedbackItem.objects.visible_to(request.user).values("pk"))


@admin.register(BulkJob)
class BulkJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "action",
        "state",
        "progress",
        "changed_column",
        "skipped_column",
        "actor",
        "created_at",
        "finished_at",
    )
    list_filter = ("action", "state")
    exclude = ("item_ids",)
    changed_column = count_column(BulkJob, "changed")
    skipped_column = count_column(BulkJob, "skipped")
    readonly_fields = (
        "action",
        "params",
        "state",
        "progress",
        "total",
        "processed",
        "changed",
        "skipped",
        "actor",
        "finished_at",
        "last_error",
    )

    @admin.display(description=_("progress"))
    def progress(self, obj: BulkJob) -> str:
        return format_html(
            '<progress max="100" value="{}"></progress> {}% ({}/{})',
            obj.percent,
            obj.percent,
            count(obj.processed),
            count(obj.total),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[BulkJob]:
        qs = super().get_queryset(request)
        return qs if scope.sees_all_teams(request.user) else qs.filter(actor=request.user)


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "subject", "is_active")
    list_filter = ("is_active",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(HeardYouCampaign)
class HeardYouCampaignAdmin(admin.ModelAdmin):
    list_display = ("created_at", "message_excerpt", "topics", "recipients", "actor")
    exclude = ("key",)
    readonly_fields = ("topic_ids", "message", "recipients", "actor")

    @admin.display(description=_("message"))
    def message_excerpt(self, obj: HeardYouCampaign) -> str:
        return obj.message[:60]

    @admin.display(description=_("topics"))
    def topics(self, obj: HeardYouCampaign) -> str:
        return format_html_join(
            ", ", "{}", ((t.name,) for t in Topic.objects.filter(id__in=obj.topic_ids))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
