from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from engagement.models import BehaviourKind, BehaviourRecord, Customer, OutboxMessage, Team

admin.site.site_header = _("Engagement platform")
admin.site.site_title = _("Engagement platform")
admin.site.index_title = _("Administration")

PERSONAL_FIELDS = ("name", "email")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "segment", "signed_up_on", "contact_allowed")
    list_filter = ("segment", "contact_allowed")
    search_fields = ("external_id",)
    ordering = ("external_id",)

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm("engagement.view_personal_data"):
            fields = [f for f in fields if f not in PERSONAL_FIELDS]
        return fields


@admin.register(BehaviourKind)
class BehaviourKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_builtin")


@admin.register(BehaviourRecord)
class BehaviourRecordAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "occurred_at", "amount", "touchpoint")
    list_filter = ("kind", "touchpoint")
    list_select_related = ("customer", "kind")
    raw_id_fields = ("customer",)
    date_hierarchy = "occurred_at"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead", "email")
    filter_horizontal = ("members",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task_name", "state", "attempts", "created_at", "sent_at", "done_at")
    list_filter = ("state", "task_name")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
