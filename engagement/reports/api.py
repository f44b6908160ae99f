"""REST endpoints (mounted under /api/v1/): stored reports and their topic tables as JSON.

Permissions: staff with ``reports.view_report`` to read, ``reports.add_report`` to request one.
Snapshots hold no personal data (quotes are masked when the report is computed).
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from engagement.customers.models import Touchpoint
from engagement.platform.api_conventions import ERROR_RESPONSES
from engagement.reports import selectors, services
from engagement.reports.models import ProductArea, Report
from surveys.filters import AnalysisFilters
from surveys.models import Survey


class ReportSerializer(serializers.ModelSerializer):
    product_area = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "period_start",
            "period_end",
            "product_area",
            "segment",
            "touchpoint",
            "survey",
            "filters",
            "status",
            "progress",
            "generated_at",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, report: Report) -> str:
        return f"/reports/{report.id}/"


class ReportDetailSerializer(ReportSerializer):
    data = serializers.JSONField(read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "data"]
        read_only_fields = fields


class ReportRequestSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    product_area = serializers.SlugRelatedField(
        slug_field="slug", queryset=ProductArea.objects.all(), required=False, allow_null=True
    )
    segment = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    touchpoint = serializers.ChoiceField(
        choices=Touchpoint.choices, required=False, allow_blank=True, default=""
    )
    survey = serializers.PrimaryKeyRelatedField(
        queryset=Survey.objects.all(), required=False, allow_null=True
    )
    filters = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="The shared analysis filters as the dashboard's query string "
        "(wave=3&link=5&param_store=shibuya&nps_band=detractor).",
    )


class ReportTopicsSerializer(serializers.Serializer):
    report = ReportSerializer()
    topics = serializers.ListField(child=serializers.DictField())


class ReportListAPI(generics.ListCreateAPIView):
    queryset = Report.objects.none()
    serializer_class = ReportSerializer

    def get_queryset(self) -> Any:
        return selectors.report_list()

    @extend_schema(responses={200: ReportSerializer(many=True), **ERROR_RESPONSES})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ReportRequestSerializer, responses={202: ReportSerializer, **ERROR_RESPONSES}
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = ReportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data["filters"] = AnalysisFilters.from_query(data.get("filters", ""))
        report = services.request_report(**data, actor=request.user)
        return Response(ReportSerializer(report).data, status=202)


class ReportLookupMixin:
    """Any integer in the URL reaches the view: unknown or out-of-range ids get a JSON 404."""

    lookup_url_kwarg = "report_id"

    def get_object(self) -> Report:
        report_id = int(self.kwargs["report_id"])  # type: ignore[attr-defined]
        if not 0 < report_id < 2**63:
            raise NotFound()
        return super().get_object()  # type: ignore[misc]


class ReportDetailAPI(ReportLookupMixin, generics.RetrieveAPIView):
    """A stored report with its snapshot (``data``: parameters, totals, topics, summary)."""

    queryset = Report.objects.none()
    serializer_class = ReportDetailSerializer

    def get_queryset(self) -> Any:
        return selectors.report_list()

    @extend_schema(responses={200: ReportDetailSerializer, **ERROR_RESPONSES})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ReportTopicsAPI(ReportLookupMixin, generics.RetrieveAPIView):
    """The topic table of a stored report (ranked by impact), with quotes and actions."""

    queryset = Report.objects.none()
    serializer_class = ReportSerializer

    def get_queryset(self) -> Any:
        return selectors.report_list()

    @extend_schema(responses={200: ReportTopicsSerializer, **ERROR_RESPONSES})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report = self.get_object()
        return Response(
            {
                "report": ReportSerializer(report).data,
                "topics": report.data.get("topics", []),
            }
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path("reports/", ReportListAPI.as_view(), name="reports-api-list"),
    re_path(
        r"^reports/(?P<report_id>-?[0-9]+)/$", ReportDetailAPI.as_view(), name="reports-api-detail"
    ),
    re_path(
        r"^reports/(?P<report_id>-?[0-9]+)/topics/$",
        ReportTopicsAPI.as_view(),
        name="reports-api-topics",
    ),
]
