from django.contrib import admin

from engagement.demo.models import DemoDataset
from engagement.platform.admin_columns import count_column


@admin.register(DemoDataset)
class DemoDatasetAdmin(admin.ModelAdmin):
    list_display = ("id", "seed", "customers_column", "created_at")
    customers_column = count_column(DemoDataset, "customers")
    readonly_fields = ("seed", "customers", "summary", "created_at", "updated_at")

    def has_add_permission(self, request) -> bool:  # created by `manage.py seed_demo` only
        return False
