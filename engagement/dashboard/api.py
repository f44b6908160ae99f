"""REST endpoint (mounted under /api/v1/): the dashboard's panels as JSON, for staff systems.

``GET /api/v1/dashboard/?wave=&survey=&segment=&touchpoint=&date_from=&date_to=&window=`` — the
same tables the page and its CSV downloads show (no personal data), from the daily summaries.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from engagement.dashboard import panels
from engagement.dashboard.selectors import dashboard
from engagement.dashboard.views import DASHBOARD_PERM, filter_form
from engagement.platform.api_conventions import ERROR_RESPONSES
from engagement.platform.scope import sees_all_teams
from surveys.filters import FILTER_NAMES

PANEL = inline_serializer(
    name="DashboardPanel",
    fields={
        "name": serializers.CharField(),
        "title": serializers.CharField(),
        "columns": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(child=serializers.ListField(allow_null=True)),
    },
    many=True,
)


class IsStaff(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_staff
            and user.has_perm(DASHBOARD_PERM)
            and sees_all_teams(user)
        )


class DashboardPanels(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter(name, str, required=False) for name in (*FILTER_NAMES, "window")
        ],
        responses={
            200: inline_serializer(
                name="Dashboard",
                fields={
                    "responses": serializers.IntegerField(),
                    "refreshed_at": serializers.DateTimeField(allow_null=True),
                    "panels": PANEL,
                },
            ),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request) -> Response:
        form = filter_form(request.query_params)
        if request.query_params and not form.is_valid():
            raise serializers.ValidationError(form.errors)
        data = dashboard(filters=form.filters())
        return Response(
            {
                "responses": data.responses,
                "refreshed_at": data.refreshed_at,
                "panels": [
                    {"name": p.name, "title": p.title, "columns": p.columns, "rows": p.rows}
                    for p in panels.build_panels(data)
                ],
            }
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard/", DashboardPanels.as_view(), name="api-dashboard"),
]
