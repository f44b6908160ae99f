"""The triage inbox: the FeedbackItem admin (list, item page, bulk actions, export)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from engagement.platform.branding import staff_label
from engagement.platform.errors import DomainError
from voc.models import FeedbackItem

from .. import services
from ..export import export_rows
from ..models import (
    BulkAction,
    BulkJob,
    JobState,
    ReplyTemplate,
)
from ..selectors import (
    EXPORT_PERM,
    OPEN_STATES,
    item_page_context,
    search_items_by_keyword,
    visible_items,
)
from .forms import (
    FeedbackTriageForm,
    NpsCategoryFilter,
    OpenFilter,
    PublicLinkFilter,
    SegmentFilter,
    StaffListFilter,
    TagFilter,
    TriageActionForm,
    UrlParameterFilter,
    int_or_none,
    nps_label,
)


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    form = FeedbackTriageForm
    action_form = TriageActionForm
    change_form_template = "admin/voc/feedbackitem/change_form.html"
    list_display = (
        "id",
        "excerpt",
        "state",
        "priority",
        "due",
        "nps_score",
        "nps_category_label",
        "segment",
        "topic",
        "sentiment",
        "clause_tags",
        "channel",
        "owner_name",
        "team",
        "received_at",
    )
    list_display_links = ("id", "excerpt")
    list_filter = (
        OpenFilter,
        "state",
        "priority",
        ("owner", StaffListFilter),
        # Every team, survey and wave from their own (small) tables: "only those with items"
        # would scan every visible item on each page load (0.9 s at a million items).
        ("team", admin.RelatedFieldListFilter),
        "topic",
        "sentiment",
        NpsCategoryFilter,
        "channel",
        ("response__survey", admin.RelatedFieldListFilter),
        ("response__survey__wave", admin.RelatedFieldListFilter),
        PublicLinkFilter,
        UrlParameterFilter,
        "touchpoint",
        SegmentFilter,
        TagFilter,
        "received_at",
    )
    search_fields = ("text",)  # replaced by token search in get_search_results
    search_help_text = _("Search by word (by token: 解約 finds 解約したい).")
    date_hierarchy = "received_at"
    list_per_page = 50
    list_select_related = ("customer", "topic", "owner", "owner__staff_profile", "team")
    raw_id_fields = ("duplicate_of",)
    ordering = (F("priority").desc(), F("due_at").asc(nulls_last=True), "-received_at", "-id")
    readonly_fields = (
        "text_display",
        "channel",
        "received_at",
        "rating",
        "nps_score",
        "nps_category_label",
        "touchpoint",
        "topic",
        "sentiment",
        "clauses",
        "survey",
        "customer_ref",
    )
    fieldsets = (
        (_("Triage"), {"fields": ("state", "owner", "team", "priority", "due_at", "duplicate_of")}),
        (
            _("Feedback"),
            {
                "fields": (
                    "text_display",
                    "channel",
                    "received_at",
                    "rating",
                    ("nps_score", "nps_category_label"),
                    "touchpoint",
                    "topic",
                    "sentiment",
                    "clauses",
                    "survey",
                    "customer_ref",
                )
            },
        ),
    )
    actions = (
        "assign_selected",
        "change_state_selected",
        "tag_selected",
        "set_topic_selected",
        "merge_selected",
        "export_csv",
    )

    # --- visibility -------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[FeedbackItem]:
        return visible_items(user=request.user, queryset=super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # items arrive from surveys, imports and the API

    def has_export_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(EXPORT_PERM)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem], search_term: str
    ) -> tuple[QuerySet[FeedbackItem], bool]:
        return search_items_by_keyword(queryset, search_term), False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- columns ----------------------------------------------------------------------------
    @admin.display(description=_("text"))
    def excerpt(self, obj: FeedbackItem) -> str:
        flat = " ".join(obj.text.split())
        return flat if len(flat) <= 60 else flat[:59] + "…"  # escaped by the admin

    @admin.display(description=_("due"), ordering="due_at")
    def due(self, obj: FeedbackItem) -> str:
        if not obj.due_at:
            return "-"
        text = timezone.localtime(obj.due_at).strftime("%m/%d %H:%M")
        if obj.state in OPEN_STATES and obj.due_at < timezone.now():
            return format_html('<strong class="overdue" style="color:#ba2121">{} ⚠</strong>', text)
        return text

    @admin.display(description=_("Owner"), ordering="owner")
    def owner_name(self, obj: FeedbackItem) -> str:
        return staff_label(obj.owner) if obj.owner_id else "-"

    @admin.display(description=_("NPS category"), ordering="nps_category")
    def nps_category_label(self, obj: FeedbackItem) -> str:
        return nps_label(obj.nps_category)

    @admin.display(description=_("segment"), ordering="customer__segment")
    def segment(self, obj: FeedbackItem) -> str:
        return obj.customer.segment if obj.customer_id else "-"

    @admin.display(description=_("text"))
    def text_display(self, obj: FeedbackItem) -> str:
        return format_html(
            '<div class="feedback-text" style="white-space:pre-wrap">{}</div>', obj.text
        )

    @admin.display(description=_("clauses"))
    def clause_tags(self, obj: FeedbackItem) -> str:
        """The inbox list's short form: each clause's sentiment and topic, its text on hover."""
        return self.clauses(obj, compact=True)

    @admin.display(description=_("clauses"))
    def clauses(self, obj: FeedbackItem, compact: bool = False) -> str:
        from voc.presentation import clauses_html

        if obj.analysis_skipped_reason:  # 「分析対象外」 with the reason, not an empty cell
            return format_html(
                '<span class="voc-skipped">{}</span>',
                _("Not analysed: %(reason)s")
                % {"reason": obj.get_analysis_skipped_reason_display()},
            )
        return clauses_html(obj.aspects, compact=compact) or "-"

    @admin.display(description=_("survey"))
    def survey(self, obj: FeedbackItem) -> str:
        if not obj.response_id:
            return "-"
        survey = obj.response.survey
        return f"{survey.title} ({survey.wave})" if survey.wave_id else survey.title

    @admin.display(description=_("customer"))
    def customer_ref(self, obj: FeedbackItem) -> str:
        return obj.customer.external_id if obj.customer_id else "-"

    # --- the item page ----------------------------------------------------------------------
    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        item = self.get_object(request, object_id)
        if item is not None:
            extra_context.update(item_page_context(item=item, user=request.user))
            extra_context["nps_label"] = nps_label(item.nps_category)
            extra_context["reply_templates"] = ReplyTemplate.objects.filter(
                is_active=True
            ).order_by("name")
            extra_context["draft"] = next(
                (r for r in extra_context["replies"] if r.state == "draft"), None
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        extra_context["running_jobs"] = list(
            BulkJob.objects.filter(
                actor=request.user, state__in=[JobState.PENDING, JobState.RUNNING]
            ).order_by("-id")[:5]
        )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: FeedbackItem, form: Any, change: bool) -> None:
        data = form.cleaned_data
        services.update_triage(
            item_id=obj.pk,
            actor=request.user,
            state=data.get("state"),
            owner=data.get("owner"),
            team=data.get("team"),
            priority=data.get("priority"),
            due_at=data.get("due_at"),
            duplicate_of=data.get("duplicate_of"),
        )

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DomainError as exc:  # a concurrent change made the form's transition illegal
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    # --- bulk actions -----------------------------------------------------------------------
    def _bulk(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem], action: str, **params: Any
    ) -> None:
        try:
            job = services.start_bulk_action(
                queryset=queryset, action=action, actor=request.user, **params
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        if job.state == JobState.DONE:
            self.message_user(
                request,
                gettext("%(action)s: %(changed)s of %(total)s items changed, %(skipped)s skipped.")
                % {
                    "action": job.get_action_display(),
                    "changed": job.changed,
                    "total": job.total,
                    "skipped": job.skipped,
                },
                messages.SUCCESS if not job.skipped else messages.WARNING,
            )
        else:
            url = reverse("admin:triage_bulkjob_change", args=[job.id])
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext("%(action)s on %(total)s items runs in the background.")
                    % {"action": job.get_action_display(), "total": job.total},
                    url,
                    gettext("See progress"),
                ),
                messages.INFO,
            )

    @admin.action(description=_("Assign to the chosen owner / team"), permissions=["change"])
    def assign_selected(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        self._bulk(
            request,
            queryset,
            BulkAction.ASSIGN,
            owner_id=int_or_none(request.POST.get("owner")),
            team_id=int_or_none(request.POST.get("team")),
        )

    @admin.action(description=_("Change state to the chosen state"), permissions=["change"])
    def change_state_selected(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        self._bulk(request, queryset, BulkAction.STATE, state=request.POST.get("state") or None)

    @admin.action(description=_("Add the tag"), permissions=["change"])
    def tag_selected(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        self._bulk(request, queryset, BulkAction.TAG, tag_name=request.POST.get("tag", ""))

    @admin.action(description=_("Move to the chosen topic"), permissions=["change"])
    def set_topic_selected(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        self._bulk(
            request, queryset, BulkAction.TOPIC, topic_id=int_or_none(request.POST.get("topic"))
        )

    @admin.action(
        description=_("Merge as duplicates of the earliest selected item"), permissions=["change"]
    )
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> None:
        self._bulk(request, queryset, BulkAction.MERGE)

    @admin.action(description=_("Export the selection as CSV"), permissions=["export"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[FeedbackItem]) -> HttpResponse:
        if not request.user.has_perm(EXPORT_PERM):
            raise PermissionDenied
        response = StreamingHttpResponse(
            export_rows(queryset=queryset, user=request.user),
            content_type="text/csv; charset=utf-8",
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="feedback-{stamp}.csv"'
        return response
