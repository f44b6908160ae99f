"""The inbox's action bar, list filters and triage form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from engagement.customers.models import Team
from engagement.platform.branding import staff_label, staff_queryset
from engagement.platform.errors import DomainError
from engagement.platform.forms import StaffChoiceField
from voc.models import FeedbackItem, Topic, TriageState

from .. import services
from ..models import (
    Tag,
)
from ..selectors import (
    OPEN_STATES,
)
from ..services.workflow import allowed_next_states, state_label


class TriageActionForm(helpers.ActionForm):
    """The action bar of the inbox: the parameters a bulk action needs."""

    owner = StaffChoiceField(required=False, label=_("Owner"))
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, label=_("Team")
    )
    state = forms.ChoiceField(
        choices=[("", "---------"), *TriageState.choices], required=False, label=_("State")
    )
    tag = forms.CharField(required=False, max_length=50, label=_("Tag"))
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.filter(is_active=True).order_by("name"),
        required=False,
        label=_("Topic"),
    )


class OpenFilter(admin.SimpleListFilter):
    title = _("open / overdue")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Open")), ("overdue", _("Overdue")), ("mine", _("Mine (open)"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem]
    ) -> QuerySet[FeedbackItem]:
        if self.value() == "open":
            return queryset.filter(state__in=OPEN_STATES)
        if self.value() == "overdue":
            return queryset.filter(state__in=OPEN_STATES, due_at__lt=timezone.now())
        if self.value() == "mine":
            return queryset.filter(state__in=OPEN_STATES, owner=request.user)
        return queryset


class StaffListFilter(admin.RelatedOnlyFieldListFilter):
    """The owners of the listed items, by display name."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[Any]:
        owners = (
            model_admin.get_queryset(request)
            .exclude(**{f"{self.field_path}__isnull": True})
            .values_list(f"{self.field_path}__pk", flat=True)
            .distinct()
            .order_by()
        )
        users = field.remote_field.model.objects.filter(pk__in=owners).select_related(
            "staff_profile"
        )
        return sorted(((u.pk, staff_label(u)) for u in users), key=lambda c: (c[1], c[0]))


class NpsCategoryFilter(admin.SimpleListFilter):
    title = _("NPS category")
    parameter_name = "nps"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("promoter", _("Promoter")),
            ("passive", _("Passive")),
            ("detractor", _("Detractor")),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem]
    ) -> QuerySet[FeedbackItem]:
        return queryset.filter(nps_category=self.value()) if self.value() else queryset


class SegmentFilter(admin.SimpleListFilter):
    title = _("segment")
    parameter_name = "segment"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        from engagement.customers.models import Customer

        values = (
            Customer.objects.exclude(segment="")
            .order_by("segment")
            .values_list("segment", flat=True)
            .distinct()
        )
        return [(v, v) for v in values[:100]]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem]
    ) -> QuerySet[FeedbackItem]:
        return queryset.filter(customer__segment=self.value()) if self.value() else queryset


class PublicLinkFilter(admin.SimpleListFilter):
    """The store or campaign link the answer came through (``?link=<id>``, as the filter bar)."""

    title = _("Store or campaign link")
    parameter_name = "link"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        from surveys.filters import link_choices

        return [(str(pk), label) for pk, label in link_choices(limit=100)]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem]
    ) -> QuerySet[FeedbackItem]:
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(response__public_link_id=int(value))


class UrlParameterFilter(admin.SimpleListFilter):
    """An allow-listed URL parameter of the answer (``?param=store=shibuya``)."""

    title = _("URL parameter")
    parameter_name = "param"
    values_per_key = 30
    recent_responses = 5_000

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        from surveys.filters import distinct_key_values, parameter_keys
        from surveys.models import Response

        choices = []
        keys = parameter_keys()
        # The values seen in the latest answers (two index reads bound the scan, whatever the
        # number of responses); any other value works typed into the address (?param=k=v).
        recent = Response.objects.all()
        oldest = (
            Response.objects.order_by("-id")
            .values_list("id", flat=True)[self.recent_responses - 1 : self.recent_responses]
            .first()
            if keys
            else None
        )
        if oldest is not None:
            recent = recent.filter(id__gte=oldest)
        for key in keys:
            values = distinct_key_values(recent, "url_params", key, limit=self.values_per_key)
            choices += [(f"{key}={value}", f"{key} = {value}") for value in values]
        return choices

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem]
    ) -> QuerySet[FeedbackItem]:
        from surveys.filters import parameter_is

        key, sep, value = (self.value() or "").partition("=")
        if not sep:
            return queryset if not self.value() else queryset.none()
        return queryset.filter(parameter_is("response__url_params", key, value))


class TagFilter(admin.SimpleListFilter):
    title = _("tag")
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(t.id), t.name) for t in Tag.objects.order_by("name")[:200]]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[FeedbackItem]
    ) -> QuerySet[FeedbackItem]:
        return queryset.filter(item_tags__tag_id=self.value()) if self.value() else queryset


class FeedbackTriageForm(forms.ModelForm):
    class Meta:
        model = FeedbackItem
        fields = ("state", "owner", "team", "priority", "due_at", "duplicate_of")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "state" in self.fields and self.instance.pk:
            current = self.instance.state
            allowed = [current, *allowed_next_states(current)]
            self.fields["state"].choices = [
                (s, state_label(s)) for s in TriageState.values if s in allowed
            ]
        if "owner" in self.fields:
            # Shown by display name (the admin's own field keeps its add/change links).
            owner = self.fields["owner"]
            owner.queryset = staff_queryset()
            owner.label_from_instance = staff_label

    def clean_state(self) -> str:
        state = self.cleaned_data["state"]
        if self.instance.pk and state != self.instance.state:
            try:
                services.check_transition(current=self.instance.state, target=state)
            except DomainError as exc:
                raise forms.ValidationError(exc.message) from exc
        return state

    def clean_duplicate_of(self) -> FeedbackItem | None:
        value = self.cleaned_data.get("duplicate_of")
        if value is not None and value.pk == self.instance.pk:
            raise forms.ValidationError(gettext("An item cannot be a duplicate of itself."))
        return value


def nps_label(value: str) -> str:
    from surveys.models import NpsCategory

    try:
        return str(NpsCategory(value).label)
    except ValueError:
        return value or "-"


def int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
