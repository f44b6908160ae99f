from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from engagement.customers import imports, services
from engagement.customers.models import (
    BehaviourKind,
    BehaviourRecord,
    Customer,
    CustomerValue,
    ImportJob,
    ImportKind,
    Team,
    ValueModelFit,
)
from engagement.platform.admin_columns import yen_column
from engagement.platform.errors import DomainError
from engagement.platform.scope import sees_personal_data

admin.site.site_header = _("Engagement platform")
admin.site.site_title = _("Engagement platform")
admin.site.index_title = _("Administration")

PERSONAL_FIELDS = ("name", "email", "phone", "line_user_id")


def can_see_personal_data(request: HttpRequest) -> bool:
    return sees_personal_data(request.user)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"), choices=ImportKind.choices)
    file = forms.FileField(label=_("CSV or Excel (.xlsx) file"))
    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows only (default: nothing is imported when a row has errors)"),
        required=False,
    )


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "segment", "signed_up_on", "contact_allowed", "timeline")
    list_filter = ("segment", "contact_allowed")
    search_fields = ("external_id",)
    ordering = ("external_id",)
    actions = ["forget_selected", "issue_line_link_codes"]
    change_list_template = "engagement/customer_change_list.html"
    readonly_fields = ("forgotten_at",)

    def get_list_display(self, request: HttpRequest) -> Any:
        fields = list(super().get_list_display(request))
        if can_see_personal_data(request):
            fields[1:1] = ["name", "email"]
        return fields

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).visible_to(request.user)

    def get_search_fields(self, request: HttpRequest) -> Any:
        if can_see_personal_data(request):
            return ("external_id", "name", "email")
        return ("external_id",)

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        fields = list(super().get_fields(request, obj))
        if not can_see_personal_data(request):
            fields = [f for f in fields if f not in PERSONAL_FIELDS]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        if not can_see_personal_data(request):
            kwargs["exclude"] = [*(kwargs.get("exclude") or []), *PERSONAL_FIELDS]
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description=_("Timeline"))
    def timeline(self, obj: Customer) -> str:
        url = reverse("dashboard:customer", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Timeline"))

    @admin.action(description=_("Erase personal data of the selected customers"))
    def forget_selected(self, request: HttpRequest, queryset: Any) -> None:
        if not (
            request.user.has_perm("engagement.change_customer") and can_see_personal_data(request)
        ):
            raise PermissionDenied
        count = services.forget_customers(customers=list(queryset), now=timezone.now())
        self.message_user(
            request,
            _("Personal data of %(count)s customers erased.") % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Issue LINE link codes for the selected customers"))
    def issue_line_link_codes(self, request: HttpRequest, queryset: Any) -> None:
        if not (
            request.user.has_perm("engagement.change_customer") and can_see_personal_data(request)
        ):
            raise PermissionDenied
        now = timezone.now()
        customers = list(queryset.filter(forgotten_at__isnull=True).order_by("external_id")[:50])
        codes = [
            f"{c.external_id}: {services.issue_line_link_code(customer=c, now=now)}"
            for c in customers
        ]
        self.message_user(
            request,
            _(
                "LINE link codes (valid for %(days)s days; the customer sends the code to our "
                "LINE account): %(codes)s"
            )
            % {"days": services.LINK_CODE_DAYS, "codes": " / ".join(codes)},
            messages.SUCCESS,
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="engagement_customer_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("engagement.add_customer"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = services.start_import(
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    skip_invalid=form.cleaned_data["skip_invalid"],
                    user=request.user,
                    now=timezone.now(),
                )
            except DomainError as exc:
                form.add_error("file", exc.message)
            else:
                return HttpResponseRedirect(
                    reverse("admin:engagement_importjob_change", args=[job.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import customers or behaviour records"),
            "form": form,
            "opts": self.model._meta,
            "recent": ImportJob.objects.order_by("-created_at")[:10],
        }
        return TemplateResponse(request, "engagement/import.html", context)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "original_name", "status", "progress", "created_at")
    list_filter = ("kind", "status")
    change_form_template = "engagement/importjob_change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in ImportJob._meta.fields if f.name != "file"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("Progress"))
    def progress(self, obj: ImportJob) -> str:
        return f"{imports.job_progress(obj)['percent']}%"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="engagement_importjob_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(ImportJob, pk=pk)
        return JsonResponse(imports.job_progress(job))


@admin.register(BehaviourKind)
class BehaviourKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_builtin")


@admin.register(BehaviourRecord)
class BehaviourRecordAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "occurred_at", "amount_column", "touchpoint")
    amount_column = yen_column(BehaviourRecord, "amount")
    list_filter = ("kind", "touchpoint")
    list_select_related = ("customer", "kind")
    raw_id_fields = ("customer",)
    date_hierarchy = "occurred_at"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead", "email")
    filter_horizontal = ("members",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the value refresh (``engagement.customers.valuation``)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CustomerValue)
class CustomerValueAdmin(ReadOnlyAdmin):
    list_display = ("customer", "clv", "p_alive", "expected_purchases", "crv", "civ", "ckv")
    list_select_related = ("customer",)
    search_fields = ("customer__external_id",)
    list_filter = ("customer__segment",)
    ordering = ("-clv",)
    show_full_result_count = False


@admin.register(ValueModelFit)
class ValueModelFitAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "as_of", "customers", "fitted_on", "horizon_months", "seconds")
    readonly_fields = ("params",)
