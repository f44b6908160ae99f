"""Conventions every app's API follows: one error shape, pagination, permissions.

Error shape, for every failure::

    {"error": {"code": "invalid", "message": "…", "fields": {"field": ["…"]}}}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, pagination, permissions, serializers
from rest_framework.response import Response

from engagement.platform.errors import DomainError


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(key): [str(v) for v in (value if isinstance(value, list) else [value])]
            for key, value in detail.items()
        }
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return Response(
            {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}},
            status=exc.status_code,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):  # too many fields, a malformed body…
        exc = exceptions.ParseError(_("The request body could not be read."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "invalid",
            "message": _("The request has errors."),
            "fields": _flatten(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", "")
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(detail),
            "fields": {},
        }
    response.data = {"error": body}
    return response


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
ERROR_STATUSES = {
    "400": "Invalid input",
    "401": "Not authenticated",
    "403": "Permission denied",
    "404": "Not found",
    "405": "Method not allowed",
    "409": "Conflict with the current state",
    "415": "Unsupported media type",
    "429": "Too many requests",
}


ERROR_SERIALIZER = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField())
                ),
            },
        )
    },
)
# For ``@extend_schema(responses={200: …, **ERROR_RESPONSES})``; operations that do not name
# them still get them from ``document_error_responses``.
ERROR_RESPONSES = {
    int(status): OpenApiResponse(ERROR_SERIALIZER, description=description)
    for status, description in ERROR_STATUSES.items()
}


def document_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every operation documents the one error shape."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result


EARLIEST_DATETIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_DATETIME = datetime(2100, 1, 1, tzinfo=UTC)


class RecentDateTimeField(serializers.DateTimeField):
    """A date-time from 2000 to 2099: what feedback and behaviour records can have. (Older
    times in Asia/Tokyo carry a local-mean-time offset such as +09:18:59, which is not valid
    RFC 3339 when the record is read back.)"""

    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)
        if not EARLIEST_DATETIME <= parsed < LATEST_DATETIME:
            raise serializers.ValidationError(_("Choose a date and time from 2000 to 2099."))
        return parsed


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class StaffModelPermissions(permissions.DjangoModelPermissions):
    """Authenticated staff with the model permission; reading needs the ``view`` permission too."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:  # type: ignore[no-untyped-def]
        if not (request.user and request.user.is_authenticated and request.user.is_staff):
            return False
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        return super().has_permission(request, view)
