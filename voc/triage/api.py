"""REST endpoints for triage (mounted under /api/v1/): list, detail and state changes of
feedback items, limited to the items the user may triage (their teams' unless a lead)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver, path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from engagement.customers.models import Touchpoint
from engagement.platform.api_conventions import ERROR_RESPONSES, StaffModelPermissions
from voc.models import FeedbackItem, Sentiment, TriageState

from . import services
from .selectors import search_items_by_keyword, visible_items


class FeedbackItemSerializer(serializers.ModelSerializer):
    # Null when the item has no customer, topic, owner or team (documented as nullable).
    customer_id = serializers.CharField(
        source="customer.external_id", default=None, read_only=True, allow_null=True
    )
    segment = serializers.CharField(
        source="customer.segment", default=None, read_only=True, allow_null=True
    )
    topic_name = serializers.CharField(
        source="topic.name", default=None, read_only=True, allow_null=True
    )
    owner = serializers.CharField(
        source="owner.username", default=None, read_only=True, allow_null=True
    )
    team = serializers.CharField(source="team.name", default=None, read_only=True, allow_null=True)
    # Blank when the item names no touchpoint / is not analysed yet.
    touchpoint = serializers.ChoiceField(
        choices=Touchpoint.choices, allow_blank=True, read_only=True
    )
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, allow_blank=True, read_only=True)

    class Meta:
        model = FeedbackItem
        fields = (
            "id",
            "text",
            "channel",
            "received_at",
            "rating",
            "nps_score",
            "nps_category",
            "touchpoint",
            "sentiment",
            "topic",
            "topic_name",
            "state",
            "priority",
            "due_at",
            "owner",
            "team",
            "duplicate_of",
            "customer_id",
            "segment",
        )
        read_only_fields = fields


class StateChangeSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=TriageState.choices)


class TriagePermissions(StaffModelPermissions):
    """GET needs ``voc.view_feedbackitem``; a state change needs ``voc.change_feedbackitem``."""

    perms_map = {**StaffModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class VisibleItemsMixin:
    permission_classes = [TriagePermissions]
    queryset = FeedbackItem.objects.all()

    def get_queryset(self) -> QuerySet[FeedbackItem]:
        request: Request = self.request  # type: ignore[attr-defined]
        return visible_items(user=request.user).select_related("customer", "topic", "owner", "team")


@extend_schema(responses={200: FeedbackItemSerializer(many=True), **ERROR_RESPONSES})
class FeedbackItemList(VisibleItemsMixin, generics.ListAPIView):
    """Feedback items, most urgent first. Filters: state, team, owner, topic, priority, q (word)."""

    serializer_class = FeedbackItemSerializer
    filterset_fields = ("state", "team", "owner", "topic", "priority", "channel", "nps_category")

    def get_queryset(self) -> QuerySet[FeedbackItem]:
        queryset = super().get_queryset()
        keyword = self.request.query_params.get("q", "")
        if keyword:
            queryset = search_items_by_keyword(queryset, keyword)
        return queryset.order_by("-priority", "due_at", "-received_at", "-id")


@extend_schema(responses={200: FeedbackItemSerializer, **ERROR_RESPONSES})
class FeedbackItemDetail(VisibleItemsMixin, generics.RetrieveAPIView):
    serializer_class = FeedbackItemSerializer


class FeedbackItemState(VisibleItemsMixin, APIView):
    @extend_schema(
        request=StateChangeSerializer,
        responses={200: FeedbackItemSerializer, 409: ERROR_RESPONSES[400], **ERROR_RESPONSES},
    )
    def post(self, request: Request, pk: int, *args: Any, **kwargs: Any) -> Response:
        """Move the item to another state (illegal transitions are refused with 409)."""
        item = generics.get_object_or_404(self.get_queryset(), pk=pk)
        serializer = StateChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_state(
            item_id=item.id, actor=request.user, state=serializer.validated_data["state"]
        )
        fresh = self.get_queryset().get(pk=item.pk)
        return Response(FeedbackItemSerializer(fresh).data)


urlpatterns: list[URLPattern | URLResolver] = [
    path("triage/items/", FeedbackItemList.as_view(), name="triage-item-list"),
    path("triage/items/<int:pk>/", FeedbackItemDetail.as_view(), name="triage-item-detail"),
    path("triage/items/<int:pk>/state/", FeedbackItemState.as_view(), name="triage-item-state"),
]
