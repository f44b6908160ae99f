from django.contrib import admin

from engagement.platform.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task_name", "state", "attempts", "created_at", "sent_at", "done_at")
    list_filter = ("state", "task_name")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
