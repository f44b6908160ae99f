"""REST endpoints (mounted under /api/v1/).

- ``POST /api/v1/voc/feedback/`` — add one piece of feedback from another channel (support
  inquiry, review, SNS post…): text, channel, received_at, customer_external_id, rating,
  external_id (re-sending the same (channel, external_id) returns the existing item, 200).
  Needs ``voc.add_feedbackitem``.
- ``GET /api/v1/voc/topics/`` — active topics with their terms and item counts, counted over
  the items the caller may see (``voc.view_topic``).
- ``GET /api/v1/voc/search/?q=解約`` — feedback whose tokens contain the keyword's tokens
  (``voc.view_feedbackitem``), among the items the caller may see (the one scope rule); the
  text is masked (names, e-mail, phone) for staff without personal-data access.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from engagement.platform.api_conventions import (
    ERROR_RESPONSES,
    Pagination,
    RecentDateTimeField,
    StaffModelPermissions,
)
from engagement.platform.masking import mask_for
from engagement.platform.scope import sees_personal_data
from voc import selectors, services
from voc.models import Channel, FeedbackItem, Topic


class FeedbackInSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000)
    channel = serializers.ChoiceField(
        choices=[choice for choice in Channel.choices if choice[0] != Channel.SURVEY]
    )
    received_at = RecentDateTimeField(required=False, allow_null=True)
    customer_external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    rating = serializers.IntegerField(min_value=0, max_value=10, required=False, allow_null=True)
    external_id = serializers.CharField(max_length=200, required=False, allow_blank=True)
    attributes = serializers.DictField(required=False)


class FeedbackOutSerializer(serializers.ModelSerializer):
    topic_name = serializers.CharField(
        source="topic.name", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "text",
            "channel",
            "received_at",
            "rating",
            "external_id",
            "tokens",
            "sentiment",
            "sentiment_score",
            "topic",
            "topic_name",
            "nps_category",
        ]

    def to_representation(self, instance: FeedbackItem) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not sees_personal_data(request.user):
            data["text"] = mask_for(request.user, data["text"], customer=instance.customer)
            data["tokens"] = []
        return data


class TopicSerializer(serializers.ModelSerializer):
    # Counted over the items the caller may see (engagement.platform.scope).
    item_count = serializers.IntegerField(source="visible_item_count", read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "name", "terms", "item_count", "is_other", "name_is_custom", "updated_at"]


class FeedbackCreate(APIView):
    permission_classes = [StaffModelPermissions]
    queryset = FeedbackItem.objects.none()

    @extend_schema(
        request=FeedbackInSerializer,
        responses={201: FeedbackOutSerializer, 200: FeedbackOutSerializer, **ERROR_RESPONSES},
    )
    def post(self, request: Request) -> Response:
        serializer = FeedbackInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        item, created = services.create_feedback_item(
            text=data["text"],
            channel=data["channel"],
            received_at=data.get("received_at"),
            customer_external_id=data.get("customer_external_id", ""),
            rating=data.get("rating"),
            external_id=data.get("external_id", ""),
            attributes=data.get("attributes") or {},
        )
        item = FeedbackItem.objects.select_related("topic").get(id=item.id)
        return Response(FeedbackOutSerializer(item).data, status=201 if created else 200)


class TopicList(generics.ListAPIView):
    permission_classes = [StaffModelPermissions]
    serializer_class = TopicSerializer
    pagination_class = Pagination
    queryset = Topic.objects.all()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        visible = selectors.visible_items(self.request.user).values("pk")
        return selectors.active_topics().annotate(
            visible_item_count=Count("items", filter=Q(items__pk__in=visible))
        )


class FeedbackSearch(generics.ListAPIView):
    permission_classes = [StaffModelPermissions]
    serializer_class = FeedbackOutSerializer
    pagination_class = Pagination
    queryset = FeedbackItem.objects.all()

    @extend_schema(parameters=[OpenApiParameter("q", str, description="keyword (by token)")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        keyword = self.request.query_params.get("q", "")
        queryset = (
            selectors.visible_items(self.request.user)
            .select_related("topic", "customer")
            .order_by("-received_at", "-id")
        )
        if not keyword.strip():
            return queryset.none()
        return selectors.filter_by_keyword(queryset, keyword[:100])


urlpatterns: list[URLPattern | URLResolver] = [
    path("voc/feedback/", FeedbackCreate.as_view(), name="voc-feedback-create"),
    path("voc/topics/", TopicList.as_view(), name="voc-topic-list"),
    path("voc/search/", FeedbackSearch.as_view(), name="voc-feedback-search"),
]
