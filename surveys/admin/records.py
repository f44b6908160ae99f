"""Admin: invitations, e-mail sends and responses (read-only records)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from engagement.customers.models import Customer
from surveys.links import PARAMETER_KEY, UrlParameter
from surveys.models import (
    Answer,
    Delivery,
    Invitation,
    Response,
)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["customer", "survey", "status", "sent_at", "reminded_at", "answered_at"]
    list_filter = ["status", "survey"]
    search_fields = ["customer__external_id"]
    list_select_related = ["customer", "survey"]
    fields = ["survey", "customer", "status", "sent_at", "reminded_at", "answered_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        visible = Customer.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(customer__in=visible)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["invitation", "kind", "status", "attempts", "sent_at", "error", "updated_at"]
    list_filter = ["status", "kind", "invitation__survey"]
    list_select_related = ["invitation"]
    fields = ["invitation", "kind", "status", "attempts", "sent_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        visible = Customer.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(invitation__customer__in=visible)


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ["question", "number", "text", "choices"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class UrlParameterFilter(admin.SimpleListFilter):
    """Responses by a URL parameter's value (``?store=shibuya`` → "store = shibuya")."""

    title = gettext_lazy("URL parameter")
    parameter_name = "url_param"
    LIMIT = 100

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        pairs: set[tuple[str, str]] = set()
        keys = UrlParameter.objects.order_by("key").values_list("key", flat=True).distinct()
        for key in keys:
            values = (
                Response.objects.exclude(**{f"url_params__{key}__isnull": True})
                .filter(url_params__has_key=key)
                .values_list(f"url_params__{key}", flat=True)
                .distinct()
                .order_by(f"url_params__{key}")[: self.LIMIT]
            )
            pairs |= {(key, str(value)) for value in values if value not in (None, "")}
        return [(f"{k}:{v}", f"{k} = {v}") for k, v in sorted(pairs)][: self.LIMIT]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Response]) -> QuerySet[Response]:
        key, sep, value = (self.value() or "").partition(":")
        if not sep or not PARAMETER_KEY.match(key):
            return queryset
        return queryset.filter(**{f"url_params__{key}": value})


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "survey",
        "customer",
        "status",
        "submitted_at",
        "nps_score",
        "nps_category",
        "touchpoint",
        "awareness_index",
    ]
    list_filter = [
        "status",
        "nps_category",
        "touchpoint",
        "survey__wave",
        "survey",
        "public_link",
        "public_link__source",
        UrlParameterFilter,
    ]
    list_select_related = ["survey", "customer", "public_link"]
    date_hierarchy = "submitted_at"
    inlines = [AnswerInline]
    readonly_fields = [
        "survey",
        "invitation",
        "customer",
        "status",
        "current_page",
        "submitted_at",
        "touchpoint",
        "nps_score",
        "nps_category",
        "csat_score",
        "empathy_index",
        "attachment_index",
        "awareness_index",
        "public_link",
        "url_params",
    ]
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Response]:
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
