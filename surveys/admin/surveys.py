"""Admin: surveys (template, status, distribution, results, copy); their forms and inlines are
in ``surveys.admin.design``."""

from __future__ import annotations

import io
from functools import partial
from typing import Any

import segno
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from engagement.platform.errors import DomainError
from engagement.platform.formatting import count, reference_label
from engagement.platform.forms import add_domain_error
from surveys import figures, selectors, services
from surveys.admin.design import (
    CopySurveyForm,
    PageInline,
    QuestionInline,
    QuestionInlineForm,
    SurveyForm,
    TemplateSurveyForm,
    WaveAdmin,
    has_answers,
)
from surveys.admin.segments import segment_view
from surveys.builder import views as builder_views
from surveys.exports import links_csv
from surveys.models import (
    ResponseStatus,
    Survey,
)
from surveys.services.links import public_url

__all__ = [
    "CopySurveyForm",
    "PageInline",
    "QuestionInline",
    "QuestionInlineForm",
    "SurveyAdmin",
    "SurveyForm",
    "TemplateSurveyForm",
    "WaveAdmin",
    "has_answers",
]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    form = SurveyForm
    list_display = ["title", "slug", "wave", "status", "invited", "answered", "closes_at"]
    list_filter = ["status", "wave"]
    search_fields = ["title", "slug", "brand_name"]
    readonly_fields = ["status", "builder_links", "results_summary", "distribution"]
    inlines = [PageInline, QuestionInline]
    actions = ["open_surveys", "close_surveys", "enable_public_links", "send_invitations"]
    change_list_template = "surveys/admin/survey_change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        return (
            super()
            .get_queryset(request)
            .select_related("wave")
            .annotate(
                n_invited=Count("invitations", distinct=True),
                n_answered=Count(
                    "responses",
                    filter=Q(responses__status=ResponseStatus.COMPLETED),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=gettext_lazy("invited"), ordering="n_invited")
    def invited(self, obj: Survey) -> str:
        return count(obj.n_invited)

    @admin.display(description=gettext_lazy("answered"), ordering="n_answered")
    def answered(self, obj: Survey) -> str:
        return count(obj.n_answered)

    @admin.display(description=gettext_lazy("distribution"))
    def distribution(self, obj: Survey) -> str:
        if not obj.pk:
            return "—"
        links = reverse("admin:surveys_survey_links", args=[obj.pk])
        parts = [
            format_html('<a href="{}">{}</a>', links, _("Download personal links (CSV)")),
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:surveys_survey_segment", args=[obj.pk]),
                _("Invite by segment"),
            ),
        ]
        url = public_url(obj)
        if url:
            qr = reverse("admin:surveys_survey_qr", args=[obj.pk])
            qr_png = reverse("admin:surveys_survey_qr_png", args=[obj.pk])
            parts.append(
                format_html(
                    '{}: <code>{}</code> <a href="{}">{}</a> · <a href="{}">{}</a>',
                    _("Public link"),
                    url,
                    qr,
                    _("QR code (SVG)"),
                    qr_png,
                    _("QR code (PNG)"),
                )
            )
        return format_html("<br>".join(["{}"] * len(parts)), *parts)

    @admin.display(description=gettext_lazy("builder"))
    def builder_links(self, obj: Survey) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:surveys_survey_builder", args=[obj.pk]),
            _("Open the builder"),
            reverse("admin:surveys_survey_preview", args=[obj.pk]),
            _("Preview"),
            reverse("admin:surveys_survey_test", args=[obj.pk]),
            _("Test link"),
            reverse("admin:surveys_survey_copy", args=[obj.pk]),
            _("Copy into the next wave"),
        )

    @admin.display(description=gettext_lazy("results"))
    def results_summary(self, obj: Survey) -> str:
        if not obj.pk:
            return "—"
        data = selectors.results(survey=obj)
        nps, aw, rate = data["nps"], data["awareness"], data["rate"]
        if not nps.n:
            return _("No answers yet.")
        text = _(
            "%(n)d answers (response rate %(rate)s). NPS %(nps).1f (95%% CI %(low).1f to "
            "%(high).1f). Empathy %(empathy)s, attachment %(attachment)s, awareness "
            "%(awareness)s (0–100)."
        ) % {
            "n": nps.n,
            "rate": f"{rate.rate:.1f}%" if rate and rate.rate is not None else "—",
            # Rounded as every page rounds it (surveys.figures: half-up, one decimal).
            "nps": figures.shown_nps(nps.nps),
            "low": figures.shown_nps(nps.ci_low),
            "high": figures.shown_nps(nps.ci_high),
            "empathy": f"{aw.empathy:.1f}" if aw.empathy is not None else "—",
            "attachment": f"{aw.attachment:.1f}" if aw.attachment is not None else "—",
            "awareness": f"{aw.awareness:.1f}" if aw.awareness is not None else "—",
        }
        if nps.small_sample:
            text += " " + reference_label(nps.n)  # 「参考値（n=…）」, as on every page
        copy = reverse("admin:surveys_survey_copy", args=[obj.pk])
        return format_html('{}<br><a href="{}">{}</a>', text, copy, _("Copy for another wave"))

    def copy_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = get_object_or_404(Survey, pk=pk)
        form = CopySurveyForm(request.POST or None, initial={"title": source.title})
        if request.method == "POST" and form.is_valid():
            try:
                survey = services.copy_survey(survey=source, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The survey was copied as a draft."))
                return HttpResponseRedirect(
                    reverse("admin:surveys_survey_change", args=[survey.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Copy the survey for another wave"),
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "surveys/admin/template_form.html", context)

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        site = self.admin_site
        return [
            path(
                "<int:pk>/builder/",
                wrap(partial(builder_views.builder, admin_site=site)),
                name="surveys_survey_builder",
            ),
            path(
                "<int:pk>/builder/questions/add/",
                wrap(partial(builder_views.question, admin_site=site)),
                name="surveys_survey_question_add",
            ),
            path(
                "<int:pk>/builder/questions/<int:question_id>/",
                wrap(partial(builder_views.question, admin_site=site)),
                name="surveys_survey_question",
            ),
            path(
                "<int:pk>/builder/pages/<int:page_id>/",
                wrap(partial(builder_views.page, admin_site=site)),
                name="surveys_survey_page",
            ),
            path(
                "<int:pk>/preview/",
                wrap(partial(builder_views.preview, admin_site=site)),
                name="surveys_survey_preview",
            ),
            path(
                "<int:pk>/test/",
                wrap(partial(builder_views.test_link, admin_site=site)),
                name="surveys_survey_test",
            ),
            path("template/", wrap(self.template_view), name="surveys_survey_template"),
            path("<int:pk>/copy/", wrap(self.copy_view), name="surveys_survey_copy"),
            path("<int:pk>/links.csv", wrap(self.links_view), name="surveys_survey_links"),
            path("<int:pk>/qr.svg", wrap(self.qr_view), name="surveys_survey_qr"),
            path("<int:pk>/qr.png", wrap(self.qr_png_view), name="surveys_survey_qr_png"),
            path(
                "<int:pk>/segment/",
                wrap(lambda request, pk: segment_view(self, request, pk)),
                name="surveys_survey_segment",
            ),
            *super().get_urls(),
        ]

    def template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = TemplateSurveyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                survey = services.create_template_survey(**form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The survey was created from the template."))
                return HttpResponseRedirect(
                    reverse("admin:surveys_survey_change", args=[survey.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Create a survey from the template"),
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "surveys/admin/template_form.html", context)

    def links_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("surveys.view_invitation"):
            raise PermissionDenied
        survey = get_object_or_404(Survey, pk=pk)
        response = HttpResponse(
            links_csv(survey=survey, bom=True), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{survey.slug}-links.csv"'
        response["Cache-Control"] = "no-store"
        return response

    def qr_view(self, request: HttpRequest, pk: int, kind: str = "svg") -> HttpResponse:
        """The public link's QR code: SVG for print, PNG for slides, POP tools and chat."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        survey = get_object_or_404(Survey, pk=pk)
        url = public_url(survey)
        if not url:
            raise PermissionDenied
        buffer = io.BytesIO()
        qr = segno.make(url, error="m")
        if kind == "png":
            qr.save(buffer, kind="png", scale=10, border=4)
            content_type = "image/png"
        else:
            qr.save(buffer, kind="svg", scale=8, border=4, title=survey.title)
            content_type = "image/svg+xml"
        response = HttpResponse(buffer.getvalue(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{survey.slug}-qr.{kind}"'
        response["Cache-Control"] = "no-store"
        return response

    def qr_png_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.qr_view(request, pk, kind="png")

    def _run(self, request: HttpRequest, queryset: QuerySet[Survey], fn: Any, done: str) -> None:
        ok = 0
        for survey in queryset:
            try:
                fn(survey)
                ok += 1
            except DomainError as exc:
                self.message_user(request, f"{survey}: {exc.message}", messages.ERROR)
        if ok:
            self.message_user(request, done % {"count": ok}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Open the selected surveys"), permissions=["change"])
    def open_surveys(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        now = timezone.now()
        self._run(
            request,
            queryset,
            lambda s: services.open_survey(survey=s, now=now),
            _("%(count)d survey(s) opened."),
        )

    @admin.action(description=gettext_lazy("Close the selected surveys"), permissions=["change"])
    def close_surveys(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        self._run(
            request,
            queryset,
            lambda s: services.close_survey(survey=s),
            _("%(count)d survey(s) closed."),
        )

    @admin.action(
        description=gettext_lazy("Create a public link (QR code)"), permissions=["change"]
    )
    def enable_public_links(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        self._run(
            request,
            queryset,
            lambda s: services.enable_public_link(survey=s),
            _("%(count)d public link(s) ready."),
        )

    @admin.action(description=gettext_lazy("Send invitation e-mails"), permissions=["change"])
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        now = timezone.now()
        total = 0
        for survey in queryset:
            try:
                total += services.queue_invitation_emails(survey=survey, now=now)
            except DomainError as exc:
                self.message_user(request, f"{survey}: {exc.message}", messages.ERROR)
        self.message_user(
            request,
            _("%(count)d invitation e-mail(s) queued.") % {"count": total},
            messages.SUCCESS,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not has_answers(
            getattr(obj, "id", None)
        )
