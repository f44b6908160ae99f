"""Admin: invitations (with their sends and why one is held back), sends (re-send), messaging
channels (credentials checked at save time) and responses (read-only records)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.customers.models import Customer
from engagement.platform import encryption
from engagement.platform.admin_columns import decimal_column
from engagement.platform.secret_forms import WriteOnlySecretsForm
from surveys import services
from surveys.links import PARAMETER_KEY, UrlParameter
from surveys.models import (
    Answer,
    ChannelAccount,
    Delivery,
    Invitation,
    Response,
)

DELIVERY_FIELDS = [
    "kind",
    "channel",
    "status",
    "attempts",
    "sent_at",
    "next_attempt_at",
    "error",
    "provider_message_id",
]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    can_delete = False
    verbose_name_plural = gettext_lazy("Sends")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "customer",
        "survey",
        "status",
        "held_reason",
        "sent_at",
        "reminded_at",
        "answered_at",
    ]
    list_filter = ["status", "held_reason", "survey"]
    search_fields = ["customer__external_id"]
    list_select_related = ["customer", "survey"]
    fields = [
        "survey",
        "customer",
        "status",
        "held_reason",
        "sent_at",
        "reminded_at",
        "answered_at",
    ]
    readonly_fields = fields
    inlines = [DeliveryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        visible = Customer.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(customer__in=visible)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "invitation",
        "kind",
        "channel",
        "status",
        "attempts",
        "sent_at",
        "next_attempt_at",
        "error",
        "updated_at",
    ]
    list_filter = ["status", "channel", "kind", "invitation__survey"]
    list_select_related = ["invitation"]
    fields = ["invitation", *DELIVERY_FIELDS]
    readonly_fields = fields
    actions = ["resend"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        description=gettext_lazy("Re-send the selected failed or skipped sends"),
        permissions=["resend"],
    )
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        count = services.resend_deliveries(
            delivery_ids=list(queryset.values_list("id", flat=True)), now=timezone.now()
        )
        self.message_user(
            request,
            _("%(count)s sends queued again (sent ones are not re-sent).") % {"count": count},
            messages.SUCCESS,
        )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("surveys.change_invitation")

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
        "awareness_index_column",
    ]
    awareness_index_column = decimal_column(Response, "awareness_index")
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


class ChannelAccountForm(WriteOnlySecretsForm):
    """Secrets are never shown back: an empty field keeps the stored value."""

    secret_fields = ("access_token", "secret")

    class Meta:
        model = ChannelAccount
        fields = [
            "channel",
            "enabled",
            "api_base_url",
            "account_sid",
            "sender",
            "access_token",
            "secret",
        ]


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    list_display = ["channel", "enabled", "api_base_url", "token_state", "updated_at"]

    @admin.display(description=gettext_lazy("access token"))
    def token_state(self, obj: ChannelAccount) -> str:
        return encryption.state_label(obj.access_token)
