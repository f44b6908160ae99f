"""Report pages for product teams (/reports/): no personal data anywhere, printable to PDF."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from engagement.platform.errors import DomainError
from engagement.platform.forms import add_domain_error
from engagement.reports import charts, exports, selectors, services
from engagement.reports.forms import ActionStatusForm, HeardYouForm, ReportRequestForm
from engagement.reports.models import (
    ACTION_TRANSITIONS,
    ActionStatus,
    ImprovementAction,
    Report,
    ReportStatus,
)
from surveys.figures import response_figures
from surveys.filters import (
    AnalysisFilterForm,
    AnalysisFilters,
    describe,
    filter_choices,
    responses,
)
from voc.impact import PROBLEM, STRENGTH

LOGIN_URL = "admin:login"
VIEW_REPORT = "reports.view_report"
VIEW_ACTION = "reports.view_improvementaction"
# Messages to customers: the triage permission that CS leads have.
SEND_HEARD_YOU = "triage.send_heard_you"


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render with the admin's site header and title, like the other staff pages.

    Only static parts of the admin frame: a stored report's page stays byte-identical.
    """
    frame = {"site_header": admin.site.site_header, "site_title": admin.site.site_title}
    return render(request, template, {**frame, **context})


def _guard(perm: str) -> Any:
    def decorator(view: Any) -> Any:
        return login_required(
            permission_required(perm, raise_exception=True)(view), login_url=LOGIN_URL
        )

    return decorator


@_guard(VIEW_REPORT)
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    can_request = request.user.has_perm("reports.add_report")
    choices = filter_choices()
    # The shared filters (the dashboard's query string): a link or a saved view fills them in.
    shared = AnalysisFilterForm(request.GET or None, choices=choices, window=True)
    filters = shared.filters()
    form = ReportRequestForm.with_defaults(filters)
    filter_form = AnalysisFilterForm(
        request.GET or None, choices=choices, window=True, period=False
    )
    if request.method == "POST":
        if not can_request:
            return HttpResponse(status=403)
        form = ReportRequestForm(request.POST)
        filter_form = AnalysisFilterForm(request.POST, choices=choices, window=True, period=False)
        if form.is_valid() and filter_form.is_valid():
            try:
                report = services.request_report(
                    **form.cleaned_data, filters=filter_form.filters(), actor=request.user
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("The report is being generated."))
                return redirect("reports:report", report_id=report.id)
    reports = selectors.report_list()
    scoped = any(value for key, value in filters.as_query().items() if key != "window")
    if scoped:  # the stored reports of this scope
        reports = reports.filter(
            filters=replace(filters, date_from=None, date_to=None).query_string()
        )
    return _render(
        request,
        "reports/report_list.html",
        {
            "reports": reports[:100],
            "form": form,
            "filter_form": filter_form,
            "shared_form": shared,
            "scoped": scoped,
            "figures": response_figures(responses(filters)),
            "query_string": urlencode(filters.as_query()),
            "page": "reports",
            "can_request": can_request,
        },
    )


def _report_context(report: Report) -> dict[str, Any]:
    data = report.data
    legacy = data.get("version") != selectors.SNAPSHOT_VERSION
    groups = [] if legacy else exports.topic_groups(data)
    problems = next((g["rows"] for g in groups if g["key"] == PROBLEM), [])
    strengths = next((g["rows"] for g in groups if g["key"] == STRENGTH), [])
    return {
        "report": report,
        "data": data,
        "legacy": legacy,
        "groups": groups,
        "top_problems": [row["effect"] for row in problems[:3]],
        "top_strengths": [row["effect"] for row in strengths[:3]],
        "impact_chart": charts.impact_bars([row["effect"] for row in problems]),
        "nps_chart": charts.nps_mix_bars([row["effect"] for row in problems]),
        # In the snapshot since issue 19; reports stored before it have none.
        "value_topics": data.get("value_topics", []),
        "filter_labels": describe(
            AnalysisFilters.from_query(data.get("params", {}).get("filters", ""))
        ),
    }


