"""REST endpoints (mounted under /api/v1/): surveys, invitations (bulk, idempotent), responses.

Conventions: ``engagement.platform.api_conventions`` (error shape, pagination, staff + model
permissions).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse

from engagement.customers.models import Customer
from engagement.platform.api_conventions import ERROR_RESPONSES
from engagement.platform.errors import InvalidInput, NotFound
from engagement.platform.masking import mask_for
from surveys import services
from surveys.filters import parameter_is
from surveys.links import PARAMETER_KEY
from surveys.models import Answer, Invitation, Response, Survey
from surveys.services.links import personal_url


class SurveySerializer(serializers.ModelSerializer):
    wave = serializers.CharField(source="wave.name")
    wave_id = serializers.IntegerField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "slug",
            "title",
            "brand_name",
            "status",
            "wave",
            "wave_id",
            "opens_at",
            "closes_at",
            "created_at",
            "updated_at",
        ]


class SurveyList(generics.ListAPIView):
    """Surveys, by slug."""

    serializer_class = SurveySerializer
    queryset = Survey.objects.select_related("wave").order_by("slug")


class InvitationRequestSerializer(serializers.Serializer):
    customer_external_ids = serializers.ListField(
        child=serializers.CharField(max_length=100), min_length=1, max_length=1000
    )


class InvitationResultSerializer(serializers.Serializer):
    customer_external_id = serializers.CharField()
    invitation_id = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.URLField(help_text="The customer's personal link (keep it secret).")


class InvitationCreate(generics.GenericAPIView):
    """Create personal links for the given customers (idempotent: same customers, same links)."""

    queryset = Invitation.objects.all()
    serializer_class = InvitationRequestSerializer

    @extend_schema(
        request=InvitationRequestSerializer,
        responses={
            200: inline_serializer(
                name="InvitationResults",
                fields={"results": InvitationResultSerializer(many=True)},
            ),
            **ERROR_RESPONSES,
            409: ERROR_RESPONSES[400],
        },
    )
    def post(self, request: Request, slug: str) -> ApiResponse:
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise NotFound(_("No survey with this slug."))
        body = InvitationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(body.validated_data["customer_external_ids"]))
        customers = {
            c.external_id: c
            for c in Customer.objects.filter(external_id__in=ids, forgotten_at__isnull=True)
        }
        unknown = [i for i in ids if i not in customers]
        if unknown:
            raise InvalidInput(
                _("Some customer IDs are unknown; no invitation was created."),
                fields={"customer_external_ids": unknown[:100]},
            )
        with transaction.atomic():
            pairs = services.create_invitations(
                survey=survey, customers=[customers[i] for i in ids], now=timezone.now()
            )
        external_ids = {c.id: c.external_id for c in customers.values()}
        results = [
            {
                "customer_external_id": external_ids[invitation.customer_id],
                "invitation_id": invitation.id,
                "status": invitation.status,
                "url": personal_url(invitation),
            }
            for invitation, _token in pairs
        ]
        return ApiResponse({"results": results})


class AnswerSerializer(serializers.ModelSerializer):
    question_key = serializers.CharField(source="question.key")

    class Meta:
        model = Answer
        fields = ["question_key", "number", "text", "choices"]

    def to_representation(self, instance: Answer) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and data.get("text"):
            data["text"] = mask_for(request.user, data["text"], customer=instance.response.customer)
        return data


class ResponseSerializer(serializers.ModelSerializer):
    survey = serializers.CharField(source="survey.slug")
    wave_id = serializers.IntegerField(source="survey.wave_id")
    customer_external_id = serializers.CharField(
        source="customer.external_id", default=None, allow_null=True
    )
    answers = AnswerSerializer(many=True)
    public_link = serializers.CharField(source="public_link.name", default=None, allow_null=True)
    link_source = serializers.CharField(source="public_link.source", default=None, allow_null=True)
    link_code = serializers.CharField(
        source="public_link.source_value", default=None, allow_null=True
    )
    url_params = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = Response
        fields = [
            "id",
            "survey",
            "wave_id",
            "customer_external_id",
            "public_link",
            "link_source",
            "link_code",
            "url_params",
            "status",
            "submitted_at",
            "touchpoint",
            "nps_score",
            "nps_category",
            "csat_score",
            "empathy_index",
            "attachment_index",
            "awareness_index",
            "created_at",
            "updated_at",
            "answers",
        ]


class IdFilter(django_filters.NumberFilter):
    """A database id: a whole number in the id column's range (anything else is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class ResponseFilter(django_filters.FilterSet):
    survey = django_filters.CharFilter(field_name="survey__slug", help_text="survey slug")
    wave = IdFilter(field_name="survey__wave_id", help_text="wave id")
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text="ISO 8601 date-time"
    )
    status = django_filters.CharFilter(field_name="status")
    link = IdFilter(field_name="public_link_id", help_text="public (store/campaign) link id")
    param = django_filters.CharFilter(
        method="filter_param", help_text="URL parameter as key:value, e.g. store:shibuya"
    )

    class Meta:
        model = Response
        fields = ["survey", "wave", "updated_since", "status", "link", "param"]

    def filter_param(self, queryset: QuerySet[Response], name: str, value: str) -> QuerySet:
        key, sep, wanted = value.partition(":")
        if not sep or not PARAMETER_KEY.match(key):
            return queryset.none()
        return queryset.filter(parameter_is("url_params", key, wanted))  # the shared filters'


class ResponseList(generics.ListAPIView):
    """Responses with their answers, oldest update first (for incremental sync with
    ``updated_since``)."""

    serializer_class = ResponseSerializer
    filterset_class = ResponseFilter
    queryset = Response.objects.all()

    def get_queryset(self) -> QuerySet[Response]:
        return (
            Response.objects.visible_to(self.request.user)
            .filter(is_test=False)  # staff tests through the test link are never counted
            .select_related("survey", "customer", "public_link")
            .prefetch_related(
                Prefetch(
                    "answers",
                    queryset=Answer.objects.select_related("question").order_by(
                        "question__page__position", "question__position"
                    ),
                )
            )
            .order_by("updated_at", "id")
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path("surveys/", SurveyList.as_view(), name="api-surveys"),
    path(
        "surveys/<slug:slug>/invitations/",
        InvitationCreate.as_view(),
        name="api-survey-invitations",
    ),
    path("responses/", ResponseList.as_view(), name="api-responses"),
]
