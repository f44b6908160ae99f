"""REST endpoints (mounted under /api/v1/): customers and behaviour records.

- ``GET /api/v1/customers/`` — list (staff with ``view_customer``); name and e-mail only for
  staff with ``engagement.view_personal_data``.
- ``POST /api/v1/customers/bulk/`` — upsert up to 1,000 customers by ``external_id``.
- ``POST /api/v1/behaviours/bulk/`` — add up to 1,000 behaviour records; each ``event_id`` is
  recorded once, so re-sending the same batch never duplicates.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from engagement.customers import services
from engagement.customers.models import BehaviourRecord, Customer, CustomerValue, Touchpoint
from engagement.platform.api_conventions import (
    ERROR_RESPONSES,
    Pagination,
    RecentDateTimeField,
    StaffModelPermissions,
)
from engagement.platform.scope import sees_personal_data

MAX_BATCH = 1000
PERSONAL = ("name", "email")


def can_see_personal_data(user: Any) -> bool:
    return sees_personal_data(user)


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "external_id",
            "segment",
            "attributes",
            "signed_up_on",
            "name",
            "email",
            "contact_allowed",
            "forgotten_at",
            "updated_at",
        ]

    def to_representation(self, instance: Customer) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not can_see_personal_data(self.context["request"].user):
            for key in PERSONAL:
                data.pop(key, None)
        return data


class CustomerInSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    segment = serializers.CharField(max_length=50, required=False, allow_blank=True)
    attributes = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False
    )
    signed_up_on = serializers.DateField(required=False, allow_null=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    contact_allowed = serializers.BooleanField(required=False)


class BehaviourInSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=100)
    customer_external_id = serializers.CharField(max_length=100)
    kind = serializers.SlugField(max_length=50)
    occurred_at = RecentDateTimeField()
    amount = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    touchpoint = serializers.ChoiceField(
        choices=Touchpoint.choices, required=False, allow_blank=True
    )
    attributes = serializers.DictField(required=False)


def _batch(serializer_class: type[serializers.Serializer], name: str) -> Any:
    return inline_serializer(
        name=name,
        fields={"items": serializer_class(many=True)},
    )


COUNTS = inline_serializer(
    name="WriteCounts",
    fields={
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "skipped": serializers.IntegerField(),
    },
)


class BatchSerializer(serializers.Serializer):
    def __init__(self, *args: Any, child: serializers.Serializer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"] = serializers.ListField(
            child=child, min_length=1, max_length=MAX_BATCH
        )


class CustomerList(generics.ListAPIView):
    queryset = Customer.objects.order_by("external_id")

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Customer.objects.visible_to(self.request.user).order_by("external_id")

    serializer_class = CustomerSerializer
    permission_classes = [StaffModelPermissions]
    pagination_class = Pagination


class CustomerBulk(APIView):
    queryset = Customer.objects.none()
    permission_classes = [StaffModelPermissions]

    @extend_schema(
        request=_batch(CustomerInSerializer, "CustomerBatch"),
        responses={200: COUNTS, **ERROR_RESPONSES},
        summary=str(_("Upsert customers by external_id")),
    )
    def post(self, request: Request) -> Response:
        batch = BatchSerializer(data=request.data, child=CustomerInSerializer())
        batch.is_valid(raise_exception=True)
        counts = services.upsert_customers(rows=batch.validated_data["items"], now=timezone.now())
        return Response(counts.as_dict())


class BehaviourBulk(APIView):
    queryset = BehaviourRecord.objects.none()
    permission_classes = [StaffModelPermissions]

    @extend_schema(
        request=_batch(BehaviourInSerializer, "BehaviourBatch"),
        responses={200: COUNTS, **ERROR_RESPONSES},
        summary=str(_("Record behaviours (idempotent by event_id)")),
    )
    def post(self, request: Request) -> Response:
        batch = BatchSerializer(data=request.data, child=BehaviourInSerializer())
        batch.is_valid(raise_exception=True)
        counts = services.record_behaviours(rows=batch.validated_data["items"], now=timezone.now())
        return Response(counts.as_dict())


class CustomerValueSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id", read_only=True)
    segment = serializers.CharField(source="customer.segment", read_only=True)

    class Meta:
        model = CustomerValue
        fields = [
            "customer",
            "segment",
            "clv",
            "p_alive",
            "expected_purchases",
            "expected_spend",
            "repeat_purchases",
            "recency_weeks",
            "age_weeks",
            "mean_amount",
            "past_spend",
            "clv_at",
            "crv",
            "referrals",
            "referred_customers",
            "civ",
            "civ_parts",
            "civ_at",
            "ckv",
            "ckv_parts",
            "ckv_at",
        ]


class CustomerValueList(generics.ListAPIView):
    """The four values of each customer as last refreshed (``refresh_customer_values``)."""

    queryset = CustomerValue.objects.select_related("customer").order_by("customer__external_id")

    def get_queryset(self):  # type: ignore[no-untyped-def]
        # The one scope rule; each row names its customer, so it is personal data too.
        if not sees_personal_data(self.request.user):
            return CustomerValue.objects.none()
        visible = Customer.objects.visible_to(self.request.user)
        return (
            CustomerValue.objects.filter(customer__in=visible)
            .select_related("customer")
            .order_by("customer__external_id")
        )

    serializer_class = CustomerValueSerializer
    permission_classes = [StaffModelPermissions]
    pagination_class = Pagination
    filterset_fields = {"customer__segment": ["exact"], "customer__external_id": ["exact"]}


urlpatterns: list[URLPattern | URLResolver] = [
    path("customers/", CustomerList.as_view(), name="api-customers"),
    path("customers/bulk/", CustomerBulk.as_view(), name="api-customers-bulk"),
    path("behaviours/bulk/", BehaviourBulk.as_view(), name="api-behaviours-bulk"),
    path("customer-values/", CustomerValueList.as_view(), name="api-customer-values"),
]