@_guard(VIEW_REPORT)
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = get_object_or_404(selectors.report_list(), id=report_id)
    if report.status != ReportStatus.DONE:
        return _render(request, "reports/report_progress.html", {"report": report})
    return _render(request, "reports/report_detail.html", _report_context(report))


@_guard(VIEW_REPORT)
def report_export(request: HttpRequest, report_id: int, fmt: str) -> HttpResponse:
    report = get_object_or_404(Report, id=report_id, status=ReportStatus.DONE)
    filename = f"improvement-report-{report.period_start}-{report.period_end}-{report.id}"
    if fmt == "csv":
        encoding = "cp932" if request.GET.get("encoding") == "cp932" else "utf-8-sig"
        content = exports.report_csv(report.data, encoding=encoding)
        charset = "shift_jis" if encoding == "cp932" else "utf-8"
        response = HttpResponse(content, content_type=f"text/csv; charset={charset}")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    elif fmt == "xlsx":
        response = HttpResponse(
            exports.report_xlsx(report.data),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    else:
        raise Http404
    return response


# --- Improvement actions ----------------------------------------------------------------------


@_guard(VIEW_ACTION)
def action_list(request: HttpRequest) -> HttpResponse:
    return _render(request, "reports/action_list.html", {"actions": selectors.action_list()[:500]})


def _verification_chart(verification: dict[str, Any] | None) -> Any:
    if not verification:
        return ""
    before, after = verification["before"], verification["after"]

    def rate(side: dict[str, Any], key: str) -> Any:
        return side[key]["rate"] if side.get(key) else None

    return charts.before_after_bars(
        [
            (_("Share of feedback (%)"), rate(before, "share"), rate(after, "share")),
            (_("Churn of raisers (%)"), rate(before, "churn"), rate(after, "churn")),
        ]
    )


@_guard(VIEW_ACTION)
def action_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(selectors.action_list(), id=action_id)
    verification = selectors.action_verification(action=action)
    can_change = request.user.has_perm("reports.change_improvementaction")
    return _render(
        request,
        "reports/action_detail.html",
        {
            "action": action,
            "verification": verification,
            "verification_chart": _verification_chart(verification),
            "next_statuses": [
                (value, ActionStatus(value).label) for value in ACTION_TRANSITIONS[action.status]
            ],
            "status_form": ActionStatusForm(),
            "can_change": can_change,
            "can_send_heard_you": can_change
            and request.user.has_perm(SEND_HEARD_YOU)
            and action.status in (ActionStatus.SHIPPED, ActionStatus.VERIFIED)
            and action.heard_you_sent_at is None,
        },
    )


@_guard("reports.change_improvementaction")
@require_POST
def action_status(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(ImprovementAction, id=action_id)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("reports:action", action_id=action.id)
    try:
        action = services.change_action_status(
            action=action,
            status=form.cleaned_data["status"],
            shipped_on=form.cleaned_data["shipped_on"],
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("reports:action", action_id=action.id)
    messages.success(request, _("The status was changed."))
    if action.status == ActionStatus.SHIPPED and action.heard_you_sent_at is None:
        return redirect("reports:action_heard_you", action_id=action.id)
    return redirect("reports:action", action_id=action.id)


@_guard("reports.change_improvementaction")
@require_http_methods(["GET", "POST"])
def action_heard_you(request: HttpRequest, action_id: int) -> HttpResponse:
    """Offer the 'we heard you' message to the customers who raised the action's topics."""
    action = get_object_or_404(selectors.action_list(), id=action_id)
    form = HeardYouForm(request.POST or None)
    can_send = request.user.has_perm(SEND_HEARD_YOU)
    if request.method == "POST" and not can_send:
        return HttpResponse(status=403)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.send_heard_you_for_action(
                action=action, message=form.cleaned_data["message"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The 'we heard you' message is being sent to %(count)d customers.")
                % {"count": count},
            )
            return redirect("reports:action", action_id=action.id)
    return _render(
        request,
        "reports/action_heard_you.html",
        {
            "action": action,
            "form": form,
            "recipient_count": services.heard_you_recipient_count(action=action),
            "can_send": can_send,
        },
    )
