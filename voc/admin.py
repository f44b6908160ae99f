"""Admin for topics, the user dictionary and the analysis settings/runs.

FeedbackItem's ModelAdmin belongs to triage (the inbox). Edits go through the services, so a
rename marks the name as custom and a dictionary change re-tokenises in the background.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from engagement.platform.admin_columns import count_column
from engagement.platform.errors import DomainError
from engagement.platform.formatting import count
from voc import services
from voc.models import (
    AnalysisRun,
    AnalysisSettings,
    CodingRule,
    FeedbackItem,
    Topic,
    UserDictionaryEntry,
)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "visible_items",
        "terms_preview",
        "is_active",
        "is_other",
        "name_is_custom",
        "explore",
    )
    list_filter = ("is_active", "is_other", "name_is_custom")
    search_fields = ("name",)
    fields = (
        "name",
        "terms",
        "visible_items",
        "is_active",
        "is_other",
        "name_is_custom",
        "merged_into",
    )
    readonly_fields = (
        "terms",
        "visible_items",
        "is_active",
        "is_other",
        "name_is_custom",
        "merged_into",
    )
    actions = ["merge_into_first"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # Counted over the items the viewer may see (engagement.platform.scope).
        visible = FeedbackItem.objects.visible_to(request.user).values("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(n_visible=Count("items", filter=Q(items__pk__in=visible)))
        )

    @admin.display(description=_("items"), ordering="n_visible")
    def visible_items(self, obj: Topic) -> str:
        return count(obj.n_visible)

    @admin.display(description=_("distinctive terms"))
    def terms_preview(self, obj: Topic) -> str:
        return "、".join(obj.terms[:6])

    @admin.display(description=_("explore"))
    def explore(self, obj: Topic) -> str:
        return format_html('<a href="{}">{}</a>', reverse("voc:topic", args=[obj.id]), _("open"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # topics come from the analysis (or a split on the topic page)

    def save_model(self, request: HttpRequest, obj: Topic, form: Any, change: bool) -> None:
        if change and "name" in form.changed_data:
            try:
                services.rename_topic(topic=obj, name=form.cleaned_data["name"])
            except DomainError as exc:
                messages.error(request, exc.message)
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Merge the selected topics into the first one (by id)"))
    def merge_into_first(self, request: HttpRequest, queryset: Any) -> None:
        topics = list(queryset.order_by("id"))
        if len(topics) < 2:
            messages.error(request, _("Choose at least two topics."))
            return
        try:
            target = services.merge_topics(sources=topics[1:], target=topics[0])
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        messages.success(request, _("Merged into “%(name)s”.") % {"name": target.name})


@admin.register(UserDictionaryEntry)
class UserDictionaryEntryAdmin(admin.ModelAdmin):
    list_display = ("term", "kind", "canonical", "note", "updated_at")
    list_filter = ("kind",)
    search_fields = ("term", "canonical", "note")

    def save_model(
        self, request: HttpRequest, obj: UserDictionaryEntry, form: Any, change: bool
    ) -> None:
        try:
            services.save_dictionary_entry(
                term=obj.term,
                kind=obj.kind,
                canonical=obj.canonical,
                note=obj.note,
                entry=obj if change else None,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        messages.info(request, _("Feedback is being re-tokenised with the new dictionary."))

    def delete_model(self, request: HttpRequest, obj: UserDictionaryEntry) -> None:
        services.delete_dictionary_entry(entry=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for entry in queryset:
            services.delete_dictionary_entry(entry=entry)


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "status", "n_items_column", "n_topics_column", "finished_at")
    list_filter = ("status",)
    exclude = ("model",)
    n_items_column = count_column(AnalysisRun, "n_items")
    n_topics_column = count_column(AnalysisRun, "n_topics")
    readonly_fields = (
        "status",
        "started_at",
        "finished_at",
        "n_items",
        "n_topics",
        "selection",
        "error",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AnalysisSettings)
class AnalysisSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "topic_count", "dictionary_version")
    fields = ("topic_count", "dictionary_version")
    readonly_fields = ("dictionary_version",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not AnalysisSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CodingRule)
class CodingRuleAdmin(admin.ModelAdmin):
    """Codes as in KH Coder; the expression is parsed on save (Japanese errors on the field)."""

    list_display = ("name", "expression", "active", "created_by", "updated_at")
    list_filter = ("active",)
    search_fields = ("name", "expression")
    fields = ("name", "expression", "active")

    def save_model(self, request: HttpRequest, obj: CodingRule, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
