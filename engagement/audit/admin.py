"""The audit log in the admin (read-only for everyone, searchable, exported as CSV), the
retention rules and runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engagement.audit.models import AuditEntry, RetentionPolicy, RetentionRun
from engagement.audit.selectors import CSV_ENCODINGS, entries_csv


class InputFilter(admin.SimpleListFilter):
    """A list filter with a text box instead of a list of choices."""

    template = "admin/audit/input_filter.html"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("", "")]  # the filter is shown whenever it has no choices to list

    def choices(self, changelist: Any) -> Any:
        yield {
            "query_parts": [
                (k, v)
                for k, v in changelist.get_filters_params().items()
                if k != self.parameter_name
            ],
            "value": self.value() or "",
        }


class StaffFilter(InputFilter):
    title = _("staff (username)")
    parameter_name = "staff"

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = (self.value() or "").strip()
        return queryset.filter(actor_username__iexact=value) if value else queryset


class CustomerFilter(InputFilter):
    title = _("customer (internal ID)")
    parameter_name = "customer"

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        return queryset.filter(customer_id=int(value)) if value.isdigit() else queryset.none()


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_username", "ip", "action", "object_type", "object_repr", "path")
    list_filter = (StaffFilter, CustomerFilter, ("at", admin.DateFieldListFilter), "action")
    search_fields = ("actor_username", "object_repr", "object_id", "path")
    date_hierarchy = "at"
    list_per_page = 100
    show_full_result_count = False
    change_list_template = "admin/audit/auditentry_change_list.html"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    # Never editable through the app, whoever asks (superusers included).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_view),
            name="audit_auditentry_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The entries the list shows with the same filters, as CSV."""
        if not request.user.has_perm("audit.export_auditentry"):
            raise PermissionDenied
        # ``encoding`` chooses the file's encoding; every other parameter is the list's filter.
        request.GET = request.GET.copy()
        encoding = request.GET.pop("encoding", ["utf-8-sig"])[-1]
        if encoding not in CSV_ENCODINGS:
            encoding = "utf-8-sig"
        changelist = self.get_changelist_instance(request)
        entries = changelist.get_queryset(request).order_by("id")
        response = HttpResponse(
            entries_csv(entries.iterator(), encoding=encoding), content_type="text/csv"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
        return response


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("kind", "months", "updated_at")
    list_editable = ("months",)


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    list_display = ("started_at", "finished_at", "dry_run", "trigger", "counts")
    readonly_fields = ("started_at", "finished_at", "dry_run", "trigger", "counts", "cutoffs")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
