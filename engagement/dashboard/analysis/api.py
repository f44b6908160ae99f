"""REST endpoints (under /api/v1/): the comparison and the crosstab as JSON, for staff systems.

``GET /api/v1/dashboard/compare/?a_wave=1&b_wave=2[&store=&segment=&…]`` — NPS, each numeric
question's mean and each topic's share on both sides with 95% intervals, the change (B − A), its
p-value and whether it is significant; small-sample warnings.
``GET /api/v1/dashboard/crosstab/?rows=q:nps&columns=segment[&filters]`` — counts, shares,
adjusted residuals and markers, the chi-square test. Same access as the dashboard's endpoint.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from engagement.dashboard.analysis import comparison, crosstab
from engagement.dashboard.analysis.views import (
    CrosstabForm,
    comparison_forms,
    comparison_sides,
    require_analysis,
)
from engagement.platform.api_conventions import ERROR_RESPONSES
from engagement.platform.statistics import Estimate
from surveys.filters import FILTER_NAMES, AnalysisFilterForm, filter_choices
from surveys.scoring import ScaleScore


class CanAnalyse(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        try:
            require_analysis(user)
        except PermissionDenied:
            return False
        return True


def _estimate(e: Estimate) -> dict[str, Any]:
    return {"value": e.value, "low": e.low, "high": e.high, "n": e.n, "count": e.count}


def _row(row: comparison.Row) -> dict[str, Any]:
    d = row.difference
    return {
        "key": row.key,
        "label": row.label,
        "a": _estimate(row.a),
        "b": _estimate(row.b),
        "difference": {"value": d.value, "low": d.low, "high": d.high},
        "p_value": d.p_value,
        "adjusted_p_value": row.adjusted_p,
        "significant": row.significant,
        "small_sample": row.small_sample,
    }


class CompareView(APIView):
    permission_classes = [CanAnalyse]

    @extend_schema(
        parameters=[
            OpenApiParameter(f"{prefix}{name}", str, required=False)
            for prefix in ("", "a_", "b_")
            for name in FILTER_NAMES
        ],
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        common, side_a, side_b = comparison_forms(request.query_params, filter_choices())
        sides = comparison_sides(common, side_a, side_b)
        if sides is None:
            errors = {
                form.add_prefix(name) if form.prefix else name: messages
                for form in (common, side_a, side_b)
                if form.is_bound
                for name, messages in form.errors.items()
            }
            raise serializers.ValidationError(errors)
        result = comparison.compare(a=sides[0], b=sides[1], user=request.user)
        return Response(
            {
                "a": {"filters": result.a.as_query(), "respondents": result.n_a},
                "b": {"filters": result.b.as_query(), "respondents": result.n_b},
                "warnings": result.warnings,
                "nps": _row(result.nps) if result.nps else None,
                "questions": [_row(r) for r in result.questions],
                "top_two_box": [_row(r) for r in result.top_boxes],
                "wording_changes": [
                    {
                        "key": change.key,
                        "before": change.before,
                        "after": change.after,
                        "changed_at": change.changed_at,
                    }
                    for change in result.wording_changes
                ],
                "topics": [_row(r) for r in result.topics],
            }
        )


class CrosstabView(APIView):
    permission_classes = [CanAnalyse]

    @extend_schema(
        parameters=[
            OpenApiParameter("rows", str, required=True),
            OpenApiParameter("columns", str, required=True),
            *(OpenApiParameter(name, str, required=False) for name in FILTER_NAMES),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        form = CrosstabForm(request.query_params, dimensions=crosstab.dimension_choices())
        filters = AnalysisFilterForm(request.query_params, choices=filter_choices())
        if not form.is_valid() or not filters.is_valid():
            raise serializers.ValidationError({**form.errors, **filters.errors})
        result = crosstab.crosstab(
            rows=form.cleaned_data["rows"],
            columns=form.cleaned_data["columns"],
            filters=filters.filters(),
            user=request.user,
        )
        return Response(
            {
                "rows": {"code": result.rows.code, "label": result.rows.label},
                "columns": {"code": result.columns.code, "label": result.columns.label},
                "row_values": [{"value": v, "label": label} for v, label in result.row_values],
                "column_values": [
                    {"value": v, "label": label} for v, label in result.column_values
                ],
                "cells": [
                    [
                        {
                            "count": c.count,
                            "column_share": c.column_share,
                            "row_share": c.row_share,
                            "adjusted_residual": c.residual,
                            "marker": c.marker,
                            "low_expected": c.low_expected,
                        }
                        for c in line
                    ]
                    for line in result.cells
                ],
                "row_totals": result.row_totals,
                "column_totals": result.column_totals,
                "respondents": result.respondents,
                "left_out": result.left_out,
                "chi_square": result.chi2,
                "dof": result.dof,
                "p_value": result.p_value,
                "small_sample": result.small_sample,
                "column_scores": [_scale(score) for score in result.column_scores],
                "total_score": _scale(result.total_score) if result.total_score else None,
            }
        )


def _scale(score: ScaleScore) -> dict[str, Any]:
    return {"mean": _estimate(score.mean), "top_two_box": _estimate(score.top_two)}


urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/compare/", CompareView.as_view(), name="api-dashboard-compare"),
    path("dashboard/crosstab/", CrosstabView.as_view(), name="api-dashboard-crosstab"),
]
