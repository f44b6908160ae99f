"""The engagement dashboard (staff, inside the admin) and the per-customer page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engagement.customers import selectors as core
from engagement.customers.models import Customer, Touchpoint
from engagement.customers.selectors.values import latest_fit
from engagement.dashboard import drivers as key_drivers
from engagement.dashboard import exports, panels, services, values
from engagement.dashboard.analysis.selectors import saved_views_for
from engagement.dashboard.customers import customer_timeline
from engagement.dashboard.models import RollupRun, SavedViewPage
from engagement.dashboard.selectors import dashboard, filter_choices
from engagement.platform.scope import sees_all_teams, sees_personal_data
from surveys import figures
from surveys.filters import AnalysisFilterForm, AnalysisFilters

TOKYO = ZoneInfo("Asia/Tokyo")
MAX_AGE = timedelta(seconds=getattr(settings, "DASHBOARD_SUMMARY_MAX_AGE_SECONDS", 600))


def filter_form(data: Any) -> AnalysisFilterForm:
    """The shared filter bar (``surveys.filters``) with the behaviour window."""
    return AnalysisFilterForm(data or None, choices=filter_choices(), window=True)


def _filters(request: HttpRequest) -> tuple[AnalysisFilterForm, AnalysisFilters]:
    form = filter_form(request.GET)
    return form, form.filters()


def _refresh_if_stale() -> None:
    latest = RollupRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    if latest is None or timezone.now() - latest > MAX_AGE:
        services.request_refresh()


# The dashboard's figures are company-wide daily summaries: only roles that see every team
# (product team, administrators) open them; CS agents and leads work from their inbox.
DASHBOARD_PERM = "dashboard.view_dailyrollup"


def _require_dashboard(request: HttpRequest) -> None:
    if not (request.user.has_perm(DASHBOARD_PERM) and sees_all_teams(request.user)):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title, **extra}


def _csv_response(name: str, columns: list[str], rows: list[list[Any]]) -> HttpResponse:
    response = HttpResponse(
        exports.csv_bytes(columns, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


@staff_member_required
def index(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    _refresh_if_stale()
    form, filters = _filters(request)
    data = dashboard(filters=filters)
    query = filters.as_query()
    return TemplateResponse(
        request,
        "dashboard/index.html",
        _context(
            request,
            _("Engagement dashboard"),
            form=form,
            data=data,
            panels=[*panels.build_panels(data), *values.value_panels(segment=filters.segment)],
            query=query,
            query_string=urlencode(query),
            page=SavedViewPage.DASHBOARD,
            saved_views=saved_views_for(request.user, SavedViewPage.DASHBOARD),
        ),
    )


@staff_member_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    services.request_refresh()
    return HttpResponseRedirect(reverse("dashboard:index"))


@staff_member_required
def panel_csv(request: HttpRequest, panel: str) -> HttpResponse:
    _require_dashboard(request)
    _form, filters = _filters(request)
    found = panels.panel_by_name(dashboard(filters=filters), panel) or next(
        (p for p in values.value_panels(segment=filters.segment) if p.name == panel), None
    )
    if found is None:
        raise Http404
    return _csv_response(panel, found.columns, found.rows)


def _driver_rows(results: dict[str, key_drivers.DriverResult]) -> list[list[Any]]:
    labels = {"churn": _("Churn"), "repeat": _("Repeat purchase")}
    kinds = {"awareness": _("Awareness statement"), "topic": _("VoC topic")}
    rows = []
    for outcome, result in results.items():
        for driver in result.drivers:
            rows.append(
                [
                    labels[outcome],
                    kinds[driver.kind],
                    driver.name,
                    round(driver.coefficient, 3),
                    round(driver.low, 3),
                    round(driver.high, 3),
                    _("yes") if driver.significant else "",
                ]
            )
    return rows


DRIVER_COLUMNS = [
    gettext_lazy("Outcome"),
    gettext_lazy("Predictor kind"),
    gettext_lazy("Predictor"),
    gettext_lazy("Standardised coefficient (log-odds per SD)"),
    gettext_lazy("CI low"),
    gettext_lazy("CI high"),
    gettext_lazy("Significant"),
]


@staff_member_required
def drivers(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    form, filters = _filters(request)
    results = key_drivers.key_drivers(filters=filters)
    charts = {
        outcome: {
            "type": "bar",
            "numberFormat": "decimal",
            "data": {
                "labels": [d.name for d in result.drivers],
                "datasets": [
                    {
                        "label": _("Standardised coefficient (log-odds per SD)"),
                        "data": [round(d.coefficient, 3) for d in result.drivers],
                        "errorBars": [[round(d.low, 3), round(d.high, 3)] for d in result.drivers],
                        "backgroundColor": [
                            "#c62828" if d.coefficient > 0 else "#2e7d32" for d in result.drivers
                        ]
                        if outcome == "churn"
                        else [
                            "#2e7d32" if d.coefficient > 0 else "#c62828" for d in result.drivers
                        ],
                    }
                ],
            },
            "options": {"indexAxis": "y", "plugins": {"legend": {"display": False}}},
        }
        for outcome, result in results.items()
    }
    return TemplateResponse(
        request,
        "dashboard/drivers.html",
        _context(
            request,
            _("Key drivers of churn and repeat purchase"),
            form=form,
            results=results,
            charts=charts,
            sample_limit=key_drivers.SAMPLE_SIZE,
            sample_n=max((result.n for result in results.values()), default=0),
            query_string=urlencode(filters.as_query()),
            columns=[str(c) for c in DRIVER_COLUMNS],
            rows=_driver_rows(results),
        ),
    )


@staff_member_required
def drivers_csv(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    _form, filters = _filters(request)
    rows = _driver_rows(key_drivers.key_drivers(filters=filters))
    return _csv_response("key-drivers", [str(c) for c in DRIVER_COLUMNS], rows)


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)
    segment = forms.CharField(label=gettext_lazy("Segment"), required=False, max_length=50)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_from"].widget.input_type = "date"
        self.fields["date_to"].widget.input_type = "date"

    def period(self) -> tuple[date, date, str]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("date_to") or today
        start = data.get("date_from") or end - timedelta(days=89)
        if start > end:
            start, end = end, start
        return start, end, data.get("segment") or ""


def _customer_metrics(start: date, end: date, segment: str) -> dict[str, Any]:
    begin = datetime.combine(start, time(), TOKYO)
    finish = datetime.combine(end + timedelta(days=1), time(), TOKYO)
    return {
        "repeat": core.repeat_rate(start=begin, end=finish, segment=segment),
        "repeat_within": core.repeat_rate_within_period(start=begin, end=finish, segment=segment),
        "churn": core.churn_rate(start=begin, end=finish, segment=segment),
        "ltv": core.ltv(start=begin, end=finish, segment=segment),
        "shares": core.behaviour_shares(start=begin, end=finish, segment=segment),
    }


def _metrics_rows(values: dict[str, Any]) -> list[list[Any]]:
    def pct(estimate: Any) -> Any:  # repeat and churn rates: surveys.figures' one rounding
        return figures.share(estimate.value, 1)

    def bound(value: float | None) -> Any:
        return figures.share(value, 1)

    rows = [
        [_("Repeat rate (of all new customers)"), pct(values["repeat"]), values["repeat"].n,
         bound(values["repeat"].low), bound(values["repeat"].high)],
        [_("Repeat rate (2+ purchases in the period)"), pct(values["repeat_within"]),
         values["repeat_within"].n, bound(values["repeat_within"].low),
         bound(values["repeat_within"].high)],
        [_("Churn rate"), pct(values["churn"]), values["churn"].n, bound(values["churn"].low),
         bound(values["churn"].high)],
        [_("LTV (yen)"), None if values["ltv"].value is None else round(values["ltv"].value),
         values["ltv"].purchasing_customers, None, None],
    ]  # fmt: skip
    for share in values["shares"]:
        rows.append(
            [
                _("Share showing: %(kind)s") % {"kind": share["name"]},
                pct(share["share"]),
                share["share"].n,
                bound(share["share"].low),
                bound(share["share"].high),
            ]
        )
    return rows


METRIC_COLUMNS = [
    gettext_lazy("Metric"),
    gettext_lazy("Value (%; LTV in yen)"),
    gettext_lazy("Denominator (n)"),
    gettext_lazy("CI low"),
    gettext_lazy("CI high"),
]


@staff_member_required
def customer_metrics(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    form = PeriodForm(request.GET or None)
    start, end, segment = form.period()
    values = _customer_metrics(start, end, segment)
    return TemplateResponse(
        request,
        "dashboard/metrics.html",
        _context(
            request,
            _("Customer metrics"),
            form=form,
            start=start,
            end=end,
            values=values,
            columns=[str(c) for c in METRIC_COLUMNS],
            rows=_metrics_rows(values),
            query_string=urlencode(
                {"date_from": start.isoformat(), "date_to": end.isoformat(), "segment": segment}
            ),
        ),
    )


@staff_member_required
def customer_metrics_csv(request: HttpRequest) -> HttpResponse:
    _require_dashboard(request)
    form = PeriodForm(request.GET or None)
    start, end, segment = form.period()
    rows = _metrics_rows(_customer_metrics(start, end, segment))
    return _csv_response("customer-metrics", [str(c) for c in METRIC_COLUMNS], rows)


@staff_member_required
def customer(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("engagement.view_customer"):
        raise PermissionDenied
    obj = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    personal = sees_personal_data(request.user)
    return TemplateResponse(
        request,
        "dashboard/customer.html",
        _context(
            request,
            _("Customer %(id)s") % {"id": obj.external_id},
            customer=obj,
            personal=personal,
            profile=values.customer_profile(customer=obj),
            fit=latest_fit(),
            events=customer_timeline(customer=obj, user=request.user),
            touchpoints=dict(Touchpoint.choices),
        ),
    )
