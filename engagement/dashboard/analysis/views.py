"""Pages: wave vs wave comparison, crosstab, saved views (staff, inside the admin).

Same access as the dashboard (``dashboard.view_dailyrollup`` and every team); rows through
``visible_to(user)``. Downloads: ``?format=csv`` (``&encoding=cp932`` for Shift_JIS) or
``?format=xlsx``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from engagement.dashboard.analysis import comparison, crosstab, exports, services
from engagement.dashboard.analysis.selectors import saved_views_for
from engagement.dashboard.models import SavedView, SavedViewPage
from engagement.platform.scope import sees_all_teams
from surveys.filters import (
    AnalysisFilterForm,
    AnalysisFilters,
    filter_choices,
)
from surveys.models import Wave

DASHBOARD_PERM = "dashboard.view_dailyrollup"
PAGE_URLS = {
    SavedViewPage.DASHBOARD: "dashboard:index",
    SavedViewPage.COMPARE: "dashboard:compare",
    SavedViewPage.CROSSTAB: "dashboard:crosstab",
    SavedViewPage.TOPICS: "voc:topics",
    SavedViewPage.REPORTS: "reports:list",
}


def require_analysis(user: Any) -> None:
    if not (user.has_perm(DASHBOARD_PERM) and sees_all_teams(user)):
        raise PermissionDenied


def _context(request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {**admin.site.each_context(request), "title": title, **extra}


class DownloadForm(forms.Form):
    format = forms.ChoiceField(choices=[(f, f) for f in exports.FORMATS], required=False)
    encoding = forms.ChoiceField(choices=[(e, e) for e in exports.ENCODINGS], required=False)


def _download_options(request: HttpRequest) -> tuple[str, str] | None:
    """(format, encoding) when the request asks for a download, else None; 400 when wrong."""
    if "format" not in request.GET:
        return None
    form = DownloadForm(request.GET)
    if not form.is_valid() or not form.cleaned_data["format"]:
        raise BadDownload
    return form.cleaned_data["format"], form.cleaned_data["encoding"] or "utf-8"


class BadDownload(Exception):
    pass


def _bad_download() -> HttpResponse:
    return HttpResponse(
        _("Unknown download format: use format=csv (encoding=utf-8 or cp932) or format=xlsx."),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


# --- comparison -----------------------------------------------------------------------------------


def comparison_forms(
    data: Any, choices: dict[str, list[tuple[Any, str]]]
) -> tuple[AnalysisFilterForm, AnalysisFilterForm, AnalysisFilterForm]:
    """The common filters and the two sides; with no side chosen, the last two waves."""
    bound = data if data else None
    common = AnalysisFilterForm(bound, choices=choices)
    side_a = AnalysisFilterForm(bound, choices=choices, prefix="a")
    side_b = AnalysisFilterForm(bound, choices=choices, prefix="b")
    if not any(key.startswith(("a_", "b_")) for key in (data or {})):
        waves = list(Wave.objects.order_by("-starts_on", "-id").values_list("id", flat=True)[:2])
        if len(waves) == 2:
            side_a = AnalysisFilterForm({"a_wave": waves[1]}, choices=choices, prefix="a")
            side_b = AnalysisFilterForm({"b_wave": waves[0]}, choices=choices, prefix="b")
    return common, side_a, side_b


def comparison_sides(
    common: AnalysisFilterForm, side_a: AnalysisFilterForm, side_b: AnalysisFilterForm
) -> tuple[AnalysisFilters, AnalysisFilters] | None:
    if any(form.is_bound and not form.is_valid() for form in (common, side_a, side_b)):
        return None
    base = common.filters()
    return base.merged(side_a.filters()), base.merged(side_b.filters())


@staff_member_required
def compare(request: HttpRequest) -> HttpResponse:
    require_analysis(request.user)
    try:
        download = _download_options(request)
    except BadDownload:
        return _bad_download()
    common, side_a, side_b = comparison_forms(request.GET, filter_choices())
    sides = comparison_sides(common, side_a, side_b)
    result = None
    if sides is not None:
        result = comparison.compare(a=sides[0], b=sides[1], user=request.user)
    if download:
        if result is None:
            return HttpResponse(
                _("The filters are not valid."), status=400, content_type="text/plain"
            )
        return exports.download(
            "comparison",
            _("Comparison"),
            comparison.table_columns(),
            comparison.table_rows(result),
            file_format=download[0],
            encoding=download[1],
        )
    query = {
        **common.filters().as_query(),
        **(sides[0].as_query("a_") if sides else {}),
        **(sides[1].as_query("b_") if sides else {}),
    }
    return TemplateResponse(
        request,
        "dashboard/compare.html",
        _context(
            request,
            _("Comparison"),
            common=common,
            side_a=side_a,
            side_b=side_b,
            result=result,
            query_string=urlencode(query),
            page=SavedViewPage.COMPARE,
            saved_views=saved_views_for(request.user, SavedViewPage.COMPARE),
        ),
    )


# --- crosstab -------------------------------------------------------------------------------------


class CrosstabForm(forms.Form):
    rows = forms.ChoiceField(label=gettext_lazy("Rows"))
    columns = forms.ChoiceField(label=gettext_lazy("Columns"))
    percent = forms.ChoiceField(
        label=gettext_lazy("Percentages"),
        required=False,
        choices=[("column", gettext_lazy("of the column")), ("row", gettext_lazy("of the row"))],
    )

    def __init__(self, *args: Any, dimensions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rows"].choices = dimensions
        self.fields["columns"].choices = dimensions
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "dashboard-filter")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("rows") and data.get("rows") == data.get("columns"):
            raise forms.ValidationError(_("Choose two different dimensions."))
        return data


@staff_member_required
def crosstab_page(request: HttpRequest) -> HttpResponse:
    require_analysis(request.user)
    try:
        download = _download_options(request)
    except BadDownload:
        return _bad_download()
    dimensions = crosstab.dimension_choices()
    filter_form = AnalysisFilterForm(request.GET or None, choices=filter_choices())
    wanted = "rows" in request.GET or "columns" in request.GET
    form = CrosstabForm(request.GET if wanted else None, dimensions=dimensions)
    result = None
    status = 200
    if form.is_bound:
        if form.is_valid() and not (filter_form.is_bound and not filter_form.is_valid()):
            result = crosstab.crosstab(
                rows=form.cleaned_data["rows"],
                columns=form.cleaned_data["columns"],
                filters=filter_form.filters(),
                user=request.user,
            )
        else:
            status = 400
    if download:
        if result is None:
            return HttpResponse(
                _("Choose two different dimensions and valid filters."),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        columns, rows = crosstab.table(result)
        return exports.download(
            "crosstab", _("Crosstab"), columns, rows, file_format=download[0], encoding=download[1]
        )
    percent = (form.cleaned_data.get("percent") if form.is_bound and form.is_valid() else "") or (
        "column"
    )
    query = filter_form.filters().as_query()
    if result is not None:
        query |= {"rows": result.rows.code, "columns": result.columns.code, "percent": percent}
    response = TemplateResponse(
        request,
        "dashboard/crosstab.html",
        _context(
            request,
            _("Crosstab"),
            form=form,
            filter_form=filter_form,
            result=result,
            percent=percent,
            table=_crosstab_rows(result, percent) if result else [],
            query_string=urlencode(query),
            page=SavedViewPage.CROSSTAB,
            saved_views=saved_views_for(request.user, SavedViewPage.CROSSTAB),
        ),
    )
    response.status_code = status
    return response


def _crosstab_rows(result: crosstab.Crosstab, percent: str) -> list[dict[str, Any]]:
    rows = []
    for (value, label), line, total in zip(
        result.row_values, result.cells, result.row_totals, strict=True
    ):
        rows.append(
            {
                "value": value,
                "label": label,
                "total": total,
                "cells": [
                    {
                        "count": cell.count,
                        "share": cell.column_share if percent == "column" else cell.row_share,
                        "marker": cell.marker,
                        "low_expected": cell.low_expected,
                    }
                    for cell in line
                ],
            }
        )
    return rows


# --- saved views ----------------------------------------------------------------------------------


class SaveViewForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    page = forms.ChoiceField(choices=SavedViewPage.choices)
    query = forms.CharField(required=False, max_length=4000)
    shared = forms.BooleanField(label=gettext_lazy("Share with colleagues"), required=False)


def _back(page: str, query: str = "") -> HttpResponseRedirect:
    url = reverse(PAGE_URLS[SavedViewPage(page)])
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


@staff_member_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    require_analysis(request.user)
    form = SaveViewForm(request.POST)
    if not form.is_valid():
        page = request.POST.get("page", "")
        messages.error(
            request, _("The view was not saved: give it a name (100 characters at most).")
        )
        return _back(page if page in SavedViewPage.values else SavedViewPage.DASHBOARD)
    data = form.cleaned_data
    try:
        view = services.save_view(
            owner=request.user,
            name=data["name"],
            page=data["page"],
            query=data["query"],
            shared=data["shared"],
        )
    except services.SavedViewError as error:
        messages.error(request, error.message)
        return _back(data["page"], data["query"])
    messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
    return _back(view.page, view.query)


@staff_member_required
def open_view(request: HttpRequest, view_id: int) -> HttpResponse:
    require_analysis(request.user)
    view = get_object_or_404(
        SavedView.objects.filter(Q(owner=request.user) | Q(shared=True)), pk=view_id
    )
    return _back(view.page, view.query)


@staff_member_required
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    require_analysis(request.user)
    page = SavedView.objects.filter(pk=view_id).values_list("page", flat=True).first()
    try:
        services.delete_view(owner=request.user, view_id=view_id)
    except services.SavedViewError as error:
        raise Http404(error.message) from error
    messages.success(request, _("Deleted the saved view."))
    return _back(page or SavedViewPage.DASHBOARD)
