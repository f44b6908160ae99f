"""Admin: endpoints and channels (checked on save), and the delivery logs with replay."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from engagement.platform import encryption
from engagement.platform.errors import DomainError
from engagement.platform.secret_forms import ShowSecretOnceAdmin, WriteOnlySecretsForm

from . import services
from .models import (
    ChatChannel,
    ChatDelivery,
    ChatKind,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_secret,
)


class WebhookEndpointForm(WriteOnlySecretsForm):
    """The signing secret is write-only: made by the app (shown once) unless staff type one."""

    secret_fields = ("secret",)
    regenerate = "secret"

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "secret", "is_active"]

    def new_secret_value(self) -> str:
        return new_secret()


class ChatChannelForm(WriteOnlySecretsForm):
    """The webhook URL and the Chatwork token are write-only (they are credentials)."""

    secret_fields = ("webhook_url", "api_token")

    webhook_url = forms.URLField(
        label=_("webhook URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Slack incoming webhook or Teams workflow URL."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("alerts"), choices=ChatKind.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ChatChannel
        fields = ["name", "provider", "webhook_url", "api_token", "room_id", "kinds", "team"]
        fields += ["is_active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ShowSecretOnceAdmin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "event_list", "secret_state", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events or [])

    @admin.display(description=_("signing secret"))
    def secret_state(self, obj: WebhookEndpoint) -> str:
        return encryption.state_label(obj.secret)


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    form = ChatChannelForm
    list_display = ["name", "provider", "team", "kind_list", "is_active", "updated_at"]
    list_filter = ["provider", "is_active", "team"]
    search_fields = ["name"]
    list_select_related = ["team"]

    @admin.display(description=_("alerts"))
    def kind_list(self, obj: ChatChannel) -> str:
        labels = dict(ChatKind.choices)
        return ", ".join(str(labels.get(kind, kind)) for kind in obj.kinds or [])


class DeliveryLogAdmin(admin.ModelAdmin):
    """Read-only log; the one action sends a delivery again as a new row."""

    actions = ["replay"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _replay(self, delivery_id: int) -> Any:
        raise NotImplementedError

    @admin.action(description=_("Send the selected deliveries again"))
    def replay(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for delivery_id in queryset.order_by("id").values_list("id", flat=True):
            try:
                self._replay(delivery_id)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d delivery will be sent again.",
                    "%(count)d deliveries will be sent again.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if not request.user.has_perm(
            f"{self.model._meta.app_label}.add_{self.model._meta.model_name}"
        ):
            actions.pop("replay", None)
        return actions


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(DeliveryLogAdmin):
    list_display = [
        "created_at",
        "event",
        "endpoint",
        "state",
        "status_code",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["state", "event", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["key", "event_id"]

    def _replay(self, delivery_id: int) -> Any:
        return services.replay_webhook_delivery(delivery_id=delivery_id)


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(DeliveryLogAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "state",
        "status_code",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["state", "kind", "channel"]
    list_select_related = ["channel"]
    search_fields = ["key", "text"]

    def _replay(self, delivery_id: int) -> Any:
        return services.replay_chat_delivery(delivery_id=delivery_id)
