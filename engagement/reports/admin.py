from django.contrib import admin

from engagement.reports.models import ImprovementAction, ProductArea, Report, ReportSubscription


class ReportSubscriptionInline(admin.TabularInline):
    model = ReportSubscription
    extra = 0
    raw_id_fields = ("user",)


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("topics",)
    search_fields = ("name",)
    inlines = [ReportSubscriptionInline]


@admin.register(ImprovementAction)
class ImprovementActionAdmin(admin.ModelAdmin):
    list_display = ("title", "product_area", "owner", "status", "shipped_on", "updated_at")
    list_filter = ("status", "product_area")
    list_select_related = ("product_area", "owner")
    search_fields = ("title", "description")
    filter_horizontal = ("topics",)
    # Status changes go through the report pages (services.change_action_status) so that the
    # order proposed → planned → in progress → shipped → verified is kept.
    readonly_fields = (
        "status",
        "shipped_on",
        "verified_at",
        "heard_you_sent_at",
        "heard_you_count",
    )
    raw_id_fields = ("owner",)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "product_area", "status", "progress", "generated_at")
    list_filter = ("kind", "status", "product_area")
    list_select_related = ("product_area",)
    exclude = ("data",)
    readonly_fields = (
        "kind",
        "title",
        "period_start",
        "period_end",
        "product_area",
        "segment",
        "touchpoint",
        "survey",
        "status",
        "progress",
        "error",
        "generated_at",
        "emailed_at",
        "requested_by",
    )

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
